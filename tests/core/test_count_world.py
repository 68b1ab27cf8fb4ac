"""A small depot for the count tests (no tests here): two facilities, racks, weapons, people, users.

Built directly through the models (and taken on charge in the ledger), not through the services under test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from armoury.db import Database
from armoury.domain.enums import Category, Role, Whereabouts
from armoury.labels.payload import LabelKind, encode
from armoury.labels.resolver import depot_code
from armoury.models import Facility, ItemType, Person, Rack, StorageArea, User, Weapon
from armoury.security.permissions import Actor
from armoury.services.taking_on_charge import record_take_on_charge
from tests.helpers import TEST_PASSWORD


@cache
def _password_hash() -> str:
    from armoury.services.auth import hash_password

    return hash_password(TEST_PASSWORD)


def create_user(db: Database, username: str, role: Role) -> Actor:
    """Like tests.helpers.create_user, with the password hashed once per run (Argon2 is slow on purpose)."""
    with db.write() as session:
        user = User(username=username, full_name=username.title(), role=role, password_hash=_password_hash())
        session.add(user)
        session.flush()
        user_id = user.id
    return Actor(user_id=user_id, username=username, role=role, full_name=username.title())


@dataclass
class World:
    db: Database
    admin: Actor
    commander: Actor
    storekeeper: Actor
    inspector: Actor
    facility: int
    other_facility: int
    racks: dict[str, int] = field(default_factory=dict)
    weapons: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    depot: str = ""

    def label(self, kind: LabelKind, record_id: int) -> str:
        return encode(kind, record_id, self.depot)

    def rack_label(self, code: str) -> str:
        return self.label(LabelKind.RACK, self.racks[code])

    def weapon_label(self, serial: str) -> str:
        return self.label(LabelKind.WEAPON, self.weapons[serial])

    def person_label(self, number: str) -> str:
        return self.label(LabelKind.PERSON, self.people[number])


def build_world(db: Database, per_rack: int = 3) -> World:
    """F1: racks R1, R2 (area A1) and R3 (area A2), ``per_rack`` weapons on each (serials R1-1 …),
    weapon ISS-1 issued to person S1; F2: rack X1 with weapon X1-1. Users admin, cmd, store, insp."""
    admin = create_user(db, "admin", Role.ADMINISTRATOR)
    commander = create_user(db, "cmd", Role.COMMANDER)
    storekeeper = create_user(db, "store", Role.STOREKEEPER)
    inspector = create_user(db, "insp", Role.INSPECTOR)
    world_racks: dict[str, int] = {}
    weapons: dict[str, int] = {}
    people: dict[str, int] = {}
    with db.write() as session:
        f1 = Facility(code="F1", name="Unit armoury", kind="unit_armoury")
        f2 = Facility(code="F2", name="Other depot", kind="national_depot")
        session.add_all([f1, f2])
        session.flush()
        a1 = StorageArea(facility_id=f1.id, code="A1", name="Room 1")
        a2 = StorageArea(facility_id=f1.id, code="A2", name="Room 2")
        b1 = StorageArea(facility_id=f2.id, code="B1", name="Store")
        session.add_all([a1, a2, b1])
        session.flush()
        for code, area in (("R1", a1), ("R2", a1), ("R3", a2), ("X1", b1)):
            rack = Rack(facility_id=area.facility_id, area_id=area.id, code=code, name="", slots=50)
            session.add(rack)
            session.flush()
            world_racks[code] = rack.id
        item_type = ItemType(
            category=Category.ASSAULT_RIFLE, manufacturer="Kalashnikov", model="AKM",
            manufacturer_key="KALASHNIKOV", model_key="AKM", calibre="7.62x39",
        )  # fmt: skip
        session.add(item_type)
        for number, surname in (("S1", "Diallo"), ("S2", "Traore")):
            person = Person(service_number=number, surname=surname, given_names="A", rank="Sgt")
            session.add(person)
            session.flush()
            people[number] = person.id
        session.flush()
        new: list[Weapon] = []
        for code in ("R1", "R2", "R3"):
            for i in range(1, per_rack + 1):
                new.append(_weapon(item_type.id, f"{code}-{i}", f1.id, world_racks[code], i))
        new.append(_weapon(item_type.id, "X1-1", f2.id, world_racks["X1"], 1))
        issued = _weapon(item_type.id, "ISS-1", f1.id, None, None)
        issued.whereabouts = Whereabouts.ISSUED
        issued.holder_id = people["S1"]
        new.append(issued)
        session.add_all(new)
        session.flush()
        for w in new:
            weapons[w.serial] = w.id
        record_take_on_charge(session, admin, [w.id for w in new if w.facility_id == f1.id], source="demo")
        record_take_on_charge(session, admin, [w.id for w in new if w.facility_id == f2.id], source="demo")
        f1_id, f2_id = f1.id, f2.id
    return World(
        db,
        admin,
        commander,
        storekeeper,
        inspector,
        f1_id,
        f2_id,
        world_racks,
        weapons,
        people,
        depot_code(db),
    )


def _weapon(
    item_type_id: int, serial: str, facility_id: int, rack_id: int | None, slot: int | None
) -> Weapon:
    from armoury.domain.serials import serial_key, serial_skeleton

    key = serial_key(serial)
    return Weapon(
        item_type_id=item_type_id,
        serial=serial,
        serial_key=key,
        serial_skeleton=serial_skeleton(key),
        facility_id=facility_id,
        whereabouts=Whereabouts.IN_STORE,
        rack_id=rack_id,
        slot=slot,
    )
