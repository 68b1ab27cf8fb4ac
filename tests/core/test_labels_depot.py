"""A small depot to label, written directly through the models (shared by the label tests)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select

from armoury.db import Database
from armoury.domain.enums import Category, FacilityKind, Whereabouts
from armoury.domain.serials import serial_key, serial_skeleton
from armoury.labels.payload import LabelKind
from armoury.models import Facility, ItemType, Person, Rack, StorageArea, Weapon

LONG_NAMES = (
    "Nguyễn Thị Minh Khai-Ødegård",
    "ŁUKASZ-GRZEGORZ Brzęczyszczykiewicz",
    "Калашников Михаил Тимофеевич",
    "Élisabeth Ngũgĩ wa Thiong'o de la Tour d'Auvergne",
)


@dataclass(frozen=True)
class Depot:
    facility_id: int
    facility_code: str
    area_ids: tuple[int, ...]
    rack_ids: tuple[int, ...]
    weapon_ids: tuple[int, ...]
    person_ids: tuple[int, ...]

    def records(self) -> list[tuple[LabelKind, int]]:
        """Every record, all kinds mixed."""
        return [
            (LabelKind.FACILITY, self.facility_id),
            *((LabelKind.AREA, i) for i in self.area_ids),
            *((LabelKind.RACK, i) for i in self.rack_ids),
            *((LabelKind.PERSON, i) for i in self.person_ids),
            *((LabelKind.WEAPON, i) for i in self.weapon_ids),
        ]


def build_depot(db: Database, weapons: int = 40, people: int = 8, code: str = "DEP-CENTRAL") -> Depot:
    with db.write() as session:
        facility = Facility(
            code=code, name="Dépôt central des armes de Ouagadougou", kind=FacilityKind.NATIONAL_DEPOT,
            country="Burkina Faso", region="Centre",
        )  # fmt: skip
        session.add(facility)
        session.flush()
        areas = [
            StorageArea(facility_id=facility.id, code=f"B{i}", name=f"Magasin d'armement n° {i}")
            for i in (1, 2)
        ]
        session.add_all(areas)
        session.flush()
        racks = [
            Rack(facility_id=facility.id, area_id=areas[i % 2].id, code=f"R-{i:02d}", name=f"Râtelier {i}", slots=50)
            for i in range(1, 5)
        ]  # fmt: skip
        session.add_all(racks)
        types = [
            ItemType(category=Category.ASSAULT_RIFLE, manufacturer="Kalashnikov Concern", model="AKM",
                     manufacturer_key="kalashnikov", model_key="akm", calibre="7.62×39 mm"),
            ItemType(category=Category.PISTOL, manufacturer="Fabrique Nationale Herstal", model="Browning HP-35 Mk III",
                     manufacturer_key="fn", model_key="hp35", calibre="9×19 mm Parabellum"),
        ]  # fmt: skip
        session.add_all(types)
        session.flush()
        rows = []
        for n in range(weapons):
            serial = f"KA-{n:06d}" if n % 5 else f"{LONG_NAMES[n % 4][:20]} №{n}"
            rack = racks[n % len(racks)]
            rows.append(
                {
                    "item_type_id": types[n % 2].id,
                    "serial": serial,
                    "serial_key": serial_key(serial),
                    "serial_skeleton": serial_skeleton(serial),
                    "facility_id": facility.id,
                    "whereabouts": Whereabouts.IN_STORE,
                    "rack_id": rack.id,
                    "slot": n // len(racks) + 1,
                }
            )
        if rows:
            session.execute(insert(Weapon), rows)
        session.add_all(
            Person(
                service_number=f"SN-{n:05d}",
                surname=LONG_NAMES[n % 4].split()[0],
                given_names=" ".join(LONG_NAMES[n % 4].split()[1:]),
                rank="Adjudant-chef" if n % 2 else "Sgt",
            )
            for n in range(people)
        )
        session.flush()
        result = Depot(
            facility_id=facility.id,
            facility_code=code,
            area_ids=tuple(a.id for a in areas),
            rack_ids=tuple(r.id for r in racks),
            weapon_ids=tuple(session.scalars(select(Weapon.id).order_by(Weapon.id)).all()),
            person_ids=tuple(session.scalars(select(Person.id).order_by(Person.id)).all()),
        )
    return result


def test_depot_builder_makes_every_kind(sqlite_db: Database) -> None:
    depot = build_depot(sqlite_db, weapons=5, people=2)
    kinds = {kind for kind, _id in depot.records()}
    assert kinds == set(LabelKind) - {LabelKind.KEY}
    assert len(depot.weapon_ids) == 5
