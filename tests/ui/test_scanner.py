"""Scanner input: a fast burst ending in Enter opens the item; typing by hand stays in the field."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from ui.context import AppContext
from ui.main_window import PAGE_PEOPLE, PAGE_WEAPONS, MainWindow


class FakeClock:
    """Each call is one key press; ``step`` milliseconds pass between presses."""

    def __init__(self, step: float) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def _window(qtbot: QtBot, context: AppContext, settings: QSettings, clock: FakeClock) -> MainWindow:
    window = MainWindow(context, settings)
    qtbot.addWidget(window)
    window.scanner.clock = clock
    QApplication.instance().installEventFilter(window.scanner)  # type: ignore[union-attr]
    window.show()
    window.load()
    qtbot.waitUntil(lambda: window.tree_model.rowCount() > 0)
    return window


def _scan(qtbot: QtBot, widget: object, text: str) -> None:
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_fast_burst_in_the_search_box_opens_the_weapon(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    context, ids = depot
    clock = FakeClock(step=5)
    window = _window(qtbot, context, settings, clock)
    try:
        window.filters.search.setText("KX")
        _scan(qtbot, window.filters.search, "KX-0017")
        assert window.selected_weapon_id() == ids["KX-0017"]
        assert window.detail.title.text() == "KX-0017"
        assert window.filters.search.text() == "KX"  # the scanner's typing was taken back out
        assert not window.filters.timer.isActive()
        # a weapon hidden by the current search: the search is cleared to show it
        window.filters.search.setText("GL-0")
        window.apply_filter()
        _scan(qtbot, window.table, "KX-0003")
        assert window.selected_weapon_id() == ids["KX-0003"]
        assert window.filters.search.text() == ""
    finally:
        QApplication.instance().removeEventFilter(window.scanner)  # type: ignore[union-attr]


def test_scan_on_the_table_opens_a_person_or_a_rack(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    context, ids = depot
    window = _window(qtbot, context, settings, FakeClock(step=5))
    try:
        _scan(qtbot, window.table, "ML-1002")
        assert window.pages.currentIndex() == PAGE_PEOPLE
        assert window.people_page.selected_id() == ids["p2"]
        _scan(qtbot, window.people_page.view, "R02 ")
        assert window.pages.currentIndex() == PAGE_WEAPONS
        assert window.weapon_model.rowCount() == 11
    finally:
        QApplication.instance().removeEventFilter(window.scanner)  # type: ignore[union-attr]


def test_slow_typing_stays_in_the_field(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    context, _ids = depot
    window = _window(qtbot, context, settings, FakeClock(step=180))
    opened: list[str] = []
    window.scanner.scanned.connect(opened.append)
    try:
        _scan(qtbot, window.filters.search, "KX-0017")
        assert opened == []
        assert window.filters.search.text() == "KX-0017"
        qtbot.waitUntil(lambda: window.weapon_model.rowCount() == 1, timeout=2000)
    finally:
        QApplication.instance().removeEventFilter(window.scanner)  # type: ignore[union-attr]


def test_unknown_code_shows_a_message_and_does_nothing_else(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    context, ids = depot
    window = _window(qtbot, context, settings, FakeClock(step=5))
    try:
        window.select_weapon(ids["KX-0002"])
        _scan(qtbot, window.table, "ZZ-NOTHING-9")
        box = window.last_message
        assert isinstance(box, QMessageBox) and box.isVisible()
        assert "Nothing in this depot has the code ZZ-NOTHING-9." in box.text()
        assert window.selected_weapon_id() == ids["KX-0002"]
        assert window.weapon_model.rowCount() == 31
        box.close()
    finally:
        QApplication.instance().removeEventFilter(window.scanner)  # type: ignore[union-attr]


def test_visible_scan_field(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    context, ids = depot
    window = _window(qtbot, context, settings, FakeClock(step=500))
    try:
        assert not window.scan_field.isVisible()
        action = window.actions_by_name["scanField"]
        assert action.shortcut().toString() == "Ctrl+L"
        action.trigger()
        assert window.scan_field.isVisible()
        window.scan_field.setFocus()
        _scan(qtbot, window.scan_field, "gl 0001")  # typed by hand: the field takes it
        assert window.selected_weapon_id() == ids["GL-0001"]
        assert window.scan_field.text() == ""
    finally:
        QApplication.instance().removeEventFilter(window.scanner)  # type: ignore[union-attr]
