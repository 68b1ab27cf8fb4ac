"""Several counters on different racks of one count at the same time (PostgreSQL): no scan is lost, and a
weapon scanned by two counters at the same instant is counted once and flagged once as a duplicate."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from armoury.db import Database
from armoury.models.counts import CountScan, ScanKind
from armoury.security.permissions import Actor
from armoury.services import count_reconcile as rec
from armoury.services import count_scan as cs
from armoury.services import counts
from armoury.services.count_reconcile import ResultList
from tests.core.test_count_world import build_world

PER_RACK = 15


@pytest.mark.pg
def test_two_counters_scan_different_racks_at_once_without_losing_scans(pg_db: Database) -> None:
    world = build_world(pg_db, per_rack=PER_RACK)
    counters = [world.commander, world.inspector]
    count = counts.start_count(
        pg_db,
        world.commander,
        counts.CountPlan("F1", "annual", counter_ids=[a.user_id or 0 for a in counters]),
    )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    duplicates: list[bool] = []

    def count_rack(actor: Actor, rack: str) -> None:
        try:
            cs.scan(pg_db, actor, count.number, world.rack_label(rack))
            barrier.wait(timeout=30)
            for i in range(1, PER_RACK + 1):
                cs.scan(pg_db, actor, count.number, f"{rack}-{i}")
            # Both counters scan the same weapon of a third rack at the same moment.
            barrier.wait(timeout=30)
            duplicates.append(cs.scan(pg_db, actor, count.number, "R3-1").duplicate)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=count_rack, args=(counters[0], "R1")),
        threading.Thread(target=count_rack, args=(counters[1], "R2")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sorted(duplicates) == [False, True]
    with pg_db.read() as session:
        weapon_scans = session.scalar(
            select(func.count()).where(CountScan.count_id == count.id, CountScan.kind == ScanKind.WEAPON)
        )
    assert weapon_scans == 2 * PER_RACK + 2
    result = rec.count_result(pg_db, world.admin, count.number)
    in_place = {line.serial for line in result.lists[ResultList.IN_PLACE]}
    assert {f"R1-{i}" for i in range(1, PER_RACK + 1)} | {
        f"R2-{i}" for i in range(1, PER_RACK + 1)
    } <= in_place
    assert result.duplicates == 1
