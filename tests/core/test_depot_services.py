"""Depot editing services: facilities, areas, racks, item types, weapons, units and people."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select

from armoury.db import Database
from armoury.domain.enums import Category, Condition, MarkingKind, Register, Role, Whereabouts
from armoury.errors import ConflictError, PermissionDenied, ValidationError
from armoury.models import Facility, Weapon
from armoury.security.permissions import Actor
from armoury.services import catalogue, locations, people, weapons
from armoury.services.catalogue import ItemTypeData
from armoury.services.locations import AreaData, FacilityData, RackData
from armoury.services.people import PersonData, UnitData
from armoury.services.weapons import MarkingData, PhotoData, WeaponData
from tests.helpers import create_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def admin(sqlite_db: Database) -> Actor:
    return create_user(sqlite_db, "admin", Role.ADMINISTRATOR)


def _depot(db: Database, actor: Actor) -> tuple[int, int, int]:
    facility = locations.create_facility(db, actor, FacilityData("DEP-01", "Central depot"))
    area = locations.create_area(db, actor, AreaData(facility.id, "B1", "Building 1"))
    rack = locations.create_rack(db, actor, RackData(area.id, "R01", "Rifles", slots=10))
    item = catalogue.create_item_type(
        db, actor, ItemTypeData(Category.ASSAULT_RIFLE, "Kalashnikov", "AK-47", "7.62x39")
    )
    return facility.id, rack.id, item.id


def test_locations_are_created_and_validated_field_by_field(sqlite_db: Database, admin: Actor) -> None:
    facility_id, rack_id, _ = _depot(sqlite_db, admin)
    with pytest.raises(ValidationError) as caught:
        locations.create_facility(sqlite_db, admin, FacilityData("", "No code"))
    assert caught.value.details == "code"
    with pytest.raises(ConflictError) as dup:
        locations.create_facility(sqlite_db, admin, FacilityData("DEP-01", "Again"))
    assert getattr(dup.value, "field", "") == "code"
    problems = locations.check_facility(FacilityData("X", "Y", latitude=95.0, longitude=1.0))
    assert [p.field for p in problems] == ["latitude"]
    problems = locations.check_rack(RackData(1, "R", slots=-1))
    assert [p.field for p in problems] == ["slots"]
    renamed = locations.update_facility(sqlite_db, admin, facility_id, FacilityData("DEP-1", "Renamed"))
    assert renamed.code == "DEP-1"
    assert [f.code for f in locations.list_facilities(sqlite_db, admin)] == ["DEP-1"]
    closed = locations.deactivate_rack(sqlite_db, admin, rack_id)
    assert not closed.active


def test_item_types_are_unique_by_normalized_names(sqlite_db: Database, admin: Actor) -> None:
    _depot(sqlite_db, admin)
    with pytest.raises(ConflictError, match="already has"):
        catalogue.create_item_type(
            sqlite_db, admin, ItemTypeData(Category.ASSAULT_RIFLE, "KALASHNIKOV", "ak 47")
        )
    assert [p.field for p in catalogue.check_item_type(ItemTypeData(Category.PISTOL, "", "G17"))] == [
        "manufacturer"
    ]
    types = catalogue.list_item_types(sqlite_db, admin, with_counts=True)
    assert [t.display_name for t in types] == ["Kalashnikov AK-47"]


def test_weapon_with_markings_and_photos(sqlite_db: Database, admin: Actor) -> None:
    _, rack_id, item_id = _depot(sqlite_db, admin)
    data = WeaponData(
        item_type_id=item_id,
        serial=" AB-1234 ",
        rack_id=rack_id,
        slot=3,
        year_of_manufacture=1978,
        markings=(MarkingData(MarkingKind.IMPORT, "IMP ML 2004", "left receiver", "Mali", 2004),),
        photos=(PhotoData(PNG, "left side"), PhotoData(PNG, "same bytes again")),
    )
    weapon = weapons.create_weapon(sqlite_db, admin, data)
    assert weapon.serial == "AB-1234" and weapon.serial_key == "ab1234"
    assert weapon.whereabouts is Whereabouts.IN_STORE and weapon.rack_id == rack_id and weapon.slot == 3
    assert [m.transcription for m in weapon.markings] == ["IMP ML 2004"]
    assert [p.sha256 for p in weapon.photos] == [hashlib.sha256(PNG).hexdigest()]
    assert weapons.get_photo(sqlite_db, admin, weapon.photos[0].id).data == PNG

    changed = weapons.update_weapon(sqlite_db, admin, weapon.id, WeaponData(item_id, "AB-1234", notes="ok"))
    assert changed.notes == "ok" and changed.markings == () and changed.photos == ()
    assert changed.rack_id == rack_id  # the location is not the dialog's business


def test_duplicate_serial_refused_and_lookalike_warned_before_saving(
    sqlite_db: Database, admin: Actor
) -> None:
    _, rack_id, item_id = _depot(sqlite_db, admin)
    first = weapons.create_weapon(sqlite_db, admin, WeaponData(item_id, "AB-1234", rack_id=rack_id))
    same = weapons.check_serial(sqlite_db, admin, item_id, "ab 1234")
    assert same.duplicate is not None and same.duplicate.id == first.id
    with pytest.raises(ConflictError) as caught:
        weapons.create_weapon(sqlite_db, admin, WeaponData(item_id, "ab1234", rack_id=rack_id))
    assert caught.value.details == "serial"
    alike = weapons.check_serial(sqlite_db, admin, item_id, "A8-I234")
    assert alike.duplicate is None
    assert [w.id for w in alike.lookalikes] == [first.id]
    assert "AB-1234" in alike.warning
    assert weapons.check_serial(sqlite_db, admin, item_id, "ZZ-999").warning == ""
    # the warning does not block
    weapons.create_weapon(sqlite_db, admin, WeaponData(item_id, "A8-I234", rack_id=rack_id))
    with sqlite_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Weapon)) == 2


def test_invalid_weapon_fields_change_nothing(sqlite_db: Database, admin: Actor) -> None:
    _, rack_id, item_id = _depot(sqlite_db, admin)
    cases = {
        "serial": WeaponData(item_id, "  ", rack_id=rack_id),
        "rack": WeaponData(item_id, "X1"),
        "year": WeaponData(item_id, "X1", rack_id=rack_id, year_of_manufacture=1700),
        "contingent_country": WeaponData(item_id, "X1", rack_id=rack_id, register=Register.CONTINGENT),
        "recovered_on": WeaponData(item_id, "X1", rack_id=rack_id, register=Register.RECOVERED),
        "photos": WeaponData(item_id, "X1", rack_id=rack_id, photos=(PhotoData(b"GIF89a"),)),
        "markings": WeaponData(item_id, "X1", rack_id=rack_id, markings=(MarkingData(MarkingKind.UNIT, ""),)),
    }
    for field, data in cases.items():
        with pytest.raises(ValidationError) as caught:
            weapons.create_weapon(sqlite_db, admin, data)
        assert caught.value.details == field
    weapons.create_weapon(sqlite_db, admin, WeaponData(item_id, "X1", rack_id=rack_id, slot=1))
    with pytest.raises(ConflictError) as taken:
        weapons.create_weapon(sqlite_db, admin, WeaponData(item_id, "X2", rack_id=rack_id, slot=1))
    assert taken.value.details == "slot"
    with pytest.raises(ConflictError) as too_far:
        weapons.create_weapon(sqlite_db, admin, WeaponData(item_id, "X3", rack_id=rack_id, slot=11))
    assert too_far.value.details == "slot"
    with sqlite_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Weapon)) == 1


def test_recovered_weapon(sqlite_db: Database, admin: Actor) -> None:
    _, rack_id, item_id = _depot(sqlite_db, admin)
    weapon = weapons.create_weapon(
        sqlite_db,
        admin,
        WeaponData(
            item_id,
            "R-1",
            rack_id=rack_id,
            register=Register.RECOVERED,
            recovered_on=date(2024, 5, 1),
            recovered_place="Gao",
            condition=Condition.QUARANTINED,
        ),
    )
    assert weapon.register is Register.RECOVERED and weapon.condition is Condition.QUARANTINED


def test_non_empty_locations_cannot_be_closed(sqlite_db: Database, admin: Actor) -> None:
    facility_id, rack_id, item_id = _depot(sqlite_db, admin)
    weapons.create_weapon(sqlite_db, admin, WeaponData(item_id, "X1", rack_id=rack_id))
    with pytest.raises(ConflictError, match="still holds 1"):
        locations.deactivate_rack(sqlite_db, admin, rack_id)
    with pytest.raises(ConflictError):
        locations.deactivate_facility(sqlite_db, admin, facility_id)
    with sqlite_db.read() as session:
        assert session.get(Facility, facility_id).active  # type: ignore[union-attr]


def test_people_and_units(sqlite_db: Database, admin: Actor) -> None:
    unit = people.create_unit(sqlite_db, admin, UnitData("1BI", "1st Infantry Battalion", "ML"))
    person = people.create_person(sqlite_db, admin, PersonData("ML-0001", "Traoré", "Awa", "Sgt", unit.id))
    assert person.unit_code == "1BI" and person.display_name == "Sgt TRAORÉ Awa"
    with pytest.raises(ConflictError) as dup:
        people.create_person(sqlite_db, admin, PersonData("ML-0001", "Other"))
    assert dup.value.details == "service_number"
    with pytest.raises(ValidationError) as missing:
        people.create_person(sqlite_db, admin, PersonData("ML-0002", ""))
    assert missing.value.details == "surname"
    moved = people.update_person(sqlite_db, admin, person.id, PersonData("ML-0001", "Traoré", "Awa", "Adj"))
    assert moved.rank == "Adj" and moved.unit_id is None
    assert not people.deactivate_person(sqlite_db, admin, person.id).active
    assert people.find_person(sqlite_db, admin, "ML-0001") is not None


def test_roles_without_permission_are_refused(sqlite_db: Database, admin: Actor) -> None:
    _, rack_id, item_id = _depot(sqlite_db, admin)
    auditor = create_user(sqlite_db, "audrey", Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        locations.create_facility(sqlite_db, auditor, FacilityData("D2", "Two"))
    with pytest.raises(PermissionDenied):
        weapons.create_weapon(sqlite_db, auditor, WeaponData(item_id, "Q1", rack_id=rack_id))
    with pytest.raises(PermissionDenied):
        people.create_person(sqlite_db, auditor, PersonData("N1", "Name"))
    with pytest.raises(PermissionDenied):
        catalogue.create_item_type(sqlite_db, auditor, ItemTypeData(Category.PISTOL, "Glock", "17"))
    assert catalogue.list_item_types(sqlite_db, auditor)  # VIEW is allowed


def test_unique_constraints_hold_on_both_databases(any_db: Database) -> None:
    admin = create_user(any_db, "admin", Role.ADMINISTRATOR)
    _, rack_id, item_id = _depot(any_db, admin)
    weapons.create_weapon(any_db, admin, WeaponData(item_id, "AK-1", rack_id=rack_id, slot=2))
    with pytest.raises(ConflictError):
        weapons.create_weapon(any_db, admin, WeaponData(item_id, "ak 1", rack_id=rack_id))
    assert weapons.find_weapons_by_serial(any_db, admin, "AK1")[0].serial == "AK-1"
