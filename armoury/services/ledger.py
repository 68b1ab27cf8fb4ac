"""The custody ledger: append hash-chained entries, verify the chain and replay it, read histories.

Each entry's ``hash`` is SHA-256 over the previous entry's hash and the entry's canonical content (its
columns and all its items, as compact JSON with a fixed field order). ``verify`` recomputes the chain,
replays every item against the weapons' current state, checks that every weapon is in exactly one place,
and proves that the chain still extends a checkpoint (``SEQ:HASH``) printed earlier on a report.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.db.engine import sqlite_path
from armoury.domain.enums import Condition, Register, Whereabouts
from armoury.errors import ValidationError
from armoury.i18n import N_, _
from armoury.models import Person, Weapon
from armoury.models.ledger import GENESIS_HASH, LedgerEntry, LedgerItem, LedgerOperation
from armoury.security.permissions import Actor, Permission
from armoury.services.guard import authorize
from armoury.services.ledger_chunks import (
    ENTERS_BOOKS,
    ITEM_FIELDS,
    Slice,
    check_slice,
    links,
    rows,
    same_place,
    same_state,
    scan,
    state_key_sql,
)

# PostgreSQL advisory lock key that serializes appends (the next seq is max + 1).
_LEDGER_LOCK_KEY = 0x41524D4C  # "ARML"
_MAX_PROBLEMS = 50

LEDGER_ITEMS: Table = LedgerItem.__table__  # type: ignore[assignment]  # Core inserts


@dataclass(frozen=True)
class WeaponState:
    """Where a weapon is, who holds it, its condition and its register: one ledger item's ``to_*`` side."""

    facility_id: int
    whereabouts: Whereabouts
    rack_id: int | None
    slot: int | None
    holder_id: int | None
    condition: Condition
    register: Register

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.facility_id,
            str(self.whereabouts),
            self.rack_id,
            self.slot,
            self.holder_id,
            str(self.condition),
            str(self.register),
        )


@dataclass(frozen=True)
class ItemChange:
    weapon_id: int
    before: WeaponState | None
    after: WeaponState


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @staticmethod
    def parse(value: str) -> Checkpoint:
        seq_text, _sep, digest = value.strip().partition(":")
        digest = digest.strip().lower()
        if (
            not seq_text.strip().isdigit()
            or len(digest) != 64
            or any(c not in "0123456789abcdef" for c in digest)
        ):
            raise ValidationError(
                _("The checkpoint '{value}' is not of the form SEQ:HASH.").format(value=value),
                _("Copy it exactly as printed on the report, e.g. 1234:3fa9… (64 hexadecimal digits)."),
            )
        return Checkpoint(int(seq_text), digest)


def timestamp(value: datetime) -> str:
    """The canonical text of a UTC time inside the hashed content."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _stored_timestamp(value: Any) -> str:
    # SQLite returns the stored text "YYYY-MM-DD HH:MM:SS.ffffff", PostgreSQL a naive datetime (UTC).
    if isinstance(value, str):
        stamp = value.replace(" ", "T")
        if "." not in stamp:
            stamp += ".000000"
        return stamp + "Z"
    assert isinstance(value, datetime)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def entry_hash(prev_hash: str, entry_row: Sequence[Any], items: Sequence[Sequence[Any]]) -> str:
    """SHA-256 of the previous hash and the entry's canonical content.

    ``entry_row`` is (seq, recorded_at text, operation, facility_id, actor_user_id, actor_username,
    witness_ids, document_ref, reason, corrects_seq, payload); ``items`` are rows in the column order of
    :data:`ITEM_COLUMNS` without ``entry_seq``.
    """
    content = json.dumps(
        [list(entry_row), [list(i) for i in items]], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(f"{prev_hash}|{content}".encode()).hexdigest()


def entry_digest(prev_hash: str, entry_row: Sequence[Any], item_texts: Iterable[str]) -> str:
    """:func:`entry_hash` from each item's canonical JSON text (as SQL writes it, see ledger_chunks),
    hashed one after another: the same digest, without building the items' rows in Python."""
    entry = json.dumps(list(entry_row), ensure_ascii=False, separators=(",", ":"))
    hasher = hashlib.sha256(f"{prev_hash}|[{entry},[".encode())
    separator = ""
    for item in item_texts:
        hasher.update((separator + item).encode())
        separator = ","
    hasher.update(b"]]")
    return hasher.hexdigest()


@dataclass(frozen=True)
class CopiedItems:
    """The items of an entry that the database writes itself (a take-on-charge of 100,000 weapons).

    ``texts(connection)`` gives each item's canonical JSON, in line order, for the hash; ``write(connection,
    seq)`` inserts the same rows and returns how many it wrote, which must be ``count``."""

    count: int
    texts: Callable[[Connection], Iterable[str]]
    write: Callable[[Connection, int], int]


# The item columns the hash covers, in order: defined once, with the SQL that reads them for verify.
ITEM_COLUMNS = ITEM_FIELDS


def _item_row(line: int, operation: LedgerOperation, change: ItemChange) -> list[Any]:
    b = change.before
    a = change.after
    return [
        line,
        str(operation),
        change.weapon_id,
        str(a.register),
        b.facility_id if b else None,
        a.facility_id,
        str(b.whereabouts) if b else None,
        str(a.whereabouts),
        b.rack_id if b else None,
        a.rack_id,
        b.slot if b else None,
        a.slot,
        b.holder_id if b else None,
        a.holder_id,
        str(b.condition) if b else None,
        str(a.condition),
    ]


@dataclass(frozen=True)
class AppendedEntry:
    seq: int
    hash: str
    recorded_at: datetime
    document_ref: str


def _lock_ledger(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LEDGER_LOCK_KEY})


def chain_head_in(session: Session) -> Checkpoint:
    row = session.execute(
        select(LedgerEntry.seq, LedgerEntry.hash).order_by(LedgerEntry.seq.desc()).limit(1)
    ).first()
    return Checkpoint(0, GENESIS_HASH) if row is None else Checkpoint(row[0], row[1])


def append_entry(
    session: Session,
    actor: Actor,
    operation: LedgerOperation,
    facility_id: int,
    changes: Sequence[ItemChange],
    *,
    witnesses: Sequence[Actor] = (),
    document_ref: str | Callable[[int], str] = "",
    reason: str = "",
    corrects_seq: int | None = None,
    payload: Mapping[str, Any] | None = None,
    apply: bool = True,
) -> AppendedEntry:
    """Append one entry with one item per change, inside the caller's write transaction.

    With ``apply`` the weapons' current state is set to each change's ``after`` in the same transaction.
    ``document_ref`` may be a function of the new entry's sequence number (hand receipts are ``HR-<seq>``).
    """
    if not changes:
        raise ValueError("a ledger entry needs at least one item")
    items = [_item_row(i + 1, operation, change) for i, change in enumerate(changes)]
    entry = append_item_rows(
        session,
        actor,
        operation,
        facility_id,
        items,
        witnesses=witnesses,
        document_ref=document_ref,
        reason=reason,
        corrects_seq=corrects_seq,
        payload=payload,
    )
    if apply:
        apply_states(session, changes)
    return entry


def append_item_rows(
    session: Session,
    actor: Actor,
    operation: LedgerOperation,
    facility_id: int,
    items: Sequence[Sequence[Any]] | CopiedItems,
    *,
    witnesses: Sequence[Actor] = (),
    document_ref: str | Callable[[int], str] = "",
    reason: str = "",
    corrects_seq: int | None = None,
    payload: Mapping[str, Any] | None = None,
) -> AppendedEntry:
    """Append one entry whose items are ``items``: rows in :data:`ITEM_COLUMNS` order (stored values),
    hashed into the entry and sent to the driver's executemany; or :class:`CopiedItems`, whose canonical
    JSON the database writes (hashed here) and whose rows it inserts itself — a take-on-charge of 100,000 weapons copies
    them from ``weapons`` with one ``INSERT … SELECT`` instead of sending 17 values a row to the driver.
    """
    if not (items.count if isinstance(items, CopiedItems) else items):
        raise ValueError("a ledger entry needs at least one item")
    _lock_ledger(session)
    head = chain_head_in(session)
    seq = head.seq + 1
    now = datetime.now(UTC)
    ref = document_ref(seq) if callable(document_ref) else document_ref
    witness_ids = canonical_json(sorted(w.user_id for w in witnesses if w.user_id is not None))
    payload_text = canonical_json(dict(payload or {}))
    entry_row = [
        seq,
        timestamp(now),
        str(operation),
        facility_id,
        actor.user_id,
        actor.username,
        witness_ids,
        ref,
        reason,
        corrects_seq,
        payload_text,
    ]
    connection = session.connection()
    if isinstance(items, CopiedItems):
        digest = entry_digest(head.hash, entry_row, items.texts(connection))
    else:
        digest = entry_hash(head.hash, entry_row, items)
    session.execute(
        insert(LedgerEntry).values(
            seq=seq,
            recorded_at=now,
            operation=operation,
            facility_id=facility_id,
            actor_user_id=actor.user_id,
            actor_username=actor.username,
            witness_ids=witness_ids,
            document_ref=ref,
            reason=reason,
            corrects_seq=corrects_seq,
            payload=payload_text,
            prev_hash=head.hash,
            hash=digest,
        )
    )
    if isinstance(items, CopiedItems):
        written = items.write(connection, seq)
        if written != items.count:  # the copy and the hashed rows disagree: nothing may be kept
            raise RuntimeError(f"ledger entry {seq}: {written} items copied, {items.count} hashed")
        return AppendedEntry(seq, digest, now, ref)
    # The driver's own executemany: the item rows are already the stored values (numbers, enum values as
    # text, NULLs), so no type processing is needed.
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO ledger_items (entry_seq, {', '.join(ITEM_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * (len(ITEM_COLUMNS) + 1))})",
        [(seq, *row) for row in items],
    )
    return AppendedEntry(seq, digest, now, ref)


def apply_states(session: Session, changes: Sequence[ItemChange]) -> None:
    """Set each weapon's current state to its change's ``after`` (slots are freed first, then taken)."""
    moving = [c for c in changes if c.before is not None and c.before.slot is not None]
    if moving:
        # Free the old slots first so that weapons can swap slots within one entry.
        session.execute(
            update(Weapon).where(Weapon.id.in_([c.weapon_id for c in moving])).values(slot=None),
            execution_options={"synchronize_session": False},
        )
    table = Weapon.__table__
    assert isinstance(table, Table)
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("wid"))
        .values(
            facility_id=bindparam("f"),
            whereabouts=bindparam("w"),
            rack_id=bindparam("r"),
            slot=bindparam("s"),
            holder_id=bindparam("h"),
            condition=bindparam("c"),
            register=bindparam("g"),
        ),
        [
            {
                "wid": c.weapon_id,
                "f": c.after.facility_id,
                "w": str(c.after.whereabouts),
                "r": c.after.rack_id,
                "s": c.after.slot,
                "h": c.after.holder_id,
                "c": str(c.after.condition),
                "g": str(c.after.register),
            }
            for c in changes
        ],
    )


def current_states(session: Session, weapon_ids: Sequence[int], lock: bool = False) -> dict[int, WeaponState]:
    """The current state of some weapons; with ``lock`` their rows are locked (PostgreSQL) in id order."""
    query = (
        select(
            Weapon.id,
            Weapon.facility_id,
            Weapon.whereabouts,
            Weapon.rack_id,
            Weapon.slot,
            Weapon.holder_id,
            Weapon.condition,
            Weapon.register,
        )
        .where(Weapon.id.in_(list(weapon_ids)))
        .order_by(Weapon.id)
    )
    if lock:
        query = query.with_for_update()
    return {
        row[0]: WeaponState(row[1], row[2], row[3], row[4], row[5], row[6], row[7])
        for row in session.execute(query)
    }


# --------------------------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify`` found. ``problems`` are translated sentences, the first bad entry first."""

    entries: int
    weapons: int
    head: Checkpoint
    problems: tuple[str, ...]
    first_bad_seq: int | None
    checkpoint: Checkpoint | None
    checkpoint_ok: bool | None
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Problems:
    items: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None
    total: int = 0

    def add(self, message: str, seq: int | None = None) -> None:
        self.total += 1
        if seq is not None and (self.first_bad_seq is None or seq < self.first_bad_seq):
            self.first_bad_seq = seq
        if len(self.items) < _MAX_PROBLEMS:
            self.items.append(message)


def _scan(
    connection: Connection, lo: int, hi: int, checkpoint: Checkpoint | None = None, last: bool = False
) -> Slice:
    """:func:`ledger_chunks.scan` on the verify transaction's own connection (the same snapshot)."""
    raw: Any = connection.connection.dbapi_connection
    checkpoint_seq = checkpoint.seq if checkpoint is not None else -1
    return scan(raw, connection.dialect.name, lo, hi, checkpoint_seq, last)


def _changed_entries(connection: Connection, suspects: Sequence[int]) -> list[int]:
    """Of the entries whose hash differs from the text written in SQL, those whose hash differs from
    :func:`entry_hash` over their raw values too: ``entry_hash`` alone decides."""
    changed: list[int] = []
    for start in range(0, len(suspects), 500):
        listed = ", ".join(str(int(seq)) for seq in suspects[start : start + 500])
        items: dict[int, list[list[Any]]] = {}
        for row in connection.exec_driver_sql(
            f"SELECT entry_seq, {', '.join(ITEM_COLUMNS)} FROM ledger_items "
            f"WHERE entry_seq IN ({listed}) ORDER BY entry_seq, line"
        ):
            items.setdefault(row[0], []).append(list(row[1:]))
        for row in connection.exec_driver_sql(
            "SELECT seq, recorded_at, operation, facility_id, actor_user_id, actor_username, witness_ids, "
            f"document_ref, reason, corrects_seq, payload, prev_hash, hash FROM ledger_entries WHERE seq IN ({listed})"
        ):
            if not isinstance(row[1], str | datetime) or not isinstance(row[11], str):
                changed.append(row[0])
                continue
            content = [row[0], _stored_timestamp(row[1]), *row[2:11]]
            if entry_hash(row[11], content, items.get(row[0], [])) != row[12]:
                changed.append(row[0])
    return changed


def verify(db: Database, actor: Actor, checkpoint: Checkpoint | str | None = None) -> VerifyReport:
    """Recompute the chain, replay the ledger against the weapons, check places and the checkpoint."""
    authorize(db, actor, Permission.VERIFY)
    if isinstance(checkpoint, str):
        checkpoint = Checkpoint.parse(checkpoint)
    return verify_unchecked(db, checkpoint)


def verify_unchecked(
    db: Database, checkpoint: Checkpoint | None = None, replay: bool = True, workers: int | None = None
) -> VerifyReport:
    """:func:`verify` without the permission check (start-up check, tests, benchmarks).

    Everything is read in one snapshot (REPEATABLE READ on PostgreSQL, one read transaction on SQLite), so
    work going on at other workstations does not show up as a false problem.
    """
    started = time.perf_counter()
    problems = _Problems()
    states: dict[int, str] = {}
    weapons = 0
    with db.engine.connect() as connection:
        if not db.is_sqlite:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            last = connection.exec_driver_sql("SELECT max(seq) FROM ledger_entries").scalar() or 0
            slices = _worker_count(last, workers)
            if slices > 1 and last > 0:
                parts = _slices_in_workers(db, last, slices, checkpoint)
            else:
                parts = [_scan(connection, 1, last, checkpoint, last=True)]
            head, checkpoint_hash = _stitch(connection, parts, None, states, problems)
            count = head.seq
            if replay:
                weapons = _verify_weapons(connection, states, problems)
    checkpoint_ok: bool | None = None
    if checkpoint is not None:
        checkpoint_ok = _check_checkpoint(checkpoint, head, checkpoint_hash, problems)
    return VerifyReport(
        entries=count,
        weapons=weapons,
        head=head,
        problems=tuple(problems.items),
        first_bad_seq=problems.first_bad_seq,
        checkpoint=checkpoint,
        checkpoint_ok=checkpoint_ok,
        seconds=time.perf_counter() - started,
    )


PARALLEL_FROM_ENTRIES = 200_000


def _worker_count(entries: int, workers: int | None) -> int:
    """Processes for verify: ``workers`` if given, else one per core (at most 4) for a long ledger on a
    machine with at least 4 cores (on 2 logical cores, often one physical core, slices were slower than one
    process). ``ARMOURY_VERIFY_WORKERS`` overrides (1: never start worker processes)."""
    configured = os.environ.get("ARMOURY_VERIFY_WORKERS", "")
    if configured.isdigit():
        return max(1, int(configured))
    if workers is not None:
        return max(1, workers)
    cores = os.cpu_count() or 1
    return min(cores, 4) if cores >= 4 and entries >= PARALLEL_FROM_ENTRIES else 1


def _slice_target(db: Database) -> tuple[str, str]:
    path = sqlite_path(db.url)
    if path is not None:
        return "sqlite", str(path)
    url = db.engine.url.set(drivername="postgresql")
    return "postgresql", url.render_as_string(hide_password=False)


_SLICE_MESSAGES = {
    "orphan": N_("Items of entry {seq} have no entry."),
    "link": N_("Entry {seq} does not follow the entry before it (previous hash differs)."),
    "hash": N_("Entry {seq} was changed after it was written (its hash does not match its content)."),
    "empty": N_("Entry {seq} has no items."),
    "items": N_("Entry {seq}: its items were changed or reordered."),
    "state": N_("Entry {seq}: weapon {weapon}'s state before does not match the previous entry."),
    "before": N_("Entry {seq}: weapon {weapon} appears before it was taken on charge."),
}


def _slices_in_workers(db: Database, last: int, workers: int, checkpoint: Checkpoint | None) -> list[Slice]:
    """Entries 1..``last`` checked in slices in worker processes, on all cores.

    Entries up to ``last`` never change (append-only), so the workers' own snapshots agree with ours."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    kind, target = _slice_target(db)
    size = -(-last // (workers * 2))
    bounds = [(lo, min(last, lo + size - 1)) for lo in range(1, last + 1, size)]
    checkpoint_seq = checkpoint.seq if checkpoint is not None else -1
    arguments = [(kind, target, lo, hi, checkpoint_seq, hi == last) for lo, hi in bounds]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(check_slice, *zip(*arguments, strict=True)))


def _problem_text(code: str, seq: int, weapon: int, extra: int) -> str:
    if code == "missing":
        return _("Entry {seq} is missing: the ledger jumps from {before} to {after}.").format(
            seq=seq, before=seq - 1, after=extra
        )
    return _(_SLICE_MESSAGES[code]).format(seq=seq, weapon=weapon)


def _stitch(
    connection: Connection,
    parts: Sequence[Slice],
    after: Checkpoint | None,
    states: dict[int, str],
    problems: _Problems,
    check_first: bool = True,
) -> tuple[Checkpoint, str | None]:
    """Join consecutive slices into one finding: each slice's first entry follows the one before, each
    weapon's first state in a slice is its last state before (with ``check_first``; the start-up check does
    not know the states before its tail), suspect hashes are decided by :func:`entry_hash`. ``states`` ends
    with each weapon's last state key. Returns the head and the hash found at the checkpoint's entry."""
    expected = after.seq + 1 if after is not None else 1
    prev_hash = after.hash if after is not None else GENESIS_HASH
    checkpoint_hash: str | None = None
    collected = [
        (seq, _problem_text(code, seq, weapon, extra))
        for part in parts
        for code, seq, weapon, extra in part.problems
    ]
    for part in parts:
        if part.first_seq is None or part.last_seq is None:
            continue
        if part.first_seq != expected:
            collected.append((expected, _problem_text("missing", expected, 0, part.first_seq)))
        if part.first_prev_hash != prev_hash:
            collected.append((part.first_seq, _problem_text("link", part.first_seq, 0, 0)))
        for weapon, (seq, given) in part.first_from.items() if check_first else ():
            before = states.get(weapon)
            if before is None:
                if not given.startswith(ENTERS_BOOKS):
                    collected.append((seq, _problem_text("before", seq, weapon, 0)))
            elif not same_place(given, before):
                collected.append((seq, _problem_text("state", seq, weapon, 0)))
        states.update(part.last_states)
        checkpoint_hash = part.checkpoint_hash or checkpoint_hash
        prev_hash, expected = part.last_hash or prev_hash, part.last_seq + 1
    suspects = [seq for part in parts for seq in part.suspects]
    collected.extend(
        (seq, _problem_text("hash", seq, 0, 0)) for seq in _changed_entries(connection, suspects)
    )
    for seq, message in sorted(collected, key=lambda c: c[0]):
        problems.add(message, seq)
    return Checkpoint(expected - 1, prev_hash), checkpoint_hash


QUICK_CHECK_ITEMS = 50_000


def quick_check(db: Database, tail: int = 2000, max_items: int = QUICK_CHECK_ITEMS) -> VerifyReport:
    """The start-up check (the window's red banner), small in time and memory on a ledger of any size:

    * the links of the last ``tail`` entries: no number missing, each follows the one before;
    * the hashes and the items of the newest of those entries, as many as hold at most ``max_items``
      items together (older entries, or a newest entry with more items than that, such as a take-on-charge
      of a whole depot, are left to :func:`verify`), read as a stream;
    * the weapons those items touched against their last items, and every weapon in exactly one place.

    The report's ``weapons`` counts the weapons compared with their last items."""
    started = time.perf_counter()
    problems = _Problems()
    states: dict[int, str] = {}
    with db.engine.connect() as connection:
        if not db.is_sqlite:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            last = connection.exec_driver_sql("SELECT max(seq) FROM ledger_entries").scalar() or 0
            start = max(0, last - tail)
            after = None
            if start:
                found = connection.exec_driver_sql(
                    f"SELECT hash FROM ledger_entries WHERE seq = {int(start)}"
                )
                after = Checkpoint(start, found.scalar() or "")
            full = _newest_entries(connection, start, max_items)
            parts = []
            if full > start + 1:
                raw: Any = connection.connection.dbapi_connection
                parts.append(links(raw, connection.dialect.name, start + 1, full - 1))
            parts.append(_scan(connection, full, last, last=True))
            head, _found = _stitch(connection, parts, after, states, problems, check_first=False)
            _compare_weapons(connection, states, problems, touched_only=True)
            for weapon_id, message in one_place_violations(connection):
                problems.add(message.format(weapon=weapon_id))
    return VerifyReport(
        entries=head.seq,
        weapons=len(states),
        head=head,
        problems=tuple(problems.items),
        first_bad_seq=problems.first_bad_seq,
        checkpoint=None,
        checkpoint_ok=None,
        seconds=time.perf_counter() - started,
    )


def _newest_entries(connection: Connection, start: int, max_items: int) -> int:
    """The oldest entry after ``start`` from which the entries to the end hold at most ``max_items`` items
    (one past the last entry when even the newest holds more)."""
    total = 0
    result = connection.exec_driver_sql(
        f"SELECT entry_seq, count(*) FROM ledger_items WHERE entry_seq > {int(start)} "
        "GROUP BY entry_seq ORDER BY entry_seq DESC"
    )
    with result:
        for seq, count in result:
            total += count
            if total > max_items:
                return int(seq) + 1
    return start + 1


def _verify_weapons(connection: Connection, states: dict[int, str], problems: _Problems) -> int:
    count = _compare_weapons(connection, states, problems, touched_only=False)
    for weapon_id, message in one_place_violations(connection):
        problems.add(message.format(weapon=weapon_id))
    return count


def _compare_weapons(
    connection: Connection, states: dict[int, str], problems: _Problems, touched_only: bool
) -> int:
    """Compare the weapons (all of them, or only those in ``states``) with their replayed states; report
    weapons the ledger does not explain (all of them only). Returns how many weapons were read."""
    if touched_only and not states:
        return 0
    kind = connection.dialect.name
    where = f" WHERE id IN ({', '.join(str(int(w)) for w in states)})" if touched_only else ""
    raw: Any = connection.connection.dbapi_connection
    count = explained = 0
    for weapon_id, current in rows(
        raw, kind, f"SELECT id, {state_key_sql(kind)} FROM weapons{where}", "armoury_w"
    ):
        count += 1
        replayed = states.get(weapon_id)
        if replayed is None:
            problems.add(
                _("Weapon {weapon} is not explained by the ledger (it was never taken on charge).").format(
                    weapon=weapon_id
                )
            )
            continue
        explained += 1
        if not same_state(current, replayed):
            problems.add(
                _("Weapon {weapon}'s current state differs from the replay of the ledger.").format(
                    weapon=weapon_id
                )
            )
    if explained < len(states) and not touched_only:
        existing = {row[0] for row in rows(raw, kind, "SELECT id FROM weapons", "armoury_w")}
        for weapon_id in sorted(set(states) - existing)[:_MAX_PROBLEMS]:
            problems.add(_("Weapon {weapon} is in the ledger but no longer exists.").format(weapon=weapon_id))
    return count


_ONE_PLACE_CHECKS: tuple[tuple[str, str], ...] = (
    (
        "SELECT w.id FROM weapons w LEFT JOIN racks r ON r.id = w.rack_id WHERE "
        "(w.whereabouts = 'in_store' AND (r.id IS NULL OR r.facility_id <> w.facility_id)) "
        "OR (w.whereabouts <> 'in_store' AND w.rack_id IS NOT NULL)",
        N_("Weapon {weapon} is on a rack only when in store, and on a rack of its own facility."),
    ),
    (
        "SELECT w.id FROM weapons w WHERE w.whereabouts = 'issued' AND NOT EXISTS (SELECT 1 FROM "
        "custody_loans l WHERE l.weapon_id = w.id AND l.closed_seq IS NULL AND l.person_id = w.holder_id)",
        N_("Weapon {weapon} is on issue without an open hand receipt to its holder."),
    ),
    (
        "SELECT l.weapon_id FROM custody_loans l JOIN weapons w ON w.id = l.weapon_id "
        "WHERE l.closed_seq IS NULL AND w.whereabouts <> 'issued'",
        N_("Weapon {weapon} has an open hand receipt but is not on issue."),
    ),
    (
        "SELECT w.id FROM weapons w WHERE w.whereabouts = 'in_transit' AND NOT EXISTS (SELECT 1 FROM "
        "transfer_voucher_lines t WHERE t.weapon_id = w.id AND t.status = 'in_transit')",
        N_("Weapon {weapon} is in transit without an open transfer voucher."),
    ),
    (
        "SELECT t.weapon_id FROM transfer_voucher_lines t JOIN weapons w ON w.id = t.weapon_id "
        "WHERE t.status = 'in_transit' AND w.whereabouts <> 'in_transit'",
        N_("Weapon {weapon} is on an open transfer voucher but is not in transit."),
    ),
)


def one_place_violations(connection: Connection) -> list[tuple[int, str]]:
    """Weapons that are not in exactly one place, with a translated message (``{weapon}`` to fill)."""
    found: list[tuple[int, str]] = []
    for sql, message in _ONE_PLACE_CHECKS:
        for row in connection.exec_driver_sql(sql):
            found.append((row[0], _(message)))
    return found


def _check_checkpoint(
    checkpoint: Checkpoint, head: Checkpoint, found_hash: str | None, problems: _Problems
) -> bool:
    if checkpoint.seq > head.seq:
        problems.add(
            _(
                "The checkpoint {seq} is not reached: the ledger ends at entry {head}. An older copy was "
                "restored or the end of the ledger was cut."
            ).format(seq=checkpoint.seq, head=head.seq)
        )
        return False
    if checkpoint.seq > 0 and found_hash != checkpoint.hash:
        problems.add(
            _(
                "Entry {seq} no longer has the checkpoint's hash: the ledger was rewritten up to that entry."
            ).format(seq=checkpoint.seq),
            checkpoint.seq,
        )
        return False
    return True


# ------------------------------------------------------------------------------------------- reading


def chain_head(db: Database) -> Checkpoint:
    """The last entry's sequence and hash: the checkpoint printed on reports and closed counts."""
    with db.read() as session:
        return chain_head_in(session)


@dataclass(frozen=True)
class HistoryLine:
    seq: int
    recorded_at: datetime
    operation: LedgerOperation
    operation_label: str
    actor: str
    witnesses: tuple[str, ...]
    document_ref: str
    reason: str
    corrects_seq: int | None
    payload: Mapping[str, Any]
    from_state: str
    to_state: str
    hash: str


def describe_state(
    whereabouts: Whereabouts | None,
    condition: Condition | None,
    rack: str | None,
    slot: int | None,
    holder: str | None,
    facility: str | None,
) -> str:
    """One line such as "In store, R-01 slot 3 (DEPOT-A), Serviceable"."""
    if whereabouts is None:
        return "—"
    place = whereabouts.label
    if rack:
        place += " " + (_("{rack} slot {slot}").format(rack=rack, slot=slot) if slot is not None else rack)
    if holder:
        place += " " + _("to {holder}").format(holder=holder)
    if facility:
        place += f" ({facility})"
    return f"{place}, {condition.label if condition else ''}"


def weapon_history(db: Database, actor: Actor, weapon_id: int) -> tuple[HistoryLine, ...]:
    """A weapon's whole history, oldest first."""
    authorize(db, actor, Permission.VIEW)
    from armoury.models import Facility, Rack, User

    with db.read() as session:
        rows = session.execute(
            select(LedgerItem, LedgerEntry)
            .join(LedgerEntry, LedgerEntry.seq == LedgerItem.entry_seq)
            .where(LedgerItem.weapon_id == weapon_id)
            .order_by(LedgerItem.entry_seq)
        ).all()
        racks = dict(session.execute(select(Rack.id, Rack.code)).tuples().all())
        facilities = dict(session.execute(select(Facility.id, Facility.code)).tuples().all())
        people_ids = {i.from_holder_id for i, _e in rows} | {i.to_holder_id for i, _e in rows}
        people = {
            p.id: f"{p.display_name} ({p.service_number})"
            for p in session.scalars(select(Person).where(Person.id.in_([p for p in people_ids if p])))
        }
        users = dict(session.execute(select(User.id, User.username)).tuples().all())
        lines = []
        for item, entry in rows:
            witness_names = tuple(users.get(uid, str(uid)) for uid in json.loads(entry.witness_ids))
            lines.append(
                HistoryLine(
                    seq=entry.seq,
                    recorded_at=entry.recorded_at,
                    operation=entry.operation,
                    operation_label=entry.operation.label,
                    actor=entry.actor_username,
                    witnesses=witness_names,
                    document_ref=entry.document_ref,
                    reason=entry.reason,
                    corrects_seq=entry.corrects_seq,
                    payload=json.loads(entry.payload),
                    from_state=describe_state(
                        item.from_whereabouts,
                        item.from_condition,
                        racks.get(item.from_rack_id) if item.from_rack_id else None,
                        item.from_slot,
                        people.get(item.from_holder_id) if item.from_holder_id else None,
                        facilities.get(item.from_facility_id) if item.from_facility_id else None,
                    ),
                    to_state=describe_state(
                        item.to_whereabouts,
                        item.to_condition,
                        racks.get(item.to_rack_id) if item.to_rack_id else None,
                        item.to_slot,
                        people.get(item.to_holder_id) if item.to_holder_id else None,
                        facilities.get(item.to_facility_id),
                    ),
                    hash=entry.hash,
                )
            )
    return tuple(lines)
