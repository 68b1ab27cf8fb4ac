"""Reports benchmark: the monthly stock return of a big facility, and a long inventory PDF.

    .venv/bin/python benchmarks/bench_reports.py                      # small: 20,000 weapons, 200,000 entries
    .venv/bin/python benchmarks/bench_reports.py --weapons 1000000 --entries 10000000
    .venv/bin/python benchmarks/bench_reports.py --inventory-rows 100000

1. Builds an SQLite database with N weapons and M ledger entries (one item each) spread over twelve months
   (raw sqlite3 inserts; the hash chain is not computed, the return does not read it). The database is kept
   in the temporary folder, named by N, M and the schema revision
   (``armoury-bench-reports-N-M-REVISION-bB.sqlite3``), and reused by the next run: 10,000,000 entries take
   30–50 minutes to build on a shared 2-core machine (``--db`` names another file).
2. Times the monthly return of the last month: the figures (grouped SQL, :func:`compute_in`) and the PDF,
   against a plain SQL aggregate of the same figures that replays the whole ledger (each weapon's last item
   before the period's start and end), measured in the same run. Both must agree.
3. Times an inventory-style PDF of ``--inventory-rows`` rows (pages per second).

Prints medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import io
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from armoury.db import Database
from armoury.db.engine import make_engine
from armoury.db.revision import SCHEMA_REVISION
from armoury.db.schema import init_database
from armoury.reports import monthly_return as mr
from armoury.reports.base import Column, OutputFormat, ReportData, TableBlock, write_report

ON_BOOKS = ("in_store", "issued", "at_repair", "in_transit")
YEAR_START = datetime(2025, 12, 1, tzinfo=UTC)
PERIOD = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


#: Bump when :func:`build` makes a different database, so that an old cached one is not reused.
BUILD_FORMAT = 1


def cached_path(weapons: int, entries: int) -> Path:
    """Where the database of this size is kept between runs: building 10,000,000 entries takes minutes."""
    name = f"armoury-bench-reports-{weapons}-{entries}-{SCHEMA_REVISION}-b{BUILD_FORMAT}.sqlite3"
    return Path(tempfile.gettempdir()) / name


def build(path: Path, weapons: int, entries: int, seed: int = 1) -> None:
    engine = make_engine(f"sqlite:///{path}")
    init_database(engine)
    engine.dispose()
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA cache_size = -400000")  # 400 MB: index maintenance of a big load stays in memory
    now = datetime.now(UTC).replace(tzinfo=None)
    con.executemany(
        "INSERT INTO facilities (id, code, name, kind, country, region, active, created_at) "
        "VALUES (?, ?, ?, 'national_depot', '', '', 1, ?)",
        [(1, "CD-01", "Central depot", now), (2, "UA-02", "Unit armoury", now)],
    )
    con.execute(
        "INSERT INTO storage_areas (id, facility_id, code, name, kind, active) VALUES (1, 1, 'A', 'Main', 'building', 1)"
    )
    con.execute(
        "INSERT INTO storage_areas (id, facility_id, code, name, kind, active) VALUES (2, 2, 'A', 'Main', 'building', 1)"
    )
    racks = max(1, weapons // 50)
    con.executemany(
        "INSERT INTO racks (id, facility_id, area_id, code, name, kind, slots, lock_ref, active) "
        "VALUES (?, ?, ?, ?, '', 'rifle_rack', 0, '', 1)",
        [(r + 1, 1, 1, f"R-{r + 1:05d}") for r in range(racks)] + [(racks + 1, 2, 2, "R-00001")],
    )
    categories = ["assault_rifle", "pistol", "light_machine_gun", "rifle_carbine", "submachine_gun"]
    con.executemany(
        "INSERT INTO item_types (id, category, manufacturer, model, manufacturer_key, model_key, calibre, country) "
        "VALUES (?, ?, ?, ?, ?, ?, '7.62', '')",
        [(t + 1, categories[t % 5], f"Maker{t}", f"M{t}", f"MAKER{t}", f"M{t}") for t in range(20)],
    )
    registers = ["national"] * 6 + ["contingent"] * 2 + ["recovered"]
    # weapon state: facility, whereabouts, rack, register
    state: list[list[object]] = []
    for w in range(weapons):
        state.append([1, "in_store", rng.randint(1, racks), registers[w % len(registers)]])
    span = (datetime(2026, 12, 1) - datetime(2025, 12, 1)).total_seconds()
    seconds = sorted(rng.random() * span for _ in range(entries))
    first_day = datetime(2025, 12, 1)
    entry_rows: list[tuple[object, ...]] = []
    item_rows: list[tuple[object, ...]] = []

    def flush() -> None:
        con.executemany(
            "INSERT INTO ledger_entries (seq, recorded_at, operation, facility_id, actor_user_id, actor_username, "
            "witness_ids, document_ref, reason, corrects_seq, payload, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, NULL, 'bench', '[]', '', '', NULL, '{}', ?, ?)",
            entry_rows,
        )
        con.executemany(
            "INSERT INTO ledger_items (entry_seq, line, operation, weapon_id, register, from_facility_id, "
            "to_facility_id, from_whereabouts, to_whereabouts, from_rack_id, to_rack_id, from_slot, to_slot, "
            "from_holder_id, to_holder_id, from_condition, to_condition) "
            "VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, 'serviceable')",
            item_rows,
        )
        entry_rows.clear()
        item_rows.clear()

    con.execute(
        "INSERT INTO people (id, service_number, surname, given_names, rank, qualifications, active) VALUES (1, 'S1', 'HOLDER', '', '', '', 1)"
    )
    for seq in range(1, entries + 1):
        at = first_day + timedelta(seconds=seconds[seq - 1])
        if seq <= weapons:
            w = seq - 1
            op = "take_on_charge"
            before: list[object] | None = None
            after = state[w]
        else:
            w = rng.randrange(weapons)
            before = list(state[w])
            fac, where, _rack, register = before
            roll = rng.random()
            # A depot's month: mostly issues, returns and moves; repairs, transfers, losses and
            # destructions are rare (a loss in 5,000 operations on a weapon in store).
            if where == "in_store":
                if roll < 0.70:
                    op, after = "issue", [fac, "issued", None, register]
                elif roll < 0.95:
                    op, after = "move", [fac, "in_store", rng.randint(1, racks), register]
                elif roll < 0.985:
                    op, after = "repair_send", [fac, "at_repair", None, register]
                elif roll < 0.997:
                    op, after = "transfer_dispatch", [fac, "in_transit", None, register]
                elif roll < 0.9972:
                    op, after = "loss_report", [fac, "lost", None, register]
                elif roll < 0.998:
                    op, after = "destroy", [fac, "destroyed", None, register]
                else:
                    op, after = "move", [fac, "in_store", rng.randint(1, racks), register]
            elif where == "issued":
                op, after = (
                    "return",
                    [fac, "in_store", rng.randint(1, racks) if fac == 1 else racks + 1, register],
                )
            elif where == "at_repair":
                op, after = (
                    "repair_back",
                    [fac, "in_store", rng.randint(1, racks) if fac == 1 else racks + 1, register],
                )
            elif where == "in_transit":
                other = 2 if fac == 1 else 1
                op, after = "transfer_accept", [other, "in_store", racks + 1 if other == 2 else 1, register]
            elif where == "lost":
                op, after = (
                    "recover",
                    [fac, "in_store", rng.randint(1, racks) if fac == 1 else racks + 1, register],
                )
            else:  # destroyed: a quiet entry on another weapon instead
                op, after = "move", list(before)
            if after[1] == "in_store" and after[2] is None:
                after[2] = 1
            state[w] = after
        entry_rows.append((seq, at, op, after[0], f"{seq - 1:064x}", f"{seq:064x}"))
        item_rows.append(
            (
                seq,
                op,
                w + 1,
                after[3],
                before[0] if before else None,
                after[0],
                before[1] if before else None,
                after[1],
                before[2] if before else None,
                after[2],
                1 if after[1] == "issued" else None,
                "serviceable" if before else None,
            )
        )
        if len(entry_rows) >= 50_000:
            flush()
    flush()
    # Issued items need a holder by constraint on the weapons table; the items table's CHECK is on to_*.
    con.executemany(
        "INSERT INTO weapons (id, item_type_id, serial, serial_key, serial_skeleton, register, contingent_country, "
        "contingent_unit, recovered_place, recovered_circumstances, recovering_unit, case_reference, facility_id, "
        "whereabouts, rack_id, holder_id, condition, notes, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, '', '', '', '', '', ?, ?, ?, ?, 'serviceable', '', ?)",
        (
            (w + 1, w % 20 + 1, f"SN{w:08d}", f"SN{w:08d}", f"SN{w:08d}", s[3], "XX" if s[3] == "contingent" else "",
             s[0], s[1], s[2] if s[1] == "in_store" else None, 1 if s[1] == "issued" else None, now)
            for w, s in enumerate(state)
        ),
    )  # fmt: skip
    con.commit()
    con.execute("ANALYZE")
    con.close()


PLAIN_SQL = f"""
WITH last_open AS (
  SELECT i.weapon_id, i.register, i.to_facility_id AS f, i.to_whereabouts AS w FROM ledger_items i
  JOIN (SELECT weapon_id, max(entry_seq) AS s FROM ledger_items WHERE entry_seq <= :a GROUP BY weapon_id) l
    ON l.weapon_id = i.weapon_id AND l.s = i.entry_seq),
last_close AS (
  SELECT i.weapon_id, i.register, i.to_facility_id AS f, i.to_whereabouts AS w FROM ledger_items i
  JOIN (SELECT weapon_id, max(entry_seq) AS s FROM ledger_items WHERE entry_seq <= :b GROUP BY weapon_id) l
    ON l.weapon_id = i.weapon_id AND l.s = i.entry_seq)
SELECT 'opening', o.register, wp.item_type_id, o.w, count(*) FROM last_open o JOIN weapons wp ON wp.id = o.weapon_id
  WHERE o.f = :f AND o.w IN {ON_BOOKS} GROUP BY o.register, wp.item_type_id, o.w
UNION ALL
SELECT 'closing', c.register, wp.item_type_id, c.w, count(*) FROM last_close c JOIN weapons wp ON wp.id = c.weapon_id
  WHERE c.f = :f AND c.w IN {ON_BOOKS} GROUP BY c.register, wp.item_type_id, c.w
UNION ALL
SELECT i.operation, i.register, wp.item_type_id, CASE WHEN i.to_facility_id = :f THEN 'in' ELSE 'out' END, count(*)
  FROM ledger_items i JOIN weapons wp ON wp.id = i.weapon_id
  WHERE i.entry_seq > :a AND i.entry_seq <= :b AND (i.to_facility_id = :f OR i.from_facility_id = :f)
  AND i.operation IN ('take_on_charge', 'receive', 'transfer_accept', 'recover', 'register_recovered',
                      'loss_report', 'destroy')
  GROUP BY i.operation, i.register, wp.item_type_id, 4
"""


def plain_aggregate(db: Database, a: int, b: int) -> dict[str, int]:
    from sqlalchemy import text

    totals: dict[str, int] = {"opening": 0, "closing": 0, "in": 0, "out": 0}
    with db.read() as session:
        session.execute(text("PRAGMA cache_size = -65536"))  # the same page cache as the return's queries
        for kind, _reg, _type, where, count in session.execute(text(PLAIN_SQL), {"a": a, "b": b, "f": 1}):
            if kind in ("opening", "closing"):
                totals[kind] += int(count)
            elif kind == "transfer_accept":
                totals["in" if where == "in" else "out"] += int(count)
            elif kind in ("take_on_charge", "receive", "recover", "register_recovered"):
                totals["in"] += int(count)
            else:
                totals["out"] += int(count)
    return totals


def median_time(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weapons", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--inventory-rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--db",
        help="reuse (or keep) the database file here (default: a file in /tmp named by size and schema)",
    )
    args = parser.parse_args()
    args.entries = max(args.entries, args.weapons)

    path = Path(args.db) if args.db else cached_path(args.weapons, args.entries)
    if path.exists():
        print(f"reusing {path}")
    else:
        started = time.perf_counter()
        building = path.with_name(path.name + ".building")
        building.unlink(missing_ok=True)
        build(building, args.weapons, args.entries)
        building.rename(path)  # only a finished database is ever reused
        print(
            f"built {args.weapons:,} weapons / {args.entries:,} entries in {time.perf_counter() - started:.1f} s"
            f" -> {path}"
        )
    db = Database(f"sqlite:///{path}")
    facility = mr.FacilityInfo(1, "CD-01", "Central depot")

    def figures() -> mr.MonthlyReturn:
        with db.read() as session:
            return mr.compute_in(session, facility, *PERIOD)

    fig_time, result = median_time(figures, args.repeat)
    assert isinstance(result, mr.MonthlyReturn)

    def pdf() -> int:
        buffer = io.BytesIO()
        return write_report(mr.build_report(result, "bench"), OutputFormat.PDF, buffer)

    pdf_time, pages = median_time(pdf, args.repeat)
    plain_time, plain = median_time(
        lambda: plain_aggregate(db, result.first_seq - 1, result.last_seq), args.repeat
    )
    totals = result.totals()
    ins = totals["receipts"] + totals["transfers_in"] + totals["recoveries"]
    outs = totals["transfers_out"] + totals["losses"] + totals["disposals"]
    assert plain == {"opening": totals["opening"], "closing": totals["closing"], "in": ins, "out": outs}, (
        plain,
        totals,
    )
    assert result.reconciled
    print(f"monthly return, {args.weapons:,} weapons / {args.entries:,} entries, period entries "
          f"{result.first_seq:,}-{result.last_seq:,}:")  # fmt: skip
    print(f"  figures (SQL)            median {fig_time:7.3f} s")
    print(f"  PDF ({pages} pages)           median {pdf_time:7.3f} s")
    print(f"  figures + PDF            median {fig_time + pdf_time:7.3f} s   (goal <= 5 s)")
    print(
        f"  plain SQL aggregate      median {plain_time:7.3f} s   ratio figures/plain = {fig_time / plain_time:.2f}"
    )

    rows = [
        [f"R-{n // 40:05d}", n % 40 + 1, f"SN{n:08d}", "Kalashnikov AKM", "7.62x39", "Assault rifle",
         "National stock", "Serviceable", "☐"]
        for n in range(args.inventory_rows)
    ]  # fmt: skip
    report = ReportData(
        kind="inventory",
        title="Inventory by location",
        depot_name="Central depot (CD-01)",
        generated_by="bench",
        landscape=False,
        blocks=[
            TableBlock(
                "in_store",
                "In store",
                [
                    Column("rack", "Rack", 0),
                    Column("slot", "Slot", 10, True),
                    Column("serial", "Serial", 30),
                    Column("item_type", "Item type", 34),
                    Column("calibre", "Calibre", 16),
                    Column("category", "Category", 26),
                    Column("register", "Register", 30),
                    Column("condition", "Condition", 24),
                    Column("seen", "Seen", 10),
                ],
                rows,
                group_key="rack",
            )
        ],
    )

    def inventory() -> int:
        return write_report(report, OutputFormat.PDF, io.BytesIO())

    inv_time, inv_pages = median_time(inventory, max(1, args.repeat if args.inventory_rows <= 20_000 else 1))
    assert isinstance(inv_pages, int)
    print(f"inventory PDF, {args.inventory_rows:,} rows: {inv_pages} pages, median {inv_time:.2f} s, "
          f"{inv_pages / inv_time:.0f} pages/s, {args.inventory_rows / inv_time:,.0f} rows/s")  # fmt: skip
    db.dispose()


if __name__ == "__main__":
    main()
