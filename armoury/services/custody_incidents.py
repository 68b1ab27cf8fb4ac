"""Custody operations off the counter: losses and their investigation, recovery, destruction, corrections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Condition, Register, Whereabouts
from armoury.errors import ConflictError, NotFoundError, ValidationError
from armoury.i18n import _
from armoury.models.ledger import (
    Conclusion,
    CustodyLoan,
    Incident,
    IncidentKind,
    IncidentWeapon,
    InvestigationStatus,
    LedgerEntry,
    LedgerItem,
    LedgerOperation,
    TransferVoucher,
    TransferVoucherLine,
    VoucherLineStatus,
    VoucherStatus,
)
from armoury.security.permissions import Actor, Permission
from armoury.services.custody_common import (
    OperationResult,
    Ref,
    Row,
    WeaponResult,
    blocked_or_ok,
    check_facility,
    check_witnesses,
    describe,
    find_rack,
    lock_rows,
    parse_condition,
    place_on_rack,
    resolve_or_block,
    results,
    run,
    same_facility,
)
from armoury.services.custody_rules import destroy_reason, on_books_reason, recover_reason
from armoury.services.guard import authorize
from armoury.services.ledger import ItemChange, WeaponState, append_entry

if TYPE_CHECKING:
    from armoury.services.custody_receive import NewWeapon


def _append(
    session: Session,
    actor: Actor,
    operation: LedgerOperation,
    facility_id: int,
    rows: Sequence[Row],
    afters: Sequence[WeaponState],
    **kwargs: object,
) -> OperationResult:
    changes = [ItemChange(r.id, r.state, a) for r, a in zip(rows, afters, strict=True)]
    described = results(session, rows, afters)
    entry = append_entry(session, actor, operation, facility_id, changes, **kwargs)  # type: ignore[arg-type]
    return OperationResult(operation, entry.seq, entry.hash, entry.document_ref, entry.recorded_at, described)


def _close_open_custody(session: Session, weapon_ids: Sequence[int], seq: int, at: datetime) -> None:
    """A weapon leaving the books closes its hand receipt and its transfer-voucher line."""
    session.execute(
        update(CustodyLoan)
        .where(CustodyLoan.weapon_id.in_(list(weapon_ids)), CustodyLoan.closed_seq.is_(None))
        .values(closed_seq=seq, closed_at=at),
        execution_options={"synchronize_session": False},
    )
    lines = list(
        session.scalars(
            select(TransferVoucherLine).where(
                TransferVoucherLine.weapon_id.in_(list(weapon_ids)),
                TransferVoucherLine.status == VoucherLineStatus.IN_TRANSIT,
            )
        )
    )
    for line in lines:
        line.status = VoucherLineStatus.REJECTED
        line.settled_seq = seq
    session.flush()
    for voucher_id in {line.voucher_id for line in lines}:
        still_open = session.scalar(
            select(TransferVoucherLine.weapon_id).where(
                TransferVoucherLine.voucher_id == voucher_id,
                TransferVoucherLine.status == VoucherLineStatus.IN_TRANSIT,
            )
        )
        if still_open is None:
            session.execute(
                update(TransferVoucher)
                .where(TransferVoucher.id == voucher_id)
                .values(status=VoucherStatus.CLOSED)
            )


# ---------------------------------------------------------------------------------------------- losses


def report_loss(
    db: Database,
    actor: Actor,
    weapons: Sequence[Ref],
    kind: IncidentKind | str,
    *,
    circumstances: str,
    occurred_at: datetime | None = None,
    place: str = "",
    reported_to: str = "",
    reference: str = "",
    witnesses: Sequence[Actor] = (),
) -> OperationResult:
    """Report weapons lost or stolen: an incident (``INC-<seq>``) whose investigation stays open until a
    commander concludes it. The weapons leave the books the same day."""
    authorize(db, actor, Permission.REPORT_LOSS)
    incident_kind = IncidentKind.parse(kind) if isinstance(kind, str) else kind
    if not isinstance(incident_kind, IncidentKind):
        raise ValidationError(_("The kind of loss must be 'lost' or 'stolen'."), _("Use --kind lost|stolen."))
    if not circumstances.strip():
        raise ValidationError(
            _("Describe the circumstances of the loss."), _("Say what happened (--details TEXT).")
        )
    when = occurred_at or datetime.now(UTC)
    if when.tzinfo is None:
        raise ValidationError(_("The time of the loss has no time zone."), _("Give it in UTC."))
    if when > datetime.now(UTC):
        raise ValidationError(_("The time of the loss is in the future."), _("Check the date and time."))
    named = resolve_or_block(db, weapons)
    to_state = Whereabouts.LOST if incident_kind is IncidentKind.LOST else Whereabouts.STOLEN

    def work(session: Session) -> OperationResult:
        rows = lock_rows(session, named)
        blocked_or_ok(session, rows, [on_books_reason(r) for r in rows])
        facility_id = same_facility(rows)
        check_facility(actor, Permission.REPORT_LOSS, facility_id)
        afters = [
            replace(r.state, whereabouts=to_state, rack_id=None, slot=None, holder_id=None) for r in rows
        ]
        result = _append(
            session,
            actor,
            LedgerOperation.LOSS_REPORT,
            facility_id,
            rows,
            afters,
            witnesses=witnesses,
            document_ref=lambda s: f"INC-{s:06d}",
            reason=circumstances.strip(),
            payload={
                "kind": str(incident_kind),
                "occurred_at": when.astimezone(UTC).isoformat(),
                "place": place,
                "reported_to": reported_to,
                "reference": reference,
            },
        )
        incident = Incident(
            number=result.document_ref,
            kind=incident_kind,
            facility_id=facility_id,
            occurred_at=when,
            place=place,
            circumstances=circumstances.strip(),
            reported_to=reported_to,
            reference=reference,
            report_seq=result.seq,
        )
        session.add(incident)
        session.flush()
        session.add_all(IncidentWeapon(incident_id=incident.id, weapon_id=r.id) for r in rows)
        _close_open_custody(session, [r.id for r in rows], result.seq, result.recorded_at)
        return result

    return run(db, actor, work)


def conclude_investigation(
    db: Database,
    actor: Actor,
    incident: str,
    conclusion: Conclusion | str,
    findings: str,
    *,
    witnesses: Sequence[Actor] = (),
) -> OperationResult:
    """A commander closes a loss investigation: theft, loss, or — only now, after the investigation —
    accounting error (a write-off, witnessed). The weapons' state does not change."""
    authorize(db, actor, Permission.CONCLUDE_INVESTIGATION)
    found_conclusion = Conclusion.parse(conclusion) if isinstance(conclusion, str) else conclusion
    if not isinstance(found_conclusion, Conclusion):
        raise ValidationError(
            _("The conclusion must be theft, loss or accounting error."),
            _("Use --conclusion theft|loss|accounting_error."),
        )
    if not findings.strip():
        raise ValidationError(
            _("Write down what the investigation found."), _("Give the findings (--findings TEXT).")
        )
    if found_conclusion is Conclusion.ACCOUNTING_ERROR:
        check_witnesses(db, actor, witnesses, "write_off")

    def work(session: Session) -> OperationResult:
        record = session.scalar(select(Incident).where(Incident.number == incident.strip()))
        if record is None:
            raise NotFoundError(
                _("No incident {incident}.").format(incident=incident), _("Check the incident number.")
            )
        check_facility(actor, Permission.CONCLUDE_INVESTIGATION, record.facility_id)
        if record.status is InvestigationStatus.CONCLUDED:
            raise ConflictError(
                _("The investigation of {incident} is already concluded ({conclusion}).").format(
                    incident=record.number, conclusion=record.conclusion.label if record.conclusion else ""
                ),
                _("A conclusion is final; record a correction with a new incident if it was wrong."),
            )
        weapon_ids = list(
            session.scalars(
                select(IncidentWeapon.weapon_id)
                .where(IncidentWeapon.incident_id == record.id)
                .order_by(IncidentWeapon.weapon_id)
            )
        )
        rows = lock_rows(session, [(str(w), w) for w in weapon_ids])
        result = _append(
            session,
            actor,
            LedgerOperation.INVESTIGATION_CONCLUDE,
            record.facility_id,
            rows,
            [r.state for r in rows],
            witnesses=witnesses,
            document_ref=record.number,
            reason=findings.strip(),
            payload={"conclusion": str(found_conclusion)},
            apply=False,
        )
        record.status = InvestigationStatus.CONCLUDED
        record.conclusion = found_conclusion
        record.findings = findings.strip()
        record.concluded_seq = result.seq
        session.flush()
        return result

    return run(db, actor, work)


# -------------------------------------------------------------------------------------------- recovery


def recover(
    db: Database,
    actor: Actor,
    weapons: Sequence[Ref],
    rack: int | str,
    *,
    facility: int | str | None = None,
    slot: int | None = None,
    condition: Condition | str = Condition.QUARANTINED,
    recovered_on: date | None = None,
    place: str = "",
    circumstances: str = "",
    witnesses: Sequence[Actor] = (),
) -> OperationResult:
    """A weapon reported lost or stolen is found again: back in store (quarantined by default until
    inspected), on the books of the rack's facility. Its incident records the recovery."""
    authorize(db, actor, Permission.RECOVER)
    new_condition = parse_condition(condition) or Condition.QUARANTINED
    check_witnesses(db, actor, witnesses, "receipt")
    named = resolve_or_block(db, weapons)

    def work(session: Session) -> OperationResult:
        from armoury.services.custody_common import find_facility

        facility_id = find_facility(session, facility).id if facility is not None else None
        rows = lock_rows(session, named)
        blocked_or_ok(session, rows, [recover_reason(r) for r in rows])
        target = find_rack(session, facility_id or same_facility(rows), rack)
        check_facility(actor, Permission.RECOVER, target.facility_id)
        slots = place_on_rack(session, target, slot, [r.id for r in rows])
        afters = [
            replace(
                r.state,
                facility_id=target.facility_id,
                whereabouts=Whereabouts.IN_STORE,
                rack_id=target.id,
                slot=s,
                condition=new_condition,
            )
            for r, s in zip(rows, slots, strict=True)
        ]
        result = _append(
            session,
            actor,
            LedgerOperation.RECOVER,
            target.facility_id,
            rows,
            afters,
            witnesses=witnesses,
            reason=circumstances,
            payload={"recovered_on": (recovered_on or date.today()).isoformat(), "place": place},
        )
        session.execute(
            update(IncidentWeapon)
            .where(IncidentWeapon.weapon_id.in_([r.id for r in rows]), IncidentWeapon.recovered_seq.is_(None))
            .values(recovered_seq=result.seq),
            execution_options={"synchronize_session": False},
        )
        return result

    return run(db, actor, work)


def register_recovered(
    db: Database,
    actor: Actor,
    items: Sequence[NewWeapon],
    rack: int | str,
    *,
    recovered_on: date,
    place: str,
    circumstances: str,
    recovering_unit: str = "",
    case_reference: str = "",
    received_from: str = "",
    facility: int | str | None = None,
    slot: int | None = None,
    register: Register = Register.RECOVERED,
    condition: Condition | str = Condition.QUARANTINED,
    witnesses: Sequence[Actor] = (),
) -> OperationResult:
    """Register seized, collected or recovered weapons that were never ours into the recovered (or
    evidence) register, with the start of their chain of custody."""
    from armoury.services.custody_common import find_facility
    from armoury.services.custody_receive import new_weapon_rows

    authorize(db, actor, Permission.RECOVER)
    new_condition = parse_condition(condition) or Condition.QUARANTINED
    if register not in (Register.RECOVERED, Register.EVIDENCE):
        raise ValidationError(
            _("Recovered weapons go into the recovered or the evidence register."),
            _("Use 'receive' for national or contingent stock."),
        )
    if not items:
        raise ValidationError(_("No weapon was given."), _("Scan or name at least one weapon."))
    if not circumstances.strip() or not place.strip():
        raise ValidationError(
            _("Say where and how the weapons were recovered."), _("Give --place and --circumstances.")
        )
    if recovered_on > date.today():
        raise ValidationError(_("The recovery date is in the future."), _("Check the date."))
    check_witnesses(db, actor, witnesses, "receipt")

    def work(session: Session) -> OperationResult:
        facility_id = find_facility(session, facility).id if facility is not None else None
        target = find_rack(session, facility_id, rack)
        check_facility(actor, Permission.RECOVER, target.facility_id)
        slots = place_on_rack(session, target, slot, [0] * len(items))
        rows, befores, afters = new_weapon_rows(
            session,
            items,
            facility_id=target.facility_id,
            rack_id=target.id,
            slots=slots,
            condition=new_condition,
            register=register,
            extra={
                "recovered_on": recovered_on,
                "recovered_place": place.strip(),
                "recovered_circumstances": circumstances.strip(),
                "recovering_unit": recovering_unit,
                "case_reference": case_reference,
            },
            refusal=LedgerOperation.REGISTER_RECOVERED,
        )
        changes = [ItemChange(r.id, b, a) for r, b, a in zip(rows, befores, afters, strict=True)]
        entry = append_entry(
            session,
            actor,
            LedgerOperation.REGISTER_RECOVERED,
            target.facility_id,
            changes,
            witnesses=witnesses,
            document_ref=case_reference,
            reason=circumstances.strip(),
            payload={
                "recovered_on": recovered_on.isoformat(),
                "place": place.strip(),
                "recovering_unit": recovering_unit,
                "received_from": received_from,
            },
        )
        return OperationResult(
            LedgerOperation.REGISTER_RECOVERED,
            entry.seq,
            entry.hash,
            entry.document_ref,
            entry.recorded_at,
            tuple(
                WeaponResult(r.ref, r.id, r.serial, r.item_type, True, "", "", describe(session, a))
                for r, a in zip(rows, afters, strict=True)
            ),
        )

    return run(db, actor, work)


# ------------------------------------------------------------------------------------------ destruction


def destroy(
    db: Database,
    actor: Actor,
    weapons: Sequence[Ref],
    *,
    method: str,
    certificate: str,
    destroyed_on: date | None = None,
    witnesses: Sequence[Actor] = (),
    reason: str = "",
) -> OperationResult:
    """Destroy weapons marked for disposal, under a destruction certificate, before two witnesses."""
    authorize(db, actor, Permission.DESTROY)
    day = destroyed_on or date.today()
    if not method.strip() or not certificate.strip():
        raise ValidationError(
            _("A destruction needs its method and its certificate number."),
            _("Give --method and --certificate."),
        )
    if day > date.today():
        raise ValidationError(_("The destruction date is in the future."), _("Check the date."))
    check_witnesses(db, actor, witnesses, "destruction", needed=2)
    named = resolve_or_block(db, weapons)

    def work(session: Session) -> OperationResult:
        used = session.scalar(
            select(LedgerEntry.seq).where(
                LedgerEntry.operation == LedgerOperation.DESTROY,
                LedgerEntry.document_ref == certificate.strip(),
            )
        )
        if used is not None:
            raise ConflictError(
                _("The destruction certificate {certificate} is already used (entry {seq}).").format(
                    certificate=certificate.strip(), seq=used
                ),
                _("Each destruction has its own certificate number."),
            )
        rows = lock_rows(session, named)
        blocked_or_ok(session, rows, [destroy_reason(r) for r in rows])
        facility_id = same_facility(rows)
        check_facility(actor, Permission.DESTROY, facility_id)
        afters = [replace(r.state, whereabouts=Whereabouts.DESTROYED, rack_id=None, slot=None) for r in rows]
        return _append(
            session,
            actor,
            LedgerOperation.DESTROY,
            facility_id,
            rows,
            afters,
            witnesses=witnesses,
            document_ref=certificate.strip(),
            reason=reason,
            payload={
                "method": method.strip(),
                "destroyed_on": day.isoformat(),
                "witnesses": sorted(w.username for w in witnesses),
            },
        )

    return run(db, actor, work)


# ------------------------------------------------------------------------------------------ corrections

CORRECTABLE = frozenset(
    {
        LedgerOperation.ISSUE,
        LedgerOperation.RETURN,
        LedgerOperation.MOVE,
        LedgerOperation.CONDITION_CHANGE,
        LedgerOperation.REPAIR_SEND,
        LedgerOperation.REPAIR_BACK,
    }
)


def correct(
    db: Database, actor: Actor, seq: int, reason: str, *, witnesses: Sequence[Actor] = ()
) -> OperationResult:
    """Reverse entry ``seq`` by a new entry that puts each weapon back as it was before it.

    Only entries that never changed a facility's balance can be reversed (issue, return, move, condition
    change, repair), and only while nothing happened to the weapons since. Nothing is edited.
    """
    authorize(db, actor, Permission.CORRECT)
    if not reason.strip():
        raise ValidationError(
            _("A correction needs the reason why the entry was wrong."), _("Give --reason TEXT.")
        )

    def work(session: Session) -> OperationResult:
        target = session.get(LedgerEntry, seq)
        if target is None:
            raise NotFoundError(_("No ledger entry {seq}.").format(seq=seq), _("Check the entry number."))
        if target.operation not in CORRECTABLE:
            raise ValidationError(
                _("An entry of the kind '{operation}' cannot be reversed.").format(
                    operation=target.operation.label
                ),
                _("Record the opposite operation instead (recover, receive, a new incident …)."),
            )
        done = session.scalar(select(LedgerEntry.seq).where(LedgerEntry.corrects_seq == seq))
        if done is not None:
            raise ConflictError(
                _("Entry {seq} was already corrected by entry {by}.").format(seq=seq, by=done),
                _("Look at the weapon's history."),
            )
        items = list(
            session.scalars(select(LedgerItem).where(LedgerItem.entry_seq == seq).order_by(LedgerItem.line))
        )
        rows = lock_rows(session, [(str(i.weapon_id), i.weapon_id) for i in items])
        check_facility(actor, Permission.CORRECT, target.facility_id)
        reasons = []
        afters = []
        for item, row in zip(items, rows, strict=True):
            after_then = WeaponState(
                item.to_facility_id,
                item.to_whereabouts,
                item.to_rack_id,
                item.to_slot,
                item.to_holder_id,
                item.to_condition,
                item.register,
            )
            reasons.append(
                ""
                if row.state == after_then
                else _("{weapon} changed since entry {seq}: correct the later entries first.").format(
                    weapon=row.label, seq=seq
                )
            )
            assert item.from_whereabouts is not None and item.from_condition is not None
            assert item.from_facility_id is not None
            afters.append(
                WeaponState(
                    item.from_facility_id,
                    item.from_whereabouts,
                    item.from_rack_id,
                    item.from_slot,
                    item.from_holder_id,
                    item.from_condition,
                    item.register,
                )
            )
        blocked_or_ok(session, rows, reasons)
        _check_slots_free(session, afters, [r.id for r in rows])
        result = _append(
            session,
            actor,
            LedgerOperation.CORRECTION,
            target.facility_id,
            rows,
            afters,
            witnesses=witnesses,
            document_ref=target.document_ref,
            reason=reason.strip(),
            corrects_seq=seq,
        )
        _reverse_loans(session, target.operation, seq, result)
        return result

    return run(db, actor, work)


def _check_slots_free(session: Session, afters: Sequence[WeaponState], weapon_ids: Sequence[int]) -> None:
    from armoury.models import Weapon

    for state in afters:
        if state.rack_id is None or state.slot is None:
            continue
        taken = session.scalar(
            select(Weapon.serial).where(
                Weapon.rack_id == state.rack_id, Weapon.slot == state.slot, Weapon.id.not_in(list(weapon_ids))
            )
        )
        if taken is not None:
            raise ConflictError(
                _("The slot it came from now holds {serial}.").format(serial=taken),
                _("Move that weapon first, then correct."),
            )


def _reverse_loans(session: Session, operation: LedgerOperation, seq: int, result: OperationResult) -> None:
    if operation is LedgerOperation.ISSUE:
        session.execute(
            update(CustodyLoan)
            .where(CustodyLoan.issue_seq == seq, CustodyLoan.closed_seq.is_(None))
            .values(closed_seq=result.seq, closed_at=result.recorded_at),
            execution_options={"synchronize_session": False},
        )
    elif operation is LedgerOperation.RETURN:
        session.execute(
            update(CustodyLoan).where(CustodyLoan.closed_seq == seq).values(closed_seq=None, closed_at=None),
            execution_options={"synchronize_session": False},
        )
