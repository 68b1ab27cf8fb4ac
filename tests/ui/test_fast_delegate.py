"""The weapons table's cached-text delegate: drawn as the default delegate draws, from a bounded cache."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QStyledItemDelegate
from pytestqt.qtbot import QtBot

from armoury.domain.enums import Condition
from armoury.services import weapons
from armoury.services.weapons import WeaponData
from ui import fast_delegate
from ui.context import AppContext
from ui.fast_delegate import CachedTextDelegate
from ui.main_window import MainWindow
from ui.models.weapons import WeaponColumn

_ROWS = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows


def _window(qtbot: QtBot, context: AppContext, settings: QSettings) -> MainWindow:
    window = MainWindow(context, settings)
    qtbot.addWidget(window)
    window.show()
    window.load()
    qtbot.waitUntil(lambda: window.weapon_model.rowCount() > 0)
    # Put in after the first rows are painted (ui/main_window.py, load_rest).
    qtbot.waitUntil(lambda: isinstance(window.table.itemDelegate(), CachedTextDelegate))
    return window


def _delegate(window: MainWindow) -> CachedTextDelegate:
    delegate = window.table.itemDelegate()
    assert isinstance(delegate, CachedTextDelegate)
    return delegate


def _grab(window: MainWindow) -> QImage:
    viewport = window.table.viewport()
    viewport.repaint()
    return viewport.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def _colours_in_cell(image: QImage, window: MainWindow, row: int, column: int) -> set[int]:
    rect = window.table.visualRect(window.weapon_model.index(row, column))
    return {
        image.pixel(x, y) & 0xFFFFFF
        for x in range(rect.left() + 1, rect.right())
        for y in range(rect.top() + 1, rect.bottom())
    }


def test_text_at_answers_what_data_answers(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    context, ids = depot
    weapons.create_weapon(
        context.db,
        context.actor,
        WeaponData(ids["glock"], "GL-0099", rack_id=ids["r2"], condition=Condition.FOR_DISPOSAL),
    )
    window = _window(qtbot, context, settings)
    model = window.weapon_model
    coloured = 0
    for row in range(model.rowCount()):
        for column in WeaponColumn:
            index = model.index(row, column)
            text, colour = model.text_at(row, column)
            assert text == index.data()
            brush = index.data(Qt.ItemDataRole.ForegroundRole)
            assert (brush.color() if brush is not None else None) == colour
            coloured += colour is not None
    assert coloured == len(WeaponColumn)  # the one weapon for disposal, in every column


def test_paints_like_the_default_delegate(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    """Pixel for pixel under Fusion: a selected row with the focused cell, an elided cell, a muted row."""
    context, ids = depot
    weapons.create_weapon(
        context.db,
        context.actor,
        WeaponData(ids["glock"], "GL-0099", rack_id=ids["r2"], condition=Condition.FOR_DISPOSAL),
    )
    window = _window(qtbot, context, settings)
    table, model = window.table, window.weapon_model
    table.setColumnWidth(WeaponColumn.ITEM_TYPE, 60)  # "Kalashnikov AK-47" does not fit
    table.setCurrentIndex(model.index(2, WeaponColumn.CALIBRE))
    table.selectionModel().select(model.index(2, 0), _ROWS)
    window.activateWindow()
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    ours = _grab(window)
    assert _delegate(window).cached_count() > 0
    table.setItemDelegate(QStyledItemDelegate(table))
    theirs = _grab(window)
    assert ours == theirs


def test_elides_a_cell_that_does_not_fit(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    window = _window(qtbot, depot[0], settings)
    delegate = _delegate(window)
    _grab(window)  # the delegate learns the font
    assert delegate.drawn_text("Kalashnikov AK-47", 1000) == "Kalashnikov AK-47"
    elided = delegate.drawn_text("Kalashnikov AK-47", 50)
    assert elided.endswith("…")
    assert "Kalashnikov AK-47".startswith(elided[:-1])
    assert window.table.fontMetrics().horizontalAdvance(elided) <= 50


def test_selected_row_in_highlight_colours(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    window = _window(qtbot, depot[0], settings)
    table, model = window.table, window.weapon_model
    palette = table.palette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Highlight, QColor(0, 0, 200))
        palette.setColor(group, QPalette.ColorRole.HighlightedText, QColor(255, 255, 0))
        palette.setColor(group, QPalette.ColorRole.Text, QColor(0, 120, 0))
    table.setPalette(palette)
    table.selectionModel().select(model.index(1, 0), _ROWS)
    image = _grab(window)
    selected = _colours_in_cell(image, window, 1, WeaponColumn.SERIAL)
    assert {0x0000C8, 0xFFFF00} <= selected  # background and text
    assert 0x007800 not in selected
    plain = _colours_in_cell(image, window, 0, WeaponColumn.SERIAL)
    assert 0x007800 in plain
    assert 0xFFFF00 not in plain


def test_muted_row_in_its_colour(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]], settings: QSettings
) -> None:
    context, ids = depot
    weapons.create_weapon(
        context.db,
        context.actor,
        WeaponData(ids["glock"], "GL-0099", rack_id=ids["r2"], condition=Condition.QUARANTINED),
    )
    window = _window(qtbot, context, settings)
    model = window.weapon_model
    row = next(r for r in range(model.rowCount()) if model.text_at(r, 0)[0] == "GL-0099")
    colour = model.text_at(row, 0)[1]
    assert colour is not None
    image = _grab(window)
    assert colour.rgb() & 0xFFFFFF in _colours_in_cell(image, window, row, WeaponColumn.SERIAL)
    assert colour.rgb() & 0xFFFFFF not in _colours_in_cell(image, window, row - 1, WeaponColumn.SERIAL)


def test_cache_outlives_a_search_and_is_bounded(
    qtbot: QtBot,
    depot: tuple[AppContext, dict[str, int]],
    settings: QSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = _window(qtbot, depot[0], settings)
    delegate = _delegate(window)
    _grab(window)
    cached = delegate.cached_count()
    assert cached > 0
    window.weapon_model.reload()  # what a search does: the texts (not the rows) are the cache's keys
    _grab(window)
    assert delegate.cached_count() == cached
    delegate.clear()
    assert delegate.cached_count() == 0
    _grab(window)
    monkeypatch.setattr(fast_delegate, "MAX_CACHED", 50)
    for n in range(200):
        delegate.drawn_text(f"serial {n}", 1000)
        assert delegate.cached_count() <= 50
    for width in range(20, 220):  # a column being resized: one elided text per width
        delegate.drawn_text("Kalashnikov AK-47", width)
        assert delegate.cached_count() <= 50
