"""``armoury import / export / demo / lookup`` through real subprocesses, with their exit codes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from armoury.db import Database
from armoury.domain.enums import Role
from tests.core.test_import import DATA, load_depot
from tests.helpers import TEST_PASSWORD, create_user


def armoury(*args: str, password: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARMOURY_LANG": "en"}
    if password:
        env["ARMOURY_PASSWORD"] = TEST_PASSWORD
    return subprocess.run(
        [sys.executable, "-m", "armoury", *args], capture_output=True, text=True, env=env, timeout=120
    )


def weapons(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        count: int = connection.execute("SELECT count(*) FROM weapons").fetchone()[0]
    return count


@pytest.fixture
def depot(sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "depot.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    # Locations, catalogue and roster in-process (tested in test_import.py); the weapons through the CLI.
    load_depot(db, create_user(db, "clerk", Role.STOREKEEPER), items=False)
    db.dispose()
    return path


def test_import_export_and_exit_codes(depot: Path, tmp_path: Path) -> None:
    db = str(depot)
    for kind, name in (
        ("locations", "locations.csv"),
        ("catalogue", "catalogue.csv"),
        ("items", "items_base.csv"),
    ):
        done = armoury("--db", db, "import", kind, str(DATA / name), "--user", "clerk")
        assert done.returncode == 0, done.stderr
    assert "Written: 2 records" in done.stdout and weapons(depot) == 2

    bad = tmp_path / "items_bad.csv"
    shutil.copyfile(DATA / "items_bad.csv", bad)
    refused = armoury("--db", db, "import", "items", str(bad), "--user", "clerk")
    assert refused.returncode == 3 and weapons(depot) == 2
    assert "row 3, column serial: The same serial is already on row 2." in refused.stdout
    assert "row 5, column serial: Serial KT 481O looks like KT 4810" in refused.stdout
    assert "Nothing was written" in refused.stdout

    dry = armoury("--db", db, "import", "items", str(bad), "--dry-run", "--user", "clerk", "--json")
    assert dry.returncode == 3 and weapons(depot) == 2
    report = json.loads(dry.stdout)
    assert report["dry_run"] and len(report["errors"]) == 12 and report["written"] == 0

    skipped = armoury("--db", db, "import", "items", str(bad), "--skip-invalid", "--user", "clerk")
    assert skipped.returncode == 0, skipped.stderr
    assert weapons(depot) == 5 and (tmp_path / "items_bad.rejected.csv").exists()

    encoding = armoury("--db", db, "import", "items", str(DATA / "items_latin1.csv"), "--user", "clerk")
    assert encoding.returncode == 3 and "not UTF-8" in encoding.stderr

    out = tmp_path / "export.xlsx"
    exported = armoury("--db", db, "export", "items", "-o", str(out), "--user", "clerk")
    assert exported.returncode == 0, exported.stderr
    assert "Exported 5 weapons" in exported.stdout and out.stat().st_size > 0


def test_demo_then_lookup(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.sqlite3")
    demo = armoury("--db", db, "demo", "--seed", "2", password=False)
    assert demo.returncode == 0, demo.stderr
    assert "Demo depot created" in demo.stdout
    with sqlite3.connect(db) as connection:
        serial = connection.execute("SELECT serial FROM weapons ORDER BY id LIMIT 1").fetchone()[0]
    found = armoury("--db", db, "lookup", serial.lower().replace(" ", "-"), "--json", password=False)
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert result["matched_by"] == "serial" and result["weapons"][0]["serial"] == serial
    text = armoury("--db", db, "lookup", serial, password=False)
    assert text.returncode == 0 and serial in text.stdout and "DCK" in text.stdout

    missing = armoury("--db", db, "lookup", "no-such-serial-42", password=False)
    assert missing.returncode == 4 and "No weapon has the serial or label" in missing.stderr
