"""Counts: reconciliation of an N-weapon count, and the time of one scan in a depot of M weapons.

* ``reconcile``: armoury.services.count_reconcile.count_result on a count of N weapons whose scans are all
  recorded (98 % in place, 1 % on another rack, 1 % missing, plus unexpected and duplicate scans): loading
  the books snapshot and the scans, classifying, and building every result line with its texts; then the
  same without the lines of the weapons found in place (``in_place_lines=False``, as the result screen,
  resolving a difference and closing ask for it).
* ``scan``: armoury.services.count_scan.scan of one serial number (typed, the slowest path: serial lookup
  among M weapons, current place, duplicate check, one committed row) — median and 95th percentile.
* ``snapshot``: start_count of the N-weapon count (the books copied at start), for information.

Baselines measured in the same run, on the same file: ``raw load`` (plain sqlite3 fetching the snapshot and
the scans of the count into Python, nothing else) for the reconciliation, and ``raw commit`` (plain sqlite3
``BEGIN IMMEDIATE``, one INSERT, ``COMMIT`` with synchronous=FULL: the fsync every scan must pay) for the
scan. On a loaded machine the fsync alone can exceed the goal; compare the ratios.

Goals (issue 7): reconciliation of 100,000 weapons <= 2 s; one scan at 1,000,000 weapons <= 20 ms. The
ratios printed are the median over the goal (<= 1.0 meets it) and over the baseline. Usage:
``python benchmarks/bench_counts.py [--weapons N] [--scan-weapons M] [--scans S] [--repeat R]``
(defaults are small; the goals need ``--weapons 100000 --scan-weapons 1000000``).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from armoury.db import Database
from armoury.db.engine import make_engine
from armoury.db.schema import init_database
from armoury.domain.enums import Category, Role
from armoury.domain.serials import serial_key, serial_skeleton
from armoury.models import Facility, ItemType, Rack, StorageArea, User, Weapon
from armoury.models.base import utcnow
from armoury.models.counts import CountScan, ScanKind, ScanMethod
from armoury.security.permissions import Actor
from armoury.services import count_reconcile, count_scan, counts

PER_RACK = 100
RECONCILE_GOAL_S = 2.0
SCAN_GOAL_MS = 20.0


def build_depot(path: Path, weapons: int) -> tuple[Database, Actor, list[int]]:
    """A depot of ``weapons`` weapons on racks of 100, written with Core bulk inserts."""
    engine = make_engine(f"sqlite:///{path}")
    init_database(engine)
    engine.dispose()
    db = Database(f"sqlite:///{path}")
    with db.write() as session:
        user = User(username="bench", full_name="Bench", role=Role.ADMINISTRATOR, password_hash="x")
        facility = Facility(code="BENCH", name="Bench depot", kind="national_depot")
        session.add_all([user, facility])
        session.flush()
        area = StorageArea(facility_id=facility.id, code="A", name="Area")
        item_type = ItemType(
            category=Category.ASSAULT_RIFLE, manufacturer="Kalashnikov", model="AKM",
            manufacturer_key="KALASHNIKOV", model_key="AKM",
        )  # fmt: skip
        session.add_all([area, item_type])
        session.flush()
        racks = (weapons + PER_RACK - 1) // PER_RACK
        session.execute(
            insert(Rack),
            [{"facility_id": facility.id, "area_id": area.id, "code": f"R{r:05d}", "name": "", "slots": PER_RACK,
              "kind": "rifle_rack", "lock_ref": "", "active": True} for r in range(1, racks + 1)],
        )  # fmt: skip
        rack_ids = list(session.scalars(select(Rack.id).order_by(Rack.id)))
        actor = Actor(user.id, "bench", Role.ADMINISTRATOR)
        facility_id, item_type_id = facility.id, item_type.id
    batch: list[dict[str, object]] = []
    for i in range(weapons):
        serial = f"AK-{i:07d}"
        key = serial_key(serial)
        batch.append(
            {"item_type_id": item_type_id, "serial": serial, "serial_key": key, "serial_skeleton": serial_skeleton(key),
             "facility_id": facility_id, "whereabouts": "in_store", "rack_id": rack_ids[i // PER_RACK],
             "slot": i % PER_RACK + 1, "register": "national", "condition": "serviceable", "contingent_country": "",
             "contingent_unit": "", "recovered_place": "", "recovered_circumstances": "", "recovering_unit": "",
             "case_reference": "", "notes": "", "created_at": utcnow()}
        )  # fmt: skip
        if len(batch) == 20_000:
            with db.write() as session:
                session.execute(insert(Weapon), batch)
            batch = []
    if batch:
        with db.write() as session:
            session.execute(insert(Weapon), batch)
    return db, actor, rack_ids


def record_scans(db: Database, actor: Actor, number: str, rack_ids: list[int]) -> int:
    """Scans of the whole count written in bulk: each rack label, then its weapons (1 % elsewhere, 1 %
    missing), a duplicate and an unknown serial every 1,000 weapons."""
    with db.read() as session:
        count_id = counts.find_count(session, number).id
        weapons = session.execute(select(Weapon.id, Weapon.rack_id).order_by(Weapon.id)).all()
    rows: list[dict[str, object]] = []
    now = utcnow()

    def add(kind: ScanKind, **values: object) -> None:
        rows.append({"count_id": count_id, "scanned_at": now, "counter_id": actor.user_id, "text": "x",
                     "kind": kind, "method": ScanMethod.SCAN, "duplicate": False, **values})  # fmt: skip

    for rack_id in rack_ids:
        add(ScanKind.RACK, rack_id=rack_id)
    for n, (weapon_id, rack_id) in enumerate(weapons):
        if n % 100 == 7:
            continue  # missing
        found = rack_ids[(rack_ids.index(rack_id) + 1) % len(rack_ids)] if n % 100 == 3 else rack_id
        add(ScanKind.WEAPON, weapon_id=weapon_id, rack_id=found)
        if n % 1000 == 5:
            add(ScanKind.WEAPON, weapon_id=weapon_id, rack_id=found, duplicate=True)
            add(ScanKind.UNKNOWN)
    with db.write() as session:
        for start in range(0, len(rows), 20_000):
            session.execute(insert(CountScan), rows[start : start + 20_000])
    return len(rows)


def _path(db: Database) -> str:
    return db.url.removeprefix("sqlite:///")


def raw_load(db: Database, count_id: int) -> float:
    start = time.perf_counter()
    connection = sqlite3.connect(_path(db))
    try:
        connection.execute(
            "SELECT weapon_id, rack_id, slot, holder_id FROM count_expected WHERE count_id = ?", (count_id,)
        ).fetchall()
        connection.execute(
            "SELECT id, kind, weapon_id, rack_id, person_id, duplicate, text FROM count_scans WHERE count_id = ?",
            (count_id,),
        ).fetchall()
    finally:
        connection.close()
    return time.perf_counter() - start


def raw_commit(db: Database, repeat: int) -> float:
    connection = sqlite3.connect(_path(db), isolation_level=None)
    times = []
    try:
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("CREATE TABLE bench_baseline (id INTEGER PRIMARY KEY, text TEXT)")
        for _i in range(repeat):
            start = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO bench_baseline (text) VALUES ('AK-0000001')")
            connection.execute("COMMIT")
            times.append((time.perf_counter() - start) * 1000)
    finally:
        connection.close()
    return statistics.median(times)


def bench_reconcile(weapons: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db, actor, rack_ids = build_depot(Path(folder) / "reconcile.sqlite3", weapons)
        start = time.perf_counter()
        info = counts.start_count(db, actor, counts.CountPlan("BENCH", "annual"))
        snapshot = time.perf_counter() - start
        scans = record_scans(db, actor, info.number, rack_ids)
        times, short_times = [], []
        for _i in range(repeat):
            start = time.perf_counter()
            result = count_reconcile.count_result(db, actor, info.number)
            times.append(time.perf_counter() - start)
            start = time.perf_counter()
            count_reconcile.count_result(db, actor, info.number, in_place_lines=False)
            short_times.append(time.perf_counter() - start)
        median = statistics.median(times)
        baseline = statistics.median(raw_load(db, info.id) for _i in range(repeat))
        sizes = ", ".join(f"{k.value} {len(v)}" for k, v in result.lists.items())
        print(f"snapshot   {weapons:>9,} weapons: {snapshot:8.3f} s")
        print(f"raw load   {weapons:>9,} weapons, {scans:,} scans: median {baseline:8.3f} s (baseline)")
        print(f"reconcile  {weapons:>9,} weapons, {scans:,} scans: median {median:8.3f} s "
              f"(goal {RECONCILE_GOAL_S} s, ratio {median / RECONCILE_GOAL_S:.2f}; "
              f"x{median / baseline:.1f} baseline) [{sizes}]")  # fmt: skip
        short = statistics.median(short_times)
        print(f"  differences only (result screen, resolve, close): median {short:8.3f} s "
              f"(x{short / baseline:.1f} baseline)")  # fmt: skip
        db.dispose()


def bench_scan(weapons: int, scans: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db, actor, rack_ids = build_depot(Path(folder) / "scan.sqlite3", weapons)
        racks_needed = max(1, (scans + PER_RACK - 1) // PER_RACK)
        with db.read() as session:
            codes = list(session.scalars(select(Rack.code).where(Rack.id.in_(rack_ids[:racks_needed]))))
        info = counts.start_count(db, actor, counts.CountPlan("BENCH", "monthly", racks=codes))
        from armoury.labels.payload import LabelKind, encode
        from armoury.labels.resolver import depot_code

        depot = depot_code(db)
        times = []
        done = 0
        for r, rack_id in enumerate(rack_ids[:racks_needed]):
            count_scan.scan(db, actor, info.number, encode(LabelKind.RACK, rack_id, depot))
            for i in range(PER_RACK):
                if done == scans:
                    break
                serial = f"AK-{r * PER_RACK + i:07d}"
                start = time.perf_counter()
                count_scan.scan(db, actor, info.number, serial)
                times.append((time.perf_counter() - start) * 1000)
                done += 1
        times.sort()
        median = statistics.median(times)
        p95 = times[int(len(times) * 0.95) - 1]
        commit = raw_commit(db, len(times))
        print(f"raw commit {weapons:>9,} weapons, {len(times)} commits: median {commit:6.2f} ms (baseline)")
        print(f"scan       {weapons:>9,} weapons, {len(times)} scans: median {median:6.2f} ms, p95 {p95:6.2f} ms "
              f"(goal {SCAN_GOAL_MS} ms, ratio {median / SCAN_GOAL_MS:.2f}; x{median / commit:.1f} baseline)")  # fmt: skip
        db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--weapons", type=int, default=10_000, help="weapons in the reconciled count")
    parser.add_argument("--scan-weapons", type=int, default=20_000, help="weapons in the depot for the scans")
    parser.add_argument("--scans", type=int, default=200, help="scans timed")
    parser.add_argument("--repeat", type=int, default=3, help="reconciliation runs (median)")
    args = parser.parse_args()
    bench_reconcile(args.weapons, args.repeat)
    bench_scan(args.scan_weapons, args.scans)
    return 0


if __name__ == "__main__":
    sys.exit(main())
