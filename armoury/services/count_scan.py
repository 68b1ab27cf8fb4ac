"""Counting: every scan (or tick) is one committed row the moment it is made.

A counter scans a rack label (or a person's label, for weapons on issue presented by their holder), then the
weapons there: their labels or their serial numbers. The counter's current place is their last rack or
person scan in the count, so after a power cut the count resumes exactly where it stopped. A weapon's
second scan is stored and flagged as a duplicate at once. In a blind count nothing returned to a counter
says what the books expect (the rule is enforced here, not in the screens).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, exists, insert, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.serials import serial_key
from armoury.errors import ArmouryError, ConflictError, NotFoundError, ValidationError
from armoury.i18n import _
from armoury.models import ItemType, Person, Rack, Weapon
from armoury.models.base import utcnow
from armoury.models.counts import (
    Count,
    CountCounter,
    CountExpected,
    CountRack,
    CountScan,
    CountStatus,
    SampleUnit,
    ScanKind,
    ScanMethod,
)
from armoury.security.permissions import Actor, Permission
from armoury.services.counts import blind_refusal, find_count, hides_books_from, parse_number
from armoury.services.guard import authorize

MAX_TEXT = 200


@dataclass(frozen=True)
class ScanResult:
    """What one scan did. ``ok`` paints the row green, otherwise red with ``message``.

    ``expected`` (where the books put the weapon) is ``None`` in a blind count.
    """

    scan_id: int | None
    kind: ScanKind
    ok: bool
    duplicate: bool
    message: str
    text: str
    weapon_id: int | None = None
    serial: str = ""
    description: str = ""
    place: str = ""
    expected: str | None = None


@dataclass(frozen=True)
class ScanLine:
    """A scan already made (to show the list again when a count is resumed)."""

    scan_id: int
    scanned_at: datetime
    counter: str
    text: str
    kind: ScanKind
    method: str
    duplicate: bool
    weapon: str
    place: str


@dataclass(frozen=True)
class SheetLine:
    """A weapon of the expected list (never given to a counter of a blind count while counting)."""

    weapon_id: int
    serial: str
    item_type: str
    rack: str
    slot: int | None
    holder: str
    counted: bool


class _NotAllowed(Exception):
    def __init__(self, facility_id: int) -> None:
        super().__init__(facility_id)
        self.facility_id = facility_id


# --- helpers ------------------------------------------------------------------------------------------


def rack_text(session: Session, rack_id: int | None, slot: int | None = None) -> str:
    if rack_id is None:
        return ""
    code = session.scalar(select(Rack.code).where(Rack.id == rack_id)) or "?"
    if slot is not None:
        return _("rack {rack} slot {slot}").format(rack=code, slot=slot)
    return _("rack {rack}").format(rack=code)


def person_text(session: Session, person_id: int | None) -> str:
    if person_id is None:
        return ""
    person = session.get(Person, person_id)
    return _("with {holder}").format(holder=person.display_name) if person is not None else "?"


def place_text(session: Session, rack_id: int | None, person_id: int | None, slot: int | None = None) -> str:
    return rack_text(session, rack_id, slot) if rack_id is not None else person_text(session, person_id)


@dataclass(frozen=True)
class _Scanning:
    """The count being scanned, read in one query (a scan must stay fast at a million weapons)."""

    id: int
    number: str
    blind: bool
    weapons_sample: bool


def _counting_count(session: Session, actor: Actor, number: str | int) -> _Scanning:
    row = session.execute(
        select(
            Count.id,
            Count.number,
            Count.facility_id,
            type_coerce(Count.status, String),
            Count.blind,
            type_coerce(Count.sample_unit, String),
            exists().where(CountCounter.count_id == Count.id, CountCounter.user_id == actor.user_id),
        ).where(Count.number == parse_number(number))
    ).first()
    if row is None:
        find_count(session, number)  # raises the NotFoundError
        raise AssertionError("unreachable")
    count_id, count_number, facility_id, status, blind, sample_unit, counter = row
    if not actor.can(Permission.COUNT, facility_id):
        raise _NotAllowed(facility_id)
    if status != CountStatus.COUNTING.value:
        raise ConflictError(
            _("Count {number} is no longer counting ({status}): no scan can be added.").format(
                number=count_number, status=CountStatus(status).label.lower()
            ),
            _("A closed count cannot be reopened; start a new count instead."),
        )
    if not counter:
        raise ValidationError(
            _("{user} is not a counter of count {number}.").format(user=actor.username, number=count_number),
            _("Ask the person who planned the count to add you, or sign in as one of its counters."),
        )
    return _Scanning(count_id, count_number, bool(blind), sample_unit == SampleUnit.WEAPONS.value)


def _current_place(session: Session, count_id: int, actor: Actor) -> tuple[int | None, int | None]:
    row = session.execute(
        select(CountScan.rack_id, CountScan.person_id)
        .where(
            CountScan.count_id == count_id,
            CountScan.counter_id == actor.user_id,
            CountScan.kind.in_([ScanKind.RACK, ScanKind.PERSON]),
        )
        .order_by(CountScan.id.desc())
        .limit(1)
    ).first()
    return (None, None) if row is None else (row[0], row[1])


def _record(
    session: Session, count: _Scanning, actor: Actor, text: str, kind: ScanKind, **values: object
) -> int:
    row: dict[str, object] = {"method": ScanMethod.SCAN, "duplicate": False, **values}
    return int(
        session.execute(
            insert(CountScan)
            .values(
                count_id=count.id,
                scanned_at=utcnow(),
                counter_id=actor.user_id,
                text=text[:MAX_TEXT],
                kind=kind,
                **row,
            )
            .returning(CountScan.id)
        ).scalar_one()
    )


def _failed(
    session: Session, count: _Scanning, actor: Actor, text: str, kind: ScanKind, message: str
) -> ScanResult:
    scan_id = _record(session, count, actor, text, kind)
    return ScanResult(scan_id, kind, False, False, message, text)


def _read_label(session: Session, text: str) -> tuple[str, int] | ArmouryError:
    """The label's kind letter and record id, or the error to show. The one dependency on the labels
    module (armoury.labels.resolver)."""
    from armoury.labels.resolver import resolve_in

    try:
        target = resolve_in(session, text)
    except (ValidationError, NotFoundError) as exc:
        return exc
    return target.kind.letter, target.record_id


def _weapon_ids_by_serial(session: Session, count: _Scanning, text: str) -> list[int]:
    key = serial_key(text)
    if not key:
        return []
    ids = list(session.scalars(select(Weapon.id).where(Weapon.serial_key == key).order_by(Weapon.id)))
    if len(ids) > 1:
        # The same serial on two makes: prefer the one this count expects.
        in_count = list(
            session.scalars(
                select(CountExpected.weapon_id).where(
                    CountExpected.count_id == count.id, CountExpected.weapon_id.in_(ids)
                )
            )
        )
        if len(in_count) == 1:
            return in_count
    return ids


# --- scanning -----------------------------------------------------------------------------------------


def scan(db: Database, actor: Actor, number: str | int, text: str) -> ScanResult:
    """Record one scan by a counter: a rack or person label (the counter's new place), or a weapon's label
    or serial number (counted at the counter's place). Refused scans are recorded too, with their reason."""
    raw = text.strip()
    if not raw:
        raise ValidationError(_("Nothing was scanned."), _("Scan a label or type a serial number."))

    def work(session: Session) -> ScanResult:
        count = _counting_count(session, actor, number)
        from armoury.labels.payload import ForeignLabelError, looks_like_label

        if looks_like_label(raw):
            read = _read_label(session, raw)
            if isinstance(read, ForeignLabelError):
                return _failed(session, count, actor, raw, ScanKind.FOREIGN, read.message)
            if isinstance(read, ArmouryError):
                return _failed(session, count, actor, raw, ScanKind.UNREADABLE, read.message)
            letter, record_id = read
            if letter == "R":
                return _rack_scan(session, count, actor, raw, record_id)
            if letter == "P":
                return _person_scan(session, count, actor, raw, record_id)
            if letter != "G":
                return _failed(
                    session,
                    count,
                    actor,
                    raw,
                    ScanKind.REFUSED,
                    _("This label is not a rack, a person or a weapon: scan one of those."),
                )
            return _weapon_scan(session, count, actor, raw, record_id, ScanMethod.SCAN, None)
        ids = _weapon_ids_by_serial(session, count, raw)
        if not ids:
            return _failed(
                session,
                count,
                actor,
                raw,
                ScanKind.UNKNOWN,
                _("No weapon has the serial number {serial}: it is not on the books.").format(serial=raw),
            )
        if len(ids) > 1:
            return _failed(
                session,
                count,
                actor,
                raw,
                ScanKind.REFUSED,
                _("Several weapons have the serial number {serial}: scan the weapon's label.").format(
                    serial=raw
                ),
            )
        return _weapon_scan(session, count, actor, raw, ids[0], ScanMethod.SCAN, None)

    return _run_work(db, actor, work)


def _run_work(db: Database, actor: Actor, work: Callable[[Session], ScanResult]) -> ScanResult:
    authorize(db, actor, Permission.COUNT)
    try:
        return db.run_write(work)
    except _NotAllowed as denied:
        authorize(db, actor, Permission.COUNT, denied.facility_id)
        raise  # pragma: no cover - authorize raised


def _rack_scan(session: Session, count: _Scanning, actor: Actor, raw: str, rack_id: int) -> ScanResult:
    in_scope = session.scalar(
        select(CountRack.rack_id).where(CountRack.count_id == count.id, CountRack.rack_id == rack_id)
    )
    where = rack_text(session, rack_id)
    if in_scope is None:
        return _failed(
            session,
            count,
            actor,
            raw,
            ScanKind.REFUSED,
            _("The {rack} is not part of this count.").format(rack=where),
        )
    scan_id = _record(session, count, actor, raw, ScanKind.RACK, rack_id=rack_id)
    return ScanResult(
        scan_id,
        ScanKind.RACK,
        True,
        False,
        _("Now counting {place}: scan its weapons.").format(place=where),
        raw,
        place=where,
    )


def _person_scan(session: Session, count: _Scanning, actor: Actor, raw: str, person_id: int) -> ScanResult:
    scan_id = _record(session, count, actor, raw, ScanKind.PERSON, person_id=person_id)
    where = person_text(session, person_id)
    return ScanResult(
        scan_id,
        ScanKind.PERSON,
        True,
        False,
        _("Now checking weapons {place}: scan the weapons presented.").format(place=where),
        raw,
        place=where,
    )


def _weapon_scan(
    session: Session,
    count: _Scanning,
    actor: Actor,
    raw: str,
    weapon_id: int,
    method: ScanMethod,
    place: tuple[int | None, int | None] | None,
) -> ScanResult:
    row = session.execute(
        select(
            Weapon.serial,
            ItemType.manufacturer,
            ItemType.model,
            CountExpected.weapon_id,
            CountExpected.rack_id,
            CountExpected.slot,
            CountExpected.holder_id,
        )
        .join(ItemType, ItemType.id == Weapon.item_type_id)
        .outerjoin(
            CountExpected, and_(CountExpected.weapon_id == Weapon.id, CountExpected.count_id == count.id)
        )
        .where(Weapon.id == weapon_id)
    ).first()
    if row is None:
        return _failed(session, count, actor, raw, ScanKind.UNKNOWN, _("This weapon is not in the records."))
    serial, make, model, in_books, exp_rack, exp_slot, exp_holder = row
    description = f"{make} {model} {serial}"
    rack_id, person_id = place if place is not None else _current_place(session, count.id, actor)
    if rack_id is None and person_id is None:
        return _failed(
            session,
            count,
            actor,
            raw,
            ScanKind.REFUSED,
            _("Scan the rack label first (or the holder's label for a weapon on issue)."),
        )
    if in_books is None and count.weapons_sample:
        return _failed(
            session,
            count,
            actor,
            raw,
            ScanKind.REFUSED,
            _("{weapon} is not in this sample: it need not be counted.").format(weapon=description),
        )
    first_query = select(CountScan.rack_id, CountScan.person_id).where(
        CountScan.count_id == count.id, CountScan.weapon_id == weapon_id, CountScan.duplicate.is_(False)
    )
    first = session.execute(first_query).first()
    duplicate = first is not None
    values = {"weapon_id": weapon_id, "rack_id": rack_id, "person_id": person_id, "method": method}
    scan_id = 0
    if not duplicate:
        if session.get_bind().dialect.name == "sqlite":
            # BEGIN IMMEDIATE already serializes writers: the check above cannot be overtaken.
            scan_id = _record(session, count, actor, raw, ScanKind.WEAPON, **values)
        else:
            try:
                with session.begin_nested():
                    scan_id = _record(session, count, actor, raw, ScanKind.WEAPON, **values)
            except IntegrityError:
                # Another counter scanned the same weapon at the same instant: theirs is the first scan.
                duplicate = True
                first = session.execute(first_query).first()
    texts = _Texts(session, [rack_id, exp_rack, first[0] if first else None])
    where = texts.place(rack_id, person_id)
    if duplicate:
        scan_id = _record(session, count, actor, raw, ScanKind.WEAPON, duplicate=True, **values)
        before = texts.place(first[0], first[1]) if first is not None else ""
        return ScanResult(
            scan_id,
            ScanKind.WEAPON,
            False,
            True,
            _("Duplicate: {weapon} was already counted ({place}).").format(weapon=description, place=before),
            raw,
            weapon_id,
            serial,
            description,
            where,
        )
    if count.blind:
        return ScanResult(
            scan_id, ScanKind.WEAPON, True, False, _("Counted: {weapon}.").format(weapon=description),
            raw, weapon_id, serial, description, where, None,
        )  # fmt: skip
    if in_books is None:
        return ScanResult(
            scan_id,
            ScanKind.WEAPON,
            False,
            False,
            _("Not expected here: {weapon} is not on the books of this count.").format(weapon=description),
            raw, weapon_id, serial, description, where, "",
        )  # fmt: skip
    expected_text = texts.place(exp_rack, exp_holder, exp_slot)
    in_place = (exp_rack is not None and exp_rack == rack_id) or (
        exp_holder is not None and exp_holder == person_id
    )
    message = (
        _("In its place: {weapon}.").format(weapon=description)
        if in_place
        else _("Not in its place: the books put {weapon} {place}.").format(
            weapon=description, place=expected_text
        )
    )
    return ScanResult(
        scan_id, ScanKind.WEAPON, in_place, False, message, raw, weapon_id, serial, description, where,
        expected_text,
    )  # fmt: skip


class _Texts:
    """Rack codes of a scan read in one query."""

    def __init__(self, session: Session, rack_ids: list[int | None]) -> None:
        self.session = session
        wanted = {r for r in rack_ids if r is not None}
        self.codes: dict[int, str] = (
            {r[0]: r[1] for r in session.execute(select(Rack.id, Rack.code).where(Rack.id.in_(wanted)))}
            if wanted
            else {}
        )

    def place(self, rack_id: int | None, person_id: int | None, slot: int | None = None) -> str:
        if rack_id is None:
            return person_text(self.session, person_id)
        code = self.codes.get(rack_id, "?")
        if slot is not None:
            return _("rack {rack} slot {slot}").format(rack=code, slot=slot)
        return _("rack {rack}").format(rack=code)


def tick(db: Database, actor: Actor, number: str | int, weapon_id: int) -> ScanResult:
    """Tick a weapon on the list as seen where the books put it (open counts only)."""
    return _mark(db, actor, number, weapon_id, ScanMethod.TICK)


def seen_with_holder(db: Database, actor: Actor, number: str | int, weapon_id: int) -> ScanResult:
    """Mark a weapon on issue as seen with the holder the books name (open counts only)."""
    return _mark(db, actor, number, weapon_id, ScanMethod.SEEN_WITH_HOLDER)


def _mark(db: Database, actor: Actor, number: str | int, weapon_id: int, method: ScanMethod) -> ScanResult:
    def work(session: Session) -> ScanResult:
        count = _counting_count(session, actor, number)
        if count.blind:
            raise ValidationError(
                _("A blind count has no list to tick."),
                _("Scan the weapon's label or type its serial number."),
            )
        expected = session.execute(
            select(CountExpected.rack_id, CountExpected.holder_id).where(
                CountExpected.count_id == count.id, CountExpected.weapon_id == weapon_id
            )
        ).first()
        if expected is None:
            raise NotFoundError(
                _("This weapon is not on the list of this count."), _("Scan it instead: it will be reported.")
            )
        if method is ScanMethod.SEEN_WITH_HOLDER and expected[1] is None:
            raise ValidationError(
                _("This weapon is not on issue: it cannot be seen with a holder."), _("Tick it on its rack.")
            )
        if method is ScanMethod.TICK and expected[0] is None:
            raise ValidationError(
                _("This weapon is on issue: mark it as seen with its holder."), _("Use 'seen with holder'.")
            )
        return _weapon_scan(
            session, count, actor, f"#{weapon_id}", weapon_id, method, (expected[0], expected[1])
        )

    return _run_work(db, actor, work)


# --- what a counter may read --------------------------------------------------------------------------


def current_place(db: Database, actor: Actor, number: str | int) -> str:
    """Where the counter stopped (the last rack or person scanned), to resume after a restart."""
    authorize(db, actor, Permission.COUNT)
    with db.read() as session:
        count = find_count(session, number)
        rack_id, person_id = _current_place(session, count.id, actor)
        return place_text(session, rack_id, person_id)


def scan_lines(db: Database, actor: Actor, number: str | int, limit: int = 200) -> list[ScanLine]:
    """The latest scans of a count, newest first (nothing here reveals the books)."""
    from armoury.models import User

    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        count = find_count(session, number)
        rows = session.execute(
            select(
                CountScan.id,
                CountScan.scanned_at,
                User.username,
                CountScan.text,
                CountScan.kind,
                CountScan.method,
                CountScan.duplicate,
                Weapon.serial,
                ItemType.model,
                CountScan.rack_id,
                CountScan.person_id,
            )
            .outerjoin(User, User.id == CountScan.counter_id)
            .outerjoin(Weapon, Weapon.id == CountScan.weapon_id)
            .outerjoin(ItemType, ItemType.id == Weapon.item_type_id)
            .where(CountScan.count_id == count.id)
            .order_by(CountScan.id.desc())
            .limit(limit)
        ).all()
        texts = _Texts(session, [r[9] for r in rows])
        return [
            ScanLine(
                r[0],
                r[1],
                r[2] or "",
                r[3],
                r[4],
                r[5].value,
                r[6],
                f"{r[8]} {r[7]}" if r[7] is not None else "",
                texts.place(r[9], r[10]),
            )
            for r in rows
        ]


def count_sheet(db: Database, actor: Actor, number: str | int) -> list[SheetLine] | None:
    """The expected list (the books at the start), or ``None`` for a counter of a blind count that is still
    counting: the service itself withholds it."""
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        count = find_count(session, number)
        if hides_books_from(session, count, actor):
            return None
        return sheet_lines_in(session, count)


def sheet_lines_in(session: Session, count: Count) -> list[SheetLine]:
    counted = set(
        session.scalars(
            select(CountScan.weapon_id).where(
                CountScan.count_id == count.id, CountScan.weapon_id.is_not(None)
            )
        )
    )
    racks: dict[int, str] = {
        r[0]: r[1]
        for r in session.execute(select(Rack.id, Rack.code).where(Rack.facility_id == count.facility_id))
    }
    rows = session.execute(
        select(
            CountExpected.weapon_id,
            Weapon.serial,
            ItemType.manufacturer,
            ItemType.model,
            CountExpected.rack_id,
            CountExpected.slot,
            CountExpected.holder_id,
        )
        .join(Weapon, Weapon.id == CountExpected.weapon_id)
        .join(ItemType, ItemType.id == Weapon.item_type_id)
        .where(CountExpected.count_id == count.id)
    ).all()
    holder_ids = {r[6] for r in rows if r[6] is not None}
    holders = (
        {p.id: p.display_name for p in session.scalars(select(Person).where(Person.id.in_(holder_ids)))}
        if holder_ids
        else {}
    )
    lines = [
        SheetLine(
            r[0],
            r[1],
            f"{r[2]} {r[3]}",
            racks.get(r[4], "") if r[4] is not None else "",
            r[5],
            holders.get(r[6], "") if r[6] is not None else "",
            r[0] in counted,
        )
        for r in rows
    ]
    lines.sort(key=lambda s: (s.rack == "", s.rack, s.slot or 0, s.holder, s.serial))
    return lines


def require_books_visible(session: Session, count: Count, actor: Actor) -> None:
    if hides_books_from(session, count, actor):
        raise blind_refusal()
