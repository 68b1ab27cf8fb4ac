"""The idle lock with a controllable clock: the locked window shows no serial number; the same user gets
it back; another user signing in ends the first session; a wrong password keeps it locked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QLabel,
    QLineEdit,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.models.security import AuditEvent
from tests.helpers import TEST_PASSWORD, create_user
from ui.idle_lock import IdleLock

SERIAL = "AK-4711-SN"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


def _window(qtbot: QtBot) -> tuple[QMainWindow, QDialog]:
    window = QMainWindow()
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.addWidget(QLabel(f"Weapon {SERIAL}"))
    table = QTableWidget(1, 1)
    table.setItem(0, 0, QTableWidgetItem(SERIAL))
    layout.addWidget(table)
    window.setCentralWidget(central)
    dock = QDockWidget("Detail", window)
    dock.setWidget(QLineEdit(SERIAL))
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.menuBar().addMenu("File").addAction("Open")
    window.resize(800, 600)
    qtbot.addWidget(window)
    window.show()
    dialog = QDialog(window)
    QVBoxLayout(dialog).addWidget(QLabel(f"Issue {SERIAL}"))
    dialog.show()
    return window, dialog


def _visible_texts() -> list[str]:
    texts = []
    for widget in QApplication.allWidgets():
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel | QLineEdit):
            texts.append(widget.text())
        if isinstance(widget, QTableWidget):
            texts += [
                widget.item(r, c).text()
                for r in range(widget.rowCount())
                for c in range(widget.columnCount())
            ]
    return texts


def _shows_serial() -> bool:
    return any(SERIAL in text for text in _visible_texts())


def test_locks_after_idle_minutes_and_input_postpones_it(qtbot: QtBot, sqlite_db: Database) -> None:
    actor = create_user(sqlite_db, "sam", Role.STOREKEEPER)
    window, _dialog = _window(qtbot)
    clock = Clock()
    lock = IdleLock(window, sqlite_db, actor, clock=clock, check_interval_ms=5)
    assert lock.minutes == 10  # the documented default
    lock.start()
    clock.advance(9)
    lock.check()
    assert not lock.is_locked
    qtbot.keyClick(window, Qt.Key.Key_A)  # input resets the idle time
    clock.advance(9)
    lock.check()
    assert not lock.is_locked and _shows_serial()
    clock.advance(1.5)
    with qtbot.waitSignal(lock.locked, timeout=2000):
        pass
    assert lock.is_locked
    assert not _shows_serial()
    assert lock.overlay is not None and lock.overlay.isVisible()
    assert lock.overlay.geometry() == window.rect()  # the overlay covers the whole window
    assert not any(action.isEnabled() for action in window.menuBar().actions()[0].menu().actions())
    lock.stop()


def test_same_user_unlocks_and_gets_the_window_back(qtbot: QtBot, sqlite_db: Database) -> None:
    actor = create_user(sqlite_db, "sam", Role.STOREKEEPER)
    window, dialog = _window(qtbot)
    lock = IdleLock(window, sqlite_db, actor, clock=Clock())
    lock.lock_now()
    assert not _shows_serial() and not dialog.isVisible()
    assert not lock.try_unlock("sam", "not-the-password")
    assert lock.is_locked and "Wrong" in lock.overlay.error.text()  # type: ignore[union-attr]
    assert not _shows_serial()
    with qtbot.waitSignal(lock.unlocked, timeout=2000) as unlocked:
        lock.overlay.password.setText(TEST_PASSWORD)  # type: ignore[union-attr]
        qtbot.mouseClick(lock.overlay.unlock_button, Qt.MouseButton.LeftButton)  # type: ignore[union-attr]
    assert unlocked.args[0].username == "sam"
    assert not lock.is_locked and _shows_serial() and dialog.isVisible()


def test_another_user_signing_in_ends_the_first_session(qtbot: QtBot, sqlite_db: Database) -> None:
    first = create_user(sqlite_db, "sam", Role.STOREKEEPER)
    create_user(sqlite_db, "cdt", Role.COMMANDER)
    window, dialog = _window(qtbot)
    lock = IdleLock(window, sqlite_db, first, clock=Clock())
    switched: list[object] = []
    lock.user_switched.connect(switched.append)
    lock.lock_now()
    with qtbot.waitSignal(lock.user_switched, timeout=2000):
        assert lock.try_unlock("cdt", TEST_PASSWORD)
    assert lock.actor.username == "cdt" and len(switched) == 1
    assert not dialog.isVisible()  # the first user's dialogs are closed, not shown to the new user
    with sqlite_db.read() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.details).order_by(AuditEvent.id)
        ).all()
    actions = [(r[0], r[1]) for r in rows]
    assert ("screen_locked", "sam") in actions
    assert actions[-2:] == [("sign_in", "cdt"), ("sign_out", "sam")]
    assert '"replaced"' in rows[-1][2]
