"""The audit trail: append-only (triggers), hash-chained, tampering found and named."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.security.permissions import Actor
from armoury.services import audit
from armoury.services.audit import entry_hash, verify_audit_chain

ACTOR = Actor(user_id=1, username="alice", role=Role.ADMINISTRATOR)


def _fill(db: Database, count: int = 6) -> None:
    for i in range(count):
        audit.record(db, ACTOR, "setting_changed", subject=f"key{i}", details={"old": i, "new": i + 1})


def _drop_triggers(db: Database) -> None:
    with db.engine.begin() as connection:
        if db.dialect == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_update ON audit_events")


def _sql(db: Database, *statements: str) -> None:
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_entries_are_numbered_chained_and_verify(any_db: Database) -> None:
    _fill(any_db)
    result = verify_audit_chain(any_db)
    assert result.ok and result.first_bad_entry is None and result.entries_checked == 6
    entries = audit.list_events(any_db, ACTOR, limit=3)
    assert [e.id for e in entries] == [6, 5, 4]
    assert entries[0].details == {"old": 5, "new": 6}
    assert result.head_hash == entries[0].entry_hash


def test_empty_trail_verifies(any_db: Database) -> None:
    assert verify_audit_chain(any_db).ok


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET subject = 'x' WHERE id = 2", "DELETE FROM audit_events WHERE id = 2"],
)
def test_triggers_refuse_update_and_delete(any_db: Database, statement: str) -> None:
    _fill(any_db, 3)
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(any_db, statement)
    assert verify_audit_chain(any_db).ok


def test_edited_entry_is_named(any_db: Database) -> None:
    _fill(any_db)
    _drop_triggers(any_db)
    _sql(any_db, 'UPDATE audit_events SET details = \'{"old": 9, "new": 9}\' WHERE id = 3')
    result = verify_audit_chain(any_db)
    assert (result.ok, result.first_bad_entry) == (False, 3)
    assert "3" in result.message and "changed" in result.message


def test_deleted_entry_is_found_at_the_next_one(any_db: Database) -> None:
    _fill(any_db)
    _drop_triggers(any_db)
    _sql(any_db, "DELETE FROM audit_events WHERE id = 3")
    result = verify_audit_chain(any_db)
    assert (result.ok, result.first_bad_entry) == (False, 4)
    assert "missing" in result.message


def test_inserted_entry_with_a_correct_own_hash_is_still_found(any_db: Database) -> None:
    _fill(any_db)
    _drop_triggers(any_db)
    with any_db.engine.begin() as connection:
        prev = connection.execute(text("SELECT entry_hash FROM audit_events WHERE id = 2")).scalar_one()
        occurred = connection.execute(text("SELECT occurred_at FROM audit_events WHERE id = 2")).scalar_one()
        # Make room at 3 by moving every later entry up one, then forge entry 3 with a hash that fits.
        connection.execute(text("UPDATE audit_events SET id = id + 1000 WHERE id >= 3"))
        connection.execute(text("UPDATE audit_events SET id = id - 999 WHERE id >= 1003"))
        moment = occurred if isinstance(occurred, datetime) else datetime.fromisoformat(occurred)
        forged = entry_hash(prev, 3, moment, "setting_changed", 1, "alice", None, "", "forged", None, "{}")
        connection.execute(
            text(
                "INSERT INTO audit_events (id, occurred_at, action, actor_user_id, actor_name, witness_user_id,"
                " witness_name, subject, facility_id, details, prev_hash, entry_hash) VALUES (3, :t,"
                " 'setting_changed', 1, 'alice', NULL, '', 'forged', NULL, '{}', :prev, :hash)"
            ),
            {"t": occurred, "prev": "f" * 64, "hash": forged},
        )
    result = verify_audit_chain(any_db)
    assert result.ok is False and result.first_bad_entry == 3


def test_entry_appended_by_hand_is_named(any_db: Database) -> None:
    _fill(any_db, 4)
    with any_db.engine.begin() as connection:
        last = connection.execute(text("SELECT entry_hash, occurred_at FROM audit_events WHERE id = 4")).one()
        connection.execute(
            text(
                "INSERT INTO audit_events (id, occurred_at, action, actor_user_id, actor_name, witness_user_id,"
                " witness_name, subject, facility_id, details, prev_hash, entry_hash) VALUES (5, :t,"
                " 'sign_in', 1, 'mallory', NULL, '', '', NULL, '{}', :prev, :hash)"
            ),
            {"t": last[1], "prev": last[0], "hash": "a" * 64},
        )
    result = verify_audit_chain(any_db)
    assert (result.ok, result.first_bad_entry) == (False, 5)


def test_reordered_entries_are_named(any_db: Database) -> None:
    _fill(any_db)
    _drop_triggers(any_db)
    _sql(
        any_db,
        "UPDATE audit_events SET id = 1002 WHERE id = 2",
        "UPDATE audit_events SET id = 2 WHERE id = 3",
        "UPDATE audit_events SET id = 3 WHERE id = 1002",
    )
    result = verify_audit_chain(any_db)
    assert (result.ok, result.first_bad_entry) == (False, 2)


def test_cli_audit_verify_names_the_entry_and_fails(sqlite_db: Database) -> None:
    _fill(sqlite_db)
    _drop_triggers(sqlite_db)
    _sql(sqlite_db, "UPDATE audit_events SET actor_name = 'bob' WHERE id = 5")
    path = str(sqlite_db.engine.url.database)
    done = subprocess.run(
        [sys.executable, "-m", "armoury", "--db", path, "audit", "verify"], capture_output=True, text=True
    )
    assert done.returncode == 9
    assert "Audit entry 5" in done.stderr


def test_concurrent_writers_keep_one_unbroken_chain(any_db: Database) -> None:
    import threading

    def work(n: int) -> None:
        for i in range(8):
            audit.record(any_db, ACTOR, "export", subject=f"t{n}-{i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify_audit_chain(any_db)
    assert result.ok and result.entries_checked == 24
