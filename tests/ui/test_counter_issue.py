"""The issue and return counters driven like a barcode scanner: keys into the scan field, then Enter."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from armoury.domain.enums import Condition, Role, Whereabouts
from armoury.models import Weapon
from armoury.services import custody, settings
from armoury.services.auth import confirm_witness
from tests.helpers import TEST_PASSWORD, create_user
from ui.context import AppContext
from ui.counter_common import GREEN, RED, CounterDialog
from ui.counter_issue import IssueScreen
from ui.counter_return import ReturnScreen
from ui.worker import Task

Depot = tuple[AppContext, dict[str, int]]


def scan(qtbot: QtBot, screen: CounterDialog, code: str, field: object = None) -> None:
    """Type ``code`` into the screen's scan field as a scanner does, then press Enter."""
    target = field or screen.scan_field
    with qtbot.waitSignal(screen.checked, timeout=5000):
        QTest.keyClicks(target, code)
        QTest.keyClick(target, Qt.Key.Key_Return)


def weapon_state(context: AppContext, weapon_id: int) -> tuple[Whereabouts, int | None, int | None]:
    with context.db.read() as session:
        weapon = session.get(Weapon, weapon_id)
        assert weapon is not None
        return weapon.whereabouts, weapon.holder_id, weapon.rack_id


def prepare_counter(depot: Depot) -> Depot:
    """The small depot with a witness user, KX-0005 unserviceable and KX-0006 issued to ML-1002."""
    context, ids = depot
    create_user(context.db, "witness", Role.STOREKEEPER)
    witness = confirm_witness(context.db, context.actor, "witness", TEST_PASSWORD)
    custody.change_condition(context.db, context.actor, ["KX-0005"], Condition.UNSERVICEABLE)
    custody.issue(context.db, context.actor, ["KX-0006"], "ML-1002", long_term=True, witnesses=[witness])
    return context, ids


@pytest.fixture
def counter(depot: Depot) -> Depot:
    return prepare_counter(depot)


def open_issue(qtbot: QtBot, context: AppContext) -> IssueScreen:
    screen = IssueScreen(context)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitExposed(screen)
    return screen


def test_issue_screen_colours_each_scan_and_issues_to_the_person(
    qtbot: QtBot, counter: Depot, tmp_path: Path
) -> None:
    context, ids = counter
    assert settings.requires_witness(context.db, "issue")
    screen = open_issue(qtbot, context)
    assert not screen.confirm_button.isEnabled()
    with qtbot.waitSignal(screen.person_found, timeout=5000):
        QTest.keyClicks(screen.person_field, "ML-1001")
        QTest.keyClick(screen.person_field, Qt.Key.Key_Return)
    assert screen.person is not None and screen.person.id == ids["p1"]

    scan(qtbot, screen, "KX-0001")
    scan(qtbot, screen, "KX-0002")
    rows = screen.weapon_list
    assert rows.rowCount() == 2 and rows.colour(0) == GREEN and rows.colour(1) == GREEN

    scan(qtbot, screen, "KX-0006")  # already issued
    assert rows.rowCount() == 3 and rows.colour(2) == RED
    assert "already issued to" in rows.status(2)
    scan(qtbot, screen, "KX-0005")  # unserviceable
    assert rows.colour(3) == RED and "not serviceable" in rows.status(3)

    scan(qtbot, screen, "NO-SUCH-9999")
    assert rows.rowCount() == 4
    assert "NO-SUCH-9999" in screen.message.text()

    scan(qtbot, screen, "KX-0001")  # the same weapon again
    assert rows.rowCount() == 4
    assert "already in the list" in screen.message.text()

    screen.witness_panels[0].username.setText("witness")
    screen.witness_panels[0].password.setText(TEST_PASSWORD)
    with qtbot.waitSignal(screen.completed, timeout=10000) as done:
        screen.confirm_button.click()
    result = done.args[0]
    assert result.document_ref.startswith("HR-")
    assert result.document_ref in screen.message.text()
    assert screen.witness_panels[0].password.text() == ""
    for serial in ("KX-0001", "KX-0002"):
        assert weapon_state(context, ids[serial])[:2] == (Whereabouts.ISSUED, ids["p1"])
    assert weapon_state(context, ids["KX-0005"])[0] is Whereabouts.IN_STORE  # red rows left out
    loans = {loan.weapon_id: loan for loan in custody.open_loans(context.db, context.actor)}
    assert loans[ids["KX-0001"]].hand_receipt == result.document_ref
    assert loans[ids["KX-0001"]].due_back is not None

    assert screen.after_box.isVisible()
    target = tmp_path / "receipt.pdf"
    screen.save_document(target)
    assert target.read_bytes().startswith(b"%PDF")

    screen.next_button.click()
    assert screen.weapon_list.rowCount() == 0 and screen.person is None


def test_issue_refused_without_the_witness_changes_nothing(qtbot: QtBot, counter: Depot) -> None:
    context, ids = counter
    screen = open_issue(qtbot, context)
    with qtbot.waitSignal(screen.person_found, timeout=5000):
        screen.set_person_code("ML-1001")
    scan(qtbot, screen, "KX-0003")
    screen.witness_panels[0].username.setText("witness")
    screen.witness_panels[0].password.setText("wrong password")
    with qtbot.waitSignal(screen.failed, timeout=10000):
        screen.confirm_button.click()
    box = screen.findChild(QMessageBox, "errorBox")
    assert box is not None and box.isVisible()
    box.close()
    assert weapon_state(context, ids["KX-0003"])[0] is Whereabouts.IN_STORE


def test_unknown_person_is_said_and_nothing_is_chosen(qtbot: QtBot, counter: Depot) -> None:
    context, _ids = counter
    screen = open_issue(qtbot, context)
    with qtbot.waitSignal(screen.person_found, timeout=5000) as found:
        QTest.keyClicks(screen.scan_field, "ML-9999")  # a scan lands on the person while nobody is chosen
        QTest.keyClick(screen.scan_field, Qt.Key.Key_Return)
    assert found.args == [None]
    assert screen.person is None and "ML-9999" in screen.message.text()


def test_return_screen_takes_weapons_back_to_the_rack_they_came_from(qtbot: QtBot, counter: Depot) -> None:
    context, ids = counter
    witness = confirm_witness(context.db, context.actor, "witness", TEST_PASSWORD)
    custody.issue(
        context.db, context.actor, ["KX-0001", "KX-0021"], "ML-1001", long_term=True, witnesses=[witness]
    )
    screen = ReturnScreen(context)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitExposed(screen)

    scan(qtbot, screen, "KX-0001")
    scan(qtbot, screen, "KX-0021")
    rows = screen.weapon_list
    assert rows.colour(0) == GREEN and rows.colour(1) == GREEN
    assert screen.suggested_rack(0) == "R01" and screen.suggested_rack(1) == "R02"
    scan(qtbot, screen, "KX-0002")  # in store: not on issue
    assert rows.colour(2) == RED and "not on issue" in rows.status(2)
    scan(qtbot, screen, "KX-0001")
    assert rows.rowCount() == 3 and "already in the list" in screen.message.text()
    scan(qtbot, screen, "ZZ-0000")
    assert rows.rowCount() == 3

    screen.set_condition(1, Condition.UNSERVICEABLE)
    with qtbot.waitSignal(screen.completed, timeout=10000):
        screen.confirm_button.click()
    assert weapon_state(context, ids["KX-0001"]) == (Whereabouts.IN_STORE, None, ids["r1"])
    assert weapon_state(context, ids["KX-0021"]) == (Whereabouts.IN_STORE, None, ids["r2"])
    with context.db.read() as session:
        condition = session.scalar(select(Weapon.condition).where(Weapon.id == ids["KX-0021"]))
    assert condition is Condition.UNSERVICEABLE
    assert custody.open_loans(context.db, context.actor) == tuple(
        loan for loan in custody.open_loans(context.db, context.actor) if loan.weapon_id == ids["KX-0006"]
    )


def test_issue_screen_with_real_worker_threads(qtbot: QtBot, counter: Depot) -> None:
    """The checks and the issue run in QThreads (as in the app) and come back on the GUI thread."""
    context, ids = counter
    Task.inline = False
    screen = open_issue(qtbot, context)
    with qtbot.waitSignal(screen.person_found, timeout=5000):
        screen.set_person_code("ML-1001")
    for code in ("KX-0001", "KX-0006"):
        scan(qtbot, screen, code)
    assert [screen.weapon_list.colour(row) for row in (0, 1)] == [GREEN, RED]
    screen.witness_panels[0].username.setText("witness")
    screen.witness_panels[0].password.setText(TEST_PASSWORD)
    with qtbot.waitSignal(screen.completed, timeout=10000):
        screen.confirm_button.click()
    qtbot.waitUntil(lambda: not Task.running, timeout=5000)
    assert weapon_state(context, ids["KX-0001"])[:2] == (Whereabouts.ISSUED, ids["p1"])
