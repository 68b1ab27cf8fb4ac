"""Backups proven by restore: taken while another process writes, checked before anything is replaced;
foreign, corrupted or tampered files refused with the current database untouched; rotation; pg_dump."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.errors import AuthenticationError, DatabaseError, PermissionDenied
from armoury.models import User
from armoury.models.security import AuditEvent
from armoury.services import audit, backup
from armoury.services.audit import verify_audit_chain
from tests.helpers import TEST_PASSWORD, create_user

WRITER = textwrap.dedent(
    """
    import sys
    import time
    from armoury.db import Database
    from armoury.domain.enums import Role
    from armoury.security.permissions import Actor
    from armoury.services import audit
    db = Database(sys.argv[1])
    actor = Actor(user_id=99, username="writer", role=Role.STOREKEEPER)
    i = 0
    while True:
        audit.record(db, actor, "export", subject=f"row {i}", details={"n": i})
        i += 1
        time.sleep(0.002)  # a busy workstation, not a tight loop that starves every other writer
        if i == 20:
            print("ready", flush=True)
        if i >= 20 and sys.stdin.readable() and i % 10 == 0:
            import select
            if select.select([sys.stdin], [], [], 0)[0]:
                break
    print(i, flush=True)
    """
)


def _path(db: Database) -> Path:
    return Path(str(db.engine.url.database))


def _count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_backup_taken_while_another_process_writes_restores_and_verifies(
    sqlite_db: Database, tmp_path: Path
) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, sqlite_db.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as writer:
        assert writer.stdout is not None and writer.stdin is not None
        assert writer.stdout.readline().strip() == "ready"
        first = backup.backup_database(sqlite_db, admin, tmp_path / "one.sqlite3")
        second = backup.backup_database(sqlite_db, admin, tmp_path / "two.sqlite3")
        writer.stdin.write("stop\n")
        writer.stdin.flush()
        written = int(writer.stdout.readline())
        writer.wait(timeout=60)
    assert writer.returncode == 0
    for result in (first, second):
        check = backup.inspect_backup(result.path)
        assert check.audit.ok and check.audit.entries_checked >= 20
    assert second.path.stat().st_size >= first.path.stat().st_size
    total = _count(sqlite_db)
    assert total >= written + 2  # every row written, plus the two backups' own entries
    restored = backup.restore_database(sqlite_db, admin, second.path)
    assert restored.kept.exists()
    chain = verify_audit_chain(sqlite_db)
    assert chain.ok
    # The restored trail is the backup's, plus the restore's own entry.
    assert chain.entries_checked == restored.check.audit.entries_checked + 1
    kept = Database(f"sqlite:///{restored.kept}")
    try:
        assert _count(kept) == total
    finally:
        kept.dispose()


def _fingerprint(db: Database) -> tuple[list[tuple[object, ...]], list[str]]:
    with db.read() as session:
        people = [tuple(r) for r in session.execute(select(User.username, User.password_hash, User.active))]
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    return people, actions


def _corrupt(source: Path, target: Path) -> None:
    data = bytearray(source.read_bytes())
    for offset in range(4096 + 100, len(data), 4096):  # scribble over every page but the first
        data[offset : offset + 64] = b"\xff" * 64
    target.write_bytes(bytes(data))


def test_foreign_corrupted_tampered_and_newer_files_are_refused(sqlite_db: Database, tmp_path: Path) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    audit.record(sqlite_db, admin, "export", subject="before the backup")
    good = backup.backup_database(sqlite_db, admin, tmp_path / "good.sqlite3").path

    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database at all")
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    connection.close()
    corrupted = tmp_path / "corrupted.sqlite3"
    _corrupt(good, corrupted)
    tampered = tmp_path / "tampered.sqlite3"
    tampered.write_bytes(good.read_bytes())
    with sqlite3.connect(tampered) as connection:
        connection.execute("DROP TRIGGER audit_events_no_update")
        connection.execute("UPDATE audit_events SET actor_name = 'mallory' WHERE id = 1")
    connection.close()
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(good.read_bytes())
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.close()

    before = _fingerprint(sqlite_db)
    cases = [
        (text_file, "not an SQLite database"),
        (foreign, "no Armoury schema version"),
        (corrupted, "damaged|cannot be read|integrity"),
        (tampered, "Audit entry 1 was changed"),
        (newer, "newer version"),
    ]
    for path, message in cases:
        original = path.read_bytes()
        with pytest.raises(DatabaseError, match=message) as refused:
            backup.restore_database(sqlite_db, admin, path)
        assert "untouched" in refused.value.hint or "Nothing was changed" in refused.value.hint
        assert path.read_bytes() == original  # the candidate itself is never modified
    people, actions = _fingerprint(sqlite_db)
    assert people == before[0]
    assert actions == before[1] + ["restore_refused"] * len(cases)
    assert verify_audit_chain(sqlite_db).ok
    assert not list(_path(sqlite_db).parent.glob("*.before-restore-*"))


def test_backup_of_another_depot_needs_consent_and_restore_needs_permission(
    sqlite_db: Database, tmp_path: Path
) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    keeper = create_user(sqlite_db, "sam", Role.STOREKEEPER)
    made = backup.backup_database(sqlite_db, keeper, tmp_path / "by-keeper.sqlite3").path
    with pytest.raises(PermissionDenied, match="restore"):
        backup.restore_database(sqlite_db, keeper, made)
    with sqlite3.connect(made) as connection:
        connection.execute("UPDATE settings SET value = '\"another-depot\"' WHERE key = 'depot.id'")
    connection.close()
    with pytest.raises(DatabaseError, match="another depot"):
        backup.restore_database(sqlite_db, admin, made)
    assert (
        backup.restore_database(sqlite_db, admin, made, allow_other_depot=True).check.depot_id
        == "another-depot"
    )


def test_rotation_keeps_seven_daily_four_weekly_twelve_monthly() -> None:
    start = datetime(2025, 1, 1, 18, 0, tzinfo=UTC)
    stamps = [start + timedelta(days=d) for d in range(500)]
    keep = backup.backups_to_keep(stamps)
    newest = stamps[-1]
    assert all(newest - timedelta(days=d) in keep for d in range(7))
    weeks = {s.isocalendar()[:2] for s in keep}
    months = {(s.year, s.month) for s in keep}
    assert len(months) == 12 and len(weeks) >= 4
    assert len(keep) <= 7 + 4 + 12
    assert min(keep) > newest - timedelta(days=366)


def test_automatic_backup_at_most_daily_with_rotation(sqlite_db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "auto"
    day = datetime(2026, 1, 1, 17, 0, tzinfo=UTC)
    made = []
    for offset in range(10):
        moment = day + timedelta(days=offset)
        result = backup.automatic_backup(sqlite_db, folder=folder, now=lambda m=moment: m)
        assert result is not None
        made.append(result.path)
        again = backup.automatic_backup(sqlite_db, folder=folder, now=lambda m=moment: m + timedelta(hours=2))
        assert again is None
    names = sorted(p.name for p in folder.iterdir())
    # The newest of each of the last 7 days; the first three days' week and month keep a newer copy.
    assert names == [f"armoury-202601{d:02d}T170000Z.sqlite3" for d in range(4, 11)]
    assert made[-1].name in names and made[0].name not in names
    assert backup.inspect_backup(made[-1]).audit.ok


def test_no_password_in_database_or_backup_bytes(sqlite_db: Database, tmp_path: Path) -> None:
    from armoury.services import auth, users

    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    users.add_user(sqlite_db, admin, "nina", Role.INSPECTOR, TEST_PASSWORD)
    with pytest.raises(AuthenticationError):
        auth.authenticate(sqlite_db, "root", TEST_PASSWORD + "x")
    auth.authenticate(sqlite_db, "root", TEST_PASSWORD)
    result = backup.backup_database(sqlite_db, admin, tmp_path / "copy.sqlite3")
    audit.record(sqlite_db, admin, "export", subject="weapons.csv")
    for path in (_path(sqlite_db), result.path):
        data = path.read_bytes()
        assert TEST_PASSWORD.encode() not in data
        assert TEST_PASSWORD.encode("utf-16-le") not in data


def test_cli_backup_and_restore(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from armoury.cli.main import main

    create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    path = str(_path(sqlite_db))
    sqlite_db.dispose()
    env = {**os.environ, "ARMOURY_PASSWORD": TEST_PASSWORD}
    target = tmp_path / "cli.sqlite3"
    made = subprocess.run(
        [sys.executable, "-m", "armoury", "--db", path, "backup", "-o", str(target), "--user", "root"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert target.exists() and "Backup written" in made.stdout
    monkeypatch.setenv("ARMOURY_PASSWORD", TEST_PASSWORD)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\x00" * 8192)
    assert main(["--db", path, "restore", str(junk), "--user", "root"]) == 8
    assert "not an SQLite database" in capsys.readouterr().err
    assert main(["--db", path, "restore", "--check", str(target)]) == 0
    assert "The backup is sound" in capsys.readouterr().out
    assert main(["--db", path, "restore", str(target), "--user", "root"]) == 0
    assert "was kept as" in capsys.readouterr().out


@pytest.mark.pg
def test_pg_dump_backup_restores_into_a_new_database_and_verifies(
    pg_db: Database, tmp_path: Path, pg_server: object
) -> None:
    from armoury.db.engine import make_engine

    if backup.find_pg_tool("pg_dump") is None or backup.find_pg_tool("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore not installed")
    import threading

    admin = create_user(pg_db, "root", Role.ADMINISTRATOR)
    audit.record(pg_db, admin, "export", subject="x")
    stop = threading.Event()

    def write() -> None:  # another workstation keeps appending while pg_dump runs
        while not stop.is_set():
            audit.record(pg_db, admin, "export", subject="meanwhile")

    writer = threading.Thread(target=write)
    writer.start()
    try:
        result = backup.backup_database(pg_db, admin, tmp_path / "depot.dump")
    finally:
        stop.set()
        writer.join()
    assert result.kind == "pg_dump" and result.path.read_bytes().startswith(b"PGDMP")
    assert TEST_PASSWORD.encode() not in result.path.read_bytes()
    with pytest.raises(DatabaseError, match="PostgreSQL dump"):
        backup.inspect_backup(result.path)
    url = pg_server.url("postgres")  # type: ignore[attr-defined]
    admin_engine = make_engine(url, isolation_level="AUTOCOMMIT")
    name = f"restored_{os.getpid()}"
    with admin_engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    admin_engine.dispose()
    target_url = pg_server.url(name)  # type: ignore[attr-defined]
    args, env = backup._libpq_environment(target_url)
    done = subprocess.run(
        [str(backup.find_pg_tool("pg_restore")), "--no-owner", *args, str(result.path)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    restored = Database(target_url)
    try:
        chain = verify_audit_chain(restored)
        assert chain.ok and chain.entries_checked >= 1
    finally:
        restored.dispose()
