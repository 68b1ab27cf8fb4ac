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
import functools
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Connection, Integer, Select, String, and_, not_, select, type_coerce
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.db.plain import plain_rows
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
    ScanKind,
)
from armoury.security.permissions import Actor, Permission
from armoury.services.bulk import bulk_work
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
        return _accuracy({k: len(ids) for k, ids in self.lists.items()}, len(self.unknown_scans))


def _accuracy(sizes: Mapping[ResultList, int], unknown: int) -> float | None:
    """Found in place / (in place + elsewhere + missing + unexpected + ``unknown`` serials)."""
    checked = sum(sizes[k] for k in (ResultList.IN_PLACE, ResultList.ELSEWHERE, ResultList.MISSING))
    checked += sizes[ResultList.UNEXPECTED] + unknown
    return None if checked == 0 else sizes[ResultList.IN_PLACE] / checked


def place_result(place: Place, where: Place | None, checked: Container[Place]) -> ResultList:
    """The list of one weapon in scope: ``place`` is where the books expect it, ``where`` where it was first
    scanned (``None``: not scanned), ``checked`` every rack and holder the counters checked."""
    if where is not None:
        return ResultList.IN_PLACE if where == place else ResultList.ELSEWHERE
    return ResultList.MISSING if place in checked else ResultList.NOT_COUNTED


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
        lists[place_result(place, found.get(weapon_id), checked)].append(weapon_id)
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


# --- loading a count's result -------------------------------------------------------------------------
#
# Two queries carry the whole result: the books snapshot joined with each weapon's record and its first
# scan, and the count's other scans (rack and holder labels, duplicates, unknown serials, and the weapons
# the books did not expect: SQL does that set difference). The texts of the lines are built once per rack,
# holder, model and facility, not once per weapon. docs/counts.md (Performance) has the figures.


def _raw(column: Any) -> Any:
    """A string column read without the enum conversion (tens of thousands of rows)."""
    return type_coerce(column, String)


def _place(rack_id: int | None, person_id: int | None) -> Place:
    return Place(rack_id, None) if rack_id is not None else Place(None, person_id)


def _sql_not(column: Any) -> Any:
    """``NOT column``, written so on SQLite too, where SQLAlchemy would write ``column = 0``: only the
    literal term lets SQLite see that a partial index ``WHERE ... NOT column`` applies."""
    return not_(type_coerce(column, Integer))


#: A weapon's first scan in a count (uq_count_scans_first keeps it to one per weapon and count).
_FIRST_SCAN = and_(
    _raw(CountScan.kind) == ScanKind.WEAPON.value,
    CountScan.weapon_id.is_not(None),
    _sql_not(CountScan.duplicate),
)

#: A weapon's record as it is now: the last eight columns of both queries.
_BOOK_COLUMNS = (
    Weapon.serial,
    Weapon.item_type_id,
    _raw(Weapon.register),
    Weapon.facility_id,
    _raw(Weapon.whereabouts),
    Weapon.rack_id.label("rack_now"),
    Weapon.slot.label("slot_now"),
    Weapon.holder_id.label("holder_now"),
)


def _in_scope_query(count_id: int) -> Select[Any]:
    """Every weapon of the snapshot, where the books expected it, its first scan (if any) and its record."""
    return (
        select(
            CountExpected.weapon_id,
            CountExpected.rack_id,
            CountExpected.slot,
            CountExpected.holder_id,
            CountScan.id.label("scan_id"),
            CountScan.rack_id.label("found_rack"),
            CountScan.person_id.label("found_person"),
            *_BOOK_COLUMNS,
        )
        .select_from(CountExpected)
        .outerjoin(
            CountScan,
            and_(
                CountScan.count_id == CountExpected.count_id,
                CountScan.weapon_id == CountExpected.weapon_id,
                _FIRST_SCAN,
            ),
        )
        .outerjoin(Weapon, Weapon.id == CountExpected.weapon_id)
        .where(CountExpected.count_id == count_id)
        .order_by(CountExpected.weapon_id)
    )


def _other_scans_query(count_id: int) -> Select[Any]:
    """Every scan of the count except the first scans of the weapons the books expected (with the record of
    the weapon scanned, if any)."""
    expected = (
        select(CountExpected.weapon_id)
        .where(CountExpected.count_id == CountScan.count_id, CountExpected.weapon_id == CountScan.weapon_id)
        .exists()
    )
    return (
        select(
            CountScan.id,
            _raw(CountScan.kind),
            CountScan.duplicate,
            CountScan.weapon_id,
            CountScan.rack_id,
            CountScan.person_id,
            CountScan.text,
            *_BOOK_COLUMNS,
        )
        .outerjoin(Weapon, Weapon.id == CountScan.weapon_id)
        .where(CountScan.count_id == count_id, not_(and_(_FIRST_SCAN, expected)))
        .order_by(CountScan.id)
    )


#: Stands for the slot number in a rack's text cut around it (a character no code or translation holds).
_SLOT = "\x00"


class _Texts:
    """Texts of racks, people, models and registers, each built once for thousands of lines."""

    def __init__(self, session: Session, facility_id: int) -> None:
        connection = session.connection()
        self.session = session
        self.facility_id = facility_id
        self.rack_codes: dict[int, str] = dict(connection.execute(select(Rack.id, Rack.code)).tuples().all())
        self.item_types: dict[int, str] = {
            r[0]: f"{r[1]} {r[2]}"
            for r in connection.execute(select(ItemType.id, ItemType.manufacturer, ItemType.model))
        }
        self.facilities: dict[int, str] = dict(
            connection.execute(select(Facility.id, Facility.code)).tuples().all()
        )
        self.registers = {m.value: m.label for m in Register}
        self.states = {m.value: m for m in Whereabouts}
        self.state_labels = {m: m.label for m in Whereabouts}
        self.people: dict[int, str] = {}
        self.places: dict[Place, str] = {}
        self.around_slot: dict[int, tuple[str, ...]] = {}
        self.rack_slot = _("rack {rack} slot {slot}")
        self.rack_only = _("rack {rack}")
        self.with_holder = _("with {holder}")
        self.on_issue = _("on issue {holder}")

    def load_people(self, ids: Iterable[int | None]) -> None:
        """Read the names of these people in a few queries (before their texts are asked for)."""
        wanted = sorted({i for i in ids if i is not None} - self.people.keys())
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            for person in self.session.scalars(select(Person).where(Person.id.in_(chunk))):
                self.people[person.id] = person.display_name

    def place(self, place: Place | None) -> str:
        """``rack R1``, ``with Sgt DIALLO A`` or nothing (built once per place)."""
        if place is None:
            return ""
        text = self.places.get(place)
        if text is None:
            if place.rack_id is not None:
                text = self.rack_only.format(rack=self.rack_codes.get(place.rack_id, "?"))
            elif place.person_id is not None:
                text = self.with_holder.format(holder=self.people.get(place.person_id, "?"))
            else:
                text = ""
            self.places[place] = text
        return text

    def at(self, place: Place | None, slot: int | None) -> str:
        """``rack R1 slot 3`` (with a slot), else as :meth:`place`."""
        if slot is None or place is None or place.rack_id is None:
            return self.place(place)
        parts = self.around_slot.get(place.rack_id)
        if parts is None:
            parts = self.around_slot[place.rack_id] = self._around_slot(place.rack_id)
        if not parts:
            return self.rack_slot.format(rack=self.rack_codes.get(place.rack_id, "?"), slot=slot)
        return str(slot).join(parts)

    def _around_slot(self, rack_id: int) -> tuple[str, ...]:
        """The rack's ``rack R1 slot {slot}`` cut where the slot number goes, so that each weapon's text is a
        join instead of a format (five times faster); empty if the text cannot be cut so."""
        code = self.rack_codes.get(rack_id, "?")
        if _SLOT in code or _SLOT in self.rack_slot:
            return ()
        try:
            return tuple(self.rack_slot.format(rack=code, slot=_SLOT).split(_SLOT))
        except ValueError:  # a translation with a number format for the slot
            return ()

    def now(
        self,
        state: Whereabouts,
        rack_id: int | None,
        slot: int | None,
        holder_id: int | None,
        facility_id: int,
    ) -> str:
        """A weapon's state in the books now (its place in another facility is followed by that facility)."""
        if state is Whereabouts.IN_STORE:
            text = "" if rack_id is None else self.at(Place(rack_id, None), slot)
        elif state is Whereabouts.ISSUED:
            text = self.on_issue.format(
                holder="" if holder_id is None else self.place(Place(None, holder_id))
            )
        else:
            text = self.state_labels[state]
        if facility_id != self.facility_id:
            text += " (" + self.facilities.get(facility_id, "?") + ")"
        return text


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


class _Lines:
    """The result lists being built, their sizes and the differences not settled yet."""

    def __init__(
        self,
        texts: _Texts,
        resolutions: Mapping[tuple[int | None, int | None], tuple[str, str]],
        in_place_lines: bool,
    ) -> None:
        self.texts = texts
        self.resolutions = resolutions
        self.in_place_lines = in_place_lines
        self.lists: dict[ResultList, list[ResultLine]] = {k: [] for k in ResultList}
        self.in_place_left_out = 0
        self.unknown = 0
        self.unresolved = 0

    def weapon(
        self,
        kind: ResultList,
        weapon_id: int,
        book: Sequence[Any],
        expected: Place | None,
        slot: int | None,
        where: Place | None,
    ) -> None:
        """One weapon's line; ``book`` is its record now (the _BOOK_COLUMNS, all None without a record)."""
        difference = kind is not ResultList.IN_PLACE
        if not (difference or self.in_place_lines):
            self.in_place_left_out += 1
            return
        texts = self.texts
        expected_text = texts.at(expected, slot)
        done = self.resolutions.get((weapon_id, None)) if self.resolutions else None
        serial, type_id, register, facility_id, whereabouts, rack_now, slot_now, holder_now = book
        if serial is None:  # no record (the foreign keys keep this from happening)
            serial = item_type = register_text = now = ""
            suggested = None
        else:
            state = texts.states[whereabouts]
            if (
                state is Whereabouts.IN_STORE
                and expected is not None
                and rack_now is not None
                and rack_now == expected.rack_id
                and slot_now == slot
                and facility_id == texts.facility_id
            ):
                now = expected_text  # still where the snapshot had it: the same text
            else:
                now = texts.now(state, rack_now, slot_now, holder_now, facility_id)
            item_type = texts.item_types.get(type_id, "")
            register_text = texts.registers.get(register, register)
            suggested = suggest(kind, where, (facility_id, state), texts.facility_id) if difference else None
        # tuple.__new__ builds the named tuple without running its Python __new__ (3 times faster).
        line = (weapon_id, None, serial, item_type, register_text, expected_text, texts.place(where), now,
                done[0] if done else "", done[1] if done else "", suggested)  # fmt: skip
        self.lists[kind].append(tuple.__new__(ResultLine, line))
        if difference and done is None:
            self.unresolved += 1

    def unknown_serial(self, scan_id: int, text: str) -> None:
        """A scanned serial on no record (unexpected)."""
        self.unknown += 1
        done = self.resolutions.get((None, scan_id))
        self.lists[ResultList.UNEXPECTED].append(
            ResultLine(None, scan_id, text, "", "", "", "", _("on no record"),
                       done[0] if done else "", done[1] if done else "")
        )  # fmt: skip
        if done is None:
            self.unresolved += 1

    def sizes(self) -> dict[ResultList, int]:
        """Weapons per list (unknown serials not included)."""
        sizes = {k: len(v) for k, v in self.lists.items()}
        sizes[ResultList.IN_PLACE] += self.in_place_left_out
        sizes[ResultList.UNEXPECTED] -= self.unknown
        return sizes


def _resolutions(
    connection: Connection, count_id: int
) -> dict[tuple[int | None, int | None], tuple[str, str]]:
    labels = {m.value: m.label for m in ResolutionAction}
    return {
        (weapon_id, scan_id): (labels[action], reason)
        for weapon_id, scan_id, action, reason in connection.execute(
            select(
                CountResolution.weapon_id,
                CountResolution.scan_id,
                _raw(CountResolution.action),
                CountResolution.reason,
            ).where(CountResolution.count_id == count_id)
        )
    }


def _result_in(session: Session, count: Count, in_place_lines: bool = True) -> CountResult:
    # 100,000 rows and lines hold no cycles, yet their number sets the cycle collector off again and again
    # over the whole heap (a fifth of the time in a full application): pause it, as imports do.
    with bulk_work():
        return _build_result(session, count, in_place_lines)


def _build_result(session: Session, count: Count, in_place_lines: bool) -> CountResult:
    connection = session.connection()
    others = plain_rows(connection, _other_scans_query(count.id))
    rows = plain_rows(connection, _in_scope_query(count.id))
    texts = _Texts(session, count.facility_id)
    # Names of the expected holders, holders found with a weapon and holders now (columns 3, 6 and last).
    texts.load_people(
        {r[3] for r in rows} | {r[6] for r in rows} | {r[-1] for r in rows} | {r[5] for r in others}
        | {r[-1] for r in others}
    )  # fmt: skip
    lines = _Lines(texts, _resolutions(connection, count.id), in_place_lines)
    # Every rack and holder checked: its label was scanned or a weapon was counted there.
    checked: set[Place] = set()
    unexpected: list[tuple[int, Place, Sequence[Any]]] = []
    unknown: list[tuple[int, str]] = []
    duplicates = found_in_scope = 0
    for scan_id, kind, duplicate, weapon_id, rack_id, person_id, text, *book in others:
        if kind == "rack" or kind == "person":
            checked.add(_place(rack_id, person_id))
        elif kind == "weapon":
            if duplicate:
                duplicates += 1
            else:  # a first scan of a weapon the books did not expect
                where = _place(rack_id, person_id)
                checked.add(where)
                unexpected.append((weapon_id, where, book))
        elif kind == "unknown":
            unknown.append((scan_id, text))
    not_found: list[tuple[int, Place, int | None, Sequence[Any]]] = []
    place_of = functools.cache(_place)  # one Place per rack or holder, not two per weapon
    for weapon_id, rack_id, slot, holder_id, scan_id, found_rack, found_person, *book in rows:
        place = place_of(rack_id, holder_id)
        if scan_id is None:
            not_found.append((weapon_id, place, slot, book))  # missing or not counted: once all is checked
            continue
        found_in_scope += 1
        where = place_of(found_rack, found_person)
        checked.add(where)
        lines.weapon(place_result(place, where, checked), weapon_id, book, place, slot, where)
    for weapon_id, place, slot, record in not_found:
        lines.weapon(place_result(place, None, checked), weapon_id, record, place, slot, None)
    for weapon_id, where, record in sorted(unexpected, key=lambda u: u[0]):
        lines.weapon(ResultList.UNEXPECTED, weapon_id, record, None, None, where)
    for scan_id, text in unknown:
        lines.unknown_serial(scan_id, text)
    sizes = lines.sizes()
    return CountResult(
        count.number,
        count.status,
        count.blind,
        {k: tuple(v) for k, v in lines.lists.items()},
        _accuracy(sizes, lines.unknown),
        len(rows),
        len(others) + found_in_scope,
        duplicates,
        lines.unresolved,
        count.close_checkpoint,
        {k.value: n for k, n in sizes.items()}
        | {ResultList.UNEXPECTED.value: sizes[ResultList.UNEXPECTED] + lines.unknown},
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
