"""The ledger itself: gapless sequence, hash chain, take-on-charge batches, history, checkpoints."""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from armoury.db import Database
from armoury.domain.enums import Condition, Register, Whereabouts
from armoury.errors import ConflictError, ValidationError
from armoury.models import Weapon
from armoury.models.ledger import GENESIS_HASH, LedgerEntry, LedgerItem, LedgerOperation
from armoury.security.permissions import SYSTEM_ACTOR, Actor
from armoury.services import custody
from armoury.services.ledger import (
    Checkpoint,
    CopiedItems,
    ItemChange,
    append_entry,
    append_item_rows,
    chain_head,
    current_states,
    entry_digest,
    entry_hash,
    verify_unchecked,
    weapon_history,
)
from armoury.services.taking_on_charge import record_take_on_charge
from tests.core.custody_world import build_world


def test_take_on_charge_is_one_entry_for_a_whole_batch(sqlite_db: Database) -> None:
    world = build_world(sqlite_db, weapons=25)
    with sqlite_db.read() as session:
        entries = session.scalars(select(LedgerEntry)).all()
        items = session.scalar(select(func.count()).select_from(LedgerItem))
        assert len(entries) == 1 and items == 26
        entry = entries[0]
        assert entry.operation is LedgerOperation.TAKE_ON_CHARGE and entry.prev_hash == GENESIS_HASH
        assert json.loads(entry.payload) == {"source": "demo"} and entry.actor_username == "system"
        assert entry.facility_id == world.facility_a
    with sqlite_db.write() as session, pytest.raises(ConflictError, match="already on the books"):
        record_take_on_charge(session, SYSTEM_ACTOR, [world.weapons["AK0003"]], source="import")
    scattered = [world.weapons["AK0005"], world.weapons["AK0001"]]  # not a range of ids
    with sqlite_db.write() as session, pytest.raises(ConflictError, match="already on the books"):
        record_take_on_charge(session, SYSTEM_ACTOR, scattered, source="import")


def _new_weapons(db: Database, world: Any, count: int) -> list[int]:
    """``count`` weapons written straight to the table, not yet on the books (consecutive ids)."""
    with db.write() as session:
        weapons = [
            Weapon(
                item_type_id=world.types["G3"],
                serial=f"G3-{n}",
                serial_key=f"G3{n}",
                serial_skeleton=f"G3{n}",
                register=Register.CONTINGENT if n % 2 else Register.NATIONAL,
                contingent_country="Sénégal" if n % 2 else "",
                facility_id=world.facility_b,
                whereabouts=Whereabouts.IN_STORE,
                rack_id=world.racks["RB1"],
                slot=n,
                condition=Condition.UNSERVICEABLE,
            )
            for n in range(1, count + 1)
        ]
        session.add_all(weapons)
        session.flush()
        return [w.id for w in weapons]


def _stored_items(db: Database, seq: int) -> list[tuple[Any, ...]]:
    with db.read() as session:
        query = select(LedgerItem.line, LedgerItem.weapon_id, LedgerItem.register, LedgerItem.to_facility_id,
                       LedgerItem.to_slot, LedgerItem.to_condition, LedgerItem.from_facility_id)  # fmt: skip
        return [tuple(r) for r in session.execute(query.where(LedgerItem.entry_seq == seq).order_by("line"))]


def test_take_on_charge_copies_a_range_and_writes_a_scattered_list_alike(any_db: Database) -> None:
    """Consecutive ids are copied by one INSERT … SELECT, other lists sent row by row: the same items,
    lines in the order given, and a chain that verifies."""
    world = build_world(any_db, weapons=3)
    ids = _new_weapons(any_db, world, 6)
    consecutive, scattered = ids[:3], [ids[5], ids[3], ids[4]]
    for seq, batch in ((2, consecutive), (3, scattered)):
        with any_db.write() as session:
            record_take_on_charge(session, SYSTEM_ACTOR, batch, source="import")
        slots = [ids.index(w) + 1 for w in batch]
        expected = [
            (line, w, "contingent" if slot % 2 else "national", world.facility_b, slot, "unserviceable", None)
            for line, (w, slot) in enumerate(zip(batch, slots, strict=True), 1)
        ]
        assert _stored_items(any_db, seq) == expected
    with any_db.read() as session:
        entries = session.scalars(select(LedgerEntry).where(LedgerEntry.seq > 1)).all()
        assert [e.facility_id for e in entries] == [world.facility_b] * 2
    assert verify_unchecked(any_db).ok


def test_a_copy_that_disagrees_with_the_hashed_items_keeps_nothing(sqlite_db: Database) -> None:
    world = build_world(sqlite_db, weapons=2)
    weapon = _new_weapons(sqlite_db, world, 1)[0]
    item = [1, "take_on_charge", weapon, "national", None, world.facility_b, None, "in_store", None,
            world.racks["RB1"], None, 1, None, None, None, "serviceable"]  # fmt: skip
    copied = CopiedItems(1, lambda _connection: [json.dumps(item)], lambda _connection, _seq: 0)
    with pytest.raises(RuntimeError, match="0 items copied, 1 hashed"), sqlite_db.write() as session:
        append_item_rows(session, SYSTEM_ACTOR, LedgerOperation.TAKE_ON_CHARGE, world.facility_b, copied)
    assert chain_head(sqlite_db).seq == 1 and _stored_items(sqlite_db, 2) == []


def test_sequence_is_gapless_and_each_hash_chains_to_the_one_before(any_db: Database) -> None:
    world = build_world(any_db)
    custody.move(any_db, world.store, ["AK0002"], "R2")
    with pytest.raises(custody.WeaponsBlocked):
        custody.move(any_db, world.store, ["AK0002"], "R2")  # refused: no entry, no gap
    custody.change_condition(any_db, world.store, ["AK0002"], Condition.QUARANTINED)
    with any_db.read() as session:
        entries = [
            (e.seq, e.prev_hash, e.hash)
            for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq))
        ]
    assert [e[0] for e in entries] == [1, 2, 3]
    for before, after in itertools.pairwise(entries):
        assert after[1] == before[2]
    assert len({e[2] for e in entries}) == 3


def test_the_streamed_digest_is_the_entry_hash() -> None:
    """entry_digest (items as canonical JSON texts, as SQL writes them) gives entry_hash's digest."""
    entry = [7, "2026-11-22T10:00:00.000000Z", "take_on_charge", 1, None, "système", "[]", "", "", None, "{}"]
    items = [
        [1, "take_on_charge", 5, "national", None, 1, None, "in_store", None, 3, None, 12, None, None, None, "x"],
        [2, "take_on_charge", 6, "contingent", None, 2, None, "issued", None, None, None, None, None, 9, None, "é"],
    ]  # fmt: skip
    texts = [json.dumps(i, ensure_ascii=False, separators=(",", ":")) for i in items]
    assert entry_digest("ab" * 32, entry, texts) == entry_hash("ab" * 32, entry, items)
    assert entry_digest("ab" * 32, entry, texts[:1]) == entry_hash("ab" * 32, entry, items[:1])
    assert entry_digest("ab" * 32, entry, texts[:1]) != entry_hash("ab" * 32, entry, items)


def test_hash_covers_every_field() -> None:
    row = [1, "2026-11-22T10:00:00.000000Z", "move", 1, 2, "store", "[]", "", "", None, "{}"]
    item = [1, "move", 7, "national", 1, 1, "in_store", "in_store", 1, 2, None, None, None, None, "serviceable", "serviceable"]  # fmt: skip
    base = entry_hash(GENESIS_HASH, row, [item])
    assert len(base) == 64
    for index in range(len(row)):
        changed = list(row)
        changed[index] = "x" if changed[index] != "x" else "y"
        assert entry_hash(GENESIS_HASH, changed, [item]) != base
    for index in range(len(item)):
        changed = list(item)
        changed[index] = 99 if changed[index] != 99 else 98
        assert entry_hash(GENESIS_HASH, row, [changed]) != base
    assert entry_hash("1" * 64, row, [item]) != base


def test_history_tells_the_weapon_story(sqlite_db: Database) -> None:
    world = build_world(sqlite_db)
    custody.issue(sqlite_db, world.store, ["AK0003"], "SN-2", long_term=True, witnesses=[world.witness])
    custody.return_weapons(sqlite_db, world.store, ["AK0003"], condition="unserviceable")
    lines = weapon_history(sqlite_db, world.users["aud"], world.weapons["AK0003"])
    assert [line.operation for line in lines] == [
        LedgerOperation.TAKE_ON_CHARGE,
        LedgerOperation.ISSUE,
        LedgerOperation.RETURN,
    ]
    assert lines[1].to_state.startswith("On issue to Sgt TRAORÉ (SN-2)")
    assert lines[1].witnesses == ("store2",) and lines[1].document_ref == "HR-000002"
    assert lines[2].to_state == "In store R1 slot 3 (DEPOT-A), Unserviceable"


def test_checkpoint_text_round_trips(sqlite_db: Database) -> None:
    build_world(sqlite_db)
    head = chain_head(sqlite_db)
    assert Checkpoint.parse(f" {head.seq}:{head.hash.upper()} ") == head
    with pytest.raises(ValidationError):
        Checkpoint.parse("abc")


def test_receive_and_seized_weapons_enter_through_the_ledger(sqlite_db: Database) -> None:
    from datetime import date

    world = build_world(sqlite_db)
    received = custody.receive(
        sqlite_db,
        world.store,
        [custody.NewWeapon("AK-47", "N-1"), custody.NewWeapon("Kalashnikov:AK-47", "N-2")],
        "R2",
        slot=10,
        supplier="Arsenal",
        voucher="BL-77",
        register=Register.CONTINGENT,
        contingent_country="Senegal",
        witnesses=[world.witness],
    )
    assert received.document_ref == "BL-77" and len(received.weapons) == 2
    seized = custody.register_recovered(
        sqlite_db,
        world.store,
        [custody.NewWeapon("G3", "S-1")],
        "R2",
        recovered_on=date(2026, 11, 1),
        place="Kidal",
        circumstances="found in a cache",
        case_reference="PV-12",
        witnesses=[world.witness],
    )
    with sqlite_db.read() as session:
        weapon = session.get(Weapon, seized.weapons[0].weapon_id)
        assert weapon is not None and weapon.register is Register.RECOVERED
        assert weapon.recovered_place == "Kidal" and weapon.whereabouts is Whereabouts.IN_STORE
        assert weapon.condition is Condition.QUARANTINED
    report = verify_unchecked(sqlite_db)
    assert report.ok and report.weapons == 10


def test_verify_hashes_the_same_columns_as_append() -> None:
    from armoury.services import ledger_chunks
    from armoury.services.ledger import ITEM_COLUMNS

    # One list of the hashed item columns: every column of ledger_items but the entry's seq, in order.
    assert ITEM_COLUMNS is ledger_chunks.ITEM_FIELDS
    assert tuple(c.name for c in LedgerItem.__table__.columns if c.name != "entry_seq") == ITEM_COLUMNS
    hashed = inspect.signature(entry_hash).parameters
    assert list(hashed) == ["prev_hash", "entry_row", "items"]
    assert len(ledger_chunks.ENTRY_FIELDS) == 11  # entry_hash's entry_row


# Every character JSON escapes, and some it must not (non-ASCII, U+2028, emoji).
AWKWARD = 'quote " backslash \\ tab \t newline \n cr \r \x01\x08\x0c\x1f del \x7f é 中 \u2028 😀 </b> \\u0041'


def _append(db: Database, actor: Actor, weapon: int, **details: Any) -> None:
    """One entry written straight with append_entry: a condition change, or a register change."""
    register = details.pop("register", None)
    with db.write() as session:
        before = current_states(session, [weapon])[weapon]
        after = (
            replace(before, register=register)
            if register is not None
            else replace(before, condition=Condition.UNSERVICEABLE)
        )
        append_entry(
            session,
            actor,
            LedgerOperation.CONDITION_CHANGE,
            before.facility_id,
            [ItemChange(weapon, before, after)],
            **details,
        )


def test_verify_reads_awkward_text_without_falling_back(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The canonical text written in SQL is byte for byte entry_hash's: no entry needs the slow check."""
    from armoury.services import ledger

    world = build_world(any_db)
    awkward_actor = replace(world.store, username=AWKWARD[:64])
    _append(any_db, awkward_actor, world.weapons["AK0002"], reason=AWKWARD, document_ref=AWKWARD[:80],
            payload={"details": AWKWARD, AWKWARD: [1, None, "x"]})  # fmt: skip
    decided: list[int] = []
    slow_check = ledger._changed_entries

    def spy(connection: Any, suspects: Sequence[int]) -> list[int]:
        decided.extend(suspects)
        return slow_check(connection, suspects)

    monkeypatch.setattr(ledger, "_changed_entries", spy)
    report = verify_unchecked(any_db)
    assert report.ok and report.entries == 2, report.problems
    assert decided == []


def test_a_register_change_is_not_a_broken_replay(sqlite_db: Database) -> None:
    world = build_world(sqlite_db)
    weapon = world.weapons["AK0003"]
    _append(sqlite_db, world.store, weapon, register=Register.EVIDENCE)
    custody.move(sqlite_db, world.store, ["AK0003"], "R2")
    assert verify_unchecked(sqlite_db).ok
    assert verify_unchecked(sqlite_db, workers=2).ok  # the change of register falls between two slices
    with sqlite_db.read() as session:
        assert current_states(session, [weapon])[weapon].register is Register.EVIDENCE
