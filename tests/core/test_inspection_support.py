"""Builders shared by the inspection tests (no tests here): a small depot written through the models."""

from __future__ import annotations

from dataclasses import dataclass

from armoury.db import Database
from armoury.domain.enums import Category, FacilityKind, Role, Whereabouts
from armoury.domain.serials import serial_key, serial_skeleton
from armoury.models import Facility, ItemType, Rack, StorageArea, Weapon
from armoury.security.permissions import Actor
from tests.helpers import create_user


@dataclass(frozen=True)
class Depot:
    facility_id: int
    other_facility_id: int
    area_id: int
    rack_ids: tuple[int, ...]
    inspector: Actor
    commander: Actor
    auditor: Actor


def make_depot(db: Database, weapons_per_rack: int = 3) -> Depot:
    with db.write() as session:
        facility = Facility(code="ARM-1", name="1st Battalion armoury", kind=FacilityKind.UNIT_ARMOURY)
        other = Facility(code="ARM-2", name="Police armoury", kind=FacilityKind.POLICE_ARMOURY)
        session.add_all([facility, other])
        session.flush()
        area = StorageArea(facility_id=facility.id, code="B1", name="Building 1")
        session.add(area)
        session.flush()
        racks = [Rack(facility_id=facility.id, area_id=area.id, code=f"R{i}", slots=10) for i in (1, 2)]
        session.add_all(racks)
        item = ItemType(
            category=Category.ASSAULT_RIFLE, manufacturer="Maker", model="AR-1", manufacturer_key="maker",
            model_key="ar1", calibre="7.62",
        )  # fmt: skip
        session.add(item)
        session.flush()
        for rack in racks:
            for slot in range(1, weapons_per_rack + 1):
                serial = f"{rack.code}-{slot:04d}"
                session.add(
                    Weapon(
                        item_type_id=item.id, serial=serial, serial_key=serial_key(serial),
                        serial_skeleton=serial_skeleton(serial), facility_id=facility.id,
                        whereabouts=Whereabouts.IN_STORE, rack_id=rack.id, slot=slot,
                    )
                )  # fmt: skip
        session.flush()
        ids = (facility.id, other.id, area.id, tuple(r.id for r in racks))
    return Depot(
        facility_id=ids[0],
        other_facility_id=ids[1],
        area_id=ids[2],
        rack_ids=ids[3],
        inspector=create_user(db, "inspector", Role.INSPECTOR),
        commander=create_user(db, "commander", Role.COMMANDER),
        auditor=create_user(db, "auditor", Role.AUDITOR),
    )


# A PNG of one red pixel.
PNG_PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0000003"
    "010100c9fe92ef0000000049454e44ae426082"
)
