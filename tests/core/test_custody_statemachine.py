"""Random sequences of custody operations (valid and invalid, several users) keep the books right.

After every step: each weapon is in exactly one place, the weapons' current state equals the replay of the
ledger, the chain verifies, and an operation that was refused changed nothing at all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from armoury.db import Database
from armoury.db.engine import make_engine
from armoury.db.schema import init_database
from armoury.errors import ArmouryError
from armoury.services import custody
from armoury.services.ledger import verify_unchecked
from tests.core.custody_world import World, build_world

SIZE = int(os.environ.get("ARMOURY_TEST_SIZE", "0") or 0)
SERIALS = ["AK0002", "AK0003", "AK0004", "AK0005", "AK0006", "AK-47:AK0001", "G3:AK0001"]
USERS = ["store", "store2", "cmd", "cmd2", "aud"]
OPERATIONS = [
    "issue",
    "return",
    "move",
    "transfer",
    "accept",
    "reject",
    "repair_send",
    "repair_back",
    "condition",
    "loss",
    "conclude",
    "recover",
    "destroy",
    "correct",
]
_TEMPLATE: dict[str, Path] = {}


def _template() -> Path:
    if "path" not in _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="armoury-sm-")) / "template.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        init_database(engine)
        engine.dispose()
        _TEMPLATE["path"] = path
    return _TEMPLATE["path"]


def _snapshot(db: Database) -> tuple[Any, ...]:
    with db.engine.connect() as connection:
        return tuple(
            tuple(connection.exec_driver_sql(sql).all())
            for sql in (
                "SELECT * FROM weapons ORDER BY id",
                "SELECT * FROM custody_loans ORDER BY id",
                "SELECT * FROM transfer_vouchers ORDER BY id",
                "SELECT * FROM transfer_voucher_lines ORDER BY voucher_id, weapon_id",
                "SELECT * FROM incidents ORDER BY id",
                "SELECT * FROM incident_weapons ORDER BY incident_id, weapon_id",
                "SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1",
                "SELECT count(*) FROM ledger_items",
            )
        )


class CustodyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="armoury-sm-run-"))
        path = self.folder / "armoury.sqlite3"
        shutil.copyfile(_template(), path)
        self.db = Database(f"sqlite:///{path}")
        self.world: World = build_world(self.db, weapons=6)
        self.vouchers: list[str] = ["TV-999999"]
        self.incidents: list[str] = ["INC-999999"]
        self.refused = 0
        self.done = 0

    def teardown(self) -> None:
        self.db.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(
        self, operation: str, refs: list[str], user: str, witness: str | None, pick: dict[str, Any]
    ) -> Any:
        db = self.db
        actor = self.world.users[user]
        w = [self.world.users[witness]] if witness else []
        rack, slot, cond = pick["rack"], pick["slot"], pick["condition"]
        if operation == "issue":
            due = datetime.now(UTC) + timedelta(hours=1) if pick["flag"] else None
            return custody.issue(
                db, actor, refs, pick["person"], due_back=due, long_term=not pick["flag"], witnesses=w
            )
        if operation == "return":
            return custody.return_weapons(
                db, actor, refs, rack=rack if pick["flag"] else None, slot=slot, condition=cond
            )
        if operation == "move":
            return custody.move(db, actor, refs, rack, slot=slot)
        if operation == "transfer":
            result = custody.transfer(db, actor, refs, pick["facility"], witnesses=w)
            self.vouchers.append(result.document_ref)
            return result
        if operation == "accept":
            return custody.accept_transfer(db, actor, pick["voucher"], rack, witnesses=w)
        if operation == "reject":
            return custody.reject_transfer(db, actor, pick["voucher"], reason="wrong weapons")
        if operation == "repair_send":
            return custody.send_to_repair(db, actor, refs)
        if operation == "repair_back":
            return custody.back_from_repair(db, actor, refs, rack, slot=slot, condition=cond or "serviceable")
        if operation == "condition":
            return custody.change_condition(db, actor, refs, cond or "for_disposal")
        if operation == "loss":
            result = custody.report_loss(
                db, actor, refs, "lost" if pick["flag"] else "stolen", circumstances="random walk"
            )
            self.incidents.append(result.document_ref)
            return result
        if operation == "conclude":
            conclusion = pick["conclusion"]
            return custody.conclude_investigation(
                db, actor, pick["incident"], conclusion, "findings", witnesses=w
            )
        if operation == "recover":
            return custody.recover(db, actor, refs, rack, slot=slot, witnesses=w)
        if operation == "destroy":
            both = [self.world.users[name] for name in pick["two"]]
            return custody.destroy(
                db,
                actor,
                refs,
                method="cut",
                certificate=f"DC-{pick['seq']}",
                destroyed_on=date.today(),
                witnesses=both,
            )
        if operation == "correct":
            return custody.correct(db, actor, pick["seq"], "random correction")
        raise AssertionError(operation)

    @rule(
        operation=st.sampled_from(OPERATIONS),
        refs=st.lists(st.sampled_from(SERIALS), min_size=1, max_size=2),
        # Mostly users who may act, with a proper witness; sometimes anyone, to be refused.
        user=st.sampled_from(["store", "store", "store", "cmd", "cmd", *USERS]),
        witness=st.sampled_from(["store2", "store2", "store2", "cmd2", None, *USERS]),
        rack=st.sampled_from(["R1", "R2", "R2", "RB1", "NOPE"]),
        slot=st.one_of(st.none(), st.none(), st.integers(1, 21)),
        condition=st.one_of(
            st.none(), st.sampled_from(["serviceable", "unserviceable", "quarantined", "for_disposal"])
        ),
        person=st.sampled_from(["SN-1", "SN-2", "SN-9", "SN-404"]),
        facility=st.sampled_from(["DEPOT-A", "ARM-B"]),
        flag=st.booleans(),
        voucher_index=st.integers(0, 50),
        incident_index=st.integers(0, 50),
        conclusion=st.sampled_from(["theft", "loss", "accounting_error"]),
        two=st.sampled_from([["store2", "cmd2"], ["store2", "cmd2"], ["store", "store"], ["aud", "cmd2"]]),
        seq=st.integers(1, 60),
    )
    def operate(
        self,
        operation: str,
        refs: list[str],
        user: str,
        witness: str | None,
        voucher_index: int,
        incident_index: int,
        **pick: Any,
    ) -> None:
        pick["voucher"] = self.vouchers[voucher_index % len(self.vouchers)]
        pick["incident"] = self.incidents[incident_index % len(self.incidents)]
        before = _snapshot(self.db)
        try:
            self._run(operation, refs, user, witness, pick)
        except ArmouryError:
            self.refused += 1
            assert _snapshot(self.db) == before, f"refused {operation} changed the database"
        else:
            self.done += 1
            assert _snapshot(self.db) != before

    @invariant()
    def books_are_right(self) -> None:
        report = verify_unchecked(self.db)
        assert report.ok, report.problems


def test_random_operations_keep_the_books_right() -> None:
    examples = max(6, SIZE // 10) if SIZE else 8
    run_state_machine_as_test(
        CustodyMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )
