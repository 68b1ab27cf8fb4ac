"""The idle lock: after N minutes without keyboard or mouse input the window hides all data and asks for
the password again; another user signing in ends the first user's session.

Use::

    lock = IdleLock(window, db, actor)          # minutes from the setting security.idle_lock_minutes
    lock.locked.connect(...)                    # e.g. pause the barcode scanner
    lock.unlocked.connect(...)                  # the same user is back: the window is as it was
    lock.user_switched.connect(rebuild)         # another user: rebuild or replace the window for them
    lock.start()

``clock`` (a callable returning an aware datetime) and ``check_interval_ms`` let tests drive it;
``lock_now()`` is the "Lock screen" action.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from armoury.clock import utcnow
from armoury.db import Database
from armoury.errors import ArmouryError
from armoury.i18n import _
from armoury.security.permissions import Actor

INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


class LockOverlay(QFrame):
    """Covers the whole window while it is locked: no data, only the password prompt."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("lockOverlay")
        self.setAutoFillBackground(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        box = QFrame()
        box.setMaximumWidth(420)
        form = QFormLayout(box)
        self.title = QLabel()
        self.title.setObjectName("lockTitle")
        self.title.setWordWrap(True)
        form.addRow(self.title)
        self.username = QLineEdit()
        self.username.setObjectName("lockUsername")
        self.password = QLineEdit()
        self.password.setObjectName("lockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("User name"), self.username)
        form.addRow(_("Password"), self.password)
        self.error = QLabel()
        self.error.setObjectName("lockError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        form.addRow(self.error)
        self.unlock_button = QPushButton(_("Unlock"))
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setDefault(True)
        form.addRow(self.unlock_button)
        hint = QLabel(_("Another user may sign in here; the first user's session then ends."))
        hint.setWordWrap(True)
        form.addRow(hint)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.password.returnPressed.connect(self.unlock_button.click)


class IdleLock(QObject):
    locked = Signal()
    unlocked = Signal(object)  # Actor: the same user is back
    user_switched = Signal(object)  # Actor: another user signed in; the first user's session has ended

    def __init__(
        self,
        window: QWidget,
        db: Database,
        actor: Actor,
        *,
        minutes: int | None = None,
        clock: Callable[[], datetime] | None = None,
        check_interval_ms: int = 5000,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.db = db
        self._actor = actor
        self.clock = clock or utcnow
        self._minutes = minutes  # None: the depot's setting, read on first use (off the start-up path)
        self._last_input = self.clock()
        self._locked = False
        self._hidden_children: list[QWidget] = []
        self._hidden_windows: list[QWidget] = []
        self._disabled_actions: list[QAction] = []
        self.overlay: LockOverlay | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(check_interval_ms)
        self.timer.timeout.connect(self.check)
        window.installEventFilter(self)

    @property
    def minutes(self) -> int:
        """Minutes without input before the screen locks: the depot's setting, kept between 1 and 15."""
        if self._minutes is None:
            from armoury.services import settings

            self._minutes = settings.idle_lock_minutes(self.db)
        return min(15, max(1, self._minutes))

    @property
    def actor(self) -> Actor:
        return self._actor

    @property
    def is_locked(self) -> bool:
        return self._locked

    def start(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._last_input = self.clock()
        self.timer.start()

    def stop(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in INPUT_EVENTS and not self._locked:
            self._last_input = self.clock()
        elif watched is self.window and kind == QEvent.Type.Resize and self.overlay is not None:
            self.overlay.setGeometry(self.window.rect())
        return False

    def idle_for(self) -> timedelta:
        return self.clock() - self._last_input

    def check(self) -> None:
        """Lock if the idle time has passed (called by the timer)."""
        if not self._locked and self.idle_for() >= timedelta(minutes=self.minutes):
            self.lock_now()

    # --- locking -------------------------------------------------------------------------------------

    def lock_now(self) -> None:
        if self._locked:
            return
        self._locked = True
        window = self.window
        # Other windows (dialogs, message boxes) may show data too.
        app = QApplication.instance()
        tops = QApplication.topLevelWidgets() if isinstance(app, QApplication) else []
        self._hidden_windows = [w for w in tops if w is not window and w.isVisible()]
        for w in self._hidden_windows:
            w.hide()
        self._hidden_children = [
            child
            for child in window.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if child.isVisible() and not child.isWindow()
        ]
        for child in self._hidden_children:
            child.hide()
        # Shortcuts of the window's actions stay live while their widgets are hidden: switch them off.
        self._disabled_actions = [a for a in window.findChildren(QAction) if a.isEnabled()]
        for action in self._disabled_actions:
            action.setEnabled(False)
        self.overlay = LockOverlay(window)
        self.overlay.title.setText(
            _("Armoury is locked. {user}, enter your password to continue.").format(
                user=self._actor.full_name or self._actor.username
            )
        )
        self.overlay.username.setText(self._actor.username)
        self.overlay.unlock_button.clicked.connect(self._unlock_clicked)
        self.overlay.setGeometry(window.rect())
        self.overlay.show()
        self.overlay.raise_()
        self.overlay.password.setFocus()
        try:
            from armoury.services import audit

            audit.record(self.db, self._actor, "screen_locked", subject=self._actor.username, now=self.clock(),
                         details={"idle_minutes": self.minutes})  # fmt: skip
        except Exception:  # the lock must hold even if the database is unreachable
            import logging

            logging.getLogger(__name__).exception("could not record the screen lock")
        self.locked.emit()

    def _unlock_clicked(self) -> None:
        assert self.overlay is not None
        self.try_unlock(self.overlay.username.text(), self.overlay.password.text())

    def try_unlock(self, username: str, password: str) -> bool:
        """Sign in at the lock screen. The same user gets the window back; another user replaces them."""
        if not self._locked or self.overlay is None:
            return False
        self.overlay.password.clear()
        from armoury.services import auth

        try:
            actor = auth.authenticate(self.db, username, password, now=self.clock)
        except ArmouryError as error:
            self.overlay.error.setText(f"{error.message}\n{error.hint}" if error.hint else error.message)
            return False
        same = actor.user_id == self._actor.user_id
        if not same:
            auth.end_session(self.db, self._actor, reason="replaced", now=self.clock)
            for w in self._hidden_windows:
                w.close()
            self._hidden_windows = []
        self._restore()
        if same:
            self.unlocked.emit(actor)
        else:
            self._actor = actor
            self.user_switched.emit(actor)
        return True

    def _restore(self) -> None:
        if self.overlay is not None:
            self.overlay.hide()
            self.overlay.deleteLater()
            self.overlay = None
        for child in self._hidden_children:
            child.show()
        for action in self._disabled_actions:
            action.setEnabled(True)
        for w in self._hidden_windows:
            w.show()
        self._hidden_children, self._hidden_windows, self._disabled_actions = [], [], []
        self._locked = False
        self._last_input = self.clock()
