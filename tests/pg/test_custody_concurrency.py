"""Eight workstations issue the same weapon at the same moment on PostgreSQL: exactly one wins each round.

One long-lived pool of 8 worker processes (forked once) meets at a barrier before every round, so a round
costs one transaction per worker, not 8 new interpreters. Rounds: ARMOURY_TEST_SIZE (default 200).
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

import pytest
from sqlalchemy import func, select

from armoury.db import Database
from armoury.errors import ArmouryError
from armoury.models.ledger import CustodyLoan
from armoury.services import custody
from armoury.services.ledger import verify_unchecked
from tests.core.custody_world import World, build_world

pytestmark = [pytest.mark.pg, pytest.mark.slow]

WORKERS = 8
ROUNDS = int(os.environ.get("ARMOURY_TEST_SIZE", "") or 200)


def _worker(index: int, db: Database, world: World, barrier: Any, results: Any) -> None:
    db.engine.dispose()  # connections of the parent are never used after fork
    person = "SN-1" if index % 2 == 0 else "SN-2"
    serials = sorted(s for s in world.weapons if s.startswith("AK") and s != "AK0001")
    try:
        for round_number in range(ROUNDS):
            barrier.wait(timeout=60)
            try:
                result = custody.issue(
                    db,
                    world.store,
                    [serials[round_number]],
                    person,
                    long_term=True,
                    witnesses=[world.witness],
                )
                results.put((round_number, index, "won", result.document_ref))
            except custody.WeaponsBlocked as refused:
                results.put((round_number, index, "refused", refused.results[0].reason))
            except ArmouryError as exc:
                results.put((round_number, index, "error", f"{type(exc).__name__}: {exc.message}"))
    except Exception as exc:  # pragma: no cover - reported to the test
        results.put((-1, index, "crash", repr(exc)))
    finally:
        db.engine.dispose()


def test_eight_workstations_issue_the_same_weapon(pg_db: Database) -> None:
    world = build_world(pg_db, weapons=ROUNDS + 2)
    pg_db.engine.dispose()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(i, pg_db, world, barrier, results), daemon=True)
        for i in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    outcomes: dict[int, list[tuple[int, str, str]]] = {}
    for _ in range(ROUNDS * WORKERS):
        round_number, index, outcome, detail = results.get(timeout=120)
        assert outcome in ("won", "refused"), (index, outcome, detail)
        outcomes.setdefault(round_number, []).append((index, outcome, detail))
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    for round_number, answers in sorted(outcomes.items()):
        winners = [a for a in answers if a[1] == "won"]
        assert len(winners) == 1, (round_number, answers)
        winner_person = "Sgt DIALLO (SN-1)" if winners[0][0] % 2 == 0 else "Sgt TRAORÉ (SN-2)"
        for _index, outcome, detail in answers:
            if outcome == "refused":
                assert f"is already issued to {winner_person}" in detail, detail

    with pg_db.read() as session:
        assert session.scalar(select(func.count()).select_from(CustodyLoan)) == ROUNDS
    report = verify_unchecked(pg_db)
    assert report.ok, report.problems
    assert report.entries == ROUNDS + 1
