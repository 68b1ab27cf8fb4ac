"""Reconciliation: the result lists of a count, the resolution of each difference, finishing and closing.

:func:`classify` is pure (no database) so that it can be property-tested: every weapon in scope lands in
exactly one of *found in its place*, *found in another place*, *missing* and *not counted*; every weapon
scanned that the books did not expect in scope is *unexpected*, and so is every serial on no record.

A difference is resolved by a real custody operation (armoury.services.custody /
armoury.services.custody_incidents), approved by the commander who runs it (``RESOLVE_DISCREPANCY``), or
left open with a reason. A count closes only when every difference is settled either way; it then carries
the ledger checkpoint ``SEQ:HASH`` and can never change again.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Connection, String, select, type_coerce
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Register, Whereabouts
from armoury.errors import ConflictError, NotFoundError, ValidationError
from armoury.i18n import N_, _
from armoury.models import Facility, ItemType, Person, Rack, Weapon
from armoury.models.base import utcnow
from armoury.models.counts import (
    Count,
    CountExpected,
    CountResolution,
    CountScan,
    CountStatus,
    ResolutionAction,
)
from armoury.security.permissions import Actor, Permission
from armoury.services.counts import blind_refusal, find_count, hides_books_from
from armoury.services.guard import authorize


class ResultList(enum.StrEnum):
    IN_PLACE = "in_place"
    ELSEWHERE = "elsewhere"
    MISSING = "missing"
    UNEXPECTED = "unexpected"
    NOT_COUNTED = "not_counted"

    @property
    def label(self) -> str:
        return _(_LIST_LABELS[self])


_LIST_LABELS = {
    ResultList.IN_PLACE: N_("Found in its place"),
    ResultList.ELSEWHERE: N_("Found in another place"),
    ResultList.MISSING: N_("Missing"),
    ResultList.UNEXPECTED: N_("Unexpected"),
    ResultList.NOT_COUNTED: N_("Not counted"),
}

#: The lists that are differences to resolve (or leave open with a reason) before closing.
DIFFERENCES = (ResultList.ELSEWHERE, ResultList.MISSING, ResultList.UNEXPECTED, ResultList.NOT_COUNTED)


# --- the pure classification --------------------------------------------------------------------------


class Place(NamedTuple):
    """A rack or a person (exactly one is set). A tuple, so that 100,000 of them hash quickly."""

    rack_id: int | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class Classification:
    """Weapon ids per list; ``unknown_scans`` are scan ids of serials on no record (also unexpected)."""

    lists: Mapping[ResultList, tuple[int, ...]]
    unknown_scans: tuple[int, ...] = ()

    @property
    def accuracy(self) -> float | None:
        """Weapons found in their place / (weapons counted that the books expected + everything unexpected).
        ``None`` when nothing was counted."""
        checked = sum(
            len(self.lists[k]) for k in (ResultList.IN_PLACE, ResultList.ELSEWHERE, ResultList.MISSING)
        )
        checked += len(self.lists[ResultList.UNEXPECTED]) + len(self.unknown_scans)
        return None if checked == 0 else len(self.lists[ResultList.IN_PLACE]) / checked


def classify(
    expected: Mapping[int, Place],
    found: Mapping[int, Place],
    visited: Iterable[Place],
    unknown_scans: Sequence[int] = (),
) -> Classification:
    """Sort a count's weapons into the result lists.

    ``expected``: the books (weapon → rack or holder); ``found``: each weapon's first scan (weapon → where
    the counter was); ``visited``: every rack and person the counters checked (a rack or holder counts as
    checked once its label was scanned or a weapon was counted there).

    * expected and found where expected → in its place; found anywhere else → in another place;
    * expected, not found, its rack or holder was checked → missing; otherwise → not counted;
    * found but not expected → unexpected.
    """
    checked = set(visited) | set(found.values())
    lists: dict[ResultList, list[int]] = {k: [] for k in ResultList}
    for weapon_id, place in expected.items():
        where = found.get(weapon_id)
        if where is not None:
            lists[ResultList.IN_PLACE if where == place else ResultList.ELSEWHERE].append(weapon_id)
        elif place in checked:
            lists[ResultList.MISSING].append(weapon_id)
        else:
            lists[ResultList.NOT_COUNTED].append(weapon_id)
    lists[ResultList.UNEXPECTED] = [w for w in found if w not in expected]
    return Classification({k: tuple(sorted(v)) for k, v in lists.items()}, tuple(sorted(unknown_scans)))


# --- results ------------------------------------------------------------------------------------------


class ResultLine(NamedTuple):
    """One weapon (or unknown serial) of a result list. Immutable; a named tuple rather than a frozen
    dataclass because a count builds 100,000 of them (2.5 times faster to create)."""

    weapon_id: int | None
    scan_id: int | None
    serial: str
    item_type: str
    register: str
    expected: str
    found: str
    books_now: str
    resolution: str = ""
    resolution_reason: str = ""
    suggested: ResolutionAction | None = None


@dataclass(frozen=True)
class CountResult:
    number: str
    status: CountStatus
    blind: bool
    lists: Mapping[ResultList, tuple[ResultLine, ...]]
    accuracy: float | None
    expected_total: int
    scans_total: int
    duplicates: int
    unresolved: int
    close_checkpoint: str | None = None
    counts_by_list: Mapping[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "status": self.status.value,
            "blind": self.blind,
            "accuracy": self.accuracy,
            "expected_total": self.expected_total,
            "scans_total": self.scans_total,
            "duplicates": self.duplicates,
            "unresolved": self.unresolved,
            "close_checkpoint": self.close_checkpoint,
            "lists": {
                k.value: [
                    {
                        "weapon_id": line.weapon_id,
                        "scan_id": line.scan_id,
                        "serial": line.serial,
                        "item_type": line.item_type,
                        "expected": line.expected,
                        "found": line.found,
                        "books_now": line.books_now,
                        "resolution": line.resolution,
                        "reason": line.resolution_reason,
                    }
                    for line in lines
                ]
                for k, lines in self.lists.items()
            },
        }


@dataclass(frozen=True)
class _Loaded:
    expected: dict[int, Place]
    expected_slots: dict[int, int | None]
    found: dict[int, Place]
    visited: set[Place]
    unknown: list[tuple[int, str]]
    scans_total: int
    duplicates: int


def _load(connection: Connection, count_id: int) -> _Loaded:
    expected: dict[int, Place] = {}
    slots: dict[int, int | None] = {}
    for weapon_id, rack_id, slot, holder_id in connection.execute(
        select(
            CountExpected.weapon_id, CountExpected.rack_id, CountExpected.slot, CountExpected.holder_id
        ).where(CountExpected.count_id == count_id)
    ).all():
        expected[weapon_id] = Place(rack_id, None) if rack_id is not None else Place(None, holder_id)
        slots[weapon_id] = slot
    found: dict[int, Place] = {}
    visited: set[Place] = set()
    unknown: list[tuple[int, str]] = []
    total = duplicates = 0
    for scan_id, kind, weapon_id, rack_id, person_id, duplicate, text in connection.execute(
        select(
            CountScan.id,
            _raw(CountScan.kind),
            CountScan.weapon_id,
            CountScan.rack_id,
            CountScan.person_id,
            CountScan.duplicate,
            CountScan.text,
        ).where(CountScan.count_id == count_id)
    ).all():
        total += 1
        place = Place(rack_id, None) if rack_id is not None else Place(None, person_id)
        if kind == "rack" or kind == "person":
            visited.add(place)
        elif kind == "weapon":
            if duplicate:
                duplicates += 1
            else:
                found[weapon_id] = place
        elif kind == "unknown":
            unknown.append((scan_id, text))
    return _Loaded(expected, slots, found, visited, unknown, total, duplicates)


def _raw(column: Any) -> Any:
    """A string column read without the enum conversion (tens of thousands of rows)."""
    return type_coerce(column, String)


class _Places:
    """Texts of racks and people for thousands of lines without a query per line."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.racks: dict[int, str] = {r[0]: r[1] for r in session.execute(select(Rack.id, Rack.code))}
        self.people: dict[int, str] = {}
        self.rack_slot = _("rack {rack} slot {slot}")
        self.rack_only = _("rack {rack}")
        self.with_holder = _("with {holder}")
        self.cache: dict[tuple[int | None, int | None, int | None], str] = {}

    def text(self, rack_id: int | None, person_id: int | None, slot: int | None = None) -> str:
        key = (rack_id, person_id, slot)
        found = self.cache.get(key)
        if found is not None:
            return found
        if rack_id is not None:
            code = self.racks.get(rack_id, "?")
            value = (
                self.rack_only.format(rack=code)
                if slot is None
                else self.rack_slot.format(rack=code, slot=slot)
            )
        elif person_id is None:
            value = ""
        else:
            if person_id not in self.people:
                person = self.session.get(Person, person_id)
                self.people[person_id] = person.display_name if person is not None else "?"
            value = self.with_holder.format(holder=self.people[person_id])
        self.cache[key] = value
        return value

    def place(self, place: Place | None, slot: int | None = None) -> str:
        return "" if place is None else self.text(place.rack_id, place.person_id, slot)


class _Book(NamedTuple):
    serial: str
    item_type: str
    register: str
    facility_id: int
    whereabouts: Whereabouts
    now: str


_BOOK_COLUMNS = (
    Weapon.id,
    Weapon.serial,
    Weapon.item_type_id,
    _raw(Weapon.register),
    Weapon.facility_id,
    _raw(Weapon.whereabouts),
    Weapon.rack_id,
    Weapon.slot,
    Weapon.holder_id,
)


def _books_now(session: Session, count: Count, extra_ids: Sequence[int], places: _Places) -> dict[int, _Book]:
    """Each weapon's record and current state: those of the snapshot (one joined query) and ``extra_ids``."""
    connection = session.connection()
    item_types = {
        r[0]: f"{r[1]} {r[2]}"
        for r in connection.execute(select(ItemType.id, ItemType.manufacturer, ItemType.model))
    }
    facilities = {r[0]: r[1] for r in connection.execute(select(Facility.id, Facility.code))}
    registers = {m.value: m.label for m in Register}
    states = {m.value: m for m in Whereabouts}
    on_issue = _("on issue {holder}")
    queries = [
        select(*_BOOK_COLUMNS)
        .join(CountExpected, CountExpected.weapon_id == Weapon.id)
        .where(CountExpected.count_id == count.id)
    ]
    ids = list(extra_ids)
    queries += [
        select(*_BOOK_COLUMNS).where(Weapon.id.in_(ids[i : i + 900])) for i in range(0, len(ids), 900)
    ]
    out: dict[int, _Book] = {}
    for query in queries:
        for (
            weapon_id,
            serial,
            type_id,
            register,
            facility_id,
            whereabouts,
            rack_id,
            slot,
            holder_id,
        ) in connection.execute(query):
            state = states[whereabouts]
            if state is Whereabouts.IN_STORE:
                now = places.text(rack_id, None, slot)
            elif state is Whereabouts.ISSUED:
                now = on_issue.format(holder=places.text(None, holder_id))
            else:
                now = state.label
            if facility_id != count.facility_id:
                now += " (" + facilities.get(facility_id, "?") + ")"
            out[weapon_id] = _Book(
                serial,
                item_types.get(type_id, ""),
                registers.get(register, register),
                facility_id,
                state,
                now,
            )
    return out


def suggest(
    result: ResultList, found: Place | None, state: tuple[int, Whereabouts] | None, facility_id: int
) -> ResolutionAction | None:
    """The ledger operation that settles a difference, or ``None`` when only leaving it open is possible.

    ``state`` is the weapon's current (facility, whereabouts)."""
    if state is None:
        return None
    weapon_facility, whereabouts = state
    on_rack = found is not None and found.rack_id is not None
    if result is ResultList.MISSING and weapon_facility == facility_id and not whereabouts.is_terminal:
        return ResolutionAction.LOSS_REPORTED
    if result in (ResultList.ELSEWHERE, ResultList.UNEXPECTED) and on_rack:
        if whereabouts in (Whereabouts.LOST, Whereabouts.STOLEN):
            return ResolutionAction.RECOVERED
        if weapon_facility != facility_id:
            return None
        if whereabouts == Whereabouts.IN_STORE:
            return ResolutionAction.MOVED
        if whereabouts == Whereabouts.ISSUED:
            return ResolutionAction.RETURNED
    return None


_NO_BOOK = _Book("", "", "", 0, Whereabouts.IN_STORE, "")


def _result_in(session: Session, count: Count, in_place_lines: bool = True) -> CountResult:
    loaded = _load(session.connection(), count.id)
    classification = classify(loaded.expected, loaded.found, loaded.visited, [s for s, _t in loaded.unknown])
    places = _Places(session)
    books = _books_now(session, count, [w for w in loaded.found if w not in loaded.expected], places)
    resolutions = {
        (r.weapon_id, r.scan_id): (r.action.label, r.reason)
        for r in session.scalars(select(CountResolution).where(CountResolution.count_id == count.id))
    }
    lists: dict[ResultList, tuple[ResultLine, ...]] = {}
    unresolved = 0
    expected, slots, found = loaded.expected, loaded.expected_slots, loaded.found
    for kind, ids in classification.lists.items():
        lines = []
        if kind is ResultList.IN_PLACE and not in_place_lines:
            lists[kind] = ()
            continue
        difference = kind is not ResultList.IN_PLACE
        for weapon_id in ids:
            book = books.get(weapon_id, _NO_BOOK)
            done = resolutions.get((weapon_id, None))
            where_found = found.get(weapon_id)
            lines.append(
                ResultLine(
                    weapon_id,
                    None,
                    book.serial,
                    book.item_type,
                    book.register,
                    places.place(expected.get(weapon_id), slots.get(weapon_id)),
                    places.place(where_found),
                    book.now,
                    done[0] if done else "",
                    done[1] if done else "",
                    suggest(kind, where_found, (book.facility_id, book.whereabouts), count.facility_id)
                    if difference and book is not _NO_BOOK
                    else None,
                )
            )
            if difference and done is None:
                unresolved += 1
        if kind is ResultList.UNEXPECTED:
            for scan_id, text in loaded.unknown:
                done = resolutions.get((None, scan_id))
                lines.append(
                    ResultLine(None, scan_id, text, "", "", "", "", _("on no record"),
                               done[0] if done else "", done[1] if done else "")
                )  # fmt: skip
                if done is None:
                    unresolved += 1
        lists[kind] = tuple(lines)
    return CountResult(
        count.number,
        count.status,
        count.blind,
        lists,
        classification.accuracy,
        len(loaded.expected),
        loaded.scans_total,
        loaded.duplicates,
        unresolved,
        count.close_checkpoint,
        {k.value: len(ids) for k, ids in classification.lists.items()}
        | {ResultList.UNEXPECTED.value: len(lists[ResultList.UNEXPECTED])},
    )


def count_result(
    db: Database, actor: Actor, number: str | int, *, in_place_lines: bool = True
) -> CountResult:
    """The result lists so far (refused to a counter of a blind count that is still counting).

    ``in_place_lines=False`` leaves the (long) list of weapons found in their place empty; its size is
    still in ``counts_by_list``."""
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        count = find_count(session, number)
        authorize(db, actor, Permission.VIEW, count.facility_id)
        if hides_books_from(session, count, actor):
            raise blind_refusal()
        return _result_in(session, count, in_place_lines)


# --- finishing, resolving, closing --------------------------------------------------------------------


def finish_counting(db: Database, actor: Actor, number: str | int) -> CountResult:
    """End the scanning: no scan is accepted any more, and the result lists are open to everyone."""
    authorize(db, actor, Permission.COUNT, _facility_of(db, number))

    def work(session: Session) -> CountResult:
        count = find_count(session, number, lock=True)
        if count.status is not CountStatus.COUNTING:
            raise ConflictError(
                _("Count {number} has already finished counting.").format(number=count.number),
                _("Resolve its differences and close it."),
            )
        count.status = CountStatus.RECONCILING
        count.finished_at = utcnow()
        session.flush()
        return _result_in(session, count)

    return db.run_write(work)


@dataclass(frozen=True)
class Resolution:
    number: str
    weapon_id: int | None
    scan_id: int | None
    action: ResolutionAction
    ledger_seq: int | None
    document_ref: str
    reason: str


def resolve(
    db: Database,
    actor: Actor,
    number: str | int,
    *,
    weapon_id: int | None = None,
    scan_id: int | None = None,
    action: ResolutionAction | None = None,
    reason: str = "",
    witnesses: Sequence[Actor] = (),
) -> Resolution:
    """Settle one difference: ``action`` ``None`` runs the suggested ledger operation (move to where it was
    found, return from issue, loss report, recovery); ``LEFT_OPEN`` records ``reason`` instead.

    The ledger operation is the custody service's own unit of work, run as ``actor`` (the commander who
    approves); the resolution is recorded right after it with the entry's sequence number.
    """
    authorize(db, actor, Permission.RESOLVE_DISCREPANCY)
    if (weapon_id is None) == (scan_id is None):
        raise ValidationError(_("Name one weapon (or one unknown scan) to resolve."), "")
    with db.read() as session:
        count = find_count(session, number)
        authorize(db, actor, Permission.RESOLVE_DISCREPANCY, count.facility_id)
        _require_reconciling(count)
        result = _result_in(session, count, in_place_lines=False)
        line, list_kind = _find_line(result, weapon_id, scan_id)
        if line.resolution:
            raise ConflictError(
                _("This difference is already resolved ({action}).").format(action=line.resolution), ""
            )
        chosen = action or line.suggested
        if chosen is None:
            raise ValidationError(
                _("No ledger operation can settle this difference here."),
                _("Leave it open with a reason (it stays on the discrepancy report)."),
            )
        if chosen is not ResolutionAction.LEFT_OPEN and chosen is not line.suggested:
            raise ValidationError(
                _("'{action}' does not fit this difference.").format(action=chosen.label),
                _("Use the suggested operation or leave it open with a reason."),
            )
        if chosen is ResolutionAction.LEFT_OPEN and not reason.strip():
            raise ValidationError(
                _("Say why the difference is left open."),
                _("Give a reason (for example: under investigation)."),
            )
        found_rack = _found_rack(session, count, weapon_id)
        count_number = count.number
    seq, document = (None, "")
    if chosen is not ResolutionAction.LEFT_OPEN:
        assert weapon_id is not None
        seq, document = _ledger_operation(
            db, actor, chosen, weapon_id, found_rack, count_number, reason, witnesses
        )

    def record(session: Session) -> Resolution:
        count = find_count(session, number, lock=True)
        _require_reconciling(count)
        session.add(
            CountResolution(
                count_id=count.id,
                weapon_id=weapon_id,
                scan_id=scan_id,
                result=list_kind.value,
                action=chosen,
                ledger_seq=seq,
                reason=reason.strip(),
                decided_by_id=actor.user_id,
                decided_at=utcnow(),
            )
        )
        session.flush()
        return Resolution(count.number, weapon_id, scan_id, chosen, seq, document, reason.strip())

    return db.run_write(record)


def _require_reconciling(count: Count) -> None:
    if count.status is CountStatus.CLOSED:
        raise ConflictError(
            _("Count {number} is closed and cannot be changed.").format(number=count.number),
            _("A closed count cannot be reopened; start a new count instead."),
        )
    if count.status is CountStatus.COUNTING:
        raise ConflictError(
            _("Count {number} is still counting.").format(number=count.number),
            _("Finish counting first ('armoury count finish')."),
        )


def _find_line(
    result: CountResult, weapon_id: int | None, scan_id: int | None
) -> tuple[ResultLine, ResultList]:
    for kind in DIFFERENCES:
        for line in result.lists[kind]:
            if (weapon_id is not None and line.weapon_id == weapon_id) or (
                scan_id is not None and line.scan_id == scan_id
            ):
                return line, kind
    raise NotFoundError(
        _("This weapon is not a difference of the count."),
        _("Only weapons found elsewhere, missing, unexpected or not counted are resolved."),
    )


def _found_rack(session: Session, count: Count, weapon_id: int | None) -> int | None:
    if weapon_id is None:
        return None
    return session.scalar(
        select(CountScan.rack_id).where(
            CountScan.count_id == count.id, CountScan.weapon_id == weapon_id, CountScan.duplicate.is_(False)
        )
    )


def _ledger_operation(
    db: Database,
    actor: Actor,
    action: ResolutionAction,
    weapon_id: int,
    rack_id: int | None,
    number: str,
    reason: str,
    witnesses: Sequence[Actor],
) -> tuple[int, str]:
    """The one bridge to the custody services: run the operation, return its entry's seq and document."""
    from armoury.services import custody, custody_incidents

    note = (
        _("Count {number}: {reason}").format(number=number, reason=reason)
        if reason
        else _("Count {number}").format(number=number)
    )
    if action is ResolutionAction.LOSS_REPORTED:
        done = custody_incidents.report_loss(
            db,
            actor,
            [weapon_id],
            "lost",
            circumstances=_("Not found at count {number}. {reason}")
            .format(number=number, reason=reason)
            .strip(),
            reference=number,
            witnesses=witnesses,
        )
    else:
        assert rack_id is not None
        if action is ResolutionAction.MOVED:
            done = custody.move(db, actor, [weapon_id], rack_id, witnesses=witnesses, reason=note)
        elif action is ResolutionAction.RETURNED:
            done = custody.return_weapons(
                db, actor, [weapon_id], rack=rack_id, witnesses=witnesses, reason=note
            )
        else:
            done = custody_incidents.recover(
                db, actor, [weapon_id], rack_id, circumstances=note, witnesses=witnesses
            )
    return done.seq, done.document_ref


def close_count(db: Database, actor: Actor, number: str | int, *, leave_open_reason: str = "") -> CountResult:
    """Close a count for good: it carries the ledger checkpoint ``SEQ:HASH`` and can never change again.

    Every difference must be resolved or left open with a reason first; ``leave_open_reason`` leaves all
    the remaining ones open with that reason. A count still counting is finished first.
    """
    authorize(db, actor, Permission.CLOSE_COUNT, _facility_of(db, number))

    def work(session: Session) -> CountResult:
        from armoury.services.ledger import chain_head_in

        count = find_count(session, number, lock=True)
        if count.status is CountStatus.CLOSED:
            raise ConflictError(
                _("Count {number} is already closed.").format(number=count.number),
                _("A closed count cannot be reopened; start a new count instead."),
            )
        if count.status is CountStatus.COUNTING:
            count.status = CountStatus.RECONCILING
            count.finished_at = utcnow()
            session.flush()
        result = _result_in(session, count, in_place_lines=False)
        if result.unresolved:
            if not leave_open_reason.strip():
                raise ConflictError(
                    _("{count} differences of count {number} are neither resolved nor left open.").format(
                        count=result.unresolved, number=count.number
                    ),
                    _("Resolve them, or close with a reason to leave them open (--leave-open REASON)."),
                )
            for kind in DIFFERENCES:
                for line in result.lists[kind]:
                    if not line.resolution:
                        session.add(
                            CountResolution(
                                count_id=count.id,
                                weapon_id=line.weapon_id,
                                scan_id=line.scan_id,
                                result=kind.value,
                                action=ResolutionAction.LEFT_OPEN,
                                reason=leave_open_reason.strip(),
                                decided_by_id=actor.user_id,
                                decided_at=utcnow(),
                            )
                        )
        session.flush()
        checkpoint = str(chain_head_in(session))
        count.status = CountStatus.CLOSED
        count.closed_at = utcnow()
        count.closed_by_id = actor.user_id
        count.close_checkpoint = checkpoint
        session.flush()
        return _result_in(session, count)

    return db.run_write(work)


def _facility_of(db: Database, number: str | int) -> int:
    with db.read() as session:
        return find_count(session, number).facility_id
