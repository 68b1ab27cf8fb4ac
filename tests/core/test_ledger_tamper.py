"""The ledger is append-only in the database, and any rewrite by raw SQL is caught by ``verify``."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from armoury.db import Database
from armoury.domain.enums import Condition, Register, Whereabouts
from armoury.models import Weapon
from armoury.services import custody
from armoury.services.ledger import (
    Checkpoint,
    _stored_timestamp,
    chain_head,
    entry_hash,
    quick_check,
    verify,
    verify_unchecked,
)
from tests.core.custody_world import World, build_world


def _activity(world: World) -> None:
    """Entries 2..7 on top of the take-on-charge entry 1."""
    db, store, w = world.db, world.store, [world.witness]
    custody.issue(
        db, store, ["AK0002", "AK0003"], "SN-1", due_back=datetime.now(UTC) + timedelta(hours=4), witnesses=w
    )
    custody.move(db, store, ["AK0004"], "R2", slot=3)
    custody.return_weapons(db, store, ["AK0002"])
    custody.change_condition(db, store, ["AK0005"], "unserviceable")
    custody.send_to_repair(db, store, ["AK0005"])
    custody.transfer(db, store, ["AK0006"], "ARM-B", witnesses=w)


@pytest.fixture
def world(any_db: Database) -> World:
    built = build_world(any_db)
    _activity(built)
    assert chain_head(any_db).seq == 7
    return built


def _drop_guards(db: Database) -> None:
    with db.engine.begin() as connection:
        if db.is_sqlite:
            for table in ("ledger_entries", "ledger_items"):
                for action in ("update", "delete"):
                    connection.exec_driver_sql(f"DROP TRIGGER {table}_no_{action}")
        else:
            for table in ("ledger_entries", "ledger_items"):
                connection.exec_driver_sql(f"DROP TRIGGER {table}_append_only ON {table}")


def _sql(db: Database, statement: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(statement))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET reason = 'x' WHERE seq = 2",
        "DELETE FROM ledger_entries WHERE seq = 7",
        "UPDATE ledger_items SET to_rack_id = NULL WHERE entry_seq = 3",
        "DELETE FROM ledger_items WHERE entry_seq = 7",
    ],
)
def test_database_refuses_update_and_delete(world: World, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(world.db, statement)
    assert verify_unchecked(world.db).ok


def test_untouched_ledger_verifies_and_extends_its_checkpoints(world: World) -> None:
    head = chain_head(world.db)
    sliced = verify_unchecked(world.db, head, workers=3)
    assert sliced.ok and sliced.checkpoint_ok and sliced.entries == 7 and sliced.head == head
    report = verify(world.db, world.users["aud"], str(head))
    assert report.ok and report.checkpoint_ok and report.entries == 7 and report.head == head
    assert verify_unchecked(world.db, Checkpoint(0, "0" * 64)).ok


def _expect(db: Database, first_bad: int | None, fragment: str, checkpoint: Checkpoint | None = None) -> None:
    report = verify_unchecked(db, checkpoint)
    assert not report.ok
    assert report.first_bad_seq == first_bad, report.problems
    assert any(fragment in p for p in report.problems), report.problems
    # A long ledger is verified in slices on all cores: the same findings.
    sliced = verify_unchecked(db, checkpoint, workers=2)
    assert sliced.first_bad_seq == report.first_bad_seq and set(sliced.problems) == set(report.problems)


def test_edited_entry_is_named(world: World) -> None:
    _drop_guards(world.db)
    _sql(world.db, "UPDATE ledger_entries SET actor_username = 'someone' WHERE seq = 4")
    _expect(world.db, 4, "Entry 4 was changed after it was written")


def test_edited_item_is_named(world: World) -> None:
    _drop_guards(world.db)
    _sql(
        world.db,
        "UPDATE ledger_items SET to_holder_id = (SELECT min(id) FROM people) + 1 WHERE entry_seq = 2",
    )
    _expect(world.db, 2, "Entry 2 was changed after it was written")


def test_deleted_entry_is_named(world: World) -> None:
    _drop_guards(world.db)
    _sql(world.db, "DELETE FROM ledger_items WHERE entry_seq = 3")
    _sql(world.db, "DELETE FROM ledger_entries WHERE seq = 3")
    _expect(world.db, 3, "Entry 3 is missing")


def test_inserted_entry_is_named(world: World) -> None:
    _drop_guards(world.db)
    with world.db.engine.begin() as connection:
        row = connection.execute(text("SELECT * FROM ledger_entries WHERE seq = 7")).mappings().one()
        forged = dict(row)
        forged.update(seq=8, prev_hash=row["hash"], hash="f" * 64, reason="forged")
        columns = ", ".join(forged)
        connection.execute(
            text(f"INSERT INTO ledger_entries ({columns}) VALUES ({', '.join(':' + c for c in forged)})"),
            forged,
        )
        item = dict(
            connection.execute(text("SELECT * FROM ledger_items WHERE entry_seq = 7")).mappings().first()
            or {}
        )
        item.update(entry_seq=8)
        connection.execute(
            text(f"INSERT INTO ledger_items ({', '.join(item)}) VALUES ({', '.join(':' + c for c in item)})"),
            item,
        )
    _expect(world.db, 8, "Entry 8 was changed after it was written")


def test_reordered_entries_are_named(world: World) -> None:
    _drop_guards(world.db)
    with world.db.engine.begin() as connection:
        rows = {
            r["seq"]: dict(r)
            for r in connection.execute(text("SELECT * FROM ledger_entries WHERE seq IN (4, 5)")).mappings()
        }
        # Entries 4 and 5 change places, each with its own items and hashes.
        parking = dict(rows[4], seq=1004, hash="e" * 64)
        connection.execute(
            text(
                f"INSERT INTO ledger_entries ({', '.join(parking)}) VALUES ({', '.join(':' + c for c in parking)})"
            ),
            parking,
        )
        for old, new in ((4, 1004), (5, 4), (1004, 5)):
            connection.execute(
                text("UPDATE ledger_items SET entry_seq = :new WHERE entry_seq = :old"),
                {"new": new, "old": old},
            )
        connection.execute(text("DELETE FROM ledger_entries WHERE seq = 1004"))
        for seq, other in ((4, 5), (5, 4)):
            values = {k: v for k, v in rows[other].items() if k != "seq"}
            values["hash"] = values["hash"] if seq == 5 else "d" * 64
            sets = ", ".join(f"{k} = :{k}" for k in values)
            connection.execute(
                text(f"UPDATE ledger_entries SET {sets} WHERE seq = :seq"), {**values, "seq": seq}
            )
        connection.execute(text("UPDATE ledger_entries SET hash = :h WHERE seq = 4"), {"h": rows[5]["hash"]})
    report = verify_unchecked(world.db)
    assert not report.ok and report.first_bad_seq == 4, report.problems


def test_cut_tail_is_caught_by_the_replay_and_the_checkpoint(world: World) -> None:
    head = chain_head(world.db)
    _drop_guards(world.db)
    _sql(world.db, "DELETE FROM transfer_voucher_lines")
    _sql(world.db, "DELETE FROM transfer_vouchers")
    _sql(world.db, "DELETE FROM ledger_items WHERE entry_seq >= 6")
    _sql(world.db, "DELETE FROM ledger_entries WHERE seq >= 6")
    report = verify_unchecked(world.db, head)
    assert not report.ok and report.checkpoint_ok is False
    assert any("checkpoint 7 is not reached: the ledger ends at entry 5" in p for p in report.problems)
    assert any("differs from the replay" in p for p in report.problems)


def _recompute_chain(db: Database) -> None:
    with db.engine.begin() as connection:
        entries = connection.exec_driver_sql(
            "SELECT seq, recorded_at, operation, facility_id, actor_user_id, actor_username, witness_ids, "
            "document_ref, reason, corrects_seq, payload FROM ledger_entries ORDER BY seq"
        ).all()
        prev = "0" * 64
        for entry in entries:
            items = connection.exec_driver_sql(
                "SELECT line, operation, weapon_id, register, from_facility_id, to_facility_id, from_whereabouts, "
                "to_whereabouts, from_rack_id, to_rack_id, from_slot, to_slot, from_holder_id, to_holder_id, "
                f"from_condition, to_condition FROM ledger_items WHERE entry_seq = {entry[0]} ORDER BY line"
            ).all()
            row = [entry[0], _stored_timestamp(entry[1]), *entry[2:]]
            digest = entry_hash(prev, row, [list(i) for i in items])
            connection.execute(
                text("UPDATE ledger_entries SET prev_hash = :p, hash = :h WHERE seq = :s"),
                {"p": prev, "h": digest, "s": entry[0]},
            )
            prev = digest


def test_recomputed_chain_is_caught_only_by_the_checkpoint(world: World) -> None:
    printed = chain_head(world.db)
    _drop_guards(world.db)
    _sql(world.db, "UPDATE ledger_entries SET reason = 'nothing happened' WHERE seq = 3")
    _expect(world.db, 3, "Entry 3 was changed")
    _recompute_chain(world.db)
    assert verify_unchecked(world.db).ok  # a perfect forgery of the chain alone...
    report = verify_unchecked(world.db, printed)  # ...does not extend what was printed
    assert not report.ok and report.checkpoint_ok is False and report.first_bad_seq == printed.seq
    assert any("no longer has the checkpoint's hash" in p for p in report.problems)


def test_restored_older_copy_is_caught_by_the_checkpoint(sqlite_db: Database, tmp_path: Path) -> None:
    world = build_world(sqlite_db)
    _activity(world)
    path = Path(str(sqlite_db.engine.url.database))
    old_copy = tmp_path / "old.sqlite3"
    shutil.copyfile(path, old_copy)
    custody.move(sqlite_db, world.store, ["AK0004"], "R1", slot=20)
    printed = chain_head(sqlite_db)
    sqlite_db.dispose()
    shutil.copyfile(old_copy, path)
    restored = Database(sqlite_db.url)
    try:
        report = verify_unchecked(restored, printed)
        assert not report.ok and report.checkpoint_ok is False
        assert report.problems == (
            f"The checkpoint {printed.seq} is not reached: the ledger ends at entry {printed.seq - 1}. "
            "An older copy was restored or the end of the ledger was cut.",
        )
    finally:
        restored.dispose()


def test_weapon_changed_outside_the_ledger_is_caught(world: World) -> None:
    _sql(world.db, "UPDATE weapons SET condition = 'unserviceable' WHERE serial = 'AK0004'")
    report = verify_unchecked(world.db)
    assert not report.ok and report.first_bad_seq is None
    assert any("differs from the replay" in p for p in report.problems)


def test_weapon_in_two_places_is_caught(world: World) -> None:
    # An open hand receipt for a weapon that is in store: on the rack and in someone's hands.
    _sql(
        world.db, "UPDATE custody_loans SET closed_seq = NULL, closed_at = NULL WHERE closed_seq IS NOT NULL"
    )
    report = verify_unchecked(world.db)
    assert any("has an open hand receipt but is not on issue" in p for p in report.problems)


def test_bad_checkpoint_text_is_refused(world: World) -> None:
    from armoury.errors import ValidationError

    with pytest.raises(ValidationError, match="SEQ:HASH"):
        verify(world.db, world.users["aud"], "12:nothex")


def test_quick_check_looks_at_the_tail_and_at_places(world: World) -> None:
    assert quick_check(world.db, tail=3).ok
    _drop_guards(world.db)
    _sql(world.db, "UPDATE ledger_entries SET reason = 'x' WHERE seq = 6")
    report = quick_check(world.db, tail=3)
    assert not report.ok and report.first_bad_seq == 6
    assert quick_check(world.db, tail=1).ok  # entry 6 is outside the last one: only verify sees it
    assert not verify_unchecked(world.db).ok


def _sql_without_foreign_keys(db: Database, statement: str) -> None:
    """Raw SQL as someone editing the file would run it: foreign keys are not checked."""
    with db.engine.connect() as connection:
        if db.is_sqlite:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys = OFF")  # outside a transaction (autocommit driver)
            try:
                raw.execute(statement)
            finally:
                raw.execute("PRAGMA foreign_keys = ON")
        else:
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            connection.execute(text(statement))
            connection.commit()


_AK = "(SELECT id FROM weapons WHERE serial = '{serial}' AND register = 'national' AND slot IS NOT NULL)"


@pytest.mark.parametrize(
    ("statement", "first_bad", "fragment"),
    [
        # AK0004 is then first seen in entry 3, a move: it comes from somewhere.
        (f"DELETE FROM ledger_items WHERE entry_seq = 1 AND weapon_id = {_AK.format(serial='AK0004')}", 1,
         "appears before it was taken on charge"),
        ("DELETE FROM ledger_items WHERE entry_seq = 5", 5, "Entry 5 has no items."),
        ("UPDATE ledger_items SET operation = 'receive' WHERE entry_seq = 3", 3,
         "Entry 3: its items were changed or reordered."),
        # No line 1 any more: the entry's text is not written in SQL, entry_hash decides.
        ("UPDATE ledger_items SET line = 2 WHERE entry_seq = 3", 3, "Entry 3 was changed after it was written"),
        ("UPDATE ledger_items SET from_slot = 19 WHERE entry_seq = 3", 3, "state before does not match"),
        ("UPDATE ledger_entries SET prev_hash = '" + "a" * 64 + "' WHERE seq = 5", 5,
         "Entry 5 does not follow the entry before it"),
        ("DELETE FROM ledger_entries WHERE seq = 3", 3, "Items of entry 3 have no entry."),
        ("INSERT INTO ledger_items SELECT 99, line, operation, weapon_id, register, from_facility_id, "
         "to_facility_id, from_whereabouts, to_whereabouts, from_rack_id, to_rack_id, from_slot, to_slot, "
         "from_holder_id, to_holder_id, from_condition, to_condition FROM ledger_items WHERE entry_seq = 7", 99,
         "Items of entry 99 have no entry."),
        (f"DELETE FROM weapons WHERE id = {_AK.format(serial='AK0004')}", None, "is in the ledger but no longer exists"),
    ],
)  # fmt: skip
def test_every_kind_of_damage_is_named(
    world: World, statement: str, first_bad: int | None, fragment: str
) -> None:
    _drop_guards(world.db)
    _sql_without_foreign_keys(world.db, statement)
    _expect(world.db, first_bad, fragment)


def test_weapon_never_taken_on_charge_is_named(world: World) -> None:
    with world.db.write() as session:
        session.add(
            Weapon(
                item_type_id=world.types["AK"],
                serial="NEW1",
                serial_key="NEW1",
                serial_skeleton="NEW1",
                register=Register.NATIONAL,
                facility_id=world.facility_a,
                whereabouts=Whereabouts.IN_STORE,
                rack_id=world.racks["R1"],
                slot=20,
                condition=Condition.SERVICEABLE,
            )
        )
    _expect(world.db, None, "is not explained by the ledger (it was never taken on charge)")


def test_entry_hash_decides_when_the_sql_text_differs(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the database wrote the canonical text differently (another SQLite, an odd stored time), every
    entry is checked again with entry_hash: nothing is reported falsely and damage is still named."""
    from armoury.services import ledger_chunks

    monkeypatch.setattr(ledger_chunks, "_stamp_sql", lambda kind, column: "CAST('not the time' AS TEXT)")
    assert verify_unchecked(world.db).ok
    _drop_guards(world.db)
    _sql(world.db, "UPDATE ledger_entries SET reason = 'x' WHERE seq = 6")
    report = verify_unchecked(world.db)
    assert report.first_bad_seq == 6 and report.problems == (
        "Entry 6 was changed after it was written (its hash does not match its content).",
    )


def _big_entry_world(db: Database) -> World:
    """Entry 1 takes 31 weapons on charge; entries 2..7 hold 7 items over 5 weapons."""
    built = build_world(db, weapons=30)
    _activity(built)
    return built


def test_quick_check_reads_a_bounded_number_of_items(sqlite_db: Database) -> None:
    world = _big_entry_world(sqlite_db)
    assert quick_check(sqlite_db, tail=10).weapons == 31
    bounded = quick_check(sqlite_db, tail=10, max_items=7)
    assert bounded.ok and bounded.weapons == 5 and bounded.entries == 7
    assert quick_check(sqlite_db, tail=10, max_items=0).weapons == 0
    _drop_guards(sqlite_db)
    # Inside the big entry: beyond the item budget, only verify (or a larger budget) reads it.
    _sql(sqlite_db, "UPDATE ledger_items SET to_slot = 20 WHERE entry_seq = 1 AND line = 30")
    assert quick_check(sqlite_db, tail=10, max_items=7).ok
    assert quick_check(sqlite_db, tail=10).first_bad_seq == 1
    assert verify_unchecked(sqlite_db).first_bad_seq == 1
    # The links of the whole tail are always checked, even when no entry fits in the budget.
    _sql(sqlite_db, "UPDATE ledger_entries SET prev_hash = '" + "b" * 64 + "' WHERE seq = 4")
    for budget in (0, 7):
        report = quick_check(sqlite_db, tail=10, max_items=budget)
        assert any("Entry 4 does not follow" in p for p in report.problems), report.problems
    assert world.weapons["AK0030"]
