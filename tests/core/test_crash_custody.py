"""Kill a process that is doing custody operations with SIGKILL at random moments, again and again.

Every operation it reported as committed must be in the ledger with the hash it reported; nothing may be
half applied (the replay of the ledger equals the weapons' state, every weapon is in exactly one place);
``verify`` passes. The worker is forked from this already-initialized test process, so each round costs
milliseconds instead of a new interpreter: 200 kills (the default; ARMOURY_TEST_SIZE sets the number) take
a few seconds.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sys
import time
from pathlib import Path

import pytest

from armoury.db import Database
from armoury.domain.enums import Whereabouts
from armoury.errors import ArmouryError
from armoury.models import Weapon
from armoury.services import custody
from armoury.services.ledger import verify_unchecked
from tests.core.custody_world import World, build_world

KILLS = int(os.environ.get("ARMOURY_TEST_SIZE", "") or 200)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")


def _work_forever(db: Database, world: World, out: int, seed: int) -> None:
    """The worker: random valid operations, reporting each commit on ``out``."""
    from sqlalchemy import select as sql_select

    rng = random.Random(seed)
    serials = [s for s in world.weapons if s.startswith("AK") and s != "AK0001"]
    while True:
        with db.read() as session:
            states = dict(
                session.execute(sql_select(Weapon.serial, Weapon.whereabouts).where(Weapon.item_type_id == 1))
                .tuples()
                .all()
            )
        chosen = rng.sample(serials, rng.randint(1, 3))
        in_store = [s for s in chosen if states[s] is Whereabouts.IN_STORE]
        issued = [s for s in chosen if states[s] is Whereabouts.ISSUED]
        try:
            if issued:
                result = custody.return_weapons(db, world.store, issued, rack=rng.choice(["R1", "R2"]))
            elif in_store and rng.random() < 0.6:
                result = custody.issue(
                    db, world.store, in_store, "SN-1", long_term=True, witnesses=[world.witness]
                )
            elif in_store:
                result = custody.move(db, world.store, in_store, rng.choice(["R1", "R2"]))
            else:
                continue
        except ArmouryError:
            continue
        os.write(out, f"committed {result.seq} {result.hash}\n".encode())


def _round(db: Database, world: World, seed: int, delay: float) -> list[tuple[int, str]]:
    db.engine.dispose()  # no open connection is carried across fork; the compiled-statement cache is
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child is killed
        try:
            os.close(read_end)
            _work_forever(db, world, write_end, seed)
        finally:
            os._exit(3)
    os.close(write_end)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    _pid, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status), "the worker ended by itself: it must have crashed"
    data = b""
    while select.select([read_end], [], [], 0)[0]:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        data += chunk
    os.close(read_end)
    committed = []
    for line in data.decode().splitlines():
        if line.startswith("committed ") and len(line.split()) == 3:
            _word, seq, digest = line.split()
            committed.append((int(seq), digest))
    return committed


def test_sigkill_at_random_moments_loses_nothing_reported(sqlite_db: Database, tmp_path: Path) -> None:
    world = build_world(sqlite_db, weapons=12)
    url = sqlite_db.url
    # Warm up this process (mappers, compiled statements) so that each forked worker starts at once.
    custody.issue(sqlite_db, world.store, ["AK0002"], "SN-1", long_term=True, witnesses=[world.witness])
    custody.return_weapons(sqlite_db, world.store, ["AK0002"], rack="R2")
    custody.move(sqlite_db, world.store, ["AK0002"], "R1")
    rng = random.Random(20261122)
    reported: dict[int, str] = {}
    for kill in range(KILLS):
        for seq, digest in _round(sqlite_db, world, rng.randrange(1 << 30), rng.uniform(0.01, 0.25)):
            assert reported.setdefault(seq, digest) == digest, f"entry {seq} reported twice with two hashes"
        if kill % 50 == 49:
            _check(url, reported)
    _check(url, reported)
    assert len(reported) > KILLS // 10, "too few commits between kills to test anything"


def _check(url: str, reported: dict[int, str]) -> None:
    db = Database(url)
    try:
        report = verify_unchecked(db)
        assert report.ok, report.problems
        with db.engine.connect() as connection:
            stored = dict(connection.exec_driver_sql("SELECT seq, hash FROM ledger_entries").all())
        missing = {seq for seq in reported if stored.get(seq) != reported[seq]}
        assert not missing, f"reported as committed but not in the ledger: {sorted(missing)[:10]}"
    finally:
        db.dispose()
