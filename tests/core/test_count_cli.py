"""``armoury count ...`` through real subprocesses, PDFs, and a count killed in the middle (SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from armoury.db import Database
from armoury.errors import ConflictError
from armoury.services import count_reconcile as rec
from armoury.services import count_reports, counts
from armoury.services import count_scan as cs
from tests.core.test_count_world import World, build_world
from tests.helpers import TEST_PASSWORD


def armoury(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "armoury", "--db", db.url.removeprefix("sqlite:///"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ARMOURY_PASSWORD": TEST_PASSWORD, "ARMOURY_WITNESS_PASSWORD": TEST_PASSWORD},
        timeout=120,
    )


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_count_commands_from_start_to_report(sqlite_db: Database, tmp_path: Path) -> None:
    world = build_world(sqlite_db)
    started = armoury(sqlite_db, "count", "start", "--facility", "F1", "--rack", "R1", "R2", "--blind",
                      "--counter", "insp", "--user", "cmd")  # fmt: skip
    assert started.returncode == 0, started.stderr
    number = started.stdout.strip()
    assert number.startswith("CNT-")
    blind_sheet = tmp_path / "sheet.pdf"
    count_reports.write_report(sqlite_db, world.inspector, number, blind_sheet)
    text = _pdf_text(blind_sheet)
    assert "Count sheet (blind)" in text and "R1-2" not in text and "Rack R1" in text
    scanned = armoury(sqlite_db, "count", "scan", number, world.rack_label("R1"), "R1-1", "R1-1", "R2-2",
                      "--user", "insp")  # fmt: skip
    assert scanned.returncode == 0, scanned.stderr
    assert "DUP R1-1" in scanned.stdout
    status = armoury(sqlite_db, "count", "status", number, "--json", "--user", "cmd")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert [line["serial"] for line in data["lists"]["elsewhere"]] == ["R2-2"]
    assert {line["serial"] for line in data["lists"]["missing"]} == {"R1-2", "R1-3"}
    rec.finish_counting(sqlite_db, world.inspector, number)
    rec.resolve(sqlite_db, world.commander, number, weapon_id=world.weapons["R2-2"])
    with pytest.raises(ConflictError, match="--leave-open"):
        rec.close_count(sqlite_db, world.commander, number)
    closed = armoury(sqlite_db, "count", "close", number, "--leave-open", "investigation", "--user", "cmd")
    assert closed.returncode == 0, closed.stderr
    assert "checkpoint" in closed.stdout
    report = tmp_path / "discrepancies.pdf"
    assert armoury(sqlite_db, "count", "report", number, "-o", str(report), "--user", "cmd").returncode == 0
    text = _pdf_text(report)
    assert "Count discrepancy report" in text and "R1-2" in text and "investigation" in text
    assert [c.status.value for c in counts.list_counts(sqlite_db, world.commander)] == ["closed"]


def test_a_count_killed_mid_scan_keeps_every_scan_made(sqlite_db: Database) -> None:
    world: World = build_world(sqlite_db, per_rack=30)
    count = counts.start_count(sqlite_db, world.commander, counts.CountPlan("F1", "monthly"))
    codes = []
    for _round in range(6):
        for rack in ("R1", "R2", "R3"):
            codes.append(world.rack_label(rack))
            codes.extend(f"{rack}-{i}" for i in range(1, 31))
    process = subprocess.Popen(
        [sys.executable, "-m", "armoury", "--db", sqlite_db.url.removeprefix("sqlite:///"),
         "count", "scan", count.number, *codes, "--user", "cmd"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "ARMOURY_PASSWORD": TEST_PASSWORD},
    )  # fmt: skip
    assert process.stdout is not None
    printed = []
    while len(printed) < 40:
        line = process.stdout.readline()
        assert line, "the scanning process ended early"
        printed.append(line)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    # Restart: every scan reported before the kill is in the database, in order.
    lines = cs.scan_lines(sqlite_db, world.commander, count.number, limit=10_000)
    assert len(lines) >= len(printed) and len(lines) < len(codes)
    stored = [line.text for line in reversed(lines)]
    assert stored[: len(printed)] == codes[: len(printed)]
    # ... and the count resumes where it stopped.
    place = cs.current_place(sqlite_db, world.commander, count.number)
    assert place.startswith("rack R")
    resumed = cs.scan(sqlite_db, world.commander, count.number, "R2-5")
    assert resumed.scan_id is not None
