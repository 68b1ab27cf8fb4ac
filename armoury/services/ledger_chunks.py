"""The hot loop of ``verify``: one stretch of the ledger (entries LO..HI) read as one ordered stream, its
hashes recomputed, its links checked and its items replayed. It runs in the main process on the verify
transaction's own connection, or in worker processes (:func:`check_slice`) on slices of a long ledger.

The database does the per-value work: each row is one item joined to its entry, and SQL writes the entry's
and the item's canonical JSON (the text :func:`armoury.services.ledger.entry_hash` hashes) and two short
state keys, so Python only concatenates, hashes and compares strings. For integers, text and NULL the SQL
text is byte for byte what Python's ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` writes
(SQLite's ``json_array`` and PostgreSQL's ``to_json`` escape exactly the same characters). Anything else
(a stored time in another form, a line 1 missing, a future SQLite that escapes differently) only makes the
two texts differ: such an entry is returned as a *suspect*, and the main process recomputes its hash from
the raw values with ``entry_hash``, which alone decides. A match in SQL is sound because both texts are
valid JSON: equal texts mean equal values.

A state key is a JSON array ``[whereabouts, facility, rack, slot, holder, condition, register]``; an item's
from-key carries the item's own register, so when two keys differ only the first six values are compared
(:func:`same_place`). Problems come back as codes with their numbers; the main process words, translates
and stitches them (a slice's first entry must follow the previous slice's last hash, and each weapon's
first state in a slice must be its last state in the slices before). This module imports only the
standard library and the database driver, so a worker starts quickly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

# The hashed columns, in the order entry_hash takes them (ledger.ITEM_COLUMNS is ITEM_FIELDS).
ENTRY_FIELDS = (
    "seq",
    "recorded_at",
    "operation",
    "facility_id",
    "actor_user_id",
    "actor_username",
    "witness_ids",
    "document_ref",
    "reason",
    "corrects_seq",
    "payload",
)
ITEM_FIELDS = (
    "line",
    "operation",
    "weapon_id",
    "register",
    "from_facility_id",
    "to_facility_id",
    "from_whereabouts",
    "to_whereabouts",
    "from_rack_id",
    "to_rack_id",
    "from_slot",
    "to_slot",
    "from_holder_id",
    "to_holder_id",
    "from_condition",
    "to_condition",
)
STATE_FIELDS = ("whereabouts", "facility_id", "rack_id", "slot", "holder_id", "condition", "register")
# The from-key of an item that enters the books (no from-whereabouts).
ENTERS_BOOKS = "[null,"
_FETCH = 2_000


@dataclass
class Slice:
    """What one pass over entries ``lo``..``hi`` found."""

    lo: int
    hi: int
    first_seq: int | None = None
    first_prev_hash: str | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    checkpoint_hash: str | None = None
    # (code, seq, weapon or 0, extra) — codes: missing, orphan, link, empty, items, state, before
    problems: list[tuple[str, int, int, int]] = field(default_factory=list)
    # entries whose hash differs from the SQL-written canonical text: the main process decides
    suspects: list[int] = field(default_factory=list)
    # weapon -> (seq of its first item here, its from-key); empty for a slice that starts the ledger
    first_from: dict[int, tuple[int, str]] = field(default_factory=dict)
    # weapon -> the state key of its last item here
    last_states: dict[int, str] = field(default_factory=dict)


def json_array_sql(kind: str, expressions: Sequence[str]) -> str:
    """SQL for the compact JSON array of ``expressions`` (integers, text or NULL)."""
    if kind == "sqlite":
        return f"json_array({', '.join(expressions)})"
    return (
        "('[' || "
        + " || ',' || ".join(f"coalesce(to_json({e})::text, 'null')" for e in expressions)
        + " || ']')"
    )


def _stamp_sql(kind: str, column: str) -> str:
    # The canonical time: what ledger._stored_timestamp makes of the stored value.
    if kind == "sqlite":
        return (
            f"CASE typeof({column}) WHEN 'text' THEN replace({column}, ' ', 'T') "
            f"|| CASE WHEN instr({column}, '.') THEN '' ELSE '.000000' END || 'Z' END"
        )
    return f"""to_char({column}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def state_key_sql(kind: str) -> str:
    """SQL for the state key of a row of the weapons table."""
    return json_array_sql(kind, STATE_FIELDS)


def _scan_sql(kind: str, lo: int, hi: int) -> str:
    entry = ["e.seq", _stamp_sql(kind, "e.recorded_at"), *[f"e.{f}" for f in ENTRY_FIELDS[2:]]]
    # The entry's text only on its first row (the row of line 1, or of the lowest line when tampered):
    # a take-on-charge of 100,000 weapons is 100,000 rows of one entry. None at all (a suspect) when
    # there is no line 1 or no previous hash to hash it with.
    head = (
        "CASE WHEN (i.line IS NULL OR i.line <= 1) AND e.prev_hash IS NOT NULL "
        f"THEN {json_array_sql(kind, entry)} END"
    )
    item = (
        f"CASE WHEN i.entry_seq IS NOT NULL THEN {json_array_sql(kind, [f'i.{f}' for f in ITEM_FIELDS])} END"
    )
    before = json_array_sql(kind, [f"i.from_{f}" for f in STATE_FIELDS[:-1]] + ["i.register"])
    after = json_array_sql(kind, [f"i.to_{f}" for f in STATE_FIELDS[:-1]] + ["i.register"])
    # An item of another operation than its entry's reads as line NULL: "changed or reordered".
    return (
        f"SELECT e.seq, e.prev_hash, e.hash, {head}, CASE WHEN i.operation = e.operation THEN i.line END, "
        f"i.weapon_id, {item}, {before}, {after} "
        "FROM ledger_entries e LEFT JOIN ledger_items i ON i.entry_seq = e.seq "
        f"WHERE e.seq BETWEEN {int(lo)} AND {int(hi)} ORDER BY e.seq, i.line"
    )


def same_place(before: str, after: str) -> bool:
    """Whether an item's from-key names the state of a previous item's to-key (the registers aside)."""
    return before == after or json.loads(before)[:-1] == json.loads(after)[:-1]


def same_state(current: str, replayed: str) -> bool:
    """Whether a weapon's state key equals the to-key of its last item."""
    return current == replayed or json.loads(current) == json.loads(replayed)


def _connect(kind: str, target: str) -> Any:
    if kind == "sqlite":
        import sqlite3

        return sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    import psycopg

    connection = psycopg.connect(target)
    connection.read_only = True
    return connection


def batches(connection: Any, kind: str, sql: str, name: str) -> Iterator[list[tuple[Any, ...]]]:
    """Rows as lists of plain tuples straight from the driver (a server-side cursor on PostgreSQL, so a
    million entries never sit in memory at once)."""
    cursor = connection.cursor(name=name) if kind == "postgresql" else connection.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(_FETCH):
            yield batch
    finally:
        cursor.close()


def rows(connection: Any, kind: str, sql: str, name: str) -> Iterator[tuple[Any, ...]]:
    """:func:`batches`, one row at a time."""
    for batch in batches(connection, kind, sql, name):
        yield from batch


def check_slice(
    kind: str, target: str, lo: int, hi: int, checkpoint_seq: int = -1, last: bool = False
) -> Slice:
    """:func:`scan` entries ``lo``..``hi`` of the database ``target`` (an SQLite path or a PostgreSQL URL),
    in a worker process."""
    connection = _connect(kind, target)
    try:
        return scan(connection, kind, lo, hi, checkpoint_seq, last)
    finally:
        connection.close()


def scan(connection: Any, kind: str, lo: int, hi: int, checkpoint_seq: int = -1, last: bool = False) -> Slice:
    """Check entries ``lo``..``hi`` on a DBAPI ``connection``: gaps, links, hashes (suspects), items and
    the replay. With ``last``, items after ``hi`` without an entry are reported too. A slice that starts
    the ledger (``lo`` 1) checks first appearances itself; any other records them in ``first_from``."""
    found = Slice(lo, hi)
    problems = found.problems
    suspects = found.suspects
    first_from = found.first_from
    states = found.last_states
    get_state = states.get
    sha256 = hashlib.sha256
    from_genesis = lo <= 1
    for (orphan,) in rows(connection, kind, _orphans_sql(lo, None if last else hi), "armoury_verify_o"):
        problems.append(("orphan", orphan, 0, 0))
    expected = lo
    current = -1
    stored = ""
    prev_hash: str | None = None
    hasher: Any = None
    position = 0
    # This loop is the cost of verify (a million entries): keep it free of calls on the good path.
    # Columns: seq, prev_hash, hash, entry text, line, weapon, item text, from-key, to-key.
    for row in chain.from_iterable(batches(connection, kind, _scan_sql(kind, lo, hi), "armoury_verify")):
        seq = row[0]
        if seq != current:
            if hasher is not None:
                hasher.update(b"]]")
                if hasher.hexdigest() != stored:
                    suspects.append(current)
            if prev_hash is None:
                found.first_seq, found.first_prev_hash = seq, row[1]
            else:
                if seq != expected:
                    problems.append(("missing", expected, 0, seq))
                if row[1] != prev_hash:
                    problems.append(("link", seq, 0, 0))
            stored = prev_hash = row[2]
            current, expected, position = seq, seq + 1, 0
            if seq == checkpoint_seq:
                found.checkpoint_hash = stored
            if row[3] is None:  # no line 1 or no previous hash: the main process decides
                hasher = None
                suspects.append(seq)
            elif row[6] is None:
                hasher = sha256((row[1] + "|[" + row[3] + ",[").encode())
            else:
                hasher = sha256((row[1] + "|[" + row[3] + ",[" + row[6]).encode())
            if row[6] is None:
                problems.append(("empty", seq, 0, 0))
                continue
        elif hasher is not None:
            hasher.update(("," + row[6]).encode())
        position += 1
        if row[4] != position:
            problems.append(("items", seq, 0, 0))
        weapon = row[5]
        before = get_state(weapon)
        if before is None:
            if not from_genesis:
                first_from[weapon] = (seq, row[7])
            elif not row[7].startswith(ENTERS_BOOKS):
                problems.append(("before", seq, weapon, 0))
        elif row[7] != before and not same_place(row[7], before):
            problems.append(("state", seq, weapon, 0))
        states[weapon] = row[8]
    if hasher is not None:
        hasher.update(b"]]")
        if hasher.hexdigest() != stored:
            suspects.append(current)
    if prev_hash is not None:
        found.last_seq, found.last_hash = current, prev_hash
    return found


def _orphans_sql(lo: int, hi: int | None) -> str:
    upper = "" if hi is None else f" AND i.entry_seq <= {int(hi)}"
    return (
        f"SELECT DISTINCT i.entry_seq FROM ledger_items i WHERE i.entry_seq >= {int(lo)}{upper} "
        "AND NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.seq = i.entry_seq) ORDER BY i.entry_seq"
    )


def links(connection: Any, kind: str, lo: int, hi: int) -> Slice:
    """Only the sequence and the links of entries ``lo``..``hi`` (the start-up check's older tail)."""
    found = Slice(lo, hi)
    prev_hash: str | None = None
    expected = lo
    sql = f"SELECT seq, prev_hash, hash FROM ledger_entries WHERE seq BETWEEN {int(lo)} AND {int(hi)} ORDER BY seq"
    for seq, linked, digest in rows(connection, kind, sql, "armoury_verify_links"):
        if prev_hash is None:
            found.first_seq, found.first_prev_hash = seq, linked
        else:
            if seq != expected:
                found.problems.append(("missing", expected, 0, seq))
            if linked != prev_hash:
                found.problems.append(("link", seq, 0, 0))
        prev_hash, expected = digest, seq + 1
        found.last_seq, found.last_hash = seq, digest
    return found
