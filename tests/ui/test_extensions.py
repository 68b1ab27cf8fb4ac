"""The assembled main window: every capability's menu is there, and the Today panel tells the truth."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import text

from ui.context import AppContext


def _menu_titles(window: object) -> list[str]:
    bar = window.menuBar()  # type: ignore[attr-defined]
    return [action.text().replace("&", "") for action in bar.actions()]


def test_full_window_has_every_capability(qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]) -> None:
    from PySide6.QtGui import QAction

    from ui.app import build_window

    context, _ids = depot
    window = build_window(context.db, context.actor)
    qtbot.addWidget(window)
    titles = _menu_titles(window)
    for title in ("Labels", "Counts", "Inspections", "Administration"):
        assert title in titles
    for name in ("actionLabelsWeapons", "actionDecodeImage", "actionCounts", "actionInspections"):
        assert window.findChild(QAction, name) is not None, name
    window.idle_lock.stop()


def test_today_panel_lists_due_counts_and_stays_quiet_on_sound_books(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]
) -> None:
    from ui.app import build_window

    context, _ids = depot
    window = build_window(context.db, context.actor)
    qtbot.addWidget(window)
    panel = window.today_panel
    qtbot.waitUntil(lambda: panel.list.count() > 0)
    texts = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert any("counts due" in t for t in texts)
    assert panel.banner.isHidden()
    window.idle_lock.stop()


def test_today_panel_shows_a_red_banner_when_the_books_do_not_match_the_ledger(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]
) -> None:
    from ui.app import build_window

    context, ids = depot
    # Someone edits a weapon's state behind the ledger's back.
    with context.db.engine.begin() as connection:
        connection.execute(
            text("UPDATE weapons SET condition = 'unserviceable' WHERE id = :id"), {"id": ids["KX-0001"]}
        )
    window = build_window(context.db, context.actor)
    qtbot.addWidget(window)
    panel = window.today_panel
    qtbot.waitUntil(lambda: not panel.banner.isHidden())
    assert "ledger check found a problem" in panel.banner.text()
    window.idle_lock.stop()


def test_no_two_actions_share_a_shortcut(qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]) -> None:
    from PySide6.QtGui import QAction

    from ui.app import build_window

    context, _ids = depot
    window = build_window(context.db, context.actor)
    qtbot.addWidget(window)
    seen: dict[str, str] = {}
    clashes = []
    for action in window.findChildren(QAction):
        for shortcut in action.shortcuts():
            key = shortcut.toString()
            if key in seen and seen[key] != action.objectName():
                clashes.append(f"{key}: {seen[key]} and {action.objectName()}")
            seen.setdefault(key, action.objectName())
    assert clashes == []
    window.idle_lock.stop()


def test_deferred_capabilities_arrive_after_the_window_shows(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]
) -> None:
    from ui.app import build_window

    context, _ids = depot
    window = build_window(context.db, context.actor, defer_capabilities=True)
    qtbot.addWidget(window)
    assert "Labels" not in _menu_titles(window)
    qtbot.waitUntil(lambda: "Labels" in _menu_titles(window))
    qtbot.waitUntil(lambda: window.today_panel.list.count() > 0)
    window.idle_lock.stop()
