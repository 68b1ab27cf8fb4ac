"""Custody ledger benchmarks.

1. Counter speed: a 10-weapon issue (and its return) on SQLite with ``synchronous=FULL``, as the services
   run it (resolve, witness rule, lock, one ledger entry with 10 items, weapons, hand-receipt lines, commit).
   Prints operations per second, median and p95 latency, the goal (p95 <= 50 ms) and, as a baseline measured
   in the same run, a raw sqlite3 "update + insert + commit" transaction.
2. ``verify`` over a ledger of N entries (default 1,000,000; goal <= 20 s): the chain is recomputed, the
   ledger replayed against the weapons, and the one-place checks run.

    ./dev bench bench_ledger [--ops 200] [--entries 1000000] [--weapons 10000] [--keep FILE] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from armoury.db import Database
from armoury.db.engine import make_engine
from armoury.db.schema import init_database
from armoury.domain.enums import Condition, Register, Role, Whereabouts
from armoury.domain.serials import serial_key, serial_skeleton
from armoury.models import Weapon
from armoury.services import custody
from armoury.services.ledger import entry_hash, timestamp, verify_unchecked
from tests.core.custody_world import build_world, create_user

GOAL_P95_MS = 50.0
GOAL_VERIFY_S = 20.0


def _new_database(folder: Path, name: str) -> Database:
    path = folder / name
    engine = make_engine(f"sqlite:///{path}")
    init_database(engine)
    engine.dispose()
    return Database(f"sqlite:///{path}")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bench_counter(folder: Path, operations: int) -> None:
    db = _new_database(folder, "counter.sqlite3")
    world = build_world(db, weapons=10)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    refs = [f"AK{i + 1:04d}" for i in range(1, 10)] + ["AK-47:AK0001"]
    issue_ms: list[float] = []
    return_ms: list[float] = []
    started = time.perf_counter()
    for _ in range(operations):
        t0 = time.perf_counter()
        custody.issue(
            db,
            world.store,
            refs,
            "SN-1",
            due_back=datetime.now(UTC) + timedelta(hours=8),
            witnesses=[world.witness],
        )
        t1 = time.perf_counter()
        custody.return_weapons(db, world.store, refs)
        t2 = time.perf_counter()
        issue_ms.append((t1 - t0) * 1000)
        return_ms.append((t2 - t1) * 1000)
    elapsed = time.perf_counter() - started
    baseline = _raw_baseline(folder, operations)
    print(f"10-weapon issue   : median {statistics.median(issue_ms):6.1f} ms, p95 {_p95(issue_ms):6.1f} ms")
    print(f"10-weapon return  : median {statistics.median(return_ms):6.1f} ms, p95 {_p95(return_ms):6.1f} ms")
    print(f"operations/s      : {2 * operations / elapsed:6.1f} (issue + return, one ledger entry each)")
    print(f"raw sqlite3 update+insert+commit (baseline): median {statistics.median(baseline):6.2f} ms")
    print(f"issue / baseline  : {statistics.median(issue_ms) / statistics.median(baseline):6.1f}x")
    print(f"issue p95 / goal ({GOAL_P95_MS:.0f} ms): {_p95(issue_ms) / GOAL_P95_MS:5.2f}")
    db.dispose()


def _raw_baseline(folder: Path, operations: int) -> list[float]:
    connection = sqlite3.connect(folder / "baseline.sqlite3", isolation_level=None)
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    connection.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, v INTEGER)")
    connection.execute("INSERT INTO t VALUES (1, 0)")
    times = []
    for i in range(operations):
        t0 = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE t SET v = ? WHERE id = 1", (i,))
        connection.execute("INSERT INTO log (v) VALUES (?)", (i,))
        connection.execute("COMMIT")
        times.append((time.perf_counter() - t0) * 1000)
    connection.close()
    return times


def build_long_ledger(folder: Path, entries: int, weapons: int, name: str | None = None) -> Database:
    """A valid ledger of ``entries`` entries: one take-on-charge of ``weapons`` weapons, then condition
    changes round the weapons, written straight with sqlite3 (hashes computed like the services do)."""
    db = _new_database(folder, name or "verify.sqlite3")
    world = build_world(db, weapons=0, with_users=False)
    actor = create_user(db, "bench", Role.STOREKEEPER)
    facility, rack = world.facility_a, world.racks["R1"]
    with db.write() as session:
        session.execute(
            insert(Weapon),
            [
                {
                    "item_type_id": world.types["AK"],
                    "serial": f"B{i:07d}",
                    "serial_key": serial_key(f"B{i:07d}"),
                    "serial_skeleton": serial_skeleton(f"B{i:07d}"),
                    "register": Register.NATIONAL,
                    "facility_id": facility,
                    "whereabouts": Whereabouts.IN_STORE,
                    "rack_id": rack,
                    "condition": Condition.SERVICEABLE,
                }
                for i in range(weapons)
            ],
        )
    path = Path(str(db.engine.url.database))
    db.engine.dispose()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = OFF")
    # build_world already took its one weapon on charge (entry 1): the bench weapons come after it.
    first, prev = connection.execute(
        "SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    ids = [r[0] for r in connection.execute("SELECT id FROM weapons WHERE serial LIKE 'B%' ORDER BY id")]
    condition = dict.fromkeys(ids, "serviceable")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    connection.execute("BEGIN")
    batch_entries: list[tuple[object, ...]] = []
    batch_items: list[tuple[object, ...]] = []
    for seq in range(first + 1, entries + 1):
        moment = start + timedelta(seconds=seq)
        stored = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
        if seq == first + 1:
            operation, payload = "take_on_charge", '{"source":"bench"}'
            items = [
                [i + 1, operation, w, "national", None, facility, None, "in_store", None, rack, None, None, None, None,
                 None, "serviceable"]
                for i, w in enumerate(ids)
            ]  # fmt: skip
        else:
            operation, payload = "condition_change", "{}"
            w = ids[(seq - first - 2) % len(ids)]
            old = condition[w]
            new = "unserviceable" if old == "serviceable" else "serviceable"
            condition[w] = new
            items = [[1, operation, w, "national", facility, facility, "in_store", "in_store", rack, rack, None, None,
                      None, None, old, new]]  # fmt: skip
        row = [
            seq,
            timestamp(moment),
            operation,
            facility,
            actor.user_id,
            "bench",
            "[]",
            "",
            "",
            None,
            payload,
        ]
        digest = entry_hash(prev, row, items)
        batch_entries.append(
            (
                seq,
                stored,
                operation,
                facility,
                actor.user_id,
                "bench",
                "[]",
                "",
                "",
                None,
                payload,
                prev,
                digest,
            )
        )
        batch_items.extend((seq, *item) for item in items)
        prev = digest
        if len(batch_entries) >= 20_000 or seq == entries:
            connection.executemany(
                "INSERT INTO ledger_entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch_entries
            )
            connection.executemany(
                "INSERT INTO ledger_items (entry_seq, line, operation, weapon_id, register, from_facility_id, "
                "to_facility_id, from_whereabouts, to_whereabouts, from_rack_id, to_rack_id, from_slot, to_slot, "
                "from_holder_id, to_holder_id, from_condition, to_condition) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                batch_items,
            )
            batch_entries, batch_items = [], []
    connection.executemany(
        "UPDATE weapons SET condition = ? WHERE id = ?", [(c, w) for w, c in condition.items()]
    )
    connection.execute("COMMIT")
    connection.close()
    return db


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (verify's worker processes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def bench_verify(
    folder: Path, entries: int, weapons: int, keep: Path | None = None, workers: int | None = None
) -> None:
    t0 = time.perf_counter()
    if keep is not None and keep.exists():
        db = Database(f"sqlite:///{keep}")
        print(f"reusing the ledger in {keep}")
    else:
        db = build_long_ledger(keep.parent if keep else folder, entries, weapons, keep.name if keep else None)
        print(
            f"built a ledger of {entries:,} entries over {weapons:,} weapons in {time.perf_counter() - t0:.1f} s"
        )
    runs: list[float] = []
    cpu: list[float] = []
    load = os.getloadavg()[0]
    for _ in range(3 if entries <= 200_000 else 1):
        c0 = _cpu_seconds()
        report = verify_unchecked(db, workers=workers)
        cpu.append(_cpu_seconds() - c0)
        assert report.ok, report.problems
        runs.append(report.seconds)
    size = report.entries
    wall, used = statistics.median(runs), statistics.median(cpu)
    processes = f"{workers} process(es)" if workers else f"default processes, {os.cpu_count()} cores"
    print(f"verify ({processes}, load average {load:.1f} -> {os.getloadavg()[0]:.1f}):")
    print(
        f"  median {wall:6.2f} s wall ({size / wall:,.0f} entries/s), "
        f"{used:6.2f} s CPU with the workers ({size / used:,.0f} entries per CPU second)"
    )
    scale = 1_000_000 / size / GOAL_VERIFY_S
    print(
        f"verify / goal ({GOAL_VERIFY_S:.0f} s for 1,000,000 entries): wall {wall * scale:5.2f}, CPU {used * scale:5.2f}"
    )
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=200, help="10-weapon issues (each followed by a return)")
    parser.add_argument("--entries", type=int, default=1_000_000, help="ledger entries for verify")
    parser.add_argument("--weapons", type=int, default=10_000, help="weapons in the verify ledger")
    parser.add_argument("size", nargs="?", type=int, help="shorthand for --entries")
    parser.add_argument("--keep", type=Path, help="build the verify ledger in this file, or reuse it")
    parser.add_argument("--skip-counter", action="store_true", help="only the verify benchmark")
    parser.add_argument(
        "--workers",
        type=int,
        help="verify in slices on N worker processes (default: what verify chooses, up to 4 on a long ledger with 4 cores or more)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="armoury-bench-ledger-") as folder:
        if not args.skip_counter:
            bench_counter(Path(folder), args.ops)
        bench_verify(Path(folder), args.size or args.entries, args.weapons, args.keep, args.workers)


if __name__ == "__main__":
    main()
