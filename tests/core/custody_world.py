"""A small depot for the custody tests: two facilities, racks, a catalogue, people, users, weapons on charge."""

from __future__ import annotations

from dataclasses import dataclass, field

from armoury.db import Database
from armoury.domain.enums import Category, Condition, FacilityKind, Register, Role, Whereabouts
from armoury.domain.serials import serial_key, serial_skeleton
from armoury.models import Facility, ItemType, Person, Rack, StorageArea, User, Weapon
from armoury.security.permissions import SYSTEM_ACTOR, Actor
from armoury.services.auth import hash_password
from armoury.services.taking_on_charge import record_take_on_charge
from tests.helpers import TEST_PASSWORD

_HASHES: dict[str, str] = {}


def create_user(db: Database, username: str, role: Role) -> Actor:
    """Like tests.helpers.create_user, hashing the test password once per process (Argon2 is slow)."""
    if "hash" not in _HASHES:
        _HASHES["hash"] = hash_password(TEST_PASSWORD)
    with db.write() as session:
        user = User(username=username, full_name=username.title(), role=role, password_hash=_HASHES["hash"])
        session.add(user)
        session.flush()
        user_id = user.id
    return Actor(user_id=user_id, username=username, role=role, full_name=username.title())


@dataclass
class World:
    db: Database
    facility_a: int = 0
    facility_b: int = 0
    racks: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    users: dict[str, Actor] = field(default_factory=dict)
    weapons: dict[str, int] = field(default_factory=dict)

    @property
    def store(self) -> Actor:
        return self.users["store"]

    @property
    def witness(self) -> Actor:
        return self.users["store2"]

    @property
    def commander(self) -> Actor:
        return self.users["cmd"]


def build_world(db: Database, weapons: int = 6, with_users: bool = True) -> World:
    world = World(db)
    with db.write() as session:
        a = Facility(code="DEPOT-A", name="Depot A", kind=FacilityKind.NATIONAL_DEPOT)
        b = Facility(code="ARM-B", name="Armoury B", kind=FacilityKind.UNIT_ARMOURY)
        session.add_all([a, b])
        session.flush()
        world.facility_a, world.facility_b = a.id, b.id
        area_a = StorageArea(facility_id=a.id, code="MAIN", name="Main store")
        area_b = StorageArea(facility_id=b.id, code="MAIN", name="Main store")
        session.add_all([area_a, area_b])
        session.flush()
        for code, area, slots in (("R1", area_a, 20), ("R2", area_a, 20), ("RB1", area_b, 20)):
            rack = Rack(facility_id=area.facility_id, area_id=area.id, code=code, name=code, slots=slots)
            session.add(rack)
            session.flush()
            world.racks[code] = rack.id
        for key, manufacturer, model in (("AK", "Kalashnikov", "AK-47"), ("G3", "Heckler & Koch", "G3")):
            item = ItemType(
                category=Category.ASSAULT_RIFLE,
                manufacturer=manufacturer,
                model=model,
                manufacturer_key=serial_key(manufacturer),
                model_key=serial_key(model),
                calibre="7.62",
            )
            session.add(item)
            session.flush()
            world.types[key] = item.id
        for number, surname, active in (
            ("SN-1", "Diallo", True),
            ("SN-2", "Traoré", True),
            ("SN-9", "Gone", False),
        ):
            person = Person(service_number=number, surname=surname, rank="Sgt", active=active)
            session.add(person)
            session.flush()
            world.people[number] = person.id
        ids = []
        for i in range(weapons):
            serial = f"AK{i + 1:04d}"
            weapon = Weapon(
                item_type_id=world.types["AK"],
                serial=serial,
                serial_key=serial_key(serial),
                serial_skeleton=serial_skeleton(serial),
                register=Register.NATIONAL,
                facility_id=a.id,
                whereabouts=Whereabouts.IN_STORE,
                rack_id=world.racks["R1"],
                slot=i + 1,
                condition=Condition.SERVICEABLE,
            )
            session.add(weapon)
            session.flush()
            world.weapons[serial] = weapon.id
            ids.append(weapon.id)
        # The same serial on another model: ambiguous without the model.
        twin = Weapon(
            item_type_id=world.types["G3"],
            serial="AK0001",
            serial_key=serial_key("AK0001"),
            serial_skeleton=serial_skeleton("AK0001"),
            facility_id=a.id,
            whereabouts=Whereabouts.IN_STORE,
            rack_id=world.racks["R2"],
        )
        session.add(twin)
        session.flush()
        world.weapons["G3:AK0001"] = twin.id
        ids.append(twin.id)
        record_take_on_charge(session, SYSTEM_ACTOR, ids, source="demo")
    if with_users:
        for name, role in (
            ("store", Role.STOREKEEPER),
            ("store2", Role.STOREKEEPER),
            ("cmd", Role.COMMANDER),
            ("cmd2", Role.COMMANDER),
            ("aud", Role.AUDITOR),
        ):
            world.users[name] = create_user(db, name, role)
    return world
