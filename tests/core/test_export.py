"""Exports: the import's columns, formulas neutralized, and an export imports again identically."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.errors import NotFoundError, PermissionDenied
from armoury.models import Facility, Weapon
from armoury.security.permissions import Actor
from armoury.services.exports import ITEM_EXPORT_COLUMNS, export_items
from armoury.services.imports import import_file
from tests.core.test_import import DATA, load_depot
from tests.helpers import create_user


def fresh_db(template: Path, folder: Path, name: str) -> Database:
    path = folder / f"{name}.sqlite3"
    shutil.copyfile(template, path)
    return Database(f"sqlite:///{path}")


@pytest.fixture
def depot(sqlite_db: Database) -> tuple[Database, Actor]:
    actor = create_user(sqlite_db, "store", Role.STOREKEEPER)
    load_depot(sqlite_db, actor)
    assert import_file(sqlite_db, actor, "items", DATA / "items_fr_bom_semicolon.csv").written == 2
    # Dangerous text typed in a form (not through an import): it must leave as text, not as a formula.
    with sqlite_db.write() as session:
        weapon = session.scalar(select(Weapon).where(Weapon.serial == "FR-002"))
        assert weapon is not None
        weapon.notes = '=HYPERLINK("http://example.invalid","x")'
        weapon.recovered_place = "@SUM(A1)"
        weapon.case_reference = "-12"
        weapon.recovering_unit = "+Brigade"
    return sqlite_db, actor


def test_csv_export_neutralizes_formulas(depot: tuple[Database, Actor], tmp_path: Path) -> None:
    db, actor = depot
    target = tmp_path / "items.csv"
    report = export_items(db, actor, target, "csv")
    assert report.rows == 4
    text = target.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == ",".join(ITEM_EXPORT_COLUMNS)
    for cell in ("'=HYPERLINK", "'@SUM(A1)", "'-12", "'+Brigade"):
        assert cell in text
    assert ",=" not in text and ",@" not in text and ",+" not in text and ",-1" not in text


def test_xlsx_export_cells_are_text_not_formulas(depot: tuple[Database, Actor], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    db, actor = depot
    target = tmp_path / "items.xlsx"
    export_items(db, actor, target, "xlsx")
    sheet = load_workbook(target).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert '\'=HYPERLINK("http://example.invalid","x")' in [cell.value for cell in cells]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_imports_again_identically(
    depot: tuple[Database, Actor], sqlite_template: Path, tmp_path: Path, fmt: str
) -> None:
    db, actor = depot
    first = tmp_path / f"first.{fmt}"
    export_items(db, actor, first, fmt)
    empty = fresh_db(sqlite_template, tmp_path, "empty")
    try:
        other = create_user(empty, "store", Role.STOREKEEPER)
        assert import_file(empty, other, "locations", DATA / "locations.csv").ok
        report = import_file(empty, other, "items", first)
        assert report.ok and report.written == 4 and report.created["item_types"] == 2
        again = tmp_path / "again.csv"
        export_items(empty, other, again, "csv")
    finally:
        empty.dispose()
    reference = tmp_path / "reference.csv"
    export_items(db, actor, reference, "csv")
    assert again.read_bytes() == reference.read_bytes()


def test_json_export_and_facility_filter(depot: tuple[Database, Actor], tmp_path: Path) -> None:
    db, actor = depot
    target = tmp_path / "items.json"
    assert export_items(db, actor, target, "json").rows == 4
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert [r["serial"] for r in rows] == ["GL-0001", "FR-002", "KT 4810", "FR-001"]
    assert rows[1]["notes"].startswith("=HYPERLINK") and rows[3]["year"] == 1980 and rows[3]["slot"] == 1
    assert set(rows[0]) == set(ITEM_EXPORT_COLUMNS)
    assert export_items(db, actor, tmp_path / "mis.json", "json", facility_code="MIS").rows == 0
    with pytest.raises(NotFoundError):
        export_items(db, actor, tmp_path / "x.json", "json", facility_code="NOPE")


def test_export_is_limited_to_the_users_facilities(depot: tuple[Database, Actor], tmp_path: Path) -> None:
    db, actor = depot
    with db.read() as session:
        mission = session.scalar(select(Facility.id).where(Facility.code == "MIS"))
    assert mission is not None
    limited = replace(actor, facility_ids=frozenset({mission}))
    assert export_items(db, limited, tmp_path / "all.csv", "csv").rows == 0
    with pytest.raises(PermissionDenied):
        export_items(db, limited, tmp_path / "dep.csv", "csv", facility_code="DEP")
    assert not (tmp_path / "dep.csv").exists()
