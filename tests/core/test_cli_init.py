"""``armoury init`` and the command frame, through real subprocesses."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def armoury(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "armoury", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_init_creates_then_reports_up_to_date(tmp_path: Path) -> None:
    db = tmp_path / "depot.sqlite3"
    first = armoury("--db", str(db), "init")
    assert first.returncode == 0, first.stderr
    assert "Created the Armoury database" in first.stdout
    second = armoury("--db", str(db), "init")
    assert second.returncode == 0 and "up to date" in second.stdout


def test_database_from_environment_variable(tmp_path: Path) -> None:
    db = tmp_path / "env.sqlite3"
    result = armoury("init", env={"ARMOURY_DB": str(db)})
    assert result.returncode == 0, result.stderr
    assert db.exists()


def test_init_refuses_a_newer_schema_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "future.sqlite3"
    assert armoury("--db", str(db), "init").returncode == 0
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    result = armoury("--db", str(db), "init")
    assert result.returncode == 8
    assert "newer version of Armoury" in result.stderr and "Nothing was changed" in result.stderr


def test_init_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.sqlite3"
    bogus.write_bytes(b"this is not a database, just text" * 100)
    before = bogus.read_bytes()
    result = armoury("--db", str(bogus), "init")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert bogus.read_bytes() == before


def test_messages_follow_the_language(tmp_path: Path) -> None:
    db = tmp_path / "fr.sqlite3"
    result = armoury("--db", str(db), "init", env={"ARMOURY_LANG": "fr"})
    assert "Base de données Armoury créée" in result.stdout
    result = armoury("--lang", "en", "--db", str(db), "init", env={"ARMOURY_LANG": "fr"})
    assert "up to date" in result.stdout
