"""Lookup: a serial typed any way, several item types with one serial, labels, and unknown text."""

from __future__ import annotations

from pathlib import Path

import pytest

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.errors import NotFoundError
from armoury.labels.payload import LabelKind, encode
from armoury.labels.resolver import depot_code
from armoury.services.imports import import_file
from armoury.services.lookup import lookup
from tests.core.test_import import load_depot
from tests.helpers import create_user


@pytest.fixture
def db(sqlite_db: Database, tmp_path: Path) -> Database:
    actor = create_user(sqlite_db, "store", Role.STOREKEEPER)
    load_depot(sqlite_db, actor)
    # The same serial on two item types: serials are unique per manufacturer and model only.
    path = tmp_path / "twins.csv"
    path.write_text(
        "serial,manufacturer,model,facility_code,rack_code,slot\nKT 4810,FN Herstal,FAL,DEP,R02,1\n",
        encoding="utf-8",
    )
    assert import_file(sqlite_db, actor, "items", path).written == 1
    return sqlite_db


def test_serial_typed_any_way_finds_every_item_type(db: Database) -> None:
    result = lookup(db, None, "  kt-48.10 ")
    assert result.matched_by == "serial"
    assert [(w.serial, w.item_type) for w in result.weapons] == [
        ("KT 4810", "FN Herstal FAL"),
        ("KT 4810", "Izhmash AKM"),
    ]
    first = result.weapons[1]
    assert (first.facility_code, first.rack_code, first.slot, first.whereabouts) == (
        "DEP",
        "R01",
        1,
        "In store",
    )
    assert result.as_dict()["weapons"][0]["serial"] == "KT 4810"


def test_lookup_as_a_user_is_limited_to_their_facilities(db: Database) -> None:
    from dataclasses import replace

    store = create_user(db, "other", Role.STOREKEEPER)
    assert len(lookup(db, store, "KT4810").weapons) == 2
    limited = replace(store, facility_ids=frozenset({999}))
    with pytest.raises(NotFoundError):
        lookup(db, limited, "KT4810")


def test_label_content_finds_the_weapon_or_names_the_record(db: Database) -> None:
    code = depot_code(db)
    found = lookup(db, None, encode(LabelKind.WEAPON, 2, code))
    assert found.matched_by == "label" and [w.serial for w in found.weapons] == ["GL-0001"]
    rack = lookup(db, None, encode(LabelKind.RACK, 1, code))
    assert rack.weapons == () and rack.label_kind == "rack" and "R01" in rack.label_text


def test_unknown_text_is_not_found(db: Database) -> None:
    with pytest.raises(NotFoundError) as raised:
        lookup(db, None, "ZZ-0000")
    assert raised.value.exit_code == 4 and "ZZ-0000" in raised.value.message
