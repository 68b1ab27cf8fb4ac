"""The demo depot: a realistic, deterministic, entirely fictional depot to try Armoury on.

Two facilities of a francophone Sahel country (a national central depot and a peace-operation mission
armoury), their stores and racks, a catalogue of real-world weapon models, a roster of people, about
1,600 weapons on racks — national stock, contingent-owned weapons at the mission, recovered weapons with
their recovery details, some evidence — in varied conditions, and a few serials that look alike. The same
seed always gives the same depot. Place and person names are invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import (
    AreaKind,
    Category,
    Condition,
    FacilityKind,
    RackKind,
    Register,
    Whereabouts,
)
from armoury.domain.serials import serial_key, serial_skeleton
from armoury.errors import ConflictError
from armoury.i18n import _
from armoury.models import Facility, ItemType, Person, Rack, StorageArea, Unit, Weapon, utcnow
from armoury.security.permissions import SYSTEM_ACTOR
from armoury.services.demo_users import create_demo_users
from armoury.services.import_weapons import bulk_load, insert_weapons
from armoury.services.settings import DEMO, set_internal
from armoury.services.taking_on_charge import record_take_on_charge

C = Category
# manufacturer, model, category, calibre, country, serial pattern (A letter, 9 digit), years, weight
CATALOGUE: tuple[tuple[str, str, Category, str, str, str, tuple[int, int], int], ...] = (
    ("Izhmash", "AKM", C.ASSAULT_RIFLE, "7.62×39 mm", "USSR", "AA 9999", (1962, 1985), 200),
    ("Kalashnikov", "AK-47", C.ASSAULT_RIFLE, "7.62×39 mm", "USSR", "AA9999", (1951, 1961), 90),
    ("Norinco", "Type 56", C.ASSAULT_RIFLE, "7.62×39 mm", "China", "99999999", (1968, 1995), 150),
    ("FN Herstal", "FAL", C.RIFLE_CARBINE, "7.62×51 mm", "Belgium", "999999", (1958, 1985), 70),
    ("Heckler & Koch", "G3", C.RIFLE_CARBINE, "7.62×51 mm", "Germany", "A 99999", (1965, 1990), 60),
    ("Colt", "M16A2", C.ASSAULT_RIFLE, "5.56×45 mm", "United States", "9999999", (1984, 2000), 50),
    ("Beretta", "92", C.PISTOL, "9×19 mm", "Italy", "A99999A", (1985, 2010), 40),
    ("Glock", "17", C.PISTOL, "9×19 mm", "Austria", "AAA999", (1995, 2018), 45),
    ("MAS", "MAT-49", C.SUBMACHINE_GUN, "9×19 mm", "France", "A 9999", (1950, 1965), 25),
    ("Kalashnikov", "PKM", C.GENERAL_PURPOSE_MACHINE_GUN, "7.62×54 mmR", "USSR", "AA 999", (1970, 1990), 35),
    ("Molot", "RPK", C.LIGHT_MACHINE_GUN, "7.62×39 mm", "USSR", "AA 9999", (1965, 1985), 30),
    ("Bazalt", "RPG-7", C.ROCKET_LAUNCHER, "40 mm", "USSR", "AA 99999", (1970, 1995), 30),
    ("Browning", "M2HB", C.HEAVY_MACHINE_GUN, "12.7×99 mm", "United States", "999999", (1970, 1995), 10),
    ("FN Herstal", "MAG", C.GENERAL_PURPOSE_MACHINE_GUN, "7.62×51 mm", "Belgium", "99999", (1975, 2005), 20),
    ("Izhmekh", "Makarov PM", C.PISTOL, "9×18 mm", "USSR", "AA 999", (1960, 1990), 40),
    ("Tula", "SKS", C.RIFLE_CARBINE, "7.62×39 mm", "USSR", "AA 999", (1949, 1956), 45),
    ("Mossberg", "500", C.SHOTGUN, "12 gauge", "United States", "A999999", (1990, 2015), 20),
    ("IMI", "Uzi", C.SUBMACHINE_GUN, "9×19 mm", "Israel", "999999", (1960, 1990), 20),
    ("MAS", "36", C.RIFLE_CARBINE, "7.5×54 mm", "France", "A 99999", (1937, 1952), 30),
    ("Izhmash", "Dragunov SVD", C.RIFLE_CARBINE, "7.62×54 mmR", "USSR", "99999", (1970, 1990), 12),
    ("Springfield", "M79", C.GRENADE_LAUNCHER, "40×46 mm", "United States", "99999", (1962, 1970), 10),
    ("Manurhin", "MR 73", C.REVOLVER, "9×19 mm / .357", "France", "A 99999", (1975, 1995), 12),
    ("Heckler & Koch", "MP5", C.SUBMACHINE_GUN, "9×19 mm", "Germany", "99-999999", (1980, 2005), 25),
    ("Degtyarev", "DShKM", C.HEAVY_MACHINE_GUN, "12.7×108 mm", "USSR", "AA 999", (1946, 1970), 8),
)

_PISTOLS = {C.PISTOL, C.REVOLVER}
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"

UNITS = (
    ("1BIM", "1er Bataillon d'infanterie motorisée", ""),
    ("2BIM", "2e Bataillon d'infanterie motorisée", ""),
    ("CGD", "Compagnie de garde du dépôt central", ""),
    ("EGM", "Escadron de gendarmerie mobile de Kouroufa", ""),
    ("GSP", "Groupement de sécurité présidentielle", ""),
    ("SENBAT", "Bataillon sénégalais de la mission", "Senegal"),
    ("TOGOBAT", "Bataillon togolais de la mission", "Togo"),
    ("BANBAT", "Bataillon bangladais de la mission", "Bangladesh"),
)
SURNAMES = (
    "Traoré",
    "Coulibaly",
    "Diarra",
    "Keïta",
    "Sangaré",
    "Touré",
    "Maïga",
    "Cissé",
    "Konaté",
    "Sidibé",
    "Diallo",
    "Ouédraogo",
    "Sawadogo",
    "Kaboré",
    "Issoufou",
    "Mahamadou",
    "Abdoulaye",
    "Dembélé",
    "Sissoko",
    "Kanté",
    "Ag Alhassane",
    "Ould Mohamed",
    "Haïdara",
    "Samaké",
    "Bagayoko",
    "Ndiaye",
    "Sow",
    "Fall",
    "Agbéko",
    "Kossi",
)
GIVEN_NAMES = (
    "Moussa",
    "Amadou",
    "Ibrahim",
    "Fatoumata",
    "Aminata",
    "Oumar",
    "Boubacar",
    "Seydou",
    "Mariam",
    "Adama",
    "Salif",
    "Hamidou",
    "Awa",
    "Modibo",
    "Souleymane",
    "Kadiatou",
    "Issa",
    "Mamadou",
    "Aïssata",
    "Yacouba",
    "Hawa",
    "Cheick",
    "Rokia",
    "Bakary",
)
RANKS = ("Soldat", "Soldat de 1re classe", "Caporal", "Caporal-chef", "Sergent", "Sergent-chef", "Adjudant",
         "Adjudant-chef", "Lieutenant", "Capitaine")  # fmt: skip
PLACES = ("Kouroufa-Est", "Tin-Assalé", "Djibanga", "Ségoubé", "route de Nara, km 42", "Boni-Kaïna",
          "marché de Sindaré", "Ansongo-Nord")  # fmt: skip
CIRCUMSTANCES = (
    "Saisie lors d'un contrôle routier",
    "Remise volontaire (programme de désarmement communautaire)",
    "Récupérée après un accrochage",
    "Découverte dans une cache d'armes",
    "Saisie lors d'une perquisition judiciaire",
)
RECOVERING_UNITS = ("1er Bataillon d'infanterie motorisée", "Escadron de gendarmerie mobile de Kouroufa",
                    "Brigade de recherches de Kouroufa", "SENBAT")  # fmt: skip


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    facilities: int
    areas: int
    racks: int
    item_types: int
    units: int
    people: int
    weapons: int
    recovered: int
    contingent: int
    look_alikes: int
    demo_users: bool


def build_demo_depot(db: Database, seed: int = 1, *, with_users: bool = True) -> DemoSummary:
    """Fill an Armoury database that has no weapons yet with the demo depot; refuse any other.

    ``with_users`` also creates the demo users (armoury.services.demo_users), one per role.
    """
    rng = random.Random(seed)

    def work(session: Session) -> DemoSummary:
        if session.scalar(select(func.count()).select_from(Weapon)):
            raise ConflictError(
                _("This database already holds weapons; the demo depot is only loaded into an empty one."),
                _("Give another database with --db, or a new file name."),
            )
        if session.scalar(
            select(func.count()).select_from(Facility).where(Facility.code.in_(["DCK", "AMT"]))
        ):
            raise ConflictError(
                _("This database already has the demo facilities."),
                _("Give another database with --db, or a new file name."),
            )
        return _build(session, rng, seed)

    summary = db.run_write(work)
    if with_users:
        create_demo_users(db)
    return DemoSummary(**{**summary.__dict__, "demo_users": with_users})


def _build(session: Session, rng: random.Random, seed: int) -> DemoSummary:
    connection = session.connection()

    def add(model: Any, values: dict[str, Any]) -> int:
        new_id: int = connection.execute(insert(model).returning(model.id), [values]).scalar_one()
        return new_id

    depot = add(Facility, {"code": "DCK", "name": "Dépôt central de Kouroufa", "kind": FacilityKind.NATIONAL_DEPOT,
                           "country": "Sahélie", "region": "District de Kouroufa", "latitude": 13.1,
                           "longitude": -5.4, "active": True})  # fmt: skip
    mission = add(Facility, {"code": "AMT", "name": "Armurerie de mission — base de Tin-Assalé",
                             "kind": FacilityKind.MISSION_ARMOURY, "country": "Sahélie",
                             "region": "Région de Tin-Assalé", "latitude": 16.2, "longitude": 0.9,
                             "active": True})  # fmt: skip
    # (facility, area code, area name, kind, [(rack prefix, rack kind, count, slots)])
    layout = (
        (
            depot,
            "MAG-A",
            "Magasin A — armes d'épaule",
            AreaKind.BUILDING,
            [("A", RackKind.RIFLE_RACK, 14, 50)],
        ),
        (
            depot,
            "MAG-B",
            "Magasin B — armes collectives",
            AreaKind.BUILDING,
            [("B", RackKind.RIFLE_RACK, 10, 40)],
        ),
        (
            depot,
            "ARM-1",
            "Armurerie — armes de poing",
            AreaKind.ROOM,
            [("P", RackKind.PISTOL_CABINET, 4, 40)],
        ),
        (
            depot,
            "CNT-R",
            "Conteneur des armes récupérées",
            AreaKind.CONTAINER,
            [("R", RackKind.CRATE, 3, 30)],
        ),
        (depot, "CF", "Chambre forte — scellés", AreaKind.VAULT, [("S", RackKind.SAFE, 2, 20)]),
        (
            mission,
            "ARM",
            "Armurerie de la base",
            AreaKind.ROOM,
            [("M", RackKind.RIFLE_RACK, 6, 40), ("MP", RackKind.PISTOL_CABINET, 2, 24)],
        ),
        (mission, "CNT", "Conteneur de transit", AreaKind.CONTAINER, [("MR", RackKind.CRATE, 2, 25)]),
    )
    racks: dict[
        str, list[tuple[int, int, int, RackKind]]
    ] = {}  # area code -> [(rack id, facility id, slots)]
    area_count = rack_count = 0
    for facility_id, code, name, kind, rack_specs in layout:
        area_id = add(StorageArea, {"facility_id": facility_id, "code": code, "name": name, "kind": kind,
                                    "active": True})  # fmt: skip
        area_count += 1
        for prefix, rack_kind, count, slots in rack_specs:
            for n in range(1, count + 1):
                rack_id = add(Rack, {"facility_id": facility_id, "area_id": area_id, "code": f"{prefix}{n:02d}",
                                     "name": f"Râtelier {prefix}{n:02d}", "kind": rack_kind,
                                     "slots": slots, "lock_ref": f"CLE-{prefix}{n:02d}", "active": True})  # fmt: skip
                racks.setdefault(code, []).append((rack_id, facility_id, slots, rack_kind))
                rack_count += 1

    type_ids: list[int] = []
    for manufacturer, model, category, calibre, country, *_rest in CATALOGUE:
        type_ids.append(
            add(
                ItemType,
                {
                    "category": category,
                    "manufacturer": manufacturer,
                    "model": model,
                    "manufacturer_key": serial_key(manufacturer),
                    "model_key": serial_key(model),
                    "calibre": calibre,
                    "country": country,
                },
            )
        )

    unit_ids = [add(Unit, {"code": c, "name": n, "country": k}) for c, n, k in UNITS]
    people = _people(rng, unit_ids)
    connection.execute(insert(Person), people)

    weapons, look_alikes = _weapons(rng, type_ids, racks, depot)
    with bulk_load(session, len(weapons)):
        weapon_ids = insert_weapons(session, weapons)
        record_take_on_charge(
            session, SYSTEM_ACTOR, weapon_ids, source="demo", document_ref=f"demo seed {seed}"
        )
    set_internal(session, DEMO.key, True)
    return DemoSummary(
        seed=seed,
        facilities=2,
        areas=area_count,
        racks=rack_count,
        item_types=len(type_ids),
        units=len(unit_ids),
        people=len(people),
        weapons=len(weapons),
        recovered=sum(1 for w in weapons if w["register"] is Register.RECOVERED),
        contingent=sum(1 for w in weapons if w["register"] is Register.CONTINGENT),
        look_alikes=look_alikes,
        demo_users=False,
    )


def _people(rng: random.Random, unit_ids: list[int]) -> list[dict[str, Any]]:
    people = []
    numbers: set[str] = set()
    for index in range(120):
        unit_index = index % len(UNITS)
        number = f"{UNITS[unit_index][0][:3]}-{rng.randrange(10_000, 99_999)}"
        while number in numbers:
            number = f"{UNITS[unit_index][0][:3]}-{rng.randrange(10_000, 99_999)}"
        numbers.add(number)
        people.append(
            {
                "service_number": number,
                "surname": rng.choice(SURNAMES),
                "given_names": " ".join(rng.sample(GIVEN_NAMES, rng.choice((1, 1, 2)))),
                "rank": rng.choice(RANKS),
                "unit_id": unit_ids[unit_index],
                "qualifications": rng.choice(("", "", "Tireur", "Armurier", "Chef de groupe")),
                "active": rng.random() > 0.05,
            }
        )
    return people


def _serial(rng: random.Random, pattern: str) -> str:
    return "".join(
        rng.choice(_LETTERS) if c == "A" else str(rng.randrange(10)) if c == "9" else c for c in pattern
    )


class _Serials:
    """Unique serials per item type, with a few deliberate look-alikes (0/O, 1/I)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.keys: dict[int, set[str]] = {}
        self.skeletons: dict[int, set[str]] = {}

    def new(self, type_index: int) -> str:
        pattern = CATALOGUE[type_index][5]
        while True:
            serial = _serial(self.rng, pattern)
            key = serial_key(serial)
            skeleton = serial_skeleton(key)
            if skeleton not in self.skeletons.setdefault(type_index, set()):
                self.keys.setdefault(type_index, set()).add(key)
                self.skeletons[type_index].add(skeleton)
                return serial

    def look_alike(self, type_index: int, serial: str) -> str | None:
        for digit, letter in (("0", "O"), ("1", "I"), ("5", "S"), ("8", "B")):
            if digit in serial:
                twin = serial.replace(digit, letter, 1)
                if serial_key(twin) not in self.keys[type_index]:
                    self.keys[type_index].add(serial_key(twin))
                    return twin
        return None


def _condition(rng: random.Random) -> Condition:
    roll = rng.random()
    if roll < 0.84:
        return Condition.SERVICEABLE
    if roll < 0.90:
        return Condition.AWAITING_REPAIR
    if roll < 0.95:
        return Condition.UNSERVICEABLE
    if roll < 0.97:
        return Condition.QUARANTINED
    return Condition.FOR_DISPOSAL


def _weapons(
    rng: random.Random,
    type_ids: list[int],
    racks: dict[str, list[tuple[int, int, int, RackKind]]],
    depot: int,
) -> tuple[list[dict[str, Any]], int]:
    serials = _Serials(rng)
    now = utcnow()
    long_guns = [i for i, t in enumerate(CATALOGUE) if t[2] not in _PISTOLS]
    pistols = [i for i, t in enumerate(CATALOGUE) if t[2] in _PISTOLS]
    collective = [i for i, t in enumerate(CATALOGUE) if t[2] in (C.GENERAL_PURPOSE_MACHINE_GUN,
                  C.HEAVY_MACHINE_GUN, C.ROCKET_LAUNCHER, C.LIGHT_MACHINE_GUN, C.GRENADE_LAUNCHER)]  # fmt: skip
    rifles = [i for i in long_guns if i not in collective]
    contingents = [(u[2], u[1]) for u in UNITS if u[2]]
    weapons: list[dict[str, Any]] = []

    def pick(choices: list[int]) -> int:
        return rng.choices(choices, weights=[CATALOGUE[i][7] for i in choices])[0]

    def fill(area: str, choices: list[int], fraction: float, register: Register) -> None:
        for rack_id, facility_id, slots, rack_kind in racks[area]:
            pool = pistols if rack_kind is RackKind.PISTOL_CABINET else choices
            for slot in range(1, slots + 1):
                if rng.random() > fraction:
                    continue
                index = pick(pool)
                years = CATALOGUE[index][6]
                weapon = {
                    "item_type_id": type_ids[index],
                    "type_index": index,
                    "serial": serials.new(index),
                    "year_of_manufacture": rng.randint(*years) if rng.random() > 0.1 else None,
                    "register": register,
                    "contingent_country": "",
                    "contingent_unit": "",
                    "recovered_on": None,
                    "recovered_place": "",
                    "recovered_circumstances": "",
                    "recovering_unit": "",
                    "case_reference": "",
                    "facility_id": facility_id,
                    "whereabouts": Whereabouts.IN_STORE,
                    "rack_id": rack_id,
                    "slot": slot,
                    "holder_id": None,
                    "condition": _condition(rng),
                    "notes": "",
                    "created_at": now,
                }
                if register is Register.CONTINGENT:
                    country, unit = rng.choice(contingents)
                    weapon["contingent_country"] = country
                    weapon["contingent_unit"] = unit
                if register in (Register.RECOVERED, Register.EVIDENCE):
                    day = date(2023, 1, 1) + timedelta(days=rng.randrange(900))
                    weapon.update(
                        recovered_on=day,
                        recovered_place=rng.choice(PLACES),
                        recovered_circumstances=rng.choice(CIRCUMSTANCES),
                        recovering_unit=rng.choice(RECOVERING_UNITS),
                        case_reference=f"PV-{day.year}-{rng.randrange(1, 999):04d}",
                        condition=rng.choice(
                            (Condition.QUARANTINED, Condition.UNSERVICEABLE, Condition.SERVICEABLE)
                        ),
                        notes=rng.choice(("", "", "Numéro de série partiellement limé", "Crosse manquante")),
                    )
                weapons.append(weapon)

    fill("MAG-A", rifles, 0.92, Register.NATIONAL)
    fill("MAG-B", collective + rifles[:3], 0.9, Register.NATIONAL)
    fill("ARM-1", pistols, 0.9, Register.NATIONAL)
    fill("CNT-R", rifles + pistols, 0.85, Register.RECOVERED)
    fill("CF", rifles + pistols, 0.7, Register.EVIDENCE)
    fill("ARM", rifles + collective, 0.95, Register.CONTINGENT)
    fill("CNT", rifles, 0.8, Register.RECOVERED)
    # A few near-collisions (a worn 0 read as O...), as real registers have them.
    look_alikes = 0
    for weapon in rng.sample(weapons[: len(weapons) // 2], 6):
        twin = serials.look_alike(weapon["type_index"], weapon["serial"])
        spare = _free_slot(weapons, racks["MAG-A"] + racks["MAG-B"])
        if twin is None or spare is None:
            continue
        weapons.append({**weapon, "serial": twin, "rack_id": spare[0], "slot": spare[1], "facility_id": depot,
                        "register": Register.NATIONAL, "contingent_country": "", "contingent_unit": "",
                        "notes": "Marquage usé"})  # fmt: skip
        look_alikes += 1
    for weapon in weapons:
        del weapon["type_index"]
        weapon["serial_key"] = serial_key(weapon["serial"])
        weapon["serial_skeleton"] = serial_skeleton(weapon["serial_key"])
    return weapons, look_alikes


def _free_slot(
    weapons: list[dict[str, Any]], racks: list[tuple[int, int, int, RackKind]]
) -> tuple[int, int] | None:
    taken = {(w["rack_id"], w["slot"]) for w in weapons}
    for rack_id, _facility, slots, _kind in racks:
        for slot in range(1, slots + 1):
            if (rack_id, slot) not in taken:
                return rack_id, slot
    return None
