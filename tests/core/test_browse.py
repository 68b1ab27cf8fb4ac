"""Browse queries: ids for a filter and an order, rows by id, substring search, the location tree."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from armoury.db import Database
from armoury.domain.enums import Category, Condition, Register, Role, Whereabouts
from armoury.models import Weapon
from armoury.security.permissions import Actor
from armoury.services import browse, catalogue, locations, people, weapons
from armoury.services.browse import NodeKind, WeaponFilter, WeaponSort
from armoury.services.catalogue import ItemTypeData
from armoury.services.locations import AreaData, FacilityData, RackData
from armoury.services.people import PersonData
from armoury.services.weapons import WeaponData
from tests.helpers import create_user


@pytest.fixture
def depot(any_db: Database) -> tuple[Database, Actor, dict[str, int]]:
    db = any_db
    admin = create_user(db, "admin", Role.ADMINISTRATOR)
    f1 = locations.create_facility(db, admin, FacilityData("DEP-01", "Central"))
    f2 = locations.create_facility(db, admin, FacilityData("ARM-02", "Unit armoury"))
    a1 = locations.create_area(db, admin, AreaData(f1.id, "B1", "Building"))
    a2 = locations.create_area(db, admin, AreaData(f2.id, "R1", "Room"))
    r1 = locations.create_rack(db, admin, RackData(a1.id, "R01"))
    r2 = locations.create_rack(db, admin, RackData(a1.id, "R02"))
    r3 = locations.create_rack(db, admin, RackData(a2.id, "P01"))
    ak = catalogue.create_item_type(db, admin, ItemTypeData(Category.ASSAULT_RIFLE, "Kalashnikov", "AK-47"))
    glock = catalogue.create_item_type(db, admin, ItemTypeData(Category.PISTOL, "Glock", "17"))
    holder = people.create_person(db, admin, PersonData("ML-77", "Diarra", "Moussa", "Cpl"))
    ids: dict[str, int] = {"f1": f1.id, "f2": f2.id, "a1": a1.id, "r1": r1.id, "r2": r2.id, "r3": r3.id}
    for serial, item, rack in (
        ("KX-100", ak.id, r1.id),
        ("KX-200", ak.id, r1.id),
        ("AB-300", ak.id, r2.id),
        ("GL-555", glock.id, r3.id),
    ):
        ids[serial] = weapons.create_weapon(db, admin, WeaponData(item, serial, rack_id=rack)).id
    with db.write() as session:
        session.execute(
            update(Weapon)
            .where(Weapon.id == ids["AB-300"])
            .values(whereabouts=Whereabouts.ISSUED, holder_id=holder.id, condition=Condition.AWAITING_REPAIR)
        )
    return db, admin, ids


def _ids(db: Database, actor: Actor, **kwargs: object) -> list[int]:
    sort = kwargs.pop("sort", WeaponSort.SERIAL)
    return list(browse.weapon_ids(db, actor, WeaponFilter(**kwargs), sort))  # type: ignore[arg-type]


def test_search_on_serial_make_model_and_holder(depot: tuple[Database, Actor, dict[str, int]]) -> None:
    db, admin, ids = depot
    assert _ids(db, admin, text="x-1") == [ids["KX-100"]]
    assert _ids(db, admin, text="kx") == [ids["KX-100"], ids["KX-200"]]  # short: serial prefix
    assert _ids(db, admin, text="kx100") == [ids["KX-100"]]  # normalized serial
    assert _ids(db, admin, text="lashni") == [ids["AB-300"], ids["KX-100"], ids["KX-200"]]
    assert _ids(db, admin, text="diarra") == [ids["AB-300"]]
    assert _ids(db, admin, text="glock") == [ids["GL-555"]]
    assert _ids(db, admin, text='nothing "here') == []
    assert _ids(db, admin, text="100%") == []


def test_search_index_follows_changes(depot: tuple[Database, Actor, dict[str, int]]) -> None:
    db, admin, ids = depot
    detail = weapons.get_weapon(db, admin, ids["KX-100"])
    weapons.update_weapon(db, admin, detail.id, WeaponData(detail.item_type_id, "QQ-987"))
    assert _ids(db, admin, text="QQ-98") == [ids["KX-100"]]
    assert _ids(db, admin, text="KX-10") == []


def test_filters_and_sorts(depot: tuple[Database, Actor, dict[str, int]]) -> None:
    db, admin, ids = depot
    assert _ids(db, admin, facility_id=ids["f2"]) == [ids["GL-555"]]
    assert _ids(db, admin, area_id=ids["a1"]) == [ids["AB-300"], ids["KX-100"], ids["KX-200"]]
    assert _ids(db, admin, rack_id=ids["r1"]) == [ids["KX-100"], ids["KX-200"]]
    assert _ids(db, admin, category=Category.PISTOL) == [ids["GL-555"]]
    assert _ids(db, admin, whereabouts=Whereabouts.ISSUED) == [ids["AB-300"]]
    assert _ids(db, admin, condition=Condition.AWAITING_REPAIR) == [ids["AB-300"]]
    assert _ids(db, admin, register=Register.EVIDENCE) == []
    by_type = _ids(db, admin, sort=WeaponSort.ITEM_TYPE)
    assert by_type[0] == ids["GL-555"]
    for sort in WeaponSort:
        got = list(browse.weapon_ids(db, admin, WeaponFilter(), sort, descending=True))
        assert sorted(got) == sorted(ids[s] for s in ("KX-100", "KX-200", "AB-300", "GL-555"))
    assert browse.count_weapons(db, admin, WeaponFilter(text="kx")) == 2


def test_rows_by_id(depot: tuple[Database, Actor, dict[str, int]]) -> None:
    db, admin, ids = depot
    rows = browse.weapon_rows(db, admin, [ids["AB-300"], ids["GL-555"]])
    assert rows[ids["AB-300"]].holder == "Cpl DIARRA Moussa"
    assert rows[ids["GL-555"]].rack_code == "P01" and rows[ids["GL-555"]].facility_code == "ARM-02"
    assert rows[ids["GL-555"]].category is Category.PISTOL


def test_location_tree_counts(depot: tuple[Database, Actor, dict[str, int]]) -> None:
    db, admin, ids = depot
    nodes = {(n.kind, n.id): n for n in browse.location_tree(db, admin)}
    assert nodes[(NodeKind.FACILITY, ids["f1"])].weapons == 3
    assert nodes[(NodeKind.AREA, ids["a1"])].weapons == 3
    assert nodes[(NodeKind.RACK, ids["r1"])].weapons == 2
    assert nodes[(NodeKind.FACILITY, ids["f2"])].weapons == 1


def test_facility_restricted_user_sees_only_their_facility(
    depot: tuple[Database, Actor, dict[str, int]],
) -> None:
    db, admin, ids = depot
    clerk = Actor(admin.user_id, "clerk", Role.STOREKEEPER, frozenset({ids["f2"]}))
    assert _ids(db, clerk) == [ids["GL-555"]]
    assert {n.id for n in browse.location_tree(db, clerk) if n.kind is NodeKind.FACILITY} == {ids["f2"]}
    assert set(browse.weapon_rows(db, clerk, [ids["KX-100"], ids["GL-555"]])) == {ids["GL-555"]}


def test_roster(depot: tuple[Database, Actor, dict[str, int]]) -> None:
    db, admin, _unused = depot
    found = list(browse.person_ids(db, admin, "diar"))
    assert len(found) == 1
    row = browse.person_rows(db, admin, found)[found[0]]
    assert row.weapons_held == 1 and row.service_number == "ML-77"


def test_blocks_and_positions(depot: tuple[Database, Actor, dict[str, int]]) -> None:
    db, admin, ids = depot
    everything = list(browse.weapon_ids(db, admin))
    assert list(browse.weapon_ids(db, admin, offset=1, limit=2)) == everything[1:3]
    for position, ident in enumerate(everything):
        assert browse.weapon_position(db, admin, WeaponFilter(), WeaponSort.SERIAL, False, ident) == position
    total = len(everything)
    for offset in range(total):  # blocks near the end are read backwards: same ids, same order
        block = browse.weapon_ids(db, admin, WeaponFilter(), WeaponSort.SERIAL, False, offset, 2, total)
        assert list(block) == everything[offset : offset + 2]
    first, count = browse.first_weapon_ids(db, admin, WeaponFilter(text="kx"), WeaponSort.SERIAL, False, 1)
    assert count is None and list(first) == [ids["KX-100"]]  # more than one: left to count_weapons
    first, count = browse.first_weapon_ids(db, admin, WeaponFilter(), WeaponSort.SERIAL, False, 5)
    assert count == 4 and list(first) == everything  # fewer than the limit: counted
    by_id = list(browse.weapon_ids(db, admin, sort=WeaponSort.ID, descending=True))
    for position, ident in enumerate(by_id):
        assert browse.weapon_position(db, admin, WeaponFilter(), WeaponSort.ID, True, ident) == position
    by_type = list(browse.weapon_ids(db, admin, sort=WeaponSort.ITEM_TYPE))
    assert browse.weapon_position(db, admin, WeaponFilter(), WeaponSort.ITEM_TYPE, False, by_type[2]) == 2
    flt = WeaponFilter(text="kx")
    assert browse.weapon_position(db, admin, flt, WeaponSort.SERIAL, True, ids["KX-100"]) == 1
    assert browse.weapon_position(db, admin, flt, WeaponSort.SERIAL, True, ids["GL-555"]) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("glock", ["GL-555"]),  # a make alone (one item type: read in index order)
        ("lashni", ["AB-300", "KX-100", "KX-200"]),  # a make held by several weapons
        ("diarra", ["AB-300"]),  # a holder alone
        ("ML-77", ["AB-300"]),  # a holder's service number
        ("q7", []),  # short: no serial has it, no make or model contains it
        ("gl", ["GL-555"]),  # short: the serial prefix and the make both match the same weapon
        ("k", ["AB-300", "GL-555", "KX-100", "KX-200"]),  # short: serial prefix, "Kalashnikov", "Glock"
        ("x-2", ["KX-200"]),  # a serial fragment
        ("300", ["AB-300"]),
        ("zzz", []),
    ],
)
def test_every_kind_of_search_agrees_with_its_count_blocks_and_positions(
    depot: tuple[Database, Actor, dict[str, int]], text: str, expected: list[str]
) -> None:
    """Whichever kinds of hits a search has (serials, makes, holders, or several), the ids, the count,
    the first block and the positions tell the same story, in both directions."""
    db, admin, ids = depot
    flt = WeaponFilter(text=text)
    wanted = [ids[serial] for serial in sorted(expected)]  # in serial order (the serials sort as written)
    for descending in (False, True):
        found = list(browse.weapon_ids(db, admin, flt, WeaponSort.SERIAL, descending))
        assert found == (wanted[::-1] if descending else wanted)
        assert browse.count_weapons(db, admin, flt) == len(wanted)
        for limit in (1, 2, 10):
            first, count = browse.first_weapon_ids(db, admin, flt, WeaponSort.SERIAL, descending, limit)
            assert (list(first), count) == (found[:limit], len(wanted) if len(wanted) < limit else None)
        for position, ident in enumerate(found):
            assert browse.weapon_position(db, admin, flt, WeaponSort.SERIAL, descending, ident) == position
        by_type = list(browse.weapon_ids(db, admin, flt, WeaponSort.ITEM_TYPE, descending))
        assert sorted(by_type) == sorted(wanted)
