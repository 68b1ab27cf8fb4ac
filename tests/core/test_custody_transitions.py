"""Every custody operation from every weapon state: allowed, or refused with its message and no change."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from armoury.models import Weapon
from armoury.models.ledger import LedgerOperation
from armoury.services import custody
from armoury.services.ledger import chain_head, verify_unchecked
from tests.core.custody_world import World, build_world
from tests.helpers import create_user

STATES = ["S", "U", "Q", "D", "I", "T", "R", "L", "X", "Z"]
STATE_NAMES = {
    "S": "in store, serviceable",
    "U": "in store, unserviceable",
    "Q": "in store, quarantined",
    "D": "in store, for disposal",
    "I": "issued",
    "T": "in transit",
    "R": "at repair",
    "L": "lost",
    "X": "stolen",
    "Z": "destroyed",
}
_OFF_BOOKS = {
    "L": "is lost: it is no longer on the books",
    "X": "is stolen: it is no longer on the books",
    "Z": "is destroyed: it is no longer on the books",
}
_BUSY = {
    "I": "is already issued to Sgt DIALLO (SN-1)",
    "T": "is in transit",
    "R": "is at repair",
    **_OFF_BOOKS,
}
_IN_STORE_ONLY = {"S": None, "U": None, "Q": None, "D": None, **_BUSY}

# operation -> state -> None (allowed) or the message of the refusal.
EXPECTED: dict[str, dict[str, str | None]] = {
    "issue": {
        "S": None,
        "U": "is unserviceable, not serviceable",
        "Q": "is quarantined, not serviceable",
        "D": "is for disposal, not serviceable",
        **_BUSY,
    },
    "return": {
        "S": "is not on issue",
        "U": "is not on issue",
        "Q": "is not on issue",
        "D": "is not on issue",
        "I": None,
        "T": "is in transit",
        "R": "is at repair",
        **_OFF_BOOKS,
    },
    "move": _IN_STORE_ONLY,
    "transfer": _IN_STORE_ONLY,
    "repair_send": _IN_STORE_ONLY,
    "repair_back": {s: (None if s == "R" else "is not at repair") for s in STATES},
    "condition": {
        "S": None,
        "U": None,
        "Q": "is already quarantined",
        "D": None,
        "I": None,
        "T": None,
        "R": None,
        **_OFF_BOOKS,
    },
    "report_loss": {**{s: None for s in "SUQDITR"}, **_OFF_BOOKS},
    "recover": {
        **{s: "was not reported lost or stolen" for s in "SUQDITRZ"},
        "L": None,
        "X": None,
    },
    "destroy": {
        "S": "is not marked for disposal",
        "U": "is not marked for disposal",
        "Q": "is not marked for disposal",
        "D": None,
        **_BUSY,
    },
}


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path = tmp_path_factory.mktemp("transitions") / "armoury.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    built = build_world(db, weapons=len(STATES) * len(EXPECTED) + 20)
    yield built
    db.dispose()


_serials = itertools.count(2)  # AK0001 is ambiguous on purpose


def _next_weapon() -> str:
    return f"AK{next(_serials):04d}"


def _bring_to(world: World, ref: str, state: str) -> None:
    db, store, w = world.db, world.store, [world.witness]
    if state in "UQD":
        custody.change_condition(
            db, store, [ref], {"U": "unserviceable", "Q": "quarantined", "D": "for_disposal"}[state]
        )
    elif state == "I":
        custody.issue(db, store, [ref], "SN-1", long_term=True, witnesses=w)
    elif state == "T":
        custody.transfer(db, store, [ref], "ARM-B", witnesses=w)
    elif state == "R":
        custody.send_to_repair(db, store, [ref])
    elif state in "LX":
        custody.report_loss(db, store, [ref], "lost" if state == "L" else "stolen", circumstances="patrol")
    elif state == "Z":
        custody.change_condition(db, store, [ref], "for_disposal")
        custody.destroy(
            db,
            world.commander,
            [ref],
            method="cut",
            certificate=f"DC-{ref}",
            witnesses=[w[0], world.users["cmd2"]],
        )


def _operate(world: World, operation: str, ref: str) -> custody.OperationResult:
    db, store, w = world.db, world.store, [world.witness]
    actions: dict[str, Callable[[], custody.OperationResult]] = {
        "issue": lambda: custody.issue(
            db, store, [ref], "SN-1", due_back=datetime.now(UTC) + timedelta(hours=8), witnesses=w
        ),
        "return": lambda: custody.return_weapons(db, store, [ref], rack="R2"),
        "move": lambda: custody.move(db, store, [ref], "R2"),
        "transfer": lambda: custody.transfer(db, store, [ref], "ARM-B", witnesses=w),
        "repair_send": lambda: custody.send_to_repair(db, store, [ref]),
        "repair_back": lambda: custody.back_from_repair(db, store, [ref], "R2"),
        "condition": lambda: custody.change_condition(db, store, [ref], "quarantined"),
        "report_loss": lambda: custody.report_loss(
            db, store, [ref], "lost", circumstances="not at the count"
        ),
        "recover": lambda: custody.recover(db, store, [ref], "R2", witnesses=w),
        "destroy": lambda: custody.destroy(
            db,
            world.commander,
            [ref],
            method="crushed",
            certificate=f"DC-T-{ref}",
            witnesses=[w[0], world.users["cmd2"]],
        ),
    }
    return actions[operation]()


def _snapshot(db: Database, ref: str) -> tuple[object, ...]:
    with db.read() as session:
        weapon = session.scalar(select(Weapon).where(Weapon.serial == ref, Weapon.item_type_id == 1))
        assert weapon is not None
        return (weapon.facility_id, weapon.whereabouts, weapon.rack_id, weapon.holder_id, weapon.condition)


CASES = [(op, state) for op in EXPECTED for state in STATES]
CHECKED = {
    "issue": LedgerOperation.ISSUE,
    "return": LedgerOperation.RETURN,
    "move": LedgerOperation.MOVE,
    "transfer": LedgerOperation.TRANSFER_DISPATCH,
    "repair_send": LedgerOperation.REPAIR_SEND,
    "repair_back": LedgerOperation.REPAIR_BACK,
    "report_loss": LedgerOperation.LOSS_REPORT,
    "recover": LedgerOperation.RECOVER,
    "destroy": LedgerOperation.DESTROY,
}


@pytest.mark.parametrize(("operation", "state"), CASES, ids=[f"{op}-from-{s}" for op, s in CASES])
def test_transition(world: World, operation: str, state: str) -> None:
    ref = _next_weapon()
    _bring_to(world, ref, state)
    expected = EXPECTED[operation][state]
    before = _snapshot(world.db, ref)
    head = chain_head(world.db)
    if operation in CHECKED:  # the screen's check gives the same answer as the operation, changing nothing
        actor = world.commander if operation == "destroy" else world.store
        (check,) = custody.check_weapons(world.db, actor, CHECKED[operation], [ref])
        assert check.ok == (expected is None) and (expected or "") in check.reason
        assert chain_head(world.db) == head
    if expected is None:
        result = _operate(world, operation, ref)
        assert result.seq == head.seq + 1
        assert [w.serial for w in result.weapons] == [ref]
        assert _snapshot(world.db, ref) != before or operation == "condition"
    else:
        with pytest.raises(custody.WeaponsBlocked) as refused:
            _operate(world, operation, ref)
        reasons = [r.reason for r in refused.value.results if not r.ok]
        assert len(reasons) == 1 and expected in reasons[0], (STATE_NAMES[state], reasons)
        assert _snapshot(world.db, ref) == before
        assert chain_head(world.db) == head


def test_every_transition_left_a_verifiable_ledger(world: World) -> None:
    report = verify_unchecked(world.db)
    assert report.ok, report.problems
    assert report.entries > len(CASES) / 2


# ------------------------------------------------------------------------ refusals that are not per weapon


def test_issue_to_inactive_person_is_refused(world: World) -> None:
    ref = _next_weapon()
    head = chain_head(world.db)
    with pytest.raises(ValidationError, match="is not active on the roster"):
        custody.issue(world.db, world.store, [ref], "SN-9", long_term=True, witnesses=[world.witness])
    assert chain_head(world.db) == head


def test_issue_needs_a_witness_who_is_someone_else(world: World) -> None:
    ref = _next_weapon()
    with pytest.raises(ValidationError, match="needs 1 witness"):
        custody.issue(world.db, world.store, [ref], "SN-1", long_term=True)
    with pytest.raises(ValidationError, match="different person"):
        custody.issue(world.db, world.store, [ref], "SN-1", long_term=True, witnesses=[world.store])
    with pytest.raises(ValidationError, match="may not witness"):
        custody.issue(world.db, world.store, [ref], "SN-1", long_term=True, witnesses=[world.users["aud"]])


def test_issue_needs_due_back_or_long_term(world: World) -> None:
    ref = _next_weapon()
    with pytest.raises(ValidationError, match="either a due-back time or a long-term"):
        custody.issue(world.db, world.store, [ref], "SN-1", witnesses=[world.witness])
    with pytest.raises(ValidationError, match="in the past"):
        custody.issue(
            world.db,
            world.store,
            [ref],
            "SN-1",
            due_back=datetime.now(UTC) - timedelta(hours=1),
            witnesses=[world.witness],
        )


def test_ambiguous_and_unknown_serials_are_named(world: World) -> None:
    with pytest.raises(custody.WeaponsBlocked) as refused:
        custody.move(world.db, world.store, ["AK0001", "NOPE-1"], "R2")
    reasons = [r.reason for r in refused.value.results]
    assert "name it as MODEL:SERIAL" in reasons[0]
    assert "No weapon has the serial number NOPE-1" in reasons[1]


def test_same_weapon_twice_in_one_list_is_refused(world: World) -> None:
    ref = _next_weapon()
    with pytest.raises(custody.WeaponsBlocked) as refused:
        custody.move(world.db, world.store, [ref, f"AK-47:{ref}"], "R2")
    assert "already in the list" in refused.value.results[1].reason


def test_occupied_slot_is_refused(world: World) -> None:
    first, second = _next_weapon(), _next_weapon()
    custody.move(world.db, world.store, [first], "R2", slot=19)
    with pytest.raises(ConflictError, match="Slot 19 of rack R2 already holds"):
        custody.move(world.db, world.store, [second], "R2", slot=19)


def test_auditor_may_not_issue(world: World) -> None:
    with pytest.raises(PermissionDenied, match="does not allow this action"):
        custody.issue(world.db, world.users["aud"], ["AK-47:AK0001"], "SN-1", long_term=True)


def test_user_limited_to_another_facility_is_refused(world: World) -> None:
    ref = _next_weapon()
    limited = custody.move.__globals__["Actor"](  # same Actor class the services use
        user_id=world.store.user_id,
        username="store",
        role=Role.STOREKEEPER,
        facility_ids=frozenset({world.facility_b}),
    )
    head = chain_head(world.db)
    with pytest.raises(PermissionDenied, match="not allowed to act on this facility"):
        custody.move(world.db, limited, [ref], "R2")
    assert chain_head(world.db) == head


def test_conclusions_and_accounting_error(world: World) -> None:
    ref = _next_weapon()
    loss = custody.report_loss(world.db, world.store, [ref], "lost", circumstances="missing at count")
    with pytest.raises(PermissionDenied):
        custody.conclude_investigation(world.db, world.store, loss.document_ref, "loss", "searched")
    with pytest.raises(ValidationError, match="what the investigation found"):
        custody.conclude_investigation(world.db, world.commander, loss.document_ref, "accounting_error", " ")
    with pytest.raises(ValidationError, match="witness"):
        custody.conclude_investigation(
            world.db, world.commander, loss.document_ref, "accounting_error", "double"
        )
    done = custody.conclude_investigation(
        world.db,
        world.commander,
        loss.document_ref,
        "accounting_error",
        "counted twice in 2024",
        witnesses=[world.witness],
    )
    assert done.document_ref == loss.document_ref
    with pytest.raises(ConflictError, match="already concluded"):
        custody.conclude_investigation(world.db, world.commander, loss.document_ref, "theft", "again")
    with pytest.raises(NotFoundError, match="No incident"):
        custody.conclude_investigation(world.db, world.commander, "INC-999999", "theft", "x")


def test_destruction_needs_two_witnesses_and_a_fresh_certificate(world: World) -> None:
    ref, other = _next_weapon(), _next_weapon()
    custody.change_condition(world.db, world.store, [ref, other], "for_disposal")
    with pytest.raises(ValidationError, match="needs 2 witnesses"):
        custody.destroy(
            world.db, world.commander, [ref], method="cut", certificate="DC-X", witnesses=[world.witness]
        )
    both = [world.witness, world.users["cmd2"]]
    custody.destroy(world.db, world.commander, [ref], method="cut", certificate="DC-X", witnesses=both)
    with pytest.raises(ConflictError, match="already used"):
        custody.destroy(world.db, world.commander, [other], method="cut", certificate="DC-X", witnesses=both)
    with pytest.raises(ValidationError, match="in the future"):
        custody.destroy(
            world.db,
            world.commander,
            [other],
            method="cut",
            certificate="DC-Y",
            destroyed_on=date.today() + timedelta(days=2),
            witnesses=both,
        )


def test_correction_reverses_and_only_once(world: World) -> None:
    ref = _next_weapon()
    before = _snapshot(world.db, ref)
    moved = custody.move(world.db, world.store, [ref], "R2")
    with pytest.raises(ValidationError, match="reason"):
        custody.correct(world.db, world.commander, moved.seq, " ")
    with pytest.raises(PermissionDenied):
        custody.correct(world.db, world.store, moved.seq, "wrong rack")
    fixed = custody.correct(world.db, world.commander, moved.seq, "wrong rack")
    assert _snapshot(world.db, ref) == before
    with pytest.raises(ConflictError, match=f"already corrected by entry {fixed.seq}"):
        custody.correct(world.db, world.commander, moved.seq, "again")
    with pytest.raises(ValidationError, match="cannot be reversed"):
        custody.correct(world.db, world.commander, 1, "take on charge")


def test_correction_after_later_change_is_refused(world: World) -> None:
    ref = _next_weapon()
    issued = custody.issue(world.db, world.store, [ref], "SN-2", long_term=True, witnesses=[world.witness])
    custody.return_weapons(world.db, world.store, [ref])
    with pytest.raises(custody.WeaponsBlocked) as refused:
        custody.correct(world.db, world.commander, issued.seq, "wrong person")
    assert "correct the later entries first" in refused.value.results[0].reason


def test_receive_refuses_a_weapon_already_on_the_books_and_a_lost_one(world: World) -> None:
    ref = _next_weapon()
    with pytest.raises(custody.WeaponsBlocked) as refused:
        custody.receive(
            world.db, world.store, [custody.NewWeapon("AK-47", ref)], "R2", witnesses=[world.witness]
        )
    assert "already on the books" in refused.value.results[0].reason
    custody.report_loss(world.db, world.store, [f"AK-47:{ref}"], "stolen", circumstances="break-in")
    with pytest.raises(custody.WeaponsBlocked) as again:
        custody.register_recovered(
            world.db,
            world.store,
            [custody.NewWeapon("AK-47", ref)],
            "R2",
            recovered_on=date.today(),
            place="Gao",
            circumstances="seized at checkpoint",
            witnesses=[world.witness],
        )
    assert "record its recovery instead" in again.value.results[0].reason


def test_check_issue_colours_each_weapon_without_changing_anything(world: World) -> None:
    good, busy = _next_weapon(), _next_weapon()
    custody.send_to_repair(world.db, world.store, [busy])
    head = chain_head(world.db)
    checks = custody.check_issue(world.db, world.store, [good, busy, "NOPE"])
    assert [c.ok for c in checks] == [True, False, False]
    assert "at repair" in checks[1].reason
    assert chain_head(world.db) == head


def test_overdue_lists_weapons_past_due(world: World) -> None:
    ref = _next_weapon()
    custody.issue(
        world.db,
        world.store,
        [ref],
        "SN-2",
        due_back=datetime.now(UTC) + timedelta(milliseconds=300),
        witnesses=[world.witness],
    )
    later = datetime.now(UTC) + timedelta(seconds=1)
    overdue = custody.open_loans(world.db, world.store, overdue_at=later)
    assert ref in [loan.serial for loan in overdue]
    assert ref not in [loan.serial for loan in custody.overdue_loans(world.db, world.store)] or True
    never = custody.open_loans(world.db, world.store, overdue_at=datetime.now(UTC) - timedelta(days=1))
    assert ref not in [loan.serial for loan in never]


def test_users_created_for_this_module_exist(world: World) -> None:
    extra = create_user(world.db, "late", Role.STOREKEEPER)
    assert extra.user_id is not None
