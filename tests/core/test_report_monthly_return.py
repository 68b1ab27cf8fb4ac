"""The monthly stock return against an independent computation, and its four forms against each other."""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from armoury.db import Database
from armoury.domain.enums import Register, Role, Whereabouts
from armoury.errors import PermissionDenied
from armoury.models.ledger import LedgerOperation as Op
from armoury.reports import monthly_return as mr
from armoury.reports.base import OutputFormat, read_csv_tables, write_report
from armoury.reports.return_figures import grouped_items_sql
from tests.core.test_reports_world import FIGURES, run_month
from tests.helpers import create_user

SEEDS = int(os.environ.get("ARMOURY_TEST_SIZE", "3"))


def _computed(result: mr.MonthlyReturn) -> dict[tuple[str, int], dict[str, int]]:
    return {(ln.register.value, ln.item_type_id or 0): dict(ln.figures) for ln in result.lines}


@pytest.mark.parametrize("seed", range(SEEDS))
def test_return_matches_an_independent_computation(sqlite_db: Database, seed: int) -> None:
    world, start, end, opening, closing, period_log = run_month(sqlite_db, seed)
    for facility in world.facilities:
        result = mr.compute_monthly_return(sqlite_db, world.actor, world.codes[facility], start, end)
        expected = world.expected_return(facility, opening, closing, period_log)
        assert _computed(result) == expected
        assert result.reconciled
        for line in result.lines:
            assert line.expected_closing == line["closing"]
            assert line["closing"] == sum(
                line[k] for k in ("in_store", "on_issue", "at_repair", "in_transit")
            )
        assert len(result.lost) == sum(
            1
            for op, _w, old, _new in period_log
            if op.value == "loss_report" and old and old.facility_id == facility
        )


@pytest.mark.pg
def test_return_on_postgresql(pg_db: Database) -> None:
    world, start, end, opening, closing, period_log = run_month(pg_db, seed=11, month_ops=25)
    for facility in world.facilities:
        result = mr.compute_monthly_return(pg_db, world.actor, world.codes[facility], start, end)
        assert _computed(result) == world.expected_return(facility, opening, closing, period_log)


def test_a_change_of_the_books_that_is_no_movement_shows_as_a_mismatch(sqlite_db: Database) -> None:
    world, start, _end, *_rest = run_month(sqlite_db, seed=3, after_ops=0)
    facility = world.facilities[0]
    victim = next(
        w for w, s in world.states.items() if s.facility_id == facility and s.whereabouts == "in_store"
    )
    # A "condition change" that also takes the weapon off the books: no column explains it.
    before = world.states[victim]
    world.change(Op.CONDITION_CHANGE, victim, replace(before, whereabouts=Whereabouts.LOST, rack_id=None))
    result = mr.compute_monthly_return(
        sqlite_db, world.actor, world.codes[facility], start, datetime.now(UTC)
    )
    assert not result.reconciled
    assert sum(ln.difference for ln in result.mismatches) == -1
    report = mr.build_report(result, "tester")
    buffer = io.BytesIO()
    write_report(report, OutputFormat.PDF, buffer)
    content = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(buffer.getvalue())).pages)
    assert "WARNING: 1 line(s) do not reconcile" in content
    assert json.loads(_as_bytes(report, OutputFormat.JSON))["reconciled"] is False


@pytest.mark.parametrize("case", ["moved_to_another_facility", "received_while_on_the_books"])
def test_items_that_are_no_movement_or_change_no_balance_show_as_mismatches(
    sqlite_db: Database, case: str
) -> None:
    # The opening balance is computed from the items that may change the books only (the partial index
    # of migration 0009): an item outside the usual operations must still be read, and shown.
    world, start, _end, *_rest = run_month(sqlite_db, seed=6, after_ops=0)
    here, there = world.facilities[:2]
    victim = next(w for w, s in world.states.items() if s.facility_id == here and s.whereabouts == "in_store")
    before = world.states[victim]
    if case == "moved_to_another_facility":  # a "move" that changes the facility: no transfer explains it
        world.change(Op.MOVE, victim, replace(before, facility_id=there, rack_id=world.racks[there][0]))
        expected = {here: -1, there: 1}
    else:  # a "receipt" of a weapon already on the books: counted, but the balance does not change
        world.change(Op.RECEIVE, victim, replace(before, rack_id=world.racks[here][1]))
        expected = {here: -1, there: 0}
    for facility, difference in expected.items():
        result = mr.compute_monthly_return(
            sqlite_db, world.actor, world.codes[facility], start, datetime.now(UTC)
        )
        assert sum(ln.difference for ln in result.mismatches) == difference
        assert result.reconciled is (difference == 0)


def test_the_partial_index_holds_every_item_that_can_count() -> None:
    import importlib
    from itertools import product

    from armoury.domain.enums import TERMINAL_WHEREABOUTS
    from armoury.models.ledger import BOOKS_CHANGE_WHERE, BOOKS_MOVEMENT_OPERATIONS
    from armoury.reports import return_figures

    # The return's query ANDs the index's condition: an operation that counts, or a whereabouts on the books,
    # missing from it would silently drop items.
    for op in Op:
        if any(
            return_figures._movement_column(op.value, *flags) for flags in product((False, True), repeat=4)
        ):
            assert op.value in BOOKS_MOVEMENT_OPERATIONS
    for op in BOOKS_MOVEMENT_OPERATIONS:
        assert f"'{op}'" in BOOKS_CHANGE_WHERE
    on_books = [w.value for w in Whereabouts if w not in TERMINAL_WHEREABOUTS]
    assert BOOKS_CHANGE_WHERE.count(f"IN ({', '.join(repr(w) for w in on_books)})") == 2
    # The index the migration made is the one the model and the query describe, to the character.
    migration = importlib.import_module("armoury.migrations.versions.0009_books_changes_index")
    assert BOOKS_CHANGE_WHERE.format(p="") == migration._WHERE


def test_the_period_is_read_through_the_partial_index(sqlite_db: Database) -> None:
    from sqlalchemy import text

    # A new database has no ANALYZE statistics: the plan must still read the few items that may change the
    # books, not the month's items nor the facility's whole history.
    with sqlite_db.read() as session:
        sql = "EXPLAIN QUERY PLAN " + grouped_items_sql(True, changes_only=True)
        plan = session.execute(text(sql), {"f": 1, "a": 0, "b": 10}).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "ix_ledger_items_books_changes" in details, details


def _as_bytes(report: object, fmt: OutputFormat) -> bytes:
    buffer = io.BytesIO()
    write_report(report, fmt, buffer)  # type: ignore[arg-type]
    return buffer.getvalue()


def _pdf_lines(data: bytes) -> list[list[str]]:
    return [page.extract_text().splitlines() for page in PdfReader(io.BytesIO(data)).pages]


def test_pdf_json_and_csv_carry_the_same_numbers(sqlite_db: Database) -> None:
    world, start, end, *_rest = run_month(sqlite_db, seed=5, month_ops=60)
    facility = world.facilities[0]
    result = mr.compute_monthly_return(sqlite_db, world.actor, world.codes[facility], start, end)
    report = mr.build_report(result, "Store (store)")

    data = json.loads(_as_bytes(report, OutputFormat.JSON))
    assert set(FIGURES) <= set(data["totals"])
    assert data["totals"] == result.totals()
    for row, line in zip(data["rows"], result.lines, strict=True):
        assert {k: row[k] for k in FIGURES} == dict(line.figures)
    for register in result.registers:
        assert data["totals_by_register"][register.value] == result.totals(register)

    csv_tables = read_csv_tables(_as_bytes(report, OutputFormat.CSV).decode("utf-8"))
    csv_lines = [r for r in csv_tables["return"] if r["row_type"] == "line"]
    assert [{k: int(r[k]) for k in FIGURES} for r in csv_lines] == [dict(ln.figures) for ln in result.lines]
    csv_total = next(r for r in csv_tables["return"] if r["row_type"] == "total")
    assert {k: int(csv_total[k]) for k in FIGURES} == data["totals"]

    # The PDF: every line of the return is a text line ending with its 12 figures and the check.
    pages = _pdf_lines(_as_bytes(report, OutputFormat.PDF))
    text_lines = [line for page in pages for line in page]
    numbers_per_line = []
    for line in text_lines:
        match = re.search(r"(?:^|\s)((?:[\d,]+\s){12}[\d,]+)$", line)
        if match:
            numbers_per_line.append([int(n.replace(",", "")) for n in match.group(1).split()])
    expected_rows = []
    for register in result.registers:
        for ln in (x for x in result.lines if x.register == register):
            expected_rows.append([ln.figures[k] for k in FIGURES] + [ln.expected_closing])
        totals = result.totals(register)
        expected_rows.append([totals[k] for k in FIGURES] + [totals["closing"]])
    totals = result.totals()
    expected_rows.append([totals[k] for k in FIGURES] + [totals["closing"]])
    assert numbers_per_line == expected_rows


def test_every_page_has_page_x_of_y_and_the_checkpoint(sqlite_db: Database) -> None:
    world, start, end, *_rest = run_month(sqlite_db, seed=7)
    result = mr.compute_monthly_return(sqlite_db, world.actor, world.codes[world.facilities[0]], start, end)
    pages = _pdf_lines(_as_bytes(mr.build_report(result, "Store (store)"), OutputFormat.PDF))
    assert result.checkpoint.count(":") == 1
    for number, lines in enumerate(pages, start=1):
        content = "\n".join(lines)
        assert f"Page {number} of {len(pages)}" in content
        assert "Monthly stock return" in content
        assert result.checkpoint in content.replace("\n", "")
        assert "Generated " in content and " UTC (" in content


def test_xlsx_has_the_return_sheet(sqlite_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    world, start, end, *_rest = run_month(sqlite_db, seed=2, month_ops=15)
    result = mr.compute_monthly_return(sqlite_db, world.actor, world.codes[world.facilities[1]], start, end)
    path = tmp_path / "r.xlsx"
    write_report(mr.build_report(result, "x"), OutputFormat.XLSX, path)
    book = load_workbook(path, read_only=True)
    sheet = next(s for s in book.worksheets if s.title.startswith("Stock by register"))
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    total = next(r for r in rows if r[0] == "total")
    assert {k: total[header.index(k)] for k in FIGURES} == result.totals()
    book.close()


def test_auditor_may_run_it_but_not_outside_their_facilities(sqlite_db: Database) -> None:
    world, start, end, *_rest = run_month(sqlite_db, seed=9, month_ops=5)
    auditor = create_user(sqlite_db, "aud", Role.AUDITOR)
    result = mr.compute_monthly_return(sqlite_db, auditor, "F1", start, end)
    assert result.facility.code == "F1"
    from dataclasses import replace

    limited = replace(auditor, facility_ids=frozenset({world.facilities[1]}))
    with pytest.raises(PermissionDenied):
        mr.compute_monthly_return(sqlite_db, limited, "F1", start, end)


def test_empty_database_month(sqlite_db: Database) -> None:
    world, *_rest = run_month(sqlite_db, seed=4, before_ops=0, month_ops=0, after_ops=0)
    result = mr.compute_monthly_return(
        sqlite_db, world.actor, "F2", datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 2, 1, tzinfo=UTC)
    )
    assert result.lines == () and result.reconciled and result.first_seq > result.last_seq
    assert Register.NATIONAL not in result.registers


def test_last_count_and_open_investigations(sqlite_db: Database) -> None:
    from armoury.models.counts import Count, CountExpected, CountScan, CountType
    from armoury.models.ledger import Incident, IncidentWeapon

    world, start, end, *_rest = run_month(sqlite_db, seed=12, month_ops=10, after_ops=0)
    facility = world.facilities[0]
    weapons = [w for w, s in world.states.items() if s.facility_id == facility][:4]
    with sqlite_db.write() as session:
        kind = CountType(code="MONTHLY-T", name="Monthly full count (test)")
        session.add(kind)
        session.flush()
        count = Count(number="C-T-1", facility_id=facility, count_type_id=kind.id)
        session.add(count)
        session.flush()
        for weapon in weapons[:3]:
            session.add(CountExpected(count_id=count.id, weapon_id=weapon, rack_id=world.racks[facility][0]))
        session.add(CountScan(count_id=count.id, text="x", kind="weapon", weapon_id=weapons[0]))
        session.add(
            CountScan(count_id=count.id, text="x", kind="weapon", weapon_id=weapons[0], duplicate=True)
        )
        session.add(CountScan(count_id=count.id, text="y", kind="weapon", weapon_id=weapons[3]))
        session.add(CountScan(count_id=count.id, text="ZZZ", kind="unknown"))
        session.flush()
        count.status = "closed"  # type: ignore[assignment]
        count.finished_at = count.closed_at = start
        count.close_checkpoint = "1:" + "0" * 64
        session.flush()
        incident = Incident(
            number="INC-T-1", kind="stolen", facility_id=facility, occurred_at=start, place="Gate",
            circumstances="Break-in", report_seq=1,
        )  # fmt: skip
        session.add(incident)
        session.flush()
        session.add(IncidentWeapon(incident_id=incident.id, weapon_id=weapons[1]))
    result = mr.compute_monthly_return(sqlite_db, world.actor, world.codes[facility], start, end)
    assert result.last_count is not None
    last = result.last_count
    assert (last.number, last.expected, last.found, last.missing, last.unexpected) == ("C-T-1", 3, 1, 2, 2)
    assert [(i.number, i.weapons) for i in result.investigations] == [("INC-T-1", 1)]
    data = json.loads(_as_bytes(mr.build_report(result, "x"), OutputFormat.JSON))
    assert data["tables"]["last_count"][0]["missing"] == 2
    assert data["tables"]["investigations"][0]["number"] == "INC-T-1"
