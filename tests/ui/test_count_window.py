"""The count screen driven like a USB barcode scanner: keystrokes into the scan field, then Enter."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from armoury.db import Database
from armoury.labels.payload import LabelKind, encode
from armoury.services import count_scan, counts
from tests.core.test_count_world import build_world
from ui.count_window import BAD_COLOUR, OK_COLOUR, CountWindow


def _scan(qtbot: QtBot, window: CountWindow, text: str) -> count_scan.ScanResult:
    with qtbot.waitSignal(window.scanned, timeout=5000) as blocker:
        QTest.keyClicks(window.scan_field, text)
        QTest.keyClick(window.scan_field, Qt.Key.Key_Return)
    result = blocker.args[0]
    assert isinstance(result, count_scan.ScanResult)
    return result


def _row(window: CountWindow) -> tuple[str, str, bool]:
    result = window.scan_table.item(0, 1)
    return window.scan_table.item(0, 0).text(), result.text(), result.background().color() == OK_COLOUR


def test_a_count_driven_by_the_scanner(qtbot: QtBot, sqlite_db: Database, tmp_path: Path) -> None:
    world = build_world(sqlite_db)
    info = counts.start_count(
        sqlite_db, world.commander, counts.CountPlan("F1", "monthly", racks=["R1", "R2"])
    )
    window = CountWindow(sqlite_db, world.commander, info.number)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.scan_field.hasFocus())

    rack = _scan(qtbot, window, world.rack_label("R1"))
    assert rack.ok and "R1" in window.place_label.text()
    good = _scan(qtbot, window, world.weapon_label("R1-1"))
    assert good.ok and _row(window)[2] and "In its place" in _row(window)[1]
    assert window.scan_field.text() == "" and window.scan_field.hasFocus()

    duplicate = _scan(qtbot, window, "R1-1")
    assert duplicate.duplicate
    scanned, message, green = _row(window)
    assert scanned == "R1-1" and "Duplicate" in message and not green
    assert window.scan_table.item(0, 1).background().color() == BAD_COLOUR
    assert "Duplicate" in window.message.text() and window.message.property("ok") is False

    foreign_depot = "0000" if world.depot != "0000" else "1111"
    foreign = _scan(qtbot, window, encode(LabelKind.WEAPON, world.weapons["R1-2"], foreign_depot))
    assert foreign.kind.value == "foreign"
    assert "another depot" in _row(window)[1] and not _row(window)[2]

    misplaced = _scan(qtbot, window, "R2-1")
    assert not misplaced.ok and "Not in its place" in _row(window)[1]
    _scan(qtbot, window, "R1-2")

    # Reopening the count (after a restart) shows every scan again and resumes at the same rack.
    again = CountWindow(sqlite_db, world.commander, info.number)
    qtbot.addWidget(again)
    assert again.scan_table.rowCount() == 6 and "R1" in again.place_label.text()

    # The result screen: finish counting, then the lists and a resolution by the ledger.
    window.finish_counting()
    assert window.tabs.currentIndex() == 2
    lists = {window.result_table.item(r, 1).text(): window.result_table.item(r, 0).text()
             for r in range(window.result_table.rowCount())}  # fmt: skip
    assert "R1-1" not in lists and "Found in its place: 2" in window.accuracy_label.text()
    assert lists["R2-1"] == "Found in another place"
    assert lists["R1-3"] == "Missing" and lists["R2-2"] == "Not counted"
    row = next(
        r for r in range(window.result_table.rowCount()) if window.result_table.item(r, 1).text() == "R2-1"
    )
    window.result_table.selectRow(row)
    window.resolve_selected(None)
    resolved = next(
        r for r in range(window.result_table.rowCount()) if window.result_table.item(r, 1).text() == "R2-1"
    )
    assert window.result_table.item(resolved, 6).text() == "Moved to where it was found"
    assert window.save_report(tmp_path / "d.pdf", "discrepancies") >= 1


def test_blind_count_window_hides_the_list_and_starts_from_the_dialog(
    qtbot: QtBot, sqlite_db: Database
) -> None:
    world = build_world(sqlite_db, per_rack=1)
    window = CountWindow(sqlite_db, world.commander)
    qtbot.addWidget(window)
    dialog = window.show_start_dialog()
    dialog.facility.setText("F1")
    dialog.blind.setChecked(True)
    with qtbot.waitSignal(window.count_changed, timeout=5000):
        dialog.start()
    assert window.number is not None and window.count_box.count() == 1
    assert window.sheet_table.rowCount() == 0 and "Blind count" in window.list_note.text()
    assert not window.tick_button.isEnabled()
    window.show()
    _scan(qtbot, window, world.rack_label("R1"))
    blind = _scan(qtbot, window, "R2-1")
    assert blind.ok and blind.expected is None and "Counted" in _row(window)[1]


def test_main_window_counts_menu_opens_the_count_window(
    qtbot: QtBot, sqlite_db: Database, tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ui.context import AppContext
    from ui.count_window import due_counts_text, install_count_actions
    from ui.main_window import MainWindow

    world = build_world(sqlite_db, per_rack=1)
    window = MainWindow(
        AppContext(sqlite_db, world.commander), QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    actions = install_count_actions(window)
    assert set(actions) == {"counts", "start"}
    assert "overdue" in due_counts_text(sqlite_db, world.commander)
    actions["counts"].trigger()
    opened = [w for w in QApplication.topLevelWidgets() if isinstance(w, CountWindow) and w.isVisible()]
    assert len(opened) == 1
    opened[0].close()
