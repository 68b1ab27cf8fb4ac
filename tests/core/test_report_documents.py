"""Every report of the catalogue builds in every format; the CLI runs them; tables never cut a row."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm

from armoury.db import Database
from armoury.errors import NotFoundError, ValidationError
from armoury.reports import catalogue
from armoury.reports.base import OutputFormat, read_csv_tables, write_report
from armoury.reports.style import ReportDocument, Section
from tests.core.test_reports_world import World, run_month
from tests.helpers import TEST_PASSWORD


def _params_for(world: World, name: str) -> dict[str, str]:
    spec = catalogue.find_report(name)
    wanted = {p.name for p in spec.parameters}
    params: dict[str, str] = {}
    if "facility" in wanted:
        params["facility"] = "F1"
    if "document" in wanted:
        params["document"] = {
            "hand-receipt": "HR-1",
            "transfer-voucher": "TV-1",
            "loss-report": "INC-1",
            "destruction-certificate": "DC-1",
        }[name]
    if "weapon" in wanted:
        params["weapon"] = next(iter(world.serials.values()))
    return params


@pytest.fixture
def busy_world(sqlite_db: Database) -> World:
    world, *_rest = run_month(sqlite_db, seed=20, before_ops=15, month_ops=30, after_ops=2)
    ops = {op.value for op, *_x in world.log}
    assert {"issue", "transfer_dispatch", "loss_report", "destroy"} <= ops
    return world


OWN_REPORTS = [
    s for s in catalogue.REPORTS if s.name not in ("count-sheet", "count-discrepancies", "inspection-report")
]


def test_every_report_builds_in_every_format(sqlite_db: Database, busy_world: World) -> None:
    for spec in OWN_REPORTS:
        report = catalogue.build_report(
            sqlite_db, busy_world.actor, spec.name, _params_for(busy_world, spec.name)
        )
        for fmt in spec.formats:
            buffer = io.BytesIO()
            write_report(report, fmt, buffer)
            assert buffer.getvalue(), (spec.name, fmt)
        pdf = io.BytesIO()
        write_report(report, OutputFormat.PDF, pdf)
        pages = PdfReader(io.BytesIO(pdf.getvalue())).pages
        for number, page in enumerate(pages, start=1):
            content = page.extract_text()
            assert f"Page {number} of {len(pages)}" in content, spec.name
            assert report.title in content
        # Every table fits its page as designed: no column is shrunk to make room.
        frame = ReportDocument.frame_width(report.landscape is not False) / mm
        for table in report.tables():
            designed = sum(c.width_mm for c in table.columns if c.pdf)
            assert designed <= frame + 0.1, (spec.name, table.name, designed, frame)
        data = json.loads(_bytes(report, OutputFormat.JSON))
        csv_tables = read_csv_tables(_bytes(report, OutputFormat.CSV).decode("utf-8"))
        assert {name: len(rows) for name, rows in data["tables"].items()} == {
            name: len(rows) for name, rows in csv_tables.items()
        }


def _bytes(report: object, fmt: OutputFormat) -> bytes:
    buffer = io.BytesIO()
    write_report(report, fmt, buffer)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_documents_list_their_weapons(sqlite_db: Database, busy_world: World) -> None:
    issued = [busy_world.serials[w] for op, w, _o, _n in busy_world.log if op.value == "issue"]
    report = catalogue.build_report(sqlite_db, busy_world.actor, "hand-receipt", {"document": "HR-1"})
    rows = json.loads(_bytes(report, OutputFormat.JSON))["tables"]["items"]
    assert [r["serial"] for r in rows] == issued
    destroyed = [busy_world.serials[w] for op, w, _o, _n in busy_world.log if op.value == "destroy"]
    certificate = catalogue.build_report(
        sqlite_db, busy_world.actor, "destruction-certificate", {"document": "DC-1"}
    )
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(_bytes(certificate, OutputFormat.PDF))).pages
    )
    for serial in destroyed:
        assert serial in text
    assert "Second witness" in text


def test_count_and_inspection_reports_are_in_the_catalogue(sqlite_db: Database, busy_world: World) -> None:
    names = {s.name for s in catalogue.REPORTS}
    assert {"count-sheet", "count-discrepancies", "inspection-report"} <= names
    assert catalogue.find_report("count-sheet").formats == (OutputFormat.PDF,)
    with pytest.raises((NotFoundError, ValidationError)):
        catalogue.build_report(sqlite_db, busy_world.actor, "count-sheet", {"count": "C-999999"})
    with pytest.raises((NotFoundError, ValidationError)):
        catalogue.build_report(sqlite_db, busy_world.actor, "inspection-report", {"inspection": "abc"})


def test_unknown_document_and_missing_parameter(sqlite_db: Database, busy_world: World) -> None:
    with pytest.raises(NotFoundError):
        catalogue.build_report(sqlite_db, busy_world.actor, "hand-receipt", {"document": "HR-999999"})
    with pytest.raises(ValidationError):
        catalogue.build_report(sqlite_db, busy_world.actor, "inventory", {})
    with pytest.raises(NotFoundError):
        catalogue.find_report("no-such-report")


def test_inventory_lists_every_weapon_in_store_once(sqlite_db: Database, busy_world: World) -> None:
    report = catalogue.build_report(sqlite_db, busy_world.actor, "inventory", {"facility": "F1"})
    data = json.loads(_bytes(report, OutputFormat.JSON))
    expected = sorted(
        busy_world.serials[w]
        for w, s in busy_world.states.items()
        if s.facility_id == busy_world.facilities[0] and s.whereabouts == "in_store"
    )
    assert sorted(r["serial"] for r in data["tables"]["in_store"]) == expected


def test_long_table_repeats_its_header_and_never_cuts_a_row(tmp_path: Path) -> None:
    rows: list[object] = []
    for n in range(400):
        if n % 50 == 0:
            rows.append(Section(f"Rack R-{n // 50:02d}"))
        long = "word " * (n % 7) * 6
        rows.append([f"S{n:05d}", f"first line {n}\nsecond line {n}" if n % 3 == 0 else long.strip(), n])
    path = tmp_path / "long.pdf"
    doc = ReportDocument(path, "Long listing", "Depot", "tester", "12:" + "a" * 64)
    doc.table(["Serial", "Text", "Number"], rows, [30, 100, 20], numeric_columns={2})  # type: ignore[arg-type]
    pages = doc.build()
    assert pages > 3
    seen: dict[str, int] = {}
    for number, page in enumerate(PdfReader(path).pages, start=1):
        lines = page.extract_text().splitlines()
        assert any(line.startswith("Serial Text Number") for line in lines), number
        for line in lines:
            if line.startswith("S") and line[1:6].isdigit():
                seen[line[:6]] = number
            if line.startswith(("first line", "second line")):
                n = int(line.split()[-1])
                # Both lines of a two-line cell are on the page of their row.
                assert seen[f"S{n:05d}"] == number
    assert len(seen) == 400


def _cli(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARMOURY_PASSWORD": TEST_PASSWORD, "ARMOURY_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-m", "armoury", "--db", str(db_path), "report", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_command_line(sqlite_db: Database, tmp_path: Path) -> None:
    world, start, _end, *_rest = run_month(sqlite_db, seed=8, month_ops=20)
    db_path = Path(str(sqlite_db.engine.url.database))
    listed = _cli(db_path, "--list")
    assert listed.returncode == 0 and "monthly-return" in listed.stdout and "hand-receipt" in listed.stdout

    month = start.strftime("%Y-%m")
    out = tmp_path / "return.json"
    done = _cli(db_path, "monthly-return", "--facility", "F1", "--month", month, "--format", "json",
                "-o", str(out), "--user", "store")  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["totals"]["closing"] == sum(
        1 for s in world.states.values()
        if s.facility_id == world.facilities[0] and s.whereabouts in ("in_store", "issued", "at_repair", "in_transit")
    )  # fmt: skip
    pdf = tmp_path / "inventory.pdf"
    done = _cli(db_path, "inventory", "--facility", "F1", "-o", str(pdf), "--user", "store")
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    french = tmp_path / "inventaire.pdf"
    env_fr = ("--lang", "fr")
    done = subprocess.run(
        [sys.executable, "-m", "armoury", *env_fr, "--db", str(db_path), "report", "inventory", "--facility", "F1",
         "-o", str(french), "--user", "store"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "ARMOURY_PASSWORD": TEST_PASSWORD},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    first_page = PdfReader(french).pages[0].extract_text()
    assert "Inventaire par emplacement" in first_page and "Page 1 sur" in first_page
    refused = _cli(db_path, "monthly-return", "--facility", "NOPE", "--format", "json", "--user", "store")
    assert refused.returncode == NotFoundError.exit_code and "NOPE" in refused.stderr
    no_user = _cli(db_path, "weapon-list", "--facility", "F1", "--format", "csv")
    assert no_user.returncode != 0 and "--user" in no_user.stderr

    from armoury.services.audit import list_events

    events = list_events(sqlite_db, world.actor)
    assert any(e.action == "report_printed" for e in events)
    assert any(e.action == "export" for e in events)


@pytest.mark.pg
def test_every_report_builds_on_postgresql(pg_db: Database) -> None:
    world, *_rest = run_month(pg_db, seed=21, before_ops=40, month_ops=80, after_ops=5)
    for spec in OWN_REPORTS:
        report = catalogue.build_report(pg_db, world.actor, spec.name, _params_for(world, spec.name))
        assert json.loads(_bytes(report, OutputFormat.JSON))["report"] == spec.name


def test_holdings_overdue_and_hand_receipt_from_a_real_issue(sqlite_db: Database) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from armoury.domain.enums import Role
    from armoury.services import custody
    from tests.helpers import create_user

    world, *_rest = run_month(sqlite_db, seed=40, before_ops=0, month_ops=0, after_ops=0)
    witness = create_user(sqlite_db, "witness", Role.COMMANDER)
    in_store = [
        w
        for w, s in world.states.items()
        if s.facility_id == world.facilities[0] and s.whereabouts == "in_store"
    ]
    serials = [world.serials[w] for w in in_store[:2]]
    done = custody.issue(
        sqlite_db,
        world.actor,
        serials,
        "SN1",
        due_back=datetime.now(UTC) + timedelta(hours=8),
        witnesses=[witness],
    )
    holdings = json.loads(
        _bytes(
            catalogue.build_report(sqlite_db, world.actor, "holdings", {"facility": "F1"}), OutputFormat.JSON
        )
    )
    assert sorted(r["serial"] for r in holdings["tables"]["holdings"]) == sorted(serials)
    assert {r["hand_receipt"] for r in holdings["tables"]["holdings"]} == {done.document_ref}
    receipt = catalogue.build_report(sqlite_db, world.actor, "hand-receipt", {"document": done.document_ref})
    text_pdf = PdfReader(io.BytesIO(_bytes(receipt, OutputFormat.PDF))).pages[0].extract_text()
    assert all(serial in text_pdf for serial in serials) and "TRAORÉ1" in text_pdf
    overdue = catalogue.build_report(sqlite_db, world.actor, "overdue-returns", {"facility": "F1"})
    assert json.loads(_bytes(overdue, OutputFormat.JSON))["tables"]["overdue"] == []
    with sqlite_db.write() as session:
        session.execute(
            text("UPDATE custody_loans SET due_back = :t"),
            {"t": (datetime.now(UTC) - timedelta(hours=30)).replace(tzinfo=None)},
        )
    overdue = catalogue.build_report(sqlite_db, world.actor, "overdue-returns", {"facility": "F1"})
    rows = json.loads(_bytes(overdue, OutputFormat.JSON))["tables"]["overdue"]
    assert sorted(r["serial"] for r in rows) == sorted(serials) and all(
        r["hours_overdue"] >= 29 for r in rows
    )


def test_a_year_prints_without_a_thousands_separator_and_stays_a_number_in_json() -> None:
    from armoury.reports.base import Column, ReportData, TableBlock

    columns = [Column("serial", "Serial", 30), Column("year", "Year", 15, numeric=True, grouped=False)]
    columns.append(Column("count", "Count", 15, numeric=True))
    report = ReportData(
        kind="test", title="Years", depot_name="Depot", generated_by="tester",
        blocks=[TableBlock(name="t", title="", columns=columns, rows=[["AK-1", 1961, 12345]])],
    )  # fmt: skip
    text = PdfReader(io.BytesIO(_bytes(report, OutputFormat.PDF))).pages[0].extract_text()
    assert "1961" in text and "1,961" not in text
    assert "12,345" in text  # other integers keep their separator
    assert json.loads(_bytes(report, OutputFormat.JSON))["tables"]["t"][0]["year"] == 1961
