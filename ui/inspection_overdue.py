"""The overdue corrective actions, as a panel for the start screen.

``OverdueActionsPanel(db, actor)`` lists the actions not closed whose due date has passed (facilities the
user may see), oldest first, and hides itself when there are none. ``open_requested`` asks the main window
to open the inspections window (double-click or the button).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.i18n import _
from armoury.security.permissions import Actor
from armoury.services.inspections import overdue_corrective_actions


class OverdueActionsPanel(QWidget):
    open_requested = Signal()

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overdueActionsPanel")
        self.db, self.actor = db, actor
        self.title = QLabel()
        self.title.setObjectName("overdueTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.list = QListWidget()
        self.list.setObjectName("overdueList")
        self.list.itemDoubleClicked.connect(lambda _item: self.open_requested.emit())
        button = QPushButton(_("Open inspections…"))
        button.clicked.connect(self.open_requested)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.list)
        self.refresh()

    def refresh(self, today: date | None = None) -> int:
        """Reload the list; returns how many actions are overdue."""
        day = today or date.today()
        actions = overdue_corrective_actions(self.db, self.actor, day)
        self.list.clear()
        for action in actions:
            late = (day - action.due_on).days
            item = QListWidgetItem(
                _("{facility}: {what} — {who}, due {due} ({days} days late)").format(
                    facility=action.facility_name,
                    what=action.what,
                    who=action.who,
                    due=action.due_on.isoformat(),
                    days=late,
                )
            )
            item.setForeground(QBrush(QColor("#b00020")))
            self.list.addItem(item)
        self.title.setText(_("Overdue corrective actions: {count}").format(count=len(actions)))
        self.setVisible(bool(actions))
        return len(actions)
