"""Imports: validation of every row, all-or-nothing, dry run, skip-invalid, formats and French headers."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from armoury.db import Database
from armoury.domain.enums import Category, Condition, Register, Role, Whereabouts
from armoury.domain.serials import serial_key, serial_skeleton
from armoury.errors import PermissionDenied, ValidationError
from armoury.models import Facility, ItemType, Person, Rack, StorageArea, Unit, Weapon
from armoury.models.ledger import LedgerItem
from armoury.security.permissions import Actor
from armoury.services.import_rows import ImportIssue, fast_serial_key, fast_skeleton
from armoury.services.imports import import_file
from tests.helpers import create_user

DATA = Path(__file__).resolve().parents[1] / "data"
YEAR = date.today().year


def counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Facility, StorageArea, Rack, ItemType, Unit, Person, Weapon, LedgerItem)
        }


def copy(name: str, folder: Path) -> Path:
    target = folder / name
    shutil.copyfile(DATA / name, target)
    return target


@pytest.fixture
def store(sqlite_db: Database) -> Actor:
    return create_user(sqlite_db, "store", Role.STOREKEEPER)


def load_depot(db: Database, actor: Actor, items: bool = True) -> None:
    for kind, name in (
        ("locations", "locations.csv"),
        ("catalogue", "catalogue.csv"),
        ("people", "people.csv"),
    ):
        report = import_file(db, actor, kind, DATA / name)
        assert report.ok and report.written, report
    if items:
        report = import_file(db, actor, "items", DATA / "items_base.csv")
        assert report.ok and report.written == 2, report


def test_locations_people_and_catalogue_are_created(sqlite_db: Database, store: Actor) -> None:
    load_depot(sqlite_db, store, items=False)
    assert counts(sqlite_db) == {
        "Facility": 2,
        "StorageArea": 3,
        "Rack": 4,
        "ItemType": 3,
        "Unit": 2,
        "Person": 3,
        "Weapon": 0,
        "LedgerItem": 0,
    }
    with sqlite_db.read() as session:
        rack = session.scalar(select(Rack).where(Rack.code == "R02"))
        assert rack is not None and rack.slots == 10 and rack.area.code == "MAG-A"
        person = session.scalar(select(Person).where(Person.service_number == "ML-0002"))
        assert person is not None and person.unit is not None and person.unit.code == "1BIM"
    # Importing the same locations again changes nothing and says so.
    again = import_file(sqlite_db, store, "locations", DATA / "locations.csv")
    assert again.ok and again.written == 0
    assert [w.row for w in again.warnings] == [2, 3, 4, 5]


def test_bad_items_file_gives_the_exact_report_and_writes_nothing(sqlite_db: Database, store: Actor) -> None:
    load_depot(sqlite_db, store)
    before = counts(sqlite_db)
    report = import_file(sqlite_db, store, "items", DATA / "items_bad.csv")
    assert counts(sqlite_db) == before
    assert (report.rows, report.valid, report.written) == (15, 3, 0)
    assert report.errors == (
        ImportIssue(3, "serial", "The same serial is already on row 2."),
        ImportIssue(4, "serial", "Serial KT 4810 is already recorded for Izhmash AKM."),
        ImportIssue(6, "serial", "The serial number is empty."),
        ImportIssue(
            7, "model", "Unknown item type Walther P38: add it to the catalogue or fill in its category."
        ),
        ImportIssue(8, "rack_code", "Unknown rack R99 in facility DEP."),
        ImportIssue(9, "year", f"The year must be a whole number from 1800 to {YEAR}."),
        ImportIssue(10, "notes", "The cell looks like a spreadsheet formula."),
        ImportIssue(11, "slot", "Slot 11 is outside rack R02 (slots 1 to 10)."),
        ImportIssue(12, "slot", "Slot 1 of rack R01 is already taken."),
        ImportIssue(14, "facility_code", "Unknown facility XXX."),
        ImportIssue(15, "register", "Unknown register: borrowed."),
        ImportIssue(16, "contingent_country", "A contingent-owned weapon needs the contributing country."),
    )
    assert report.warnings == (
        ImportIssue(
            5,
            "serial",
            "Serial KT 481O looks like KT 4810, already recorded for this type. Check the marking on the weapon.",
        ),
    )
    assert not report.ok


def test_wrong_encoding_is_a_whole_file_error(sqlite_db: Database, store: Actor) -> None:
    load_depot(sqlite_db, store)
    before = counts(sqlite_db)
    with pytest.raises(ValidationError, match="not UTF-8") as raised:
        import_file(sqlite_db, store, "items", DATA / "items_latin1.csv")
    assert "line 2" in raised.value.message and "UTF-8" in raised.value.hint
    assert counts(sqlite_db) == before


def test_dry_run_validates_and_writes_nothing(sqlite_db: Database, store: Actor, tmp_path: Path) -> None:
    load_depot(sqlite_db, store)
    before = counts(sqlite_db)
    bad = import_file(sqlite_db, store, "items", copy("items_bad.csv", tmp_path), dry_run=True)
    assert len(bad.errors) == 12 and bad.written == 0 and bad.dry_run
    good = import_file(sqlite_db, store, "items", DATA / "items_fr_bom_semicolon.csv", dry_run=True)
    assert good.ok and good.valid == 2 and good.written == 0
    assert counts(sqlite_db) == before
    assert not (tmp_path / "items_bad.rejected.csv").exists()


def test_skip_invalid_writes_good_rows_and_saves_the_rejected(
    sqlite_db: Database, store: Actor, tmp_path: Path
) -> None:
    load_depot(sqlite_db, store)
    before = counts(sqlite_db)
    source = copy("items_bad.csv", tmp_path)
    report = import_file(sqlite_db, store, "items", source, skip_invalid=True)
    assert report.written == 3 and report.created == {"weapons": 3, "item_types": 1}
    after = counts(sqlite_db)
    assert after["Weapon"] == before["Weapon"] + 3 and after["ItemType"] == before["ItemType"] + 1
    assert after["LedgerItem"] == before["LedgerItem"] + 3
    rejected = tmp_path / "items_bad.rejected.csv"
    assert report.rejected_file == str(rejected)
    with rejected.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["serial"] for r in rows] == [
        "kt-5000", "KT4810", "", "P38-111", "AB100", "AB101", "AB104", "AB102", "AB103", "AB105", "AB106", "AB107",
    ]  # fmt: skip
    assert rows[0]["error"] == "serial: The same serial is already on row 2."
    assert rows[6]["notes"] == "'=1+1"  # the formula is neutralized in the rejected file too
    with sqlite_db.read() as session:
        beretta = session.scalar(select(ItemType).where(ItemType.model == "92"))
        assert beretta is not None and beretta.category is Category.PISTOL and beretta.country == "Italy"
        twin = session.scalar(select(Weapon).where(Weapon.serial == "KT 481O"))
        assert twin is not None and twin.rack is not None and (twin.rack.code, twin.slot) == ("R01", 4)
        assert twin.whereabouts is Whereabouts.IN_STORE and twin.facility.code == "DEP"
        assert twin.serial_key == serial_key("KT 481O") and twin.serial_skeleton == serial_skeleton("KT 481O")


def test_bom_semicolons_and_french_headers(sqlite_db: Database, store: Actor) -> None:
    load_depot(sqlite_db, store)
    report = import_file(sqlite_db, store, "items", DATA / "items_fr_bom_semicolon.csv")
    assert report.ok and report.written == 2 and report.warnings == ()
    with sqlite_db.read() as session:
        first = session.scalar(select(Weapon).where(Weapon.serial == "FR-001"))
        second = session.scalar(select(Weapon).where(Weapon.serial == "FR-002"))
        values = [
            (w.serial, w.register, w.condition, w.year_of_manufacture, w.notes) for w in (first, second) if w
        ]
    assert values == [
        ("FR-001", Register.NATIONAL, Condition.UNSERVICEABLE, 1980, "crédit, à voir"),
        ("FR-002", Register.RECOVERED, Condition.AWAITING_REPAIR, 2001, ""),
    ]


def test_header_variants_are_matched_without_case_accents_or_spaces(
    sqlite_db: Database, store: Actor, tmp_path: Path
) -> None:
    load_depot(sqlite_db, store)
    path = tmp_path / "items.csv"
    path.write_text(
        "NUMERO SERIE,fabricant,MODELE,code-site,Code ratelier,emplacement,etat,Colonne perso\n"
        "VAR-1,Izhmash,AKM,dep,r02,7,En bon état,x\n",
        encoding="utf-8",
    )
    report = import_file(sqlite_db, store, "items", path)
    assert report.ok and report.written == 1
    assert report.warnings == (ImportIssue(None, "Colonne perso", "Unknown column; it is ignored."),)


def test_missing_required_column_is_refused(sqlite_db: Database, store: Actor, tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("serial,model\nA1,AKM\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="manufacturer, facility_code, rack_code"):
        import_file(sqlite_db, store, "items", path)


def test_xlsx_items(sqlite_db: Database, store: Actor, tmp_path: Path) -> None:
    from openpyxl import Workbook

    load_depot(sqlite_db, store)
    book = Workbook()
    sheet = book.active
    sheet.append(["Numéro de série", "Fabricant", "Modèle", "Année", "Code site", "Code râtelier", "Emplacement",
                  "Registre", "Pays contingent", "Date récupération"])  # fmt: skip
    sheet.append(["X-1", "Izhmash", "AKM", 1981, "DEP", "R02", 3, "contingent", "Sénégal", None])
    sheet.append(["X-2", "FN Herstal", "FAL", 1970, "DEP", "R02", 4, "recovered", None, date(2024, 5, 17)])
    sheet.append(["X-3", "FN Herstal", "FAL", "=1900+70", "DEP", "R02", None, None, None, None])
    path = tmp_path / "items.xlsx"
    book.save(path)
    refused = import_file(sqlite_db, store, "items", path)
    assert refused.errors == (ImportIssue(4, "Année", "The cell looks like a spreadsheet formula."),)
    report = import_file(sqlite_db, store, "items", path, skip_invalid=True)
    assert report.written == 2
    with sqlite_db.read() as session:
        one = session.scalar(select(Weapon).where(Weapon.serial == "X-1"))
        two = session.scalar(select(Weapon).where(Weapon.serial == "X-2"))
        assert one is not None and (one.register, one.contingent_country, one.slot) == (
            Register.CONTINGENT,
            "Sénégal",
            3,
        )
        assert two is not None and two.recovered_on == date(2024, 5, 17) and two.year_of_manufacture == 1970


def test_locations_and_people_errors(sqlite_db: Database, store: Actor, tmp_path: Path) -> None:
    load_depot(sqlite_db, store, items=False)
    locations = tmp_path / "locations.csv"
    locations.write_text(
        "code_site;nom_site;type_site;code_zone;code_ratelier;emplacements\n"
        "NEW;;;Z1;R1;5\n"
        "DEP;;;MAG-A;R01;10\n"
        "DEP;;;MAG-A;R09;abc\n"
        "DEP;;;;R10;4\n"
        "DEP;;;MAG-C;R11;4\n"
        "DEP;;;MAG-C;R11;4\n",
        encoding="utf-8",
    )
    report = import_file(sqlite_db, store, "locations", locations)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "nom_site", "A new facility needs a name."),
        (
            2,
            "type_site",
            "A new facility needs a kind: national depot, unit armoury, police armoury, mission armoury or "
            "temporary storage.",
        ),
        (4, "emplacements", "The number of slots must be a whole number from 0 to 10000."),
        (5, "code_zone", "A rack needs the storage area it stands in."),
        (7, "code_ratelier", "The same rack is already on row 6."),
    ]
    assert [w.row for w in report.warnings] == [3]
    people = tmp_path / "people.csv"
    people.write_text(
        "matricule,nom,prénoms,grade,unité\nML-0001,Doublon,,,\nML-0100,,Awa,,\nML-0101,Sow,Awa,Sergent,GSP\n"
        "ml-0101,Sow,Awa,,\n",
        encoding="utf-8",
    )
    report = import_file(sqlite_db, store, "people", people)
    assert [(e.row, e.reason) for e in report.errors] == [
        (2, "This service number is already on the roster."),
        (3, "The surname is empty."),
        (5, "The same service number is already on row 4."),
    ]
    before = counts(sqlite_db)
    skipped = import_file(sqlite_db, store, "people", people, skip_invalid=True)
    assert skipped.written == 1 and counts(sqlite_db)["Person"] == before["Person"] + 1
    assert counts(sqlite_db)["Unit"] == before["Unit"] + 1


def test_import_needs_the_permission(sqlite_db: Database) -> None:
    auditor = create_user(sqlite_db, "audit", Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        import_file(sqlite_db, auditor, "locations", DATA / "locations.csv")
    assert counts(sqlite_db)["Facility"] == 0


def test_import_on_both_databases(any_db: Database) -> None:
    actor = create_user(any_db, "store", Role.STOREKEEPER)
    load_depot(any_db, actor)
    before = counts(any_db)
    bad = import_file(any_db, actor, "items", DATA / "items_bad.csv")
    assert len(bad.errors) == 12 and counts(any_db) == before
    good = import_file(any_db, actor, "items", DATA / "items_fr_bom_semicolon.csv")
    assert good.written == 2 and counts(any_db)["Weapon"] == before["Weapon"] + 2
    assert counts(any_db)["LedgerItem"] == before["LedgerItem"] + 2


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=20))
def test_fast_serial_key_matches_the_domain_rule_for_ascii(text: str) -> None:
    assert fast_serial_key(text) == serial_key(text)
    assert fast_skeleton(fast_serial_key(text)) == serial_skeleton(text)


@given(st.text(max_size=12))
def test_fast_serial_key_matches_the_domain_rule_for_any_text(text: str) -> None:
    assert fast_serial_key(text) == serial_key(text)
    assert fast_skeleton(fast_serial_key(text)) == serial_skeleton(text)


def test_look_alikes_and_slots_inside_one_file(sqlite_db: Database, store: Actor, tmp_path: Path) -> None:
    load_depot(sqlite_db, store)
    path = tmp_path / "items.csv"
    path.write_text(
        "serial,manufacturer,model,facility_code,rack_code,slot\n"
        "AB-1O0,FN Herstal,FAL,DEP,R02,5\n"
        "AB-100,FN Herstal,FAL,DEP,R02,5\n"
        "AB-100,Izhmash,AKM,DEP,R02,6\n",
        encoding="utf-8",
    )
    report = import_file(sqlite_db, store, "items", path, dry_run=True)
    assert report.errors == (ImportIssue(3, "slot", "Slot 5 of rack R02 is already given on row 2."),)
    # Same skeleton, different type: no warning for row 4; same type: a warning naming row 2.
    assert report.warnings == (
        ImportIssue(
            3, "serial", "Serial AB-100 looks like AB-1O0 on row 2. Check the marking on the weapon."
        ),
    )


def test_imported_weapons_are_found_by_search_and_the_search_trigger_is_back(any_db: Database) -> None:
    """The bulk path writes the search rows itself (SQLite) and restores the per-row trigger afterwards."""
    from armoury.services.browse import WeaponFilter, weapon_ids

    actor = create_user(any_db, "store", Role.STOREKEEPER)
    load_depot(any_db, actor)
    found = weapon_ids(any_db, actor, WeaponFilter(text="4810"))
    assert len(found) == 1
    if any_db.is_sqlite:
        with any_db.engine.connect() as connection:
            names = (
                connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                .scalars()
                .all()
            )
        assert "search_weapons_ai" in names


# --- the bulk path (armoury/db/search_index.py): index rebuild, checks at the end, all-or-nothing ------


def fresh_db(template: Path, path: Path) -> Database:
    shutil.copyfile(template, path)
    return Database(f"sqlite:///{path}")


def schema_objects(db: Database) -> list[tuple[str, str, str]]:
    with db.engine.connect() as connection:
        return [
            (kind, name, sql or "")
            for kind, name, sql in connection.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'weapons' ORDER BY name"
            )
        ]


def weapon_rows(db: Database) -> list[dict[str, object]]:
    """Every weapon with its take-on-charge item, all but the time it was written."""
    with db.engine.connect() as connection:
        result = connection.exec_driver_sql(
            "SELECT w.*, i.entry_seq, i.to_rack_id, i.to_slot FROM weapons AS w "
            "JOIN ledger_items AS i ON i.weapon_id = w.id ORDER BY w.id"
        )
        return [{k: v for k, v in row._mapping.items() if k != "created_at"} for row in result]


def many_items(path: Path, count: int) -> Path:
    """``count`` weapons on racks R01 (slots), P01 and M01 (no slots)."""
    lines = ["serial,manufacturer,model,facility_code,rack_code,slot,register,contingent_country"]
    for n in range(count):
        if n < 10:
            lines.append(f"AK-{n:04d},Izhmash,AKM,DEP,R01,{n + 1},national,")
        elif n % 2:
            lines.append(f"GL-{n:04d},Glock,17,DEP,P01,,contingent,Sénégal")
        else:
            lines.append(f"FAL {n:04d},FN Herstal,FAL,MIS,M01,,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_large_import_rebuilds_indexes_and_gives_the_same_result(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from armoury.db import search_index
    from armoury.services.ledger import verify_unchecked

    items = many_items(tmp_path / "items.csv", 60)
    results = []
    for name, threshold in (("row_by_row", 10**9), ("rebuilt", 1)):
        monkeypatch.setattr(search_index, "REBUILD_MIN_ROWS", threshold)
        db = fresh_db(sqlite_template, tmp_path / f"{name}.sqlite3")
        actor = create_user(db, "store", Role.STOREKEEPER)
        load_depot(db, actor, items=False)
        dropped: list[str] = []
        with db.engine.connect() as connection:
            dropped = [n for n, _sql in search_index._indexes_to_rebuild(connection, 60)]
        report = import_file(db, actor, "items", items)
        assert report.ok and report.written == 60
        assert verify_unchecked(db).ok
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        found = weapon_ids(db, actor, "GL-0011")
        results.append((dropped, schema_objects(db), weapon_rows(db), found))
        db.dispose()
    (none, schema_a, rows_a, found_a), (dropped, schema_b, rows_b, found_b) = results
    # The rebuild path dropped every non-unique index of weapons and put each back exactly.
    assert none == [] and "ix_weapons_serial_key" in dropped and "uq_weapons_rack_slot" not in dropped
    assert schema_a == schema_b
    # Same weapons, same take-on-charge items, same search hits.
    assert rows_a == rows_b and len(rows_a) == 60
    assert found_a == found_b and len(found_a) == 1


def weapon_ids(db: Database, actor: Actor, text: str) -> list[int]:
    from armoury.services.browse import WeaponFilter
    from armoury.services.browse import weapon_ids as search

    return list(search(db, actor, WeaponFilter(text=text)))


def test_failed_large_import_leaves_the_database_and_its_indexes_unchanged(
    sqlite_db: Database, store: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from armoury.db import search_index
    from armoury.services import import_weapons

    load_depot(sqlite_db, store, items=False)
    before, schema = counts(sqlite_db), schema_objects(sqlite_db)
    monkeypatch.setattr(search_index, "REBUILD_MIN_ROWS", 1)

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk is full")

    # The weapons are written, indexes dropped and checks off when the ledger entry fails.
    monkeypatch.setattr(import_weapons, "record_take_on_charge", fail)
    with pytest.raises(RuntimeError, match="disk is full"):
        import_file(sqlite_db, store, "items", many_items(tmp_path / "items.csv", 30))
    assert counts(sqlite_db) == before
    assert schema_objects(sqlite_db) == schema
    with sqlite_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA ignore_check_constraints").scalar() == 0
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


@pytest.mark.parametrize(
    ("column", "value", "refusal"),
    [
        ("year_of_manufacture", 1700, "year_range"),  # a CHECK constraint, checked at the end in bulk
        ("serial_key", "kt4810", "UNIQUE|unique|duplicate"),  # the unique index always stays
    ],
)
def test_the_database_still_refuses_what_validation_let_through(
    any_db: Database, monkeypatch: pytest.MonkeyPatch, column: str, value: object, refusal: str
) -> None:
    """Were validation ever to miss a bad row, the bulk path refuses it as a row-by-row insert would."""
    from sqlalchemy.exc import IntegrityError

    from armoury.db import search_index
    from armoury.services import imports
    from armoury.services.import_weapons import WEAPON_COLUMNS, validate_items

    actor = create_user(any_db, "store", Role.STOREKEEPER)
    load_depot(any_db, actor)
    before = counts(any_db)
    monkeypatch.setattr(search_index, "REBUILD_MIN_ROWS", 1)
    position = WEAPON_COLUMNS.index(column)

    def spoil(*args: object) -> None:
        validate_items(*args)  # type: ignore[arg-type]
        plan = args[-1]
        weapons = plan.data.weapons  # type: ignore[attr-defined]
        weapons[0] = (*weapons[0][:position], value, *weapons[0][position + 1 :])

    spec, _validate, write = imports._KINDS["items"]
    monkeypatch.setitem(imports._KINDS, "items", (spec, spoil, write))
    with pytest.raises(IntegrityError, match=refusal):
        import_file(any_db, actor, "items", DATA / "items_fr_bom_semicolon.csv")
    assert counts(any_db) == before
    if any_db.is_sqlite:
        with any_db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA ignore_check_constraints").scalar() == 0


@pytest.mark.parametrize(
    "conditions", [["serviceable"], ["serviceable"] * 3, ["serviceable", "unserviceable", "serviceable"]]
)
def test_the_driver_rows_store_what_a_core_insert_stores(
    sqlite_template: Path, tmp_path: Path, conditions: list[str]
) -> None:
    """Columns equal in every row go into the statement as literals, the others are bound: the stored
    values and their SQLite types are those of SQLAlchemy's own insert of the same rows."""
    from sqlalchemy import insert

    from armoury.models import utcnow
    from armoury.services.import_weapons import WEAPONS, insert_weapons

    now = utcnow()
    stored = []
    for name in ("driver", "core"):
        db = fresh_db(sqlite_template, tmp_path / f"{name}.sqlite3")
        load_depot(db, create_user(db, "store", Role.STOREKEEPER), items=False)
        with db.write() as session:
            rack = session.scalars(select(Rack).where(Rack.code == "P01")).one()
            item_type = session.scalars(select(ItemType)).first()
            assert item_type is not None
            rows = [
                {"item_type_id": item_type.id, "serial": f"X-{n}", "serial_key": f"X{n}",
                 "serial_skeleton": f"X{n}", "year_of_manufacture": None if n else 1987,
                 "register": Register.NATIONAL, "contingent_country": "", "contingent_unit": "",
                 "recovered_place": "", "recovered_circumstances": "", "recovering_unit": "",
                 "case_reference": "", "facility_id": rack.facility_id,
                 "whereabouts": Whereabouts.IN_STORE, "rack_id": rack.id, "slot": None, "holder_id": None,
                 "condition": Condition(condition), "notes": "l'arme « 1 »", "created_at": now}
                for n, condition in enumerate(conditions)
            ]  # fmt: skip
            if name == "driver":
                assert len(insert_weapons(session, rows)) == len(rows)
            else:
                session.execute(insert(WEAPONS), rows)
        with db.engine.connect() as connection:
            names = [c.name for c in WEAPONS.columns if c.name != "id"]
            columns = ", ".join(f"{c}, typeof({c})" for c in names)
            stored.append(connection.exec_driver_sql(f"SELECT {columns} FROM weapons ORDER BY serial").all())
        db.dispose()
    assert stored[0] == stored[1] and len(stored[0]) == len(conditions)
    assert [row[-4] for row in stored[0]] == ["l'arme « 1 »"] * len(conditions)  # notes, quote and all


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_the_delimiter_is_read_from_the_header_whatever_the_line_endings(ending: str) -> None:
    """Semicolons in the header win over the commas of French decimals in the rows below it."""
    from armoury.services.tabular import parse_csv_text

    table = parse_csv_text(ending.join(["serial;calibre", "1,5;2,5", "3,5;4,5", ""]))
    assert table.delimiter == ";"
    assert table.headers == ("serial", "calibre")
    assert [cells for _n, cells in table.rows] == [("1,5", "2,5"), ("3,5", "4,5")]
