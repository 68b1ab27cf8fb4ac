"""Resolving labels against the database, the print log, products, corrections, and the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from sqlalchemy import text, update

from armoury.db import Database
from armoury.db.engine import make_engine
from armoury.db.schema import init_database
from armoury.domain.enums import Role
from armoury.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from armoury.labels.payload import ForeignLabelError, LabelKind, NotALabelError, UnreadableLabelError, encode
from armoury.labels.render import LabelRunCancelled
from armoury.labels.resolver import LabelTarget, depot_code, resolve
from armoury.models import Setting
from armoury.services import labels
from tests.core.test_labels_depot import build_depot
from tests.helpers import TEST_PASSWORD, create_user

US_TO_AZERTY = str.maketrans("1234567890", "&é\"'(-è_çà")


def test_resolve_every_kind_and_refuse_the_rest(any_db: Database) -> None:
    depot = build_depot(any_db, weapons=3, people=2)
    code = depot_code(any_db)
    for kind, record_id in depot.records():
        payload = encode(kind, record_id, code)
        target = resolve(any_db, payload)
        assert isinstance(target, LabelTarget)
        assert (target.kind, target.record_id) == (kind, record_id)
        assert target.display
        assert resolve(any_db, payload.translate(US_TO_AZERTY) + "\n") == target
    weapon = resolve(any_db, encode(LabelKind.WEAPON, depot.weapon_ids[1], code))
    assert "KA-000001" in weapon.display and weapon.facility_id == depot.facility_id
    with pytest.raises(NotALabelError, match="not an Armoury label"):
        resolve(any_db, "KA-000001")
    damaged = encode(LabelKind.WEAPON, depot.weapon_ids[0], code)[:-1] + "#"
    with pytest.raises(UnreadableLabelError, match="cannot be read"):
        resolve(any_db, damaged)
    with pytest.raises(ForeignLabelError, match="another depot"):
        resolve(any_db, encode(LabelKind.WEAPON, depot.weapon_ids[0], "B9C2" if code != "B9C2" else "C9B2"))
    with pytest.raises(NotFoundError, match="not in the records"):
        resolve(any_db, encode(LabelKind.WEAPON, 999_999, code))
    with pytest.raises(NotFoundError):
        resolve(any_db, encode(LabelKind.KEY, 1, code))  # no key register in this version


def test_depot_code_comes_from_the_setting(sqlite_db: Database) -> None:
    first = depot_code(sqlite_db)
    with sqlite_db.write() as session:
        session.execute(update(Setting).where(Setting.key == "depot.id").values(value=json.dumps("ab" * 16)))
    assert depot_code(sqlite_db) != first


def test_print_and_reprint_are_logged_in_the_record_history(sqlite_db: Database, tmp_path: Path) -> None:
    depot = build_depot(sqlite_db, weapons=6, people=1)
    keeper = create_user(sqlite_db, "keeper", Role.STOREKEEPER)
    product = labels.find_product(sqlite_db, keeper, "avery-l7160")
    records = labels.select_records(sqlite_db, keeper, depot.facility_code, rack="R-01")
    assert records and all(kind is LabelKind.WEAPON for kind, _id in records)
    first = labels.write_pdf(sqlite_db, keeper, records, product, tmp_path / "a.pdf", start=3, copies=2)
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    assert first.reprints == 0 and first.label_count == 2 * len(records)
    again = labels.write_pdf(sqlite_db, keeper, records[:1], product, tmp_path / "b.pdf")
    assert again.reprints == 1
    history = labels.print_history(sqlite_db, keeper, LabelKind.WEAPON, records[0][1])
    assert [(h.job_id, h.reprint, h.username, h.product) for h in history] == [
        (first.id, False, "keeper", "avery-l7160"),
        (again.id, True, "keeper", "avery-l7160"),
    ]
    assert labels.print_history(sqlite_db, keeper, LabelKind.PERSON, depot.person_ids[0]) == ()
    # The log is append-only in the database itself.
    with pytest.raises(Exception, match="append-only"), sqlite_db.write() as session:
        session.execute(text("DELETE FROM label_print_items"))


def test_cancelled_run_leaves_no_file_and_no_log(sqlite_db: Database, tmp_path: Path) -> None:
    depot = build_depot(sqlite_db, weapons=120, people=0)
    keeper = create_user(sqlite_db, "keeper", Role.STOREKEEPER)
    product = labels.find_product(sqlite_db, keeper, "avery-l7651")
    records = [(LabelKind.WEAPON, i) for i in depot.weapon_ids]
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(LabelRunCancelled):
        labels.write_pdf(sqlite_db, keeper, records, product, out / "x.pdf", progress=lambda d, t: d < 50)
    assert list(out.iterdir()) == []
    assert labels.print_history(sqlite_db, keeper, LabelKind.WEAPON, depot.weapon_ids[0]) == ()


def test_selection_by_serial_label_people_and_locations(sqlite_db: Database) -> None:
    depot = build_depot(sqlite_db, weapons=8, people=3)
    admin = create_user(sqlite_db, "admin", Role.ADMINISTRATOR)
    code = depot_code(sqlite_db)
    label = encode(LabelKind.WEAPON, depot.weapon_ids[2], code)
    chosen = labels.select_records(sqlite_db, admin, "dep-central", items=["ka 000001", label])
    assert chosen == [(LabelKind.WEAPON, depot.weapon_ids[1]), (LabelKind.WEAPON, depot.weapon_ids[2])]
    people = labels.select_records(sqlite_db, admin, "DEP-CENTRAL", people=True)
    assert [r for _k, r in people] == list(depot.person_ids)
    places = labels.select_records(sqlite_db, admin, "DEP-CENTRAL", locations=True)
    assert places[0] == (LabelKind.FACILITY, depot.facility_id)
    assert {k for k, _r in places} == {LabelKind.FACILITY, LabelKind.AREA, LabelKind.RACK}
    area = labels.select_records(sqlite_db, admin, "DEP-CENTRAL", area="B1")
    assert area and len(area) < len(depot.weapon_ids)
    with pytest.raises(NotFoundError, match="no facility"):
        labels.select_records(sqlite_db, admin, "NOPE")
    with pytest.raises(NotFoundError, match="no rack"):
        labels.select_records(sqlite_db, admin, "DEP-CENTRAL", rack="R-99")
    with pytest.raises(NotFoundError, match="serial"):
        labels.select_records(sqlite_db, admin, "DEP-CENTRAL", items=["ZZ-1"])
    with pytest.raises(NotFoundError):
        labels.label_contents(sqlite_db, admin, [(LabelKind.RACK, 999)])


def test_auditor_may_not_print_and_only_administrators_define_products(sqlite_db: Database) -> None:
    depot = build_depot(sqlite_db, weapons=1, people=0)
    auditor = create_user(sqlite_db, "audit", Role.AUDITOR)
    keeper = create_user(sqlite_db, "keeper", Role.STOREKEEPER)
    admin = create_user(sqlite_db, "admin", Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied):
        labels.select_records(sqlite_db, auditor, depot.facility_code)
    geometry = ((210.0, 297.0), (2, 8), (99.0, 33.9), (4.7, 13.1), (101.6, 33.9))
    with pytest.raises(PermissionDenied):
        labels.define_product(sqlite_db, keeper, "shop-16", "Shop labels", *geometry)
    product = labels.define_product(sqlite_db, admin, "Shop-16", "Shop labels", *geometry)
    assert product.name == "shop-16" and product.per_page == 16 and product.custom
    assert labels.find_product(sqlite_db, keeper, "shop-16") == product
    assert [p.name for p in labels.list_products(sqlite_db, keeper)][-1] == "shop-16"
    with pytest.raises(ConflictError):
        labels.define_product(sqlite_db, admin, "shop-16", "Again", *geometry)
    with pytest.raises(ValidationError, match="not possible"):
        labels.define_product(sqlite_db, admin, "bad", "Bad", (210.0, 297.0), (3, 8), (99.0, 33.9),
                              (4.7, 13.1), (101.6, 33.9))  # fmt: skip
    with pytest.raises(ValidationError, match="cannot be used"):
        labels.define_product(sqlite_db, admin, "avery-l7160", "Clash", *geometry)


def test_corrections_and_calibration_are_saved(sqlite_db: Database) -> None:
    keeper = create_user(sqlite_db, "keeper", Role.STOREKEEPER)
    assert labels.corrections_for(sqlite_db, "avery-l7160").margin_x == 0
    saved = labels.save_corrections(sqlite_db, keeper, "avery-l7160", 0.5, -0.25, 0.1, 0.0)
    assert (saved.margin_x, saved.margin_y, saved.gap_x) == (0.5, -0.25, 0.1)
    labels.save_printer_offset(sqlite_db, keeper, "Zebra GK420", 1.0, -1.5)
    both = labels.corrections_for(sqlite_db, "avery-l7160", "Zebra GK420")
    assert (both.margin_x, both.offset_x, both.offset_y) == (0.5, 1.0, -1.5)
    assert labels.corrections_for(sqlite_db, "avery-l7160").offset_x == 0
    with pytest.raises(ValidationError, match="out of range"):
        labels.save_corrections(sqlite_db, keeper, "avery-l7160", 20, 0, 0, 0)
    with pytest.raises(NotFoundError):
        labels.save_corrections(sqlite_db, keeper, "no-such", 0, 0, 0, 0)


def _run(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARMOURY_PASSWORD": TEST_PASSWORD, "ARMOURY_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-m", "armoury", "--db", str(db_path), *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_command_line_prints_a_pdf_that_scans_back(tmp_path: Path) -> None:
    path = tmp_path / "depot.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    init_database(engine)
    engine.dispose()
    db = Database(f"sqlite:///{path}")
    depot = build_depot(db, weapons=4, people=2)
    create_user(db, "keeper", Role.STOREKEEPER)
    db.dispose()
    out = tmp_path / "rack.pdf"
    done = _run(path, "labels", "--facility", "DEP-CENTRAL", "--rack", "R-01", "--product", "roll-62x29",
                "--copies", "2", "-o", str(out), "--user", "keeper", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["labels"] == 2 and summary["records"] == 1
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(out))
    assert len(document) == 2
    image = document[0].render(scale=203 / 72, grayscale=True).to_pil()
    payloads = [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCodeModel2)]
    document.close()
    db = Database(f"sqlite:///{path}")
    assert resolve(db, payloads[0]).record_id == depot.weapon_ids[0]
    db.dispose()

    listing = _run(path, "labels", "products", "--json")
    assert listing.returncode == 0, listing.stderr
    names = [p["name"] for p in json.loads(listing.stdout)]
    assert names[:7] == ["avery-l7160", "avery-l7163", "avery-l7651", "avery-5160",
                         "roll-50x25", "roll-62x29", "roll-100x50"]  # fmt: skip


def test_command_line_errors_corrections_and_calibration(
    sqlite_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from armoury.cli.main import main

    build_depot(sqlite_db, weapons=1, people=0)
    create_user(sqlite_db, "keeper", Role.STOREKEEPER)
    monkeypatch.setenv("ARMOURY_PASSWORD", TEST_PASSWORD)
    base = ["--db", sqlite_db.url, "labels"]
    assert main([*base, "--facility", "DEP-CENTRAL", "--product", "avery-9999", "-o",
                 str(tmp_path / "n.pdf"), "--user", "keeper"]) == 4  # fmt: skip
    assert "avery-l7160" in capsys.readouterr().err
    assert main([*base, "--facility", "DEP-CENTRAL"]) == 2
    assert "--product" in capsys.readouterr().err
    assert main([*base, "correct", "--product", "avery-l7160", "--margin-x", "0.5", "--user", "keeper"]) == 0
    assert main([*base, "calibrate", "--offset-y", "-1", "--user", "keeper"]) == 0
    assert labels.corrections_for(sqlite_db, "avery-l7160") == labels.Corrections(margin_x=0.5, offset_y=-1)
    assert main([*base, "products"]) == 0
    assert "roll-100x50" in capsys.readouterr().out


def test_print_log_is_append_only_on_both_databases(any_db: Database) -> None:
    depot = build_depot(any_db, weapons=2, people=0)
    keeper = create_user(any_db, "keeper", Role.STOREKEEPER)
    records = [(LabelKind.WEAPON, i) for i in depot.weapon_ids]
    contents = labels.label_contents(any_db, keeper, records)
    job = labels.record_print(any_db, keeper, labels.find_product(any_db, keeper, "roll-50x25"), contents)
    assert job.record_count == 2 and job.reprints == 0
    for statement in ("UPDATE label_print_jobs SET copies = 2", "DELETE FROM label_print_items"):
        with pytest.raises(Exception, match="append-only"), any_db.write() as session:
            session.execute(text(statement))
    again = labels.record_print(
        any_db, keeper, labels.find_product(any_db, keeper, "roll-50x25"), contents[:1]
    )
    assert again.reprints == 1
