"""Counts (stocktakes): count types, due counts, planning and starting a count.

A count goes ``counting`` → ``reconciling`` → ``closed``. At start the books are snapshotted
(``count_expected``: each weapon in scope and where it should be) together with the ledger's last entry.
Scanning is in :mod:`armoury.services.count_scan`, the result lists, resolutions and closing in
:mod:`armoury.services.count_reconcile`. See docs/counts.md.
"""

from __future__ import annotations

import json
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Category, Register, Role, Whereabouts
from armoury.errors import NotFoundError, PermissionDenied, ValidationError
from armoury.i18n import N_, _
from armoury.models import Facility, ItemType, Rack, StorageArea, User, UserFacility, Weapon
from armoury.models.base import utcnow
from armoury.models.counts import (
    Count,
    CountCounter,
    CountExpected,
    CountRack,
    CountStatus,
    CountType,
    SampleUnit,
)
from armoury.security.permissions import Actor, Permission
from armoury.services.guard import authorize

#: Display names of the seeded count types (the database keeps the English name; this translates it).
TYPE_NAMES = {
    "opening": N_("Opening count of the armoury"),
    "closing": N_("Closing count of the armoury"),
    "key_change": N_("Count on change of key custody"),
    "monthly": N_("Monthly full serial-number count"),
    "sample": N_("Random sample count"),
    "annual": N_("Annual 100 % count"),
}

#: A count is listed as due this many days before its due date.
DUE_SOON_DAYS = 7
NUMBER_PREFIX = "CNT-"


# --- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountTypeInfo:
    id: int
    code: str
    name: str
    frequency_days: int | None
    independent_counter: bool
    sampled: bool
    sample_percent: int | None
    active: bool


@dataclass(frozen=True)
class DueCount:
    """A count type that is due (or overdue) at a facility, for the start screen."""

    facility_id: int
    facility_code: str
    facility_name: str
    type_code: str
    type_name: str
    last_closed: date | None
    due_on: date
    overdue: bool
    open_count: str | None


@dataclass(frozen=True)
class CountInfo:
    id: int
    number: str
    facility_id: int
    facility_code: str
    facility_name: str
    type_code: str
    type_name: str
    blind: bool
    status: CountStatus
    scope: dict[str, list[str]]
    sample_percent: int | None
    sample_unit: str | None
    sample_seed: int | None
    started_at: datetime
    started_by: str
    start_seq: int | None
    counters: tuple[str, ...]
    counter_ids: tuple[int, ...]
    expected_total: int
    racks_total: int
    scans_total: int
    finished_at: datetime | None
    closed_at: datetime | None
    closed_by: str
    close_checkpoint: str | None


# --- count types --------------------------------------------------------------------------------------


def type_display_name(code: str, stored: str) -> str:
    known = TYPE_NAMES.get(code)
    return _(known) if known is not None else stored


def _type_info(t: CountType) -> CountTypeInfo:
    return CountTypeInfo(
        t.id,
        t.code,
        type_display_name(t.code, t.name),
        t.frequency_days,
        t.independent_counter,
        t.sampled,
        t.sample_percent,
        t.active,
    )


def list_count_types(db: Database, actor: Actor) -> list[CountTypeInfo]:
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        return [_type_info(t) for t in session.scalars(select(CountType).order_by(CountType.id))]


def _find_type(session: Session, code: str) -> CountType:
    wanted = code.strip().lower().replace("-", "_")
    found = session.scalar(select(CountType).where(CountType.code == wanted))
    if found is None:
        codes = ", ".join(session.scalars(select(CountType.code).order_by(CountType.id)))
        raise NotFoundError(
            _("There is no count type '{code}'.").format(code=code),
            _("Use one of: {codes}.").format(codes=codes),
        )
    return found


_UNSET = object()


def update_count_type(
    db: Database,
    actor: Actor,
    code: str,
    *,
    frequency_days: int | object | None = _UNSET,
    sample_percent: int | None = None,
    independent_counter: bool | None = None,
    active: bool | None = None,
) -> CountTypeInfo:
    """Change a count type's frequency (``None``: only on an event), sample percentage, independence or use."""
    authorize(db, actor, Permission.MANAGE_SETTINGS)
    if (
        frequency_days is not _UNSET
        and frequency_days is not None
        and (not isinstance(frequency_days, int) or not 1 <= frequency_days <= 3660)
    ):
        raise ValidationError(
            _("The frequency must be a number of days from 1 to 3660."),
            _("Leave it empty for counts made only on an event."),
        )
    if sample_percent is not None and not 1 <= sample_percent <= 100:
        raise ValidationError(_("The sample must be from 1 to 100 %."), _("Give a whole percentage."))

    def work(session: Session) -> CountTypeInfo:
        t = _find_type(session, code)
        if frequency_days is not _UNSET:
            t.frequency_days = frequency_days if isinstance(frequency_days, int) else None
        if sample_percent is not None:
            if not t.sampled:
                raise ValidationError(
                    _("The count type {code} is not a sample count.").format(code=t.code),
                    _("Only sample counts have a percentage."),
                )
            t.sample_percent = sample_percent
        if independent_counter is not None:
            t.independent_counter = independent_counter
        if active is not None:
            t.active = active
        session.flush()
        return _type_info(t)

    return db.run_write(work)


# --- due counts ---------------------------------------------------------------------------------------


def due_counts(db: Database, actor: Actor, today: date, horizon_days: int = DUE_SOON_DAYS) -> list[DueCount]:
    """Counts due within ``horizon_days`` or overdue, per facility the actor may see (start screen).

    A periodic type is due ``frequency_days`` after the last closed count of that type at the facility;
    a facility never counted with that type is overdue. Types without a frequency (made on an event) are
    never listed. The open count of the type, if any, is named so the screen can offer to resume it.
    """
    authorize(db, actor, Permission.VIEW)
    out: list[DueCount] = []
    with db.read() as session:
        types = list(
            session.scalars(
                select(CountType)
                .where(CountType.active.is_(True), CountType.frequency_days.is_not(None))
                .order_by(CountType.id)
            )
        )
        facilities = [
            f
            for f in session.scalars(
                select(Facility).where(Facility.active.is_(True)).order_by(Facility.code)
            )
            if actor.can(Permission.VIEW, f.id)
        ]
        last_closed = {
            (r[0], r[1]): r[2]
            for r in session.execute(
                select(Count.facility_id, Count.count_type_id, func.max(Count.closed_at))
                .where(Count.status == CountStatus.CLOSED)
                .group_by(Count.facility_id, Count.count_type_id)
            )
        }
        open_counts = {
            (r[0], r[1]): r[2]
            for r in session.execute(
                select(Count.facility_id, Count.count_type_id, func.max(Count.number))
                .where(Count.status != CountStatus.CLOSED)
                .group_by(Count.facility_id, Count.count_type_id)
            )
        }
        for f in facilities:
            for t in types:
                assert t.frequency_days is not None
                closed = last_closed.get((f.id, t.id))
                closed_day = _as_date(closed)
                due_on = today if closed_day is None else closed_day + timedelta(days=t.frequency_days)
                if due_on > today + timedelta(days=horizon_days):
                    continue
                out.append(
                    DueCount(
                        f.id,
                        f.code,
                        f.name,
                        t.code,
                        type_display_name(t.code, t.name),
                        closed_day,
                        due_on,
                        closed_day is None or due_on < today,
                        open_counts.get((f.id, t.id)),
                    )
                )
    out.sort(key=lambda d: (not d.overdue, d.due_on, d.facility_code, d.type_code))
    return out


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):  # SQLite returns max() of a datetime column as text
        return datetime.fromisoformat(value).date()
    assert isinstance(value, date)
    return value


# --- planning -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountPlan:
    """What to count. Codes are those printed on the labels and used on the command line."""

    facility: str
    type_code: str = "monthly"
    areas: Sequence[str] = ()
    racks: Sequence[str] = ()
    categories: Sequence[str] = ()
    registers: Sequence[str] = ()
    blind: bool = False
    counter_ids: Sequence[int] = ()
    sample_percent: int | None = None
    sample_unit: SampleUnit = SampleUnit.WEAPONS
    seed: int | None = None


def is_storekeeper_of(session: Session, user: User, facility_id: int) -> bool:
    """The independence rule: a user is one of the facility's storekeepers when their role is storekeeper
    and they may act on that facility (no facility list, or the facility is in it)."""
    if user.role is not Role.STOREKEEPER:
        return False
    limited = list(session.scalars(select(UserFacility.facility_id).where(UserFacility.user_id == user.id)))
    return not limited or facility_id in limited


def _parse_list(values: Sequence[str], enum_class: type[Category] | type[Register], what: str) -> list[str]:
    out = []
    for value in values:
        member = enum_class.parse(value)
        if member is None:
            raise ValidationError(
                _("Unknown {what} '{value}'.").format(what=what, value=value),
                _("Use one of: {choices}.").format(choices=", ".join(m.value for m in enum_class)),
            )
        out.append(member.value)
    return sorted(set(out))


def _facility(session: Session, code: str) -> Facility:
    text = code.strip()
    found = session.scalar(select(Facility).where(Facility.code == text))
    if found is None and text.isdigit():
        found = session.get(Facility, int(text))
    if found is None:
        raise NotFoundError(_("No facility {facility}.").format(facility=code), _("Check the facility code."))
    return found


def _scope_racks(session: Session, facility_id: int, areas: Sequence[str], racks: Sequence[str]) -> list[int]:
    query = select(Rack.id).where(Rack.facility_id == facility_id, Rack.active.is_(True))
    if not areas and not racks:
        return list(session.scalars(query.order_by(Rack.id)))
    area_ids: list[int] = []
    for code in areas:
        area_id = session.scalar(
            select(StorageArea.id).where(
                StorageArea.facility_id == facility_id, StorageArea.code == code.strip()
            )
        )
        if area_id is None:
            raise NotFoundError(
                _("No storage area {area} at this facility.").format(area=code), _("Check the area code.")
            )
        area_ids.append(area_id)
    rack_ids: list[int] = []
    for code in racks:
        rack_id = session.scalar(
            select(Rack.id).where(Rack.facility_id == facility_id, Rack.code == code.strip())
        )
        if rack_id is None:
            raise NotFoundError(
                _("No rack {rack} at this facility.").format(rack=code),
                _("Check the rack code on its label."),
            )
        rack_ids.append(rack_id)
    # Racks of the areas named, and the racks named (a union).
    return list(
        session.scalars(query.where(or_(Rack.area_id.in_(area_ids), Rack.id.in_(rack_ids))).order_by(Rack.id))
    )


def _check_counters(
    session: Session, count_type: CountType, facility_id: int, counter_ids: Sequence[int]
) -> list[User]:
    users = []
    for user_id in counter_ids:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise NotFoundError(
                _("No active user with id {id} can count.").format(id=user_id), _("Choose another counter.")
            )
        if not Actor(user.id, user.username, user.role).can(Permission.COUNT):
            raise ValidationError(
                _("{user} may not count (role {role}).").format(user=user.username, role=user.role.label),
                _("Choose a storekeeper, commander or inspector."),
            )
        if count_type.independent_counter and is_storekeeper_of(session, user, facility_id):
            raise ValidationError(
                _("{user} is a storekeeper of this facility and may not count in a {type}.").format(
                    user=user.username, type=type_display_name(count_type.code, count_type.name).lower()
                ),
                _("This count must be made by someone other than the storekeeper: choose another counter."),
            )
        users.append(user)
    return users


def start_count(db: Database, actor: Actor, plan: CountPlan) -> CountInfo:
    """Plan and start a count: check the counters, snapshot the books in scope, record the ledger head.

    Counters default to the acting user. A sample count draws its weapons (or racks) with a recorded seed,
    so the same draw can be made again. Needs ``PLAN_COUNT`` at the facility.
    """
    authorize(db, actor, Permission.PLAN_COUNT)
    categories = _parse_list(plan.categories, Category, _("category"))
    registers = _parse_list(plan.registers, Register, _("register"))
    with db.read() as session:
        facility_id = _facility(session, plan.facility).id
    authorize(db, actor, Permission.PLAN_COUNT, facility_id)
    counter_ids = list(dict.fromkeys(plan.counter_ids)) or ([actor.user_id] if actor.user_id else [])
    if not counter_ids:
        raise ValidationError(_("A count needs at least one counter."), _("Name the users who will count."))

    def work(session: Session) -> int:
        from armoury.services.ledger import chain_head_in

        facility = session.get(Facility, facility_id)
        assert facility is not None
        if not facility.active:
            raise ValidationError(
                _("Facility {facility} is closed.").format(facility=facility.code),
                _("Choose an open facility."),
            )
        count_type = _find_type(session, plan.type_code)
        if not count_type.active:
            raise ValidationError(
                _("The count type {code} is not in use.").format(code=count_type.code),
                _("Choose another count type, or put it back in use in the settings."),
            )
        _check_counters(session, count_type, facility_id, counter_ids)
        percent = plan.sample_percent if plan.sample_percent is not None else count_type.sample_percent
        sampled = count_type.sampled or plan.sample_percent is not None
        if sampled and (percent is None or not 1 <= percent <= 100):
            raise ValidationError(_("The sample must be from 1 to 100 %."), _("Give a whole percentage."))
        if sampled and plan.blind and plan.sample_unit is SampleUnit.WEAPONS:
            raise ValidationError(
                _(
                    "A sample of weapons cannot be counted blind: the counter needs the list of weapons drawn."
                ),
                _("Sample racks instead, or make an open count."),
            )
        rack_ids = _scope_racks(session, facility_id, plan.areas, plan.racks)
        whole_facility = not plan.areas and not plan.racks
        seed = (plan.seed if plan.seed is not None else secrets.randbelow(2**31 - 1)) if sampled else None
        if sampled and plan.sample_unit is SampleUnit.RACKS:
            assert percent is not None and seed is not None
            rack_ids = draw_sample(rack_ids, percent, seed)
            whole_facility = False
        expected = _books(session, facility_id, rack_ids, whole_facility, categories, registers)
        if sampled and plan.sample_unit is SampleUnit.WEAPONS:
            assert percent is not None and seed is not None
            chosen = set(draw_sample(sorted(expected), percent, seed))
            expected = {w: place for w, place in expected.items() if w in chosen}
        head = chain_head_in(session)
        count = Count(
            number=NUMBER_PREFIX + secrets.token_hex(6),
            facility_id=facility_id,
            count_type_id=count_type.id,
            blind=plan.blind,
            status=CountStatus.COUNTING,
            scope=json.dumps(
                {
                    "areas": sorted(a.strip() for a in plan.areas),
                    "racks": sorted(r.strip() for r in plan.racks),
                    "categories": categories,
                    "registers": registers,
                },
                sort_keys=True,
                separators=(",", ":"),
            ),
            sample_percent=percent if sampled else None,
            sample_unit=plan.sample_unit if sampled else None,
            sample_seed=seed,
            started_at=utcnow(),
            started_by_id=actor.user_id,
            start_seq=head.seq or None,
        )
        session.add(count)
        session.flush()
        count.number = f"{NUMBER_PREFIX}{count.id:06d}"
        session.add_all(CountCounter(count_id=count.id, user_id=u) for u in counter_ids)
        if rack_ids:
            session.execute(insert(CountRack), [{"count_id": count.id, "rack_id": r} for r in rack_ids])
        if expected:
            session.execute(
                insert(CountExpected),
                [
                    {"count_id": count.id, "weapon_id": w, "rack_id": r, "slot": s, "holder_id": h}
                    for w, (r, s, h) in sorted(expected.items())
                ],
            )
        session.flush()
        return count.id

    count_id = db.run_write(work)
    with db.read() as session:
        return count_info_in(session, count_id)


def draw_sample(ids: Sequence[int], percent: int, seed: int) -> list[int]:
    """The reproducible draw: ``percent`` % of ``ids`` (rounded up, at least one) chosen with ``seed``."""
    pool = sorted(ids)
    if not pool:
        return []
    size = min(len(pool), max(1, math.ceil(len(pool) * percent / 100)))
    return sorted(random.Random(seed).sample(pool, size))


def _books(
    session: Session,
    facility_id: int,
    rack_ids: Sequence[int],
    whole_facility: bool,
    categories: Sequence[str],
    registers: Sequence[str],
) -> dict[int, tuple[int | None, int | None, int | None]]:
    """The weapons on the books in scope and where they should be: (rack, slot, holder).

    In store on a rack in scope; on issue only when the whole facility is counted (an issued weapon has no
    rack). Weapons in transit or at repair are not in the armoury and are not expected.
    """
    query = select(Weapon.id, Weapon.whereabouts, Weapon.rack_id, Weapon.slot, Weapon.holder_id).where(
        Weapon.facility_id == facility_id
    )
    if categories:
        query = query.join(ItemType, ItemType.id == Weapon.item_type_id).where(
            ItemType.category.in_(categories)
        )
    if registers:
        query = query.where(Weapon.register.in_(registers))
    wanted = [Whereabouts.IN_STORE, Whereabouts.ISSUED] if whole_facility else [Whereabouts.IN_STORE]
    query = query.where(Weapon.whereabouts.in_(wanted))
    if not whole_facility and len(rack_ids) <= 900:
        # A few racks of a large depot: let the index on (rack_id, whereabouts) find them.
        query = query.where(Weapon.rack_id.in_(list(rack_ids)))
    racks = set(rack_ids)
    out: dict[int, tuple[int | None, int | None, int | None]] = {}
    for weapon_id, whereabouts, rack_id, slot, holder_id in session.execute(query):
        if whereabouts == Whereabouts.IN_STORE:
            if rack_id in racks:
                out[weapon_id] = (rack_id, slot, None)
        elif holder_id is not None:
            out[weapon_id] = (None, None, holder_id)
    return out


# --- reading ------------------------------------------------------------------------------------------


def parse_number(text: str | int) -> str:
    """``CNT-000012``, ``cnt-12`` or ``12`` → ``CNT-000012``."""
    raw = str(text).strip().upper()
    digits = raw[len(NUMBER_PREFIX) :] if raw.startswith(NUMBER_PREFIX) else raw
    if not digits.isdigit():
        raise ValidationError(
            _("'{number}' is not a count number.").format(number=text),
            _("Count numbers look like CNT-000012 (or just 12)."),
        )
    return f"{NUMBER_PREFIX}{int(digits):06d}"


def find_count(session: Session, number: str | int, lock: bool = False) -> Count:
    query = select(Count).where(Count.number == parse_number(number))
    if lock:
        query = query.with_for_update()
    found = session.scalar(query)
    if found is None:
        raise NotFoundError(
            _("There is no count {number}.").format(number=parse_number(number)),
            _("Check the count number ('armoury count list' shows them)."),
        )
    return found


def count_info_in(session: Session, count_id: int) -> CountInfo:
    from armoury.models.counts import CountScan

    c = session.get(Count, count_id)
    assert c is not None
    facility = session.get(Facility, c.facility_id)
    count_type = session.get(CountType, c.count_type_id)
    assert facility is not None and count_type is not None
    counters = session.execute(
        select(User.id, User.username)
        .join(CountCounter, CountCounter.user_id == User.id)
        .where(CountCounter.count_id == c.id)
        .order_by(User.username)
    ).all()

    def name_of(user_id: int | None) -> str:
        if user_id is None:
            return ""
        return session.scalar(select(User.username).where(User.id == user_id)) or ""

    def total(model: type[CountExpected] | type[CountRack] | type[CountScan]) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(model.count_id == c.id)) or 0)

    return CountInfo(
        c.id,
        c.number,
        facility.id,
        facility.code,
        facility.name,
        count_type.code,
        type_display_name(count_type.code, count_type.name),
        c.blind,
        c.status,
        json.loads(c.scope or "{}"),
        c.sample_percent,
        c.sample_unit.value if c.sample_unit else None,
        c.sample_seed,
        c.started_at,
        name_of(c.started_by_id),
        c.start_seq,
        tuple(r[1] for r in counters),
        tuple(r[0] for r in counters),
        total(CountExpected),
        total(CountRack),
        total(CountScan),
        c.finished_at,
        c.closed_at,
        name_of(c.closed_by_id),
        c.close_checkpoint,
    )


def get_count(db: Database, actor: Actor, number: str | int) -> CountInfo:
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        c = find_count(session, number)
        if not actor.can(Permission.VIEW, c.facility_id):
            authorize(db, actor, Permission.VIEW, c.facility_id)
        return count_info_in(session, c.id)


def list_counts(
    db: Database, actor: Actor, *, open_only: bool = False, counter_only: bool = False, limit: int = 200
) -> list[CountInfo]:
    """Counts newest first; ``open_only`` hides closed ones; ``counter_only`` keeps those the actor counts."""
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        query = select(Count.id, Count.facility_id).order_by(Count.id.desc()).limit(limit)
        if open_only:
            query = query.where(Count.status != CountStatus.CLOSED)
        if counter_only:
            query = query.join(CountCounter, CountCounter.count_id == Count.id).where(
                CountCounter.user_id == actor.user_id
            )
        return [
            count_info_in(session, count_id)
            for count_id, facility_id in session.execute(query)
            if actor.can(Permission.VIEW, facility_id)
        ]


def is_counter(session: Session, count: Count, actor: Actor) -> bool:
    return (
        actor.user_id is not None
        and session.scalar(
            select(CountCounter.user_id).where(
                CountCounter.count_id == count.id, CountCounter.user_id == actor.user_id
            )
        )
        is not None
    )


def hides_books_from(session: Session, count: Count, actor: Actor) -> bool:
    """The blind rule: while a blind count is counting, its counters may not see what the books expect."""
    return count.blind and count.status is CountStatus.COUNTING and is_counter(session, count, actor)


def blind_refusal() -> PermissionDenied:
    return PermissionDenied(
        _("This is a blind count: its counters cannot see what the books expect while counting."),
        _("Finish counting first ('armoury count finish'), or ask someone who is not counting."),
    )
