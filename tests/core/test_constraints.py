"""Rules the database itself enforces, on SQLite and PostgreSQL alike (not only the services)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Category, FacilityKind, Register, Whereabouts
from armoury.domain.serials import serial_key, serial_skeleton
from armoury.models import Facility, ItemType, Person, Rack, StorageArea, Weapon


def _depot(session: Session) -> dict[str, int]:
    f1 = Facility(code="F1", name="Depot one", kind=FacilityKind.NATIONAL_DEPOT)
    f2 = Facility(code="F2", name="Depot two", kind=FacilityKind.UNIT_ARMOURY)
    session.add_all([f1, f2])
    session.flush()
    a1 = StorageArea(facility_id=f1.id, code="A1", name="Area one")
    a2 = StorageArea(facility_id=f2.id, code="A1", name="Area one of F2")
    session.add_all([a1, a2])
    session.flush()
    r1 = Rack(facility_id=f1.id, area_id=a1.id, code="R1", slots=10)
    t1 = ItemType(category=Category.ASSAULT_RIFLE, manufacturer="Kalashnikov", model="AKM",
                  manufacturer_key="kalashnikov", model_key="akm", calibre="7.62x39")  # fmt: skip
    t2 = ItemType(category=Category.PISTOL, manufacturer="Glock", model="17",
                  manufacturer_key="glock", model_key="17", calibre="9x19")  # fmt: skip
    p1 = Person(service_number="S1", surname="Traoré")
    session.add_all([r1, t1, t2, p1])
    session.flush()
    return {
        "f1": f1.id,
        "f2": f2.id,
        "a1": a1.id,
        "a2": a2.id,
        "r1": r1.id,
        "t1": t1.id,
        "t2": t2.id,
        "p1": p1.id,
    }


def _weapon(ids: dict[str, int], serial: str, **overrides: object) -> Weapon:
    values: dict[str, object] = {
        "item_type_id": ids["t1"],
        "serial": serial,
        "serial_key": serial_key(serial),
        "serial_skeleton": serial_skeleton(serial),
        "facility_id": ids["f1"],
        "rack_id": ids["r1"],
    }
    values.update(overrides)
    return Weapon(**values)


def assert_refused(db: Database, build: Callable[[Session, dict[str, int]], None]) -> None:
    """The change is refused by the database, and the depot is left exactly as it was."""
    with db.write() as session:
        ids = _depot(session)
        session.add(_weapon(ids, "KEEP-1"))
    with pytest.raises((IntegrityError, StatementError)), db.write() as session:
        ids_now = {
            "f1": session.scalar(select(Facility.id).where(Facility.code == "F1")),
            "f2": session.scalar(select(Facility.id).where(Facility.code == "F2")),
            "a1": session.scalar(select(StorageArea.id).where(StorageArea.code == "A1", StorageArea.facility_id == select(Facility.id).where(Facility.code == "F1").scalar_subquery())),
            "a2": session.scalar(select(StorageArea.id).where(StorageArea.name == "Area one of F2")),
            "r1": session.scalar(select(Rack.id)),
            "t1": session.scalar(select(ItemType.id).where(ItemType.model == "AKM")),
            "t2": session.scalar(select(ItemType.id).where(ItemType.model == "17")),
            "p1": session.scalar(select(Person.id)),
        }  # fmt: skip
        build(session, {k: int(v) for k, v in ids_now.items() if v is not None})
        session.flush()
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Weapon)) == 1


def test_same_serial_key_under_one_item_type_is_refused(any_db: Database) -> None:
    assert_refused(
        any_db, lambda s, ids: s.add(_weapon(ids, "keep 1", rack_id=None, whereabouts=Whereabouts.AT_REPAIR))
    )


def test_same_serial_under_another_item_type_is_allowed(any_db: Database) -> None:
    with any_db.write() as session:
        ids = _depot(session)
        session.add_all([_weapon(ids, "X-1"), _weapon(ids, "X-1", item_type_id=ids["t2"])])
    with any_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Weapon)) == 2


def test_two_weapons_in_one_slot_are_refused(any_db: Database) -> None:
    def build(s: Session, ids: dict[str, int]) -> None:
        s.add_all([_weapon(ids, "A", slot=3), _weapon(ids, "B", slot=3)])

    assert_refused(any_db, build)


def test_rack_in_an_area_of_another_facility_is_refused(any_db: Database) -> None:
    assert_refused(
        any_db, lambda s, ids: s.add(Rack(facility_id=ids["f1"], area_id=ids["a2"], code="BAD", slots=1))
    )


def test_weapon_in_store_needs_a_rack(any_db: Database) -> None:
    assert_refused(any_db, lambda s, ids: s.add(_weapon(ids, "N", rack_id=None)))


def test_issued_weapon_needs_a_holder(any_db: Database) -> None:
    assert_refused(any_db, lambda s, ids: s.add(_weapon(ids, "N", whereabouts=Whereabouts.ISSUED)))


def test_holder_only_when_issued(any_db: Database) -> None:
    assert_refused(any_db, lambda s, ids: s.add(_weapon(ids, "M", holder_id=ids["p1"])))


def test_empty_serial_key_is_refused(any_db: Database) -> None:
    assert_refused(any_db, lambda s, ids: s.add(_weapon(ids, " - ")))


def test_year_out_of_range_is_refused(any_db: Database) -> None:
    assert_refused(any_db, lambda s, ids: s.add(_weapon(ids, "Y", year_of_manufacture=1066)))


def test_contingent_weapon_needs_its_country(any_db: Database) -> None:
    assert_refused(any_db, lambda s, ids: s.add(_weapon(ids, "C", register=Register.CONTINGENT)))


def test_unknown_enum_value_is_refused(any_db: Database) -> None:
    assert_refused(any_db, lambda s, ids: s.add(_weapon(ids, "E", condition="shiny")))


def test_deleting_a_rack_that_holds_weapons_is_refused(any_db: Database) -> None:
    assert_refused(any_db, lambda s, ids: s.execute(Rack.__table__.delete()))
