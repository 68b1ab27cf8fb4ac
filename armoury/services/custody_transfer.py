"""Transfers between facilities: dispatch on a voucher, then acceptance or rejection by the receiver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Whereabouts
from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import _
from armoury.models.ledger import (
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
    WeaponsBlocked,
    blocked_or_ok,
    check_facility,
    check_witnesses,
    entry_results,
    find_facility,
    find_rack,
    free_home_slots,
    in_store_state,
    lock_rows,
    resolve_in,
    resolve_or_block,
    run,
    same_facility,
)
from armoury.services.custody_rules import in_store_reason
from armoury.services.guard import authorize


def transfer(
    db: Database,
    actor: Actor,
    weapons: Sequence[Ref],
    to_facility: int | str,
    *,
    witnesses: Sequence[Actor] = (),
    reason: str = "",
) -> OperationResult:
    """Dispatch weapons in store to another facility on a transfer voucher (``TV-<seq>``): they are in
    transit, still on the sender's books, until the receiving facility accepts or rejects them."""
    authorize(db, actor, Permission.TRANSFER)
    check_witnesses(db, actor, witnesses, "transfer")
    named = resolve_or_block(db, weapons)

    def work(session: Session) -> OperationResult:
        destination = find_facility(session, to_facility)
        rows = lock_rows(session, named)
        blocked_or_ok(session, rows, [in_store_reason(r) for r in rows])
        facility_id = same_facility(rows)
        check_facility(actor, Permission.TRANSFER, facility_id)
        if destination.id == facility_id:
            raise ValidationError(
                _("The weapons are already at {facility}.").format(facility=destination.code),
                _("Choose another facility, or move them between racks instead."),
            )
        afters = [replace(r.state, whereabouts=Whereabouts.IN_TRANSIT, rack_id=None, slot=None) for r in rows]
        result, seq = entry_results(
            session,
            actor,
            LedgerOperation.TRANSFER_DISPATCH,
            facility_id,
            rows,
            afters,
            witnesses=witnesses,
            document_ref=lambda s: f"TV-{s:06d}",
            reason=reason,
            payload={"to_facility": destination.code},
        )
        voucher = TransferVoucher(
            number=result.document_ref,
            from_facility_id=facility_id,
            to_facility_id=destination.id,
            dispatch_seq=seq,
            created_at=result.recorded_at,
        )
        session.add(voucher)
        session.flush()
        session.add_all(
            TransferVoucherLine(
                voucher_id=voucher.id, weapon_id=r.id, home_rack_id=r.state.rack_id, home_slot=r.state.slot
            )
            for r in rows
        )
        session.flush()
        return result

    return run(db, actor, work)


def _voucher_rows(
    session: Session, voucher: str, weapons: Sequence[Ref] | None
) -> tuple[TransferVoucher, list[TransferVoucherLine], list[Row]]:
    found = session.scalar(select(TransferVoucher).where(TransferVoucher.number == voucher.strip()))
    if found is None:
        raise NotFoundError(
            _("No transfer voucher {voucher}.").format(voucher=voucher), _("Check the voucher number.")
        )
    lines = list(
        session.scalars(
            select(TransferVoucherLine).where(
                TransferVoucherLine.voucher_id == found.id,
                TransferVoucherLine.status == VoucherLineStatus.IN_TRANSIT,
            )
        )
    )
    if not lines:
        raise ValidationError(
            _("Nothing is in transit on voucher {voucher} any more.").format(voucher=found.number),
            _("It was already accepted or rejected."),
        )
    by_weapon = {line.weapon_id: line for line in lines}
    if weapons:
        chosen: list[TransferVoucherLine] = []
        problems: list[WeaponResult] = []
        for ref in weapons:
            weapon_id, reason = resolve_in(session, ref)
            line = by_weapon.get(weapon_id) if weapon_id is not None else None
            if line is None and not reason:
                reason = _("This weapon is not in transit on voucher {voucher}.").format(voucher=found.number)
            problems.append(WeaponResult(str(ref), weapon_id, "", "", not reason, reason))
            if line is not None and line not in chosen:
                chosen.append(line)
        if any(not p.ok for p in problems):
            raise WeaponsBlocked(problems)
        lines = chosen
    rows = lock_rows(session, [(str(line.weapon_id), line.weapon_id) for line in lines])
    return found, lines, rows


def accept_transfer(
    db: Database,
    actor: Actor,
    voucher: str,
    rack: int | str,
    *,
    weapons: Sequence[Ref] | None = None,
    witnesses: Sequence[Actor] = (),
    reason: str = "",
) -> OperationResult:
    """The receiving facility accepts the weapons of a voucher (all, or those scanned) onto ``rack``."""
    authorize(db, actor, Permission.TRANSFER)
    check_witnesses(db, actor, witnesses, "receipt")

    def work(session: Session) -> OperationResult:
        found, lines, rows = _voucher_rows(session, voucher, weapons)
        check_facility(actor, Permission.TRANSFER, found.to_facility_id)
        target = find_rack(session, found.to_facility_id, rack)
        if target.facility_id != found.to_facility_id:
            raise ValidationError(
                _("Rack {rack} does not belong to the receiving facility.").format(rack=target.code),
                _("Choose a rack of the receiving facility."),
            )
        afters = [
            replace(
                r.state, facility_id=found.to_facility_id, whereabouts=Whereabouts.IN_STORE, rack_id=target.id
            )
            for r in rows
        ]
        result, seq = entry_results(
            session,
            actor,
            LedgerOperation.TRANSFER_ACCEPT,
            found.to_facility_id,
            rows,
            afters,
            witnesses=witnesses,
            document_ref=found.number,
            reason=reason,
        )
        _settle(session, found, lines, VoucherLineStatus.ACCEPTED, seq)
        return result

    return run(db, actor, work)


def reject_transfer(
    db: Database,
    actor: Actor,
    voucher: str,
    *,
    weapons: Sequence[Ref] | None = None,
    reason: str,
) -> OperationResult:
    """The receiving facility refuses weapons of a voucher: back in store at the sender, on their racks."""
    authorize(db, actor, Permission.TRANSFER)
    if not reason.strip():
        raise ValidationError(_("Say why the weapons are rejected."), _("Give a reason (--reason TEXT)."))

    def work(session: Session) -> OperationResult:
        found, lines, rows = _voucher_rows(session, voucher, weapons)
        check_facility(actor, Permission.TRANSFER, found.to_facility_id)
        by_weapon = {line.weapon_id: line for line in lines}
        homes: list[tuple[int, int, int | None]] = []
        for r in rows:
            line = by_weapon[r.id]
            if line.home_rack_id is None:  # pragma: no cover - dispatch always starts in store
                raise ValidationError(_("No rack is known for {weapon}.").format(weapon=r.label))
            homes.append((r.id, line.home_rack_id, line.home_slot))
        free = free_home_slots(session, homes)
        afters = [
            in_store_state(r.state, rack_id, free[r.id], None)
            for r, (_w, rack_id, _s) in zip(rows, homes, strict=True)
        ]
        result, seq = entry_results(
            session,
            actor,
            LedgerOperation.TRANSFER_REJECT,
            found.from_facility_id,
            rows,
            afters,
            document_ref=found.number,
            reason=reason,
        )
        _settle(session, found, lines, VoucherLineStatus.REJECTED, seq)
        return result

    return run(db, actor, work)


def _settle(
    session: Session,
    voucher: TransferVoucher,
    lines: Sequence[TransferVoucherLine],
    status: VoucherLineStatus,
    seq: int,
) -> None:
    for line in lines:
        line.status = status
        line.settled_seq = seq
    session.flush()
    still_open = session.scalar(
        select(TransferVoucherLine.weapon_id).where(
            TransferVoucherLine.voucher_id == voucher.id,
            TransferVoucherLine.status == VoucherLineStatus.IN_TRANSIT,
        )
    )
    if still_open is None:
        voucher.status = VoucherStatus.CLOSED
        session.flush()
