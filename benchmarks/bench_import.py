"""Benchmark: build a depot of N weapons through the real items import, then look weapons up by serial.

Prints, for an SQLite file database:

* validated import rows per second (median of ``--runs`` imports of the same CSV file, each into a fresh
  database holding the locations and the catalogue): reading the file, validating every row, writing
  the weapons and their take-on-charge entry in one transaction;
* the ratio to a plain ``sqlite3`` ``executemany`` of the same weapon rows into the same schema,
  measured in the same run (the floor no import can beat);
* lookup by serial through the lookup service (a new read unit of work per lookup, serials typed with
  other case and dashes): median and p99 over ``--lookups`` random serials.

Usage: python benchmarks/bench_import.py [--size 100000] [--runs 3] [--lookups 2000]
Goals (issue 2): at least 20,000 validated rows/s; lookup under 1 ms at 1,000,000 weapons.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from armoury.db import Database  # noqa: E402
from armoury.db.schema import init_database  # noqa: E402
from armoury.security.permissions import SYSTEM_ACTOR  # noqa: E402
from armoury.services.imports import import_file  # noqa: E402
from armoury.services.lookup import lookup  # noqa: E402

SLOTS = 100
TYPES = [
    ("Izhmash", "AKM", "assault_rifle"), ("Norinco", "Type 56", "assault_rifle"), ("FN Herstal", "FAL", "rifle_carbine"),
    ("Heckler & Koch", "G3", "rifle_carbine"), ("Colt", "M16A2", "assault_rifle"), ("Beretta", "92", "pistol"),
    ("Glock", "17", "pistol"), ("MAS", "MAT-49", "submachine_gun"), ("Kalashnikov", "PKM", "gp_machine_gun"),
    ("Molot", "RPK", "light_machine_gun"), ("Bazalt", "RPG-7", "rocket_launcher"), ("Browning", "M2HB", "heavy_machine_gun"),
    ("FN Herstal", "MAG", "gp_machine_gun"), ("Izhmekh", "Makarov PM", "pistol"), ("Tula", "SKS", "rifle_carbine"),
    ("Mossberg", "500", "shotgun"), ("IMI", "Uzi", "submachine_gun"), ("MAS", "36", "rifle_carbine"),
    ("Izhmash", "Dragunov SVD", "rifle_carbine"), ("Springfield", "M79", "grenade_launcher"),
]  # fmt: skip
ITEM_HEADERS = ["serial", "manufacturer", "model", "year", "facility_code", "rack_code", "slot", "register",
                "condition", "notes"]  # fmt: skip


def write_fixtures(folder: Path, size: int) -> tuple[Path, Path, Path, list[str]]:
    rng = random.Random(7)
    racks = (size + SLOTS - 1) // SLOTS
    locations = folder / "locations.csv"
    with locations.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["facility_code", "facility_name", "facility_kind", "area_code", "area_name", "rack_code",
                         "slots"])  # fmt: skip
        for n in range(racks):
            writer.writerow(
                ["DEP", "Dépôt de référence", "national_depot", f"MAG{n // 200:03d}", "", f"R{n:05d}", SLOTS]
            )
    catalogue = folder / "catalogue.csv"
    with catalogue.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["manufacturer", "model", "category"])
        writer.writerows(TYPES)
    items = folder / "items.csv"
    serials = []
    with items.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ITEM_HEADERS)
        for i in range(size):
            manufacturer, model, _category = TYPES[i % len(TYPES)]
            serial = f"{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')} {i:07d}"
            serials.append(serial)
            writer.writerow([serial, manufacturer, model, 1960 + i % 50, "DEP", f"R{i // SLOTS:05d}", i % SLOTS + 1,
                             "national", "serviceable", ""])  # fmt: skip
    return locations, catalogue, items, serials


def make_template(folder: Path, locations: Path, catalogue: Path) -> Path:
    path = folder / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    init_database(db.engine)
    for kind, file in (("locations", locations), ("catalogue", catalogue)):
        report = import_file(db, SYSTEM_ACTOR, kind, file)
        assert report.ok, report.errors
    db.dispose()
    return path


def time_import(template: Path, target: Path, items: Path) -> tuple[float, float, Database]:
    """Wall and CPU seconds of one import (the CPU time shows the work when the machine is shared)."""
    shutil.copyfile(template, target)
    db = Database(f"sqlite:///{target}")
    start, cpu = time.perf_counter(), time.process_time()
    report = import_file(db, SYSTEM_ACTOR, "items", items)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert report.ok and report.written == report.rows, (report.errors[:5], report.written)
    return elapsed, cpu, db


def time_dry_run(template: Path, items: Path) -> float:
    """Reading and validating only (``--dry-run``), on a database with the locations and catalogue."""
    db = Database(f"sqlite:///{template}")
    start = time.perf_counter()
    report = import_file(db, SYSTEM_ACTOR, "items", items, dry_run=True)
    elapsed = time.perf_counter() - start
    db.dispose()
    assert report.ok and report.valid == report.rows
    return elapsed


def time_executemany(template: Path, target: Path, source: Path) -> float:
    """Plain sqlite3: the same weapon rows (read back from an imported database) in one transaction."""
    with sqlite3.connect(source) as reader:
        columns = [row[1] for row in reader.execute("PRAGMA table_info(weapons)")]
        rows = reader.execute(f"SELECT {', '.join(columns)} FROM weapons ORDER BY id").fetchall()
    shutil.copyfile(template, target)
    connection = sqlite3.connect(target, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA synchronous = FULL")
    sql = f"INSERT INTO weapons ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    start = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(sql, rows)
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def time_lookups(db: Database, serials: list[str], count: int) -> list[float]:
    rng = random.Random(11)
    samples = []
    for serial in rng.sample(serials, min(count, len(serials))):
        typed = serial.lower().replace(" ", "-")  # typed differently from the marking
        start = time.perf_counter()
        result = lookup(db, None, typed)
        samples.append(time.perf_counter() - start)
        assert result.weapons[0].serial == serial
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000, help="weapons in the depot (default 100,000)")
    parser.add_argument("--runs", type=int, default=3, help="imports to take the median of (default 3)")
    parser.add_argument("--lookups", type=int, default=2000, help="serial lookups to time (default 2,000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="armoury-bench-") as name:
        folder = Path(name)
        locations, catalogue, items, serials = write_fixtures(folder, args.size)
        template = make_template(folder, locations, catalogue)
        import_times, cpu_times = [], []
        db: Database | None = None
        for run in range(args.runs):
            if db is not None:
                db.dispose()
            elapsed, cpu, db = time_import(template, folder / f"run{run}.sqlite3", items)
            import_times.append(elapsed)
            cpu_times.append(cpu)
        assert db is not None
        raw_times = [
            time_executemany(template, folder / f"raw{run}.sqlite3", folder / "run0.sqlite3")
            for run in range(args.runs)
        ]
        dry_times = [time_dry_run(template, items) for _run in range(args.runs)]
        import_rate = args.size / statistics.median(import_times)
        raw_rate = args.size / statistics.median(raw_times)
        lookups = sorted(time_lookups(db, serials, args.lookups))
        db.dispose()
    p99 = lookups[min(len(lookups) - 1, int(len(lookups) * 0.99))]
    print(f"weapons: {args.size:,}  (SQLite file, synchronous=FULL; median of {args.runs} runs)")
    print(f"import (read + validate + write, one transaction): {import_rate:,.0f} validated rows/s "
          f"(runs: {', '.join(f'{t:.2f} s' for t in import_times)}; goal >= 20,000/s)")  # fmt: skip
    print(f"  CPU time of the import:                          {statistics.median(cpu_times):.2f} s "
          f"({args.size / statistics.median(cpu_times):,.0f} rows per CPU second)")  # fmt: skip
    print(
        f"validation only (--dry-run: read + validate):      {args.size / statistics.median(dry_times):,.0f} rows/s"
    )
    print(f"plain sqlite3 executemany of the same rows:        {raw_rate:,.0f} rows/s")
    print(f"ratio import / executemany:                        {import_rate / raw_rate:.2f}")
    print(f"lookup by serial ({len(lookups)} lookups, service call): median "
          f"{statistics.median(lookups) * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms (goal < 1 ms at 1,000,000)")  # fmt: skip


if __name__ == "__main__":
    main()
