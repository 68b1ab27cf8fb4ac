"""Move, transfer, loss report and the other counter screens; the Custody menu; scans stay in the screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from armoury.domain.enums import Condition, Role, Whereabouts
from armoury.models import Weapon
from armoury.models.ledger import Incident, IncidentKind
from armoury.services import custody, locations
from armoury.services.auth import confirm_witness
from armoury.services.locations import AreaData, FacilityData, RackData
from tests.helpers import TEST_PASSWORD, create_user
from tests.ui.test_counter_issue import Depot, prepare_counter, scan, weapon_state
from ui.counter_actions import SCREENS, install_custody_actions, open_screen
from ui.counter_common import GREEN, RED, CounterDialog
from ui.counter_incidents import (
    ConditionScreen,
    DestructionScreen,
    LossReportScreen,
    RecoveryScreen,
    RepairScreen,
)
from ui.counter_move import MoveScreen
from ui.counter_overdue import OverdueList
from ui.counter_transfer import AcceptTransferScreen, TransferScreen
from ui.main_window import MainWindow


@pytest.fixture
def counter(depot: Depot) -> Depot:
    return prepare_counter(depot)


def shown(qtbot: QtBot, screen: CounterDialog) -> CounterDialog:
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitExposed(screen)
    return screen


def test_move_scans_the_rack_then_the_weapons(qtbot: QtBot, counter: Depot) -> None:
    context, ids = counter
    screen = shown(qtbot, MoveScreen(context))
    scan(qtbot, screen, "R02")  # the rack's code: chooses the rack, adds no row
    assert screen.rack.rack_id() == ids["r2"] and screen.weapon_list.rowCount() == 0
    scan(qtbot, screen, "KX-0001")
    scan(qtbot, screen, "KX-0006")  # on issue: cannot be moved
    rows = screen.weapon_list
    assert rows.colour(0) == GREEN and rows.colour(1) == RED and "issued" in rows.status(1)
    screen.slot.setValue(0)
    with qtbot.waitSignal(screen.completed, timeout=10000):
        screen.confirm_button.click()
    assert weapon_state(context, ids["KX-0001"]) == (Whereabouts.IN_STORE, None, ids["r2"])
    assert "moved" in screen.message.text()


def test_scans_reach_the_screen_not_the_main_window(
    qtbot: QtBot, counter: Depot, settings: QSettings
) -> None:
    """The main window's scanner filter ignores a counter dialog; the dialog's own filter catches a scan
    typed while the focus is on another of its widgets."""
    context, ids = counter
    window = MainWindow(context, settings)
    qtbot.addWidget(window)
    QApplication.instance().installEventFilter(window.scanner)  # type: ignore[union-attr]
    opened: list[str] = []
    window.scanner.scanned.connect(opened.append)
    try:
        actions = install_custody_actions(window)
        assert set(actions) == {s.name for s in SCREENS}
        assert actions["counterIssue"].shortcut().toString() == "F5"
        assert actions["counterReturn"].shortcut().toString() == "F6"
        assert actions["counterMove"].shortcut().toString() == "F7"
        assert actions["counterIssue"] in window.menus["custody"].actions()
        window.show()
        move = next(s for s in SCREENS if s.name == "counterMove")
        screen = open_screen(window, move)
        assert isinstance(screen, MoveScreen) and screen.parent() is window
        assert open_screen(window, move) is screen  # one per window
        qtbot.waitExposed(screen)
        scan(qtbot, screen, "KX-0002")
        screen.rack.select_rack(ids["r2"])
        screen.rack.setFocus()
        scan(qtbot, screen, "KX-0003", field=screen.rack)  # typed while the rack box has the focus
        assert [r.ref for r in screen.weapon_list.results] == ["KX-0002", "KX-0003"]
        assert screen.rack.rack_id() == ids["r2"]  # no keyboard search changed the rack
        assert opened == []
        screen.close()
    finally:
        QApplication.instance().removeEventFilter(window.scanner)  # type: ignore[union-attr]


def test_loss_report_screen_opens_an_incident(qtbot: QtBot, counter: Depot) -> None:
    context, ids = counter
    screen = shown(qtbot, LossReportScreen(context))
    scan(qtbot, screen, "KX-0006")  # on issue: can still be reported lost
    scan(qtbot, screen, "KX-0007")
    assert screen.weapon_list.ok_rows() == [0, 1]
    screen.kind.setCurrentIndex(screen.kind.findData(IncidentKind.STOLEN.value))
    screen.set_occurred(datetime.now(UTC) - timedelta(hours=3))
    screen.place.setText("Checkpoint 4")
    screen.reported_to.setText("Gendarmerie")
    screen.reference.setText("PV-2026-118")
    with qtbot.waitSignal(screen.failed, timeout=5000):  # circumstances are required
        screen.confirm_button.click()
    screen.circumstances.setPlainText("Vehicle broken into during the night.")
    with qtbot.waitSignal(screen.completed, timeout=10000) as done:
        screen.confirm_button.click()
    number = done.args[0].document_ref
    assert number.startswith("INC-") and number in screen.message.text()
    assert weapon_state(context, ids["KX-0006"])[0] is Whereabouts.STOLEN
    assert weapon_state(context, ids["KX-0007"])[0] is Whereabouts.STOLEN
    with context.db.read() as session:
        incident = session.scalar(select(Incident).where(Incident.number == number))
        assert incident is not None
        assert (incident.place, incident.reported_to, incident.reference) == (
            "Checkpoint 4",
            "Gendarmerie",
            "PV-2026-118",
        )
    assert custody.open_loans(context.db, context.actor) == ()


def test_transfer_then_the_receiving_side_scans_to_accept(qtbot: QtBot, counter: Depot) -> None:
    context, ids = counter
    f2 = locations.create_facility(context.db, context.actor, FacilityData("DEP-02", "North depot"))
    area = locations.create_area(context.db, context.actor, AreaData(f2.id, "A", "Store"))
    rack = locations.create_rack(context.db, context.actor, RackData(area.id, "N01", "North rifles"))
    screen = shown(qtbot, TransferScreen(context))
    screen.destination.setCurrentIndex(screen.destination.findData("DEP-02"))
    for code in ("KX-0010", "KX-0011", "KX-0012"):
        scan(qtbot, screen, code)
    screen.witness_panels[0].username.setText("witness")
    screen.witness_panels[0].password.setText(TEST_PASSWORD)
    with qtbot.waitSignal(screen.completed, timeout=10000) as done:
        screen.confirm_button.click()
    voucher = done.args[0].document_ref
    assert voucher.startswith("TV-") and voucher in screen.message.text()
    assert weapon_state(context, ids["KX-0010"])[0] is Whereabouts.IN_TRANSIT

    accept = shown(qtbot, AcceptTransferScreen(context))
    QTest.keyClicks(accept.scan_field, voucher)
    QTest.keyClick(accept.scan_field, Qt.Key.Key_Return)
    assert accept.voucher_code == voucher
    accept.rack.select_rack(rack.id)
    accept.witness_panels[0].username.setText("witness")
    accept.witness_panels[0].password.setText(TEST_PASSWORD)
    scan(qtbot, accept, "KX-0010")
    scan(qtbot, accept, "KX-0001")  # not on this voucher
    assert "not in transit on voucher" in accept.weapon_list.status(1)
    assert weapon_state(context, ids["KX-0010"]) == (Whereabouts.IN_STORE, None, rack.id)
    scan(qtbot, accept, "KX-0011")  # the witness signed in once, at the first scan
    assert weapon_state(context, ids["KX-0011"])[2] == rack.id
    accept.reason.setText("Damaged in transport")
    with qtbot.waitSignal(accept.completed, timeout=10000):
        accept.confirm_button.click()
    assert weapon_state(context, ids["KX-0012"]) == (Whereabouts.IN_STORE, None, ids["r1"])


def test_condition_and_repair_screens(qtbot: QtBot, counter: Depot) -> None:
    context, ids = counter
    condition = shown(qtbot, ConditionScreen(context))
    condition.add_weapon_ids([ids["KX-0015"]])  # weapons picked in the main window's table
    condition.condition.setCurrentIndex(condition.condition.findData(Condition.AWAITING_REPAIR.value))
    with qtbot.waitSignal(condition.completed, timeout=10000):
        condition.confirm_button.click()
    repair = shown(qtbot, RepairScreen(context))
    scan(qtbot, repair, "KX-0015")
    repair.repairer.setText("Base workshop")
    with qtbot.waitSignal(repair.completed, timeout=10000):
        repair.confirm_button.click()
    assert weapon_state(context, ids["KX-0015"])[0] is Whereabouts.AT_REPAIR
    repair.mode.setCurrentIndex(1)
    assert repair.weapon_list.rowCount() == 0
    scan(qtbot, repair, "KX-0015")
    repair.rack.select_rack(ids["r2"])
    with qtbot.waitSignal(repair.completed, timeout=10000):
        repair.confirm_button.click()
    assert weapon_state(context, ids["KX-0015"]) == (Whereabouts.IN_STORE, None, ids["r2"])
    with context.db.read() as session:
        assert (
            session.scalar(select(Weapon.condition).where(Weapon.id == ids["KX-0015"]))
            is Condition.SERVICEABLE
        )


def test_overdue_list_shows_weapons_past_their_due_back_time(qtbot: QtBot, counter: Depot) -> None:
    context, _ids = counter
    create_user(context.db, "keeper", Role.STOREKEEPER)
    witness = confirm_witness(context.db, context.actor, "keeper", TEST_PASSWORD)
    due = datetime.now(UTC) + timedelta(seconds=1)
    custody.issue(context.db, context.actor, ["KX-0020"], "ML-1001", due_back=due, witnesses=[witness])
    qtbot.waitUntil(lambda: datetime.now(UTC) > due, timeout=3000)
    overdue = OverdueList(context)
    qtbot.addWidget(overdue)
    with qtbot.waitSignal(overdue.loaded, timeout=5000) as loaded:
        overdue.load()
    assert loaded.args == [1]
    assert overdue.table.item(0, 1).text() == "KX-0020"
    assert overdue.table.item(0, 3).text() == "ML-1001"


def test_recovery_and_destruction_with_two_witnesses(qtbot: QtBot, counter: Depot, tmp_path: Path) -> None:
    context, ids = counter
    custody.report_loss(context.db, context.actor, ["KX-0008"], "lost", circumstances="Patrol")
    recovery = shown(qtbot, RecoveryScreen(context))
    scan(qtbot, recovery, "KX-0009")  # never lost
    assert recovery.weapon_list.colour(0) == RED
    scan(qtbot, recovery, "KX-0008")
    recovery.rack.select_rack(ids["r2"])
    if recovery.witness_panels:
        recovery.witness_panels[0].username.setText("witness")
        recovery.witness_panels[0].password.setText(TEST_PASSWORD)
    with qtbot.waitSignal(recovery.completed, timeout=10000):
        recovery.confirm_button.click()
    assert weapon_state(context, ids["KX-0008"]) == (Whereabouts.IN_STORE, None, ids["r2"])

    create_user(context.db, "second", Role.COMMANDER)
    custody.change_condition(context.db, context.actor, ["KX-0009"], Condition.FOR_DISPOSAL)
    destruction = shown(qtbot, DestructionScreen(context))
    assert len(destruction.witness_panels) == 2
    scan(qtbot, destruction, "KX-0009")
    scan(qtbot, destruction, "KX-0004")  # not marked for disposal
    assert destruction.weapon_list.colour(1) == RED
    destruction.method.setText("Cutting")
    destruction.certificate.setText("PVD-2026-01")
    for panel, name in zip(destruction.witness_panels, ("witness", "second"), strict=True):
        panel.username.setText(name)
        panel.password.setText(TEST_PASSWORD)
    with qtbot.waitSignal(destruction.completed, timeout=10000):
        destruction.confirm_button.click()
    assert weapon_state(context, ids["KX-0009"])[0] is Whereabouts.DESTROYED
    assert weapon_state(context, ids["KX-0004"])[0] is Whereabouts.IN_STORE
    certificate = tmp_path / "certificate.pdf"
    destruction.save_document(certificate)
    assert certificate.read_bytes().startswith(b"%PDF")
