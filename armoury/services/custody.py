"""Custody operations at the counter: receive, issue, return, move, transfer, repair, change condition.

Each function is one unit of work: it takes the acting user (and witnesses where the two-person rule
applies), names weapons by id, serial or label content, appends one ledger entry (one item per weapon)
and updates the weapons in the same transaction. All or nothing: if one weapon cannot take part,
:class:`WeaponsBlocked` says why for each and nothing changes. ``check_*`` functions give the same answers
without changing anything, for a screen that colours each scanned weapon at once.

Losses, investigations, recoveries, destruction and corrections are in
:mod:`armoury.services.custody_incidents` and re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Condition, Whereabouts
from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import _
from armoury.models import ItemType, Person, Weapon
from armoury.models.ledger import (
    CustodyLoan,
    LedgerOperation,
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
    describe,
    entry_results,
    find_rack,
    free_home_slots,
    in_store_state,
    lock_rows,
    parse_condition,
    place_on_rack,
    resolve_or_block,
    resolve_weapons,
    run,
    same_facility,
)
from armoury.services.custody_incidents import (
    conclude_investigation,
    correct,
    destroy,
    recover,
    register_recovered,
    report_loss,
)
from armoury.services.custody_receive import NewWeapon, receive
from armoury.services.custody_rules import (
    RULES,
    in_store_reason,
    issue_reason,
    on_books_reason,
    repair_back_reason,
    return_reason,
)
from armoury.services.custody_transfer import accept_transfer, reject_transfer, transfer
from armoury.services.guard import authorize
from armoury.services.ledger import WeaponState

__all__ = [
    "NewWeapon",
    "OpenLoan",
    "OperationResult",
    "WeaponResult",
    "WeaponsBlocked",
    "accept_transfer",
    "back_from_repair",
    "change_condition",
    "check_issue",
    "check_weapons",
    "conclude_investigation",
    "correct",
    "destroy",
    "issue",
    "issue_reason",
    "move",
    "open_loans",
    "overdue_loans",
    "receive",
    "recover",
    "register_recovered",
    "reject_transfer",
    "report_loss",
    "return_weapons",
    "send_to_repair",
    "transfer",
]


# ------------------------------------------------------------------------------------------------ issue


def _person(session: Session, person: int | str) -> Person:
    found = (
        session.get(Person, person)
        if isinstance(person, int)
        else session.scalar(select(Person).where(Person.service_number == person.strip()))
    )
    if found is None:
        raise NotFoundError(
            _("Nobody on the roster has the service number {number}.").format(number=person),
            _("Check the number, or add the person to the roster first."),
        )
    if not found.active:
        raise ValidationError(
            _("{person} is not active on the roster: nothing can be issued to them.").format(
                person=found.display_name
            ),
            _("Check the person, or ask for the roster to be updated."),
        )
    return found


def check_weapons(
    db: Database, actor: Actor, operation: LedgerOperation, weapons: Sequence[Ref]
) -> tuple[WeaponResult, ...]:
    """Whether each weapon could take part in ``operation`` now, and why not; nothing changes.

    For a counter screen: each scanned weapon turns green or red with the reason at once. The operation
    itself checks again (someone else may act in between) and refuses with the same reasons.
    """
    permission, reason_for = RULES[operation]
    authorize(db, actor, permission)
    out: list[WeaponResult] = []
    seen: set[int] = set()
    resolved = resolve_weapons(db, weapons)
    with db.read() as session:
        found = lock_rows(session, [(ref, w) for ref, w, _r in resolved if w is not None], lock=False)
        rows = iter(found)
        for ref, weapon_id, reason in resolved:
            if weapon_id is None:
                out.append(WeaponResult(ref, None, "", "", False, reason))
                continue
            row = next(rows)
            reason = reason_for(row)
            if weapon_id in seen:
                reason = _("This weapon is already in the list.")
            elif not reason and not actor.can(permission, row.state.facility_id):
                reason = _("{user} is not allowed to act on this facility.").format(user=actor.username)
            seen.add(weapon_id)
            out.append(
                WeaponResult(
                    ref, row.id, row.serial, row.item_type, not reason, reason, describe(session, row.state)
                )
            )
    return tuple(out)


def check_issue(db: Database, actor: Actor, weapons: Sequence[Ref]) -> tuple[WeaponResult, ...]:
    """:func:`check_weapons` for an issue."""
    return check_weapons(db, actor, LedgerOperation.ISSUE, weapons)


def issue(
    db: Database,
    actor: Actor,
    weapons: Sequence[Ref],
    person: int | str,
    *,
    due_back: datetime | None = None,
    long_term: bool = False,
    witnesses: Sequence[Actor] = (),
    reason: str = "",
) -> OperationResult:
    """Issue weapons to a person on one hand receipt (``HR-<seq>``), until ``due_back`` or long-term."""
    authorize(db, actor, Permission.ISSUE)
    if long_term == (due_back is not None):
        raise ValidationError(
            _("Give either a due-back time or a long-term assignment."),
            _("Use --due DATETIME for a duty, or --long-term for an assignment."),
        )
    if due_back is not None:
        if due_back.tzinfo is None:
            raise ValidationError(_("The due-back time has no time zone."), _("Give it in UTC."))
        if due_back <= datetime.now(UTC):
            raise ValidationError(_("The due-back time is in the past."), _("Give a time later than now."))
    check_witnesses(db, actor, witnesses, "issue")
    named = resolve_or_block(db, weapons)

    def work(session: Session) -> OperationResult:
        holder = _person(session, person)
        rows = lock_rows(session, named)
        reasons = [issue_reason(r) for r in rows]
        blocked_or_ok(session, rows, reasons)
        facility_id = same_facility(rows)
        check_facility(actor, Permission.ISSUE, facility_id)
        afters = [
            replace(r.state, whereabouts=Whereabouts.ISSUED, rack_id=None, slot=None, holder_id=holder.id)
            for r in rows
        ]
        result, seq = entry_results(
            session,
            actor,
            LedgerOperation.ISSUE,
            facility_id,
            rows,
            afters,
            witnesses=witnesses,
            document_ref=lambda s: f"HR-{s:06d}",
            reason=reason,
            payload={
                "person": holder.service_number,
                "due_back": due_back.astimezone(UTC).isoformat() if due_back else None,
                "long_term": long_term,
            },
        )
        session.add_all(
            CustodyLoan(
                weapon_id=r.id,
                person_id=holder.id,
                facility_id=facility_id,
                hand_receipt=result.document_ref,
                issue_seq=seq,
                issued_at=result.recorded_at,
                due_back=due_back,
                long_term=long_term,
                home_rack_id=r.state.rack_id,
                home_slot=r.state.slot,
            )
            for r in rows
        )
        session.flush()
        return result

    return run(db, actor, work)


# ----------------------------------------------------------------------------------------------- return


def return_weapons(
    db: Database,
    actor: Actor,
    weapons: Sequence[Ref],
    *,
    rack: int | str | None = None,
    slot: int | None = None,
    condition: Condition | str | None = None,
    witnesses: Sequence[Actor] = (),
    reason: str = "",
) -> OperationResult:
    """Take weapons back from their holders onto ``rack`` (default: the rack each came from), with the
    condition found at the check (default: unchanged)."""
    authorize(db, actor, Permission.RETURN)
    new_condition = parse_condition(condition)
    check_witnesses(db, actor, witnesses, "return")
    named = resolve_or_block(db, weapons)

    def work(session: Session) -> OperationResult:
        rows = lock_rows(session, named)
        blocked_or_ok(session, rows, [return_reason(r) for r in rows])
        facility_id = same_facility(rows)
        check_facility(actor, Permission.RETURN, facility_id)
        loans = {
            loan.weapon_id: loan
            for loan in session.scalars(
                select(CustodyLoan).where(
                    CustodyLoan.weapon_id.in_([r.id for r in rows]), CustodyLoan.closed_seq.is_(None)
                )
            )
        }
        afters = _store_states(session, rows, facility_id, rack, slot, loans, new_condition)
        result, seq = entry_results(
            session,
            actor,
            LedgerOperation.RETURN,
            facility_id,
            rows,
            afters,
            witnesses=witnesses,
            document_ref=", ".join(sorted({loan.hand_receipt for loan in loans.values()}))[:80],
            reason=reason,
        )
        _close_loans(session, [r.id for r in rows], seq, result.recorded_at)
        return result

    return run(db, actor, work)


def _store_states(
    session: Session,
    rows: Sequence[Row],
    facility_id: int,
    rack: int | str | None,
    slot: int | None,
    loans: dict[int, CustodyLoan],
    condition: Condition | None,
) -> list[WeaponState]:
    """In-store states on ``rack`` (or each weapon's home rack from its hand receipt)."""
    afters: list[WeaponState] = []
    if rack is not None:
        target = find_rack(session, facility_id, rack)
        if target.facility_id != facility_id:
            raise ValidationError(
                _("Rack {rack} belongs to another facility.").format(rack=target.code),
                _("Choose a rack of the facility the weapons belong to."),
            )
        slots = place_on_rack(session, target, slot, [r.id for r in rows])
        for r, s in zip(rows, slots, strict=True):
            afters.append(in_store_state(r.state, target.id, s, condition))
        return afters
    homes: list[tuple[int, int, int | None]] = []
    for r in rows:
        loan = loans.get(r.id)
        if loan is None or loan.home_rack_id is None:
            raise ValidationError(
                _("No rack is known for {weapon}.").format(weapon=r.label),
                _("Say which rack it goes on (--rack CODE)."),
            )
        homes.append((r.id, loan.home_rack_id, loan.home_slot))
    free = free_home_slots(session, homes)
    return [
        in_store_state(r.state, rack_id, free[r.id], condition)
        for r, (_w, rack_id, _s) in zip(rows, homes, strict=True)
    ]


def _close_loans(session: Session, weapon_ids: Sequence[int], seq: int, at: datetime) -> None:
    session.execute(
        update(CustodyLoan)
        .where(CustodyLoan.weapon_id.in_(list(weapon_ids)), CustodyLoan.closed_seq.is_(None))
        .values(closed_seq=seq, closed_at=at),
        execution_options={"synchronize_session": False},
    )


# ------------------------------------------------------------------------------------------------- move


def move(
    db: Database,
    actor: Actor,
    weapons: Sequence[Ref],
    rack: int | str,
    *,
    slot: int | None = None,
    witnesses: Sequence[Actor] = (),
    reason: str = "",
) -> OperationResult:
    """Move weapons in store to another rack (and slots from ``slot`` on) of the same facility."""
    authorize(db, actor, Permission.MOVE)
    check_witnesses(db, actor, witnesses, "move")
    named = resolve_or_block(db, weapons)

    def work(session: Session) -> OperationResult:
        rows = lock_rows(session, named)
        blocked_or_ok(session, rows, [in_store_reason(r) for r in rows])
        facility_id = same_facility(rows)
        check_facility(actor, Permission.MOVE, facility_id)
        afters = _store_states(session, rows, facility_id, rack, slot, {}, None)
        same = [
            _("{weapon} is already there.").format(weapon=r.label)
            if (a.rack_id, a.slot) == (r.state.rack_id, r.state.slot)
            else ""
            for r, a in zip(rows, afters, strict=True)
        ]
        blocked_or_ok(session, rows, same)
        return entry_results(
            session,
            actor,
            LedgerOperation.MOVE,
            facility_id,
            rows,
            afters,
            witnesses=witnesses,
            reason=reason,
        )[0]

    return run(db, actor, work)


# ----------------------------------------------------------------------------------- repair, condition


def send_to_repair(
    db: Database,
    actor: Actor,
    weapons: Sequence[Ref],
    *,
    repairer: str = "",
    document_ref: str = "",
    witnesses: Sequence[Actor] = (),
    reason: str = "",
) -> OperationResult:
    """Send weapons in store to repair (they leave their racks; condition becomes awaiting repair)."""
    authorize(db, actor, Permission.REPAIR)
    check_witnesses(db, actor, witnesses, "repair")
    named = resolve_or_block(db, weapons)

    def work(session: Session) -> OperationResult:
        rows = lock_rows(session, named)
        blocked_or_ok(session, rows, [in_store_reason(r) for r in rows])
        facility_id = same_facility(rows)
        check_facility(actor, Permission.REPAIR, facility_id)
        afters = [
            replace(
                r.state,
                whereabouts=Whereabouts.AT_REPAIR,
                rack_id=None,
                slot=None,
                condition=Condition.AWAITING_REPAIR
                if r.state.condition is Condition.SERVICEABLE
                else r.state.condition,
            )
            for r in rows
        ]
        return entry_results(
            session,
            actor,
            LedgerOperation.REPAIR_SEND,
            facility_id,
            rows,
            afters,
            witnesses=witnesses,
            document_ref=document_ref,
            reason=reason,
            payload={"repairer": repairer},
        )[0]

    return run(db, actor, work)


def back_from_repair(
    db: Database,
    actor: Actor,
    weapons: Sequence[Ref],
    rack: int | str,
    *,
    slot: int | None = None,
    condition: Condition | str = Condition.SERVICEABLE,
    document_ref: str = "",
    witnesses: Sequence[Actor] = (),
    reason: str = "",
) -> OperationResult:
    """Weapons come back from repair onto ``rack`` in ``condition`` (serviceable by default)."""
    authorize(db, actor, Permission.REPAIR)
    new_condition = parse_condition(condition)
    check_witnesses(db, actor, witnesses, "repair")
    named = resolve_or_block(db, weapons)

    def work(session: Session) -> OperationResult:
        rows = lock_rows(session, named)
        blocked_or_ok(session, rows, [repair_back_reason(r) for r in rows])
        facility_id = same_facility(rows)
        check_facility(actor, Permission.REPAIR, facility_id)
        afters = _store_states(session, rows, facility_id, rack, slot, {}, new_condition)
        return entry_results(
            session,
            actor,
            LedgerOperation.REPAIR_BACK,
            facility_id,
            rows,
            afters,
            witnesses=witnesses,
            document_ref=document_ref,
            reason=reason,
        )[0]

    return run(db, actor, work)


def change_condition(
    db: Database,
    actor: Actor,
    weapons: Sequence[Ref],
    condition: Condition | str,
    *,
    reason: str = "",
    witnesses: Sequence[Actor] = (),
) -> OperationResult:
    """Record a new condition (serviceable, unserviceable, awaiting repair, quarantined, for disposal)."""
    authorize(db, actor, Permission.CHANGE_CONDITION)
    new_condition = parse_condition(condition)
    assert new_condition is not None
    named = resolve_or_block(db, weapons)

    def work(session: Session) -> OperationResult:
        rows = lock_rows(session, named)
        reasons = []
        for r in rows:
            if on_books_reason(r):
                reasons.append(on_books_reason(r))
            elif r.state.condition is new_condition:
                reasons.append(
                    _("{weapon} is already {condition}.").format(
                        weapon=r.label, condition=new_condition.label.lower()
                    )
                )
            else:
                reasons.append("")
        blocked_or_ok(session, rows, reasons)
        facility_id = same_facility(rows)
        check_facility(actor, Permission.CHANGE_CONDITION, facility_id)
        afters = [replace(r.state, condition=new_condition) for r in rows]
        return entry_results(
            session,
            actor,
            LedgerOperation.CONDITION_CHANGE,
            facility_id,
            rows,
            afters,
            witnesses=witnesses,
            reason=reason,
        )[0]

    return run(db, actor, work)


# ---------------------------------------------------------------------------------------------- overdue


@dataclass(frozen=True)
class OpenLoan:
    weapon_id: int
    serial: str
    item_type: str
    person: str
    service_number: str
    hand_receipt: str
    issued_at: datetime
    due_back: datetime | None
    long_term: bool
    home_rack_id: int | None


def open_loans(
    db: Database, actor: Actor, *, overdue_at: datetime | None = None, facility_id: int | None = None
) -> tuple[OpenLoan, ...]:
    """Weapons on issue (with ``overdue_at``: only those due back before that time), most overdue first."""
    authorize(db, actor, Permission.VIEW, facility_id)
    with db.read() as session:
        query = (
            select(CustodyLoan, Weapon.serial, ItemType.manufacturer, ItemType.model, Person)
            .join(Weapon, Weapon.id == CustodyLoan.weapon_id)
            .join(ItemType, ItemType.id == Weapon.item_type_id)
            .join(Person, Person.id == CustodyLoan.person_id)
            .where(CustodyLoan.closed_seq.is_(None))
            .order_by(CustodyLoan.due_back, CustodyLoan.id)
        )
        if overdue_at is not None:
            query = query.where(CustodyLoan.due_back.is_not(None), CustodyLoan.due_back < overdue_at)
        if facility_id is not None:
            query = query.where(CustodyLoan.facility_id == facility_id)
        return tuple(
            OpenLoan(
                loan.weapon_id,
                serial,
                f"{manufacturer} {model}",
                person.display_name,
                person.service_number,
                loan.hand_receipt,
                loan.issued_at,
                loan.due_back,
                loan.long_term,
                loan.home_rack_id,
            )
            for loan, serial, manufacturer, model, person in session.execute(query)
            if actor.can(Permission.VIEW, loan.facility_id)
        )


def overdue_loans(db: Database, actor: Actor, facility_id: int | None = None) -> tuple[OpenLoan, ...]:
    """Weapons not back by their due-back time, most overdue first."""
    return open_loans(db, actor, overdue_at=datetime.now(UTC), facility_id=facility_id)
