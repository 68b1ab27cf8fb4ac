"""The inspection and checklist commands, through real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from armoury.db import Database
from armoury.security.permissions import SYSTEM_ACTOR
from armoury.services import checklists, inspections
from tests.core.test_inspection_support import make_depot
from tests.helpers import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _run(db: Database, *args: str, user: bool = False) -> subprocess.CompletedProcess[str]:
    path = db.url.removeprefix("sqlite:///")
    env = dict(os.environ, ARMOURY_PASSWORD=TEST_PASSWORD, ARMOURY_LANG="en")
    extra = ["--user", "inspector"] if user else []
    return subprocess.run(
        [sys.executable, "-m", "armoury", "--db", path, *args, *extra],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip


def test_checklist_list_export_import(sqlite_db: Database, tmp_path: Path) -> None:
    make_depot(sqlite_db)
    listed = _run(sqlite_db, "checklist", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert "physical-security\t1\tArmoury physical security" in lines and len(lines) == 5

    out = tmp_path / "daily.json"
    exported = _run(sqlite_db, "checklist", "export", "daily-armoury-check", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    data = json.loads(out.read_text("utf-8"))
    assert data["id"] == "daily-armoury-check"

    data["sections"][0]["questions"][0]["level"] = 7
    out.write_text(json.dumps(data), encoding="utf-8")
    refused = _run(sqlite_db, "checklist", "import", str(out), user=True)
    assert refused.returncode == 3
    assert 'question "DC-01": level must be 1, 2 or 3 (found 7)' in refused.stderr
    assert len(checklists.list_templates(sqlite_db, SYSTEM_ACTOR, all_versions=True)) == 5


def test_inspection_list_and_report(sqlite_db: Database, tmp_path: Path) -> None:
    depot = make_depot(sqlite_db)
    template = checklists.find_template(sqlite_db, depot.inspector, "daily-armoury-check")
    started = inspections.start_inspection(sqlite_db, depot.inspector, depot.facility_id, template.id)
    inspections.record_answer(sqlite_db, depot.inspector, started.id, "DC-01", "compliant")

    listed = _run(sqlite_db, "inspection", "list", "--facility", "ARM-1")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(f"{started.id}\t") and "daily-armoury-check v1" in listed.stdout

    pdf = tmp_path / "report.pdf"
    report = _run(sqlite_db, "inspection", "report", str(started.id), "-o", str(pdf), user=True)
    assert report.returncode == 0, report.stderr
    text = "".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)
    assert "Inspection report" in text and "not signed" in text
