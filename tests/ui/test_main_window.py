"""The main window: first rows, search as you type, filters, tree, detail panel, settings, About."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from armoury.domain.enums import Category
from armoury.i18n import set_language
from armoury.services.browse import NodeKind
from ui.context import AppContext
from ui.main_window import PAGE_CATALOGUE, PAGE_PEOPLE, MainWindow
from ui.models.weapons import WeaponColumn


def _window(qtbot: QtBot, context: AppContext, settings: QSettings) -> MainWindow:
    window = MainWindow(context, settings)
    qtbot.addWidget(window)
    window.show()
    window.load()
    qtbot.waitUntil(lambda: window.tree_model.rowCount() > 0)
    return window


def test_window_shows_rows_tree_and_status(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    context, _ids = depot
    window = _window(qtbot, context, settings)
    assert window.weapon_model.rowCount() == 31
    assert "31" in window.status_count.text()
    assert "admin" in window.status_user.text()
    facility = window.tree_model.index(1, 0)
    assert facility.data().startswith("DEP-01")
    assert window.tree_model.index(1, 1).data() == "31"
    assert set(window.menus) >= {"file", "edit", "view", "help"}


def test_search_as_you_type_and_filters(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    context, ids = depot
    window = _window(qtbot, context, settings)
    qtbot.keyClicks(window.filters.search, "KX-001")
    qtbot.waitUntil(lambda: window.weapon_model.rowCount() == 10, timeout=2000)  # KX-0010..KX-0019
    window.filters.search.clear()
    qtbot.keyClicks(window.filters.search, "glock")
    qtbot.waitUntil(lambda: window.weapon_model.rowCount() == 1, timeout=2000)
    assert window.weapon_model.id_at(0) == ids["GL-0001"]
    window.filters.clear()
    assert window.weapon_model.rowCount() == 31
    combo = window.filters.category
    combo.setCurrentIndex(combo.findData(Category.PISTOL.value))
    assert window.weapon_model.rowCount() == 1
    window.filters.clear()
    rack = window.tree_model.find(NodeKind.RACK, ids["r2"])
    assert rack is not None
    window.tree.setCurrentIndex(rack.index())
    assert window.weapon_model.rowCount() == 11


def test_many_hits_show_their_rows_then_their_count(
    qtbot: QtBot,
    depot: tuple[AppContext, dict[str, int]],
    settings: QSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context, ids = depot
    window = _window(qtbot, context, settings)
    monkeypatch.setattr("ui.models.paged.FIRST_IDS", 5)
    window.filters.search.setText("KX")
    with qtbot.waitSignal(window.weapon_model.counted, timeout=2000):
        window.apply_filter()
        assert window.weapon_model.rowCount() == 5
        assert window.status_count.text() == "Counting the weapons shown…"
    assert window.weapon_model.rowCount() == 30 and window.status_count.text() == "30 weapons shown"
    window.weapon_model.reload()  # as after an edit
    assert window.weapon_model.uncounted
    window.open_weapon(ids["KX-0030"])  # a scan right after a search finds a row past the first ones
    assert window.selected_weapon_id() == ids["KX-0030"]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_window_fits_a_laptop_screen(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings, language: str
) -> None:
    """A 1366 x 768 screen (a modest depot PC) holds the whole window, in English and in French."""
    set_language(language)
    try:
        context, _ids = depot
        window = _window(qtbot, context, settings)
        assert window.filters.register.currentText() == (
            "All registers" if language == "en" else "Tous registres"
        )
        view = window.filters.category.view()  # the list that opens shows its longest line whole
        assert view.minimumWidth() > view.sizeHintForColumn(0) > window.filters.category.width() / 2
        hint = window.minimumSizeHint()
        assert hint.width() <= 1340 and hint.height() <= 700, hint
    finally:
        set_language("en")


def test_selection_shows_detail_and_is_remembered(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    context, ids = depot
    window = _window(qtbot, context, settings)
    with qtbot.waitSignal(window.weapon_selected) as signal:
        window.select_weapon(ids["KX-0005"])
    assert signal.args == [ids["KX-0005"]]
    assert window.detail.title.text() == "KX-0005"
    assert window.detail.field_text("Make and model") == "Kalashnikov AK-47"
    assert window.detail.history_box.isVisible()
    window.close()
    again = _window(qtbot, context, settings)
    qtbot.waitUntil(lambda: again.selected_weapon_id() == ids["KX-0005"])
    assert settings.value("main/geometry") is not None


def test_sorting_by_header(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    context, _ids = depot
    window = _window(qtbot, context, settings)
    window.table.sortByColumn(WeaponColumn.SERIAL, Qt.SortOrder.DescendingOrder)
    assert window.weapon_model.index(0, WeaponColumn.SERIAL).data() == "KX-0030"
    window.table.sortByColumn(WeaponColumn.ITEM_TYPE, Qt.SortOrder.AscendingOrder)
    assert window.weapon_model.index(0, WeaponColumn.ITEM_TYPE).data() == "Glock 17"


def test_views_about_and_extension_point(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    from PySide6.QtGui import QAction

    context, _ids = depot
    window = _window(qtbot, context, settings)
    window.actions_by_name["viewPeople"].trigger()
    assert window.pages.currentIndex() == PAGE_PEOPLE
    assert window.people_page.model.rowCount() == 2
    window.actions_by_name["viewCatalogue"].trigger()
    assert window.pages.currentIndex() == PAGE_CATALOGUE
    assert window.catalogue_page.model.rowCount() == 2
    box = window.show_about()
    assert "Database:" in box.informativeText() and "sqlite" in box.informativeText()
    box.close()
    action = QAction("Issue weapons…", window)
    window.add_action("custody", action)
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Custody") < titles.index("&Help")
    assert action in window.menus["custody"].actions()


def test_menu_commands_open_the_dialogs(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from ui.dialogs.locations import RackDialog
    from ui.dialogs.weapon import WeaponDialog

    context, ids = depot
    window = _window(qtbot, context, settings)
    rack = window.tree_model.find(NodeKind.RACK, ids["r2"])
    assert rack is not None
    window.tree.setCurrentIndex(rack.index())
    window.actions_by_name["newWeapon"].trigger()
    dialog = window.current_dialog
    assert isinstance(dialog, WeaponDialog) and dialog.rack.currentData() == ids["r2"]
    dialog.serial.setText("MENU-1")
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    assert window.weapon_model.rowCount() == 12  # the rack's weapons, with the new one
    assert window.detail.title.text() == "MENU-1"
    window.table.setFocus()
    edit = window.edit_selected()
    assert isinstance(edit, WeaponDialog) and edit.existing is not None and edit.existing.serial == "MENU-1"
    edit.reject()
    window.tree.setFocus()
    assert isinstance(window.edit_selected(), RackDialog)
    window.current_dialog.reject()
    window.deactivate_selected()
    box = window.last_message
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Yes).click()
    refused = window.last_message
    assert isinstance(refused, QMessageBox) and "still holds 12" in refused.text()
    refused.close()
    window.tree.setCurrentIndex(window.tree_model.index(0, 0))
    assert window.new_area() is None
    assert "Select the facility" in window.last_message.text()
    window.last_message.close()
