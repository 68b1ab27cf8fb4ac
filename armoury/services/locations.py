"""Facilities, storage areas and racks: create, change, deactivate, read.

Codes are unique (facility codes everywhere; area and rack codes within their facility). A location that
still holds weapons cannot be deactivated. Every function checks ``MANAGE_LOCATIONS`` (``VIEW`` to read)
on the facility concerned and runs as one unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from armoury.db import Database
from armoury.domain.enums import AreaKind, FacilityKind, RackKind, Whereabouts
from armoury.errors import ConflictError, NotFoundError
from armoury.i18n import _
from armoury.models import Facility, Rack, StorageArea, Weapon
from armoury.security.permissions import Actor, Permission
from armoury.services.fields import FieldConflictError, FieldProblem, clean, raise_first
from armoury.services.guard import authorize

CODE_MAX = 32
NAME_MAX = 200
MAX_SLOTS = 10_000


# --- data ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacilityData:
    code: str
    name: str
    kind: FacilityKind = FacilityKind.UNIT_ARMOURY
    country: str = ""
    region: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class FacilityInfo:
    id: int
    code: str
    name: str
    kind: FacilityKind
    country: str
    region: str
    latitude: float | None
    longitude: float | None
    active: bool


@dataclass(frozen=True)
class AreaData:
    facility_id: int
    code: str
    name: str
    kind: AreaKind = AreaKind.ROOM


@dataclass(frozen=True)
class AreaInfo:
    id: int
    facility_id: int
    code: str
    name: str
    kind: AreaKind
    active: bool


@dataclass(frozen=True)
class RackData:
    area_id: int
    code: str
    name: str = ""
    kind: RackKind = RackKind.RIFLE_RACK
    slots: int = 0
    lock_ref: str = ""


@dataclass(frozen=True)
class RackInfo:
    id: int
    facility_id: int
    area_id: int
    code: str
    name: str
    kind: RackKind
    slots: int
    lock_ref: str
    active: bool


def _facility_info(f: Facility) -> FacilityInfo:
    return FacilityInfo(f.id, f.code, f.name, f.kind, f.country, f.region, f.latitude, f.longitude, f.active)


def _area_info(a: StorageArea) -> AreaInfo:
    return AreaInfo(a.id, a.facility_id, a.code, a.name, a.kind, a.active)


def _rack_info(r: Rack) -> RackInfo:
    return RackInfo(r.id, r.facility_id, r.area_id, r.code, r.name, r.kind, r.slots, r.lock_ref, r.active)


# --- pure checks (used by the dialogs as the user types) -----------------------------------------------


def _check_code(code: str, problems: list[FieldProblem]) -> None:
    if not clean(code):
        problems.append(
            FieldProblem("code", _("The code is required."), _("Type a short code, e.g. DEP-01."))
        )
    elif len(clean(code)) > CODE_MAX:
        problems.append(
            FieldProblem("code", _("The code is too long (at most {n} characters).").format(n=CODE_MAX))
        )


def _check_name(name: str, problems: list[FieldProblem], required: bool = True) -> None:
    if required and not clean(name):
        problems.append(FieldProblem("name", _("The name is required."), _("Type the name people use.")))
    elif len(clean(name)) > NAME_MAX:
        problems.append(
            FieldProblem("name", _("The name is too long (at most {n} characters).").format(n=NAME_MAX))
        )


def check_facility(data: FacilityData) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    _check_code(data.code, problems)
    _check_name(data.name, problems)
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        problems.append(FieldProblem("latitude", _("The latitude must be between -90 and 90.")))
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        problems.append(FieldProblem("longitude", _("The longitude must be between -180 and 180.")))
    if (data.latitude is None) != (data.longitude is None):
        field = "longitude" if data.longitude is None else "latitude"
        problems.append(FieldProblem(field, _("Give both the latitude and the longitude, or neither.")))
    return problems


def check_area(data: AreaData) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    _check_code(data.code, problems)
    _check_name(data.name, problems)
    return problems


def check_rack(data: RackData) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    _check_code(data.code, problems)
    _check_name(data.name, problems, required=False)
    if not 0 <= data.slots <= MAX_SLOTS:
        problems.append(
            FieldProblem(
                "slots",
                _("The number of slots must be between 0 and {n}.").format(n=MAX_SLOTS),
                _("Use 0 for a shelf or crate without numbered slots."),
            )
        )
    return problems


# --- facilities ---------------------------------------------------------------------------------------


def _get(session: Session, model: type, ident: int, what: str) -> object:
    found = session.get(model, ident)
    if found is None:
        raise NotFoundError(
            _("There is no {what} with number {id}.").format(what=what, id=ident),
            _("It may have been removed by another workstation; refresh the view."),
        )
    return found


def _facility(session: Session, facility_id: int) -> Facility:
    found = _get(session, Facility, facility_id, _("facility"))
    assert isinstance(found, Facility)
    return found


def _area(session: Session, area_id: int) -> StorageArea:
    found = _get(session, StorageArea, area_id, _("storage area"))
    assert isinstance(found, StorageArea)
    return found


def _rack(session: Session, rack_id: int) -> Rack:
    found = _get(session, Rack, rack_id, _("rack"))
    assert isinstance(found, Rack)
    return found


def _duplicate_code(code: str) -> FieldConflictError:
    return FieldConflictError(
        "code",
        _("The code {code} is already used.").format(code=code),
        _("Choose another code; codes must be unique."),
    )


def _fill_facility(facility: Facility, data: FacilityData) -> None:
    facility.code = clean(data.code)
    facility.name = clean(data.name)
    facility.kind = data.kind
    facility.country = clean(data.country)
    facility.region = clean(data.region)
    facility.latitude = data.latitude
    facility.longitude = data.longitude


def create_facility(db: Database, actor: Actor, data: FacilityData) -> FacilityInfo:
    """Add a facility (depot, armoury, temporary store)."""
    authorize(db, actor, Permission.MANAGE_LOCATIONS)
    raise_first(check_facility(data))

    def work(session: Session) -> FacilityInfo:
        if session.scalar(select(Facility.id).where(Facility.code == clean(data.code))) is not None:
            raise _duplicate_code(clean(data.code))
        facility = Facility(active=True)
        _fill_facility(facility, data)
        session.add(facility)
        session.flush()
        return _facility_info(facility)

    return db.run_write(work)


def update_facility(db: Database, actor: Actor, facility_id: int, data: FacilityData) -> FacilityInfo:
    """Change a facility's code, name, kind or place."""
    authorize(db, actor, Permission.MANAGE_LOCATIONS, facility_id)
    raise_first(check_facility(data))

    def work(session: Session) -> FacilityInfo:
        facility = _facility(session, facility_id)
        clash = session.scalar(
            select(Facility.id).where(Facility.code == clean(data.code), Facility.id != facility_id)
        )
        if clash is not None:
            raise _duplicate_code(clean(data.code))
        _fill_facility(facility, data)
        session.flush()
        return _facility_info(facility)

    return db.run_write(work)


def _live_weapons(
    session: Session, column: InstrumentedAttribute[int | None] | InstrumentedAttribute[int], ident: int
) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(Weapon)
        .where(column == ident, Weapon.whereabouts.not_in(_terminal()))
    )
    return int(count or 0)


def _terminal() -> list[Whereabouts]:
    return [Whereabouts.LOST, Whereabouts.STOLEN, Whereabouts.DESTROYED, Whereabouts.TRANSFERRED_OUT]


def _still_holds(count: int) -> ConflictError:
    return ConflictError(
        _("This place still holds {n} weapons.").format(n=count),
        _("Move or transfer them first, then deactivate it."),
    )


def deactivate_facility(db: Database, actor: Actor, facility_id: int) -> FacilityInfo:
    """Close a facility that holds no weapons any more (its records stay)."""
    authorize(db, actor, Permission.MANAGE_LOCATIONS, facility_id)

    def work(session: Session) -> FacilityInfo:
        facility = _facility(session, facility_id)
        count = _live_weapons(session, Weapon.facility_id, facility_id)
        if count:
            raise _still_holds(count)
        facility.active = False
        session.flush()
        return _facility_info(facility)

    return db.run_write(work)


# --- storage areas ------------------------------------------------------------------------------------


def create_area(db: Database, actor: Actor, data: AreaData) -> AreaInfo:
    """Add a building, room, container or vault to a facility."""
    authorize(db, actor, Permission.MANAGE_LOCATIONS, data.facility_id)
    raise_first(check_area(data))

    def work(session: Session) -> AreaInfo:
        facility = _facility(session, data.facility_id)
        if not facility.active:
            raise ConflictError(
                _("The facility {code} is closed.").format(code=facility.code),
                _("Reactivate it or choose another facility."),
            )
        code = clean(data.code)
        exists = session.scalar(
            select(StorageArea.id).where(
                StorageArea.facility_id == data.facility_id, StorageArea.code == code
            )
        )
        if exists is not None:
            raise _duplicate_code(code)
        area = StorageArea(facility_id=data.facility_id, code=code, name=clean(data.name), kind=data.kind)
        area.active = True
        session.add(area)
        session.flush()
        return _area_info(area)

    return db.run_write(work)


def update_area(db: Database, actor: Actor, area_id: int, data: AreaData) -> AreaInfo:
    """Change an area's code, name or kind (it stays in its facility)."""
    with db.read() as session:
        facility_id = _area(session, area_id).facility_id
    authorize(db, actor, Permission.MANAGE_LOCATIONS, facility_id)
    raise_first(check_area(data))

    def work(session: Session) -> AreaInfo:
        area = _area(session, area_id)
        code = clean(data.code)
        clash = session.scalar(
            select(StorageArea.id).where(
                StorageArea.facility_id == area.facility_id,
                StorageArea.code == code,
                StorageArea.id != area_id,
            )
        )
        if clash is not None:
            raise _duplicate_code(code)
        area.code, area.name, area.kind = code, clean(data.name), data.kind
        session.flush()
        return _area_info(area)

    return db.run_write(work)


def deactivate_area(db: Database, actor: Actor, area_id: int) -> AreaInfo:
    """Close an area whose racks hold no weapons."""
    with db.read() as session:
        facility_id = _area(session, area_id).facility_id
    authorize(db, actor, Permission.MANAGE_LOCATIONS, facility_id)

    def work(session: Session) -> AreaInfo:
        area = _area(session, area_id)
        count = int(
            session.scalar(
                select(func.count())
                .select_from(Weapon)
                .join(Rack, Rack.id == Weapon.rack_id)
                .where(Rack.area_id == area_id, Weapon.whereabouts.not_in(_terminal()))
            )
            or 0
        )
        if count:
            raise _still_holds(count)
        area.active = False
        session.flush()
        return _area_info(area)

    return db.run_write(work)


# --- racks --------------------------------------------------------------------------------------------


def _check_slots_fit(session: Session, rack_id: int, slots: int) -> None:
    highest = session.scalar(select(func.max(Weapon.slot)).where(Weapon.rack_id == rack_id))
    if highest is not None and slots < highest:
        raise FieldConflictError(
            "slots",
            _("Slot {slot} of this rack is in use, so it needs at least {slot} slots.").format(slot=highest),
            _("Move the weapon out of that slot first, or keep more slots."),
        )


def create_rack(db: Database, actor: Actor, data: RackData) -> RackInfo:
    """Add a rack, cabinet, shelf or safe to a storage area."""
    with db.read() as session:
        facility_id = _area(session, data.area_id).facility_id
    authorize(db, actor, Permission.MANAGE_LOCATIONS, facility_id)
    raise_first(check_rack(data))

    def work(session: Session) -> RackInfo:
        area = _area(session, data.area_id)
        if not area.active:
            raise ConflictError(
                _("The storage area {code} is closed.").format(code=area.code),
                _("Choose an open storage area."),
            )
        code = clean(data.code)
        exists = session.scalar(
            select(Rack.id).where(Rack.facility_id == area.facility_id, Rack.code == code)
        )
        if exists is not None:
            raise _duplicate_code(code)
        rack = Rack(
            facility_id=area.facility_id,
            area_id=area.id,
            code=code,
            name=clean(data.name),
            kind=data.kind,
            slots=data.slots,
            lock_ref=clean(data.lock_ref),
        )
        rack.active = True
        session.add(rack)
        session.flush()
        return _rack_info(rack)

    return db.run_write(work)


def update_rack(db: Database, actor: Actor, rack_id: int, data: RackData) -> RackInfo:
    """Change a rack's code, name, kind, slots or lock, or move it to another area of its facility."""
    with db.read() as session:
        facility_id = _rack(session, rack_id).facility_id
    authorize(db, actor, Permission.MANAGE_LOCATIONS, facility_id)
    raise_first(check_rack(data))

    def work(session: Session) -> RackInfo:
        rack = _rack(session, rack_id)
        area = _area(session, data.area_id)
        if area.facility_id != rack.facility_id:
            raise ConflictError(
                _("A rack can only move to another area of its own facility."),
                _("Transfer the weapons instead, then close this rack."),
            )
        code = clean(data.code)
        clash = session.scalar(
            select(Rack.id).where(Rack.facility_id == rack.facility_id, Rack.code == code, Rack.id != rack_id)
        )
        if clash is not None:
            raise _duplicate_code(code)
        _check_slots_fit(session, rack_id, data.slots)
        rack.area_id = area.id
        rack.code, rack.name, rack.kind = code, clean(data.name), data.kind
        rack.slots, rack.lock_ref = data.slots, clean(data.lock_ref)
        session.flush()
        return _rack_info(rack)

    return db.run_write(work)


def deactivate_rack(db: Database, actor: Actor, rack_id: int) -> RackInfo:
    """Close an empty rack."""
    with db.read() as session:
        facility_id = _rack(session, rack_id).facility_id
    authorize(db, actor, Permission.MANAGE_LOCATIONS, facility_id)

    def work(session: Session) -> RackInfo:
        rack = _rack(session, rack_id)
        count = _live_weapons(session, Weapon.rack_id, rack_id)
        if count:
            raise _still_holds(count)
        rack.active = False
        session.flush()
        return _rack_info(rack)

    return db.run_write(work)


# --- reading ------------------------------------------------------------------------------------------


def get_facility(db: Database, actor: Actor, facility_id: int) -> FacilityInfo:
    authorize(db, actor, Permission.VIEW, facility_id)
    with db.read() as session:
        return _facility_info(_facility(session, facility_id))


def get_area(db: Database, actor: Actor, area_id: int) -> AreaInfo:
    with db.read() as session:
        area = _area(session, area_id)
        authorize(db, actor, Permission.VIEW, area.facility_id)
        return _area_info(area)


def get_rack(db: Database, actor: Actor, rack_id: int) -> RackInfo:
    with db.read() as session:
        rack = _rack(session, rack_id)
        authorize(db, actor, Permission.VIEW, rack.facility_id)
        return _rack_info(rack)


def list_facilities(db: Database, actor: Actor, include_inactive: bool = False) -> list[FacilityInfo]:
    """Facilities the actor may see, by code."""
    authorize(db, actor, Permission.VIEW)
    query = select(Facility).order_by(Facility.code)
    if not include_inactive:
        query = query.where(Facility.active.is_(True))
    if actor.facility_ids is not None:
        query = query.where(Facility.id.in_(actor.facility_ids))
    with db.read() as session:
        return [_facility_info(f) for f in session.scalars(query)]


def list_areas(
    db: Database, actor: Actor, facility_id: int, include_inactive: bool = False
) -> list[AreaInfo]:
    authorize(db, actor, Permission.VIEW, facility_id)
    query = select(StorageArea).where(StorageArea.facility_id == facility_id).order_by(StorageArea.code)
    if not include_inactive:
        query = query.where(StorageArea.active.is_(True))
    with db.read() as session:
        return [_area_info(a) for a in session.scalars(query)]


def list_racks(
    db: Database, actor: Actor, facility_id: int, include_inactive: bool = False
) -> list[RackInfo]:
    authorize(db, actor, Permission.VIEW, facility_id)
    query = select(Rack).where(Rack.facility_id == facility_id).order_by(Rack.code)
    if not include_inactive:
        query = query.where(Rack.active.is_(True))
    with db.read() as session:
        return [_rack_info(r) for r in session.scalars(query)]
