"""One slice of ``verify``, run in a worker process: recompute the hashes of entries LO..HI, check their
links and replay their items, and say where each weapon starts and ends in the slice.

The main process (:func:`armoury.services.ledger.verify_unchecked`) splits a long ledger into slices, runs
them on all processor cores and stitches the answers: a slice's first entry must follow the previous
slice's last hash, and each weapon's first state in a slice must be its last state in the slices before.
This module imports only the standard library and the database driver, so a worker starts quickly.
Problems come back as codes with their numbers; the main process words and translates them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

ITEM_COLUMNS = (
    "line, operation, weapon_id, register, from_facility_id, to_facility_id, from_whereabouts, "
    "to_whereabouts, from_rack_id, to_rack_id, from_slot, to_slot, from_holder_id, to_holder_id, "
    "from_condition, to_condition"
)
ENTRY_COLUMNS = (
    "seq, recorded_at, operation, facility_id, actor_user_id, actor_username, witness_ids, document_ref, "
    "reason, corrects_seq, payload, prev_hash, hash"
)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@dataclass
class Slice:
    """What one worker found in entries ``lo``..``hi``."""

    lo: int
    hi: int
    first_seq: int | None = None
    first_prev_hash: str | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    checkpoint_hash: str | None = None
    # (code, seq, weapon or 0, extra) — codes: missing, orphan, link, hash, empty, items, state
    problems: list[tuple[str, int, int, int]] = field(default_factory=list)
    # weapon -> (seq of its first item here, its from-state or None when it enters the books here)
    first_from: dict[int, tuple[int, tuple[Any, ...] | None]] = field(default_factory=dict)
    # weapon -> its last item row here (line, operation, weapon, register, from/to pairs ...)
    last_items: dict[int, tuple[Any, ...]] = field(default_factory=dict)


def stored_timestamp(value: Any) -> str:
    """The canonical text of a stored time (SQLite text or a naive UTC datetime from PostgreSQL)."""
    if isinstance(value, str):
        stamp = value.replace(" ", "T")
        if "." not in stamp:
            stamp += ".000000"
        return stamp + "Z"
    return str(value.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def _connect(kind: str, target: str) -> Any:
    if kind == "sqlite":
        import sqlite3

        return sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    import psycopg

    connection = psycopg.connect(target)
    connection.read_only = True
    return connection


def _rows(connection: Any, kind: str, sql: str, name: str) -> Any:
    cursor = connection.cursor(name=name) if kind == "postgresql" else connection.cursor()
    if kind == "postgresql":
        cursor.itersize = 20_000
    cursor.execute(sql)
    while True:
        rows = cursor.fetchmany(20_000)
        if not rows:
            break
        yield from rows
    cursor.close()


def check_slice(kind: str, target: str, lo: int, hi: int, checkpoint_seq: int = -1) -> Slice:
    """Verify entries ``lo``..``hi`` of the database ``target`` (an SQLite path or a PostgreSQL URL)."""
    connection = _connect(kind, target)
    try:
        return _check(connection, kind, lo, hi, checkpoint_seq)
    finally:
        connection.close()


def _check(connection: Any, kind: str, lo: int, hi: int, checkpoint_seq: int) -> Slice:
    found = Slice(lo, hi)
    where = f"BETWEEN {int(lo)} AND {int(hi)}"
    entries = _rows(
        connection,
        kind,
        f"SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE seq {where} ORDER BY seq",
        "slice_e",
    )
    items_iter = _rows(
        connection,
        kind,
        f"SELECT entry_seq, {ITEM_COLUMNS} FROM ledger_items WHERE entry_seq {where} ORDER BY entry_seq, line",
        "slice_i",
    )
    pending = next(items_iter, None)
    encode = _ENCODER.encode
    sha256 = hashlib.sha256
    problems = found.problems
    first_from = found.first_from
    last_items = found.last_items
    expected = lo
    prev_hash: str | None = None
    for row in entries:
        seq = row[0]
        if found.first_seq is None:
            found.first_seq, found.first_prev_hash = seq, row[11]
        elif seq != expected:
            problems.append(("missing", expected, 0, seq))
        items: list[tuple[Any, ...]] = []
        while pending is not None and pending[0] <= seq:
            if pending[0] == seq:
                items.append(pending[1:])
            else:
                problems.append(("orphan", pending[0], 0, 0))
            pending = next(items_iter, None)
        if prev_hash is not None and row[11] != prev_hash:
            problems.append(("link", seq, 0, 0))
        entry_row = list(row[:11])
        stamp = row[1]
        entry_row[1] = (
            stamp.replace(" ", "T") + "Z"
            if type(stamp) is str and len(stamp) == 26
            else stored_timestamp(stamp)
        )
        if sha256((row[11] + "|" + encode([entry_row, items])).encode()).hexdigest() != row[12]:
            problems.append(("hash", seq, 0, 0))
        if seq == checkpoint_seq:
            found.checkpoint_hash = row[12]
        if not items:
            problems.append(("empty", seq, 0, 0))
        operation = row[2]
        for line, item in enumerate(items, 1):
            weapon = item[2]
            if item[0] != line or item[1] != operation:
                problems.append(("items", seq, 0, 0))
            before = last_items.get(weapon)
            if before is None:
                first_from[weapon] = (seq, None if item[6] is None else item[4:16:2])
            elif item[4:16:2] != before[5:16:2]:
                problems.append(("state", seq, weapon, 0))
            last_items[weapon] = item
        prev_hash = row[12]
        found.last_seq, found.last_hash = seq, row[12]
        expected = seq + 1
    while pending is not None:
        problems.append(("orphan", pending[0], 0, 0))
        pending = next(items_iter, None)
    return found
