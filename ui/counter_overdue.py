"""The "Overdue returns" list: weapons not back by their due-back time, most overdue first.

Double-clicking a row opens the weapon in the main window. The list is read in the worker
(:func:`armoury.services.custody.overdue_loans`) and refreshed on demand.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from armoury.i18n import _
from armoury.services import custody
from armoury.services.custody import OpenLoan
from ui.context import AppContext
from ui.worker import Progress, run_task


def overdue_by(due: datetime, now: datetime) -> str:
    """How long ago ``due`` passed, in days and hours."""
    hours = int((now - due).total_seconds() // 3600)
    days, hours = divmod(max(hours, 0), 24)
    if days:
        return _("{days} d {hours} h").format(days=days, hours=hours)
    return _("{hours} h").format(hours=hours)


class OverdueList(QDialog):
    loaded = Signal(int)  # the number of overdue weapons

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overdueList")
        self.setWindowTitle(_("Overdue returns"))
        self.context = context
        self.loans: list[OpenLoan] = []
        headers = [_("Weapon"), _("Serial"), _("Held by"), _("Service number"), _("Hand receipt"),
                   _("Due back"), _("Overdue by")]  # fmt: skip
        self.table = QTableWidget(0, len(headers))
        self.table.setObjectName("overdueTable")
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(self.open_row)
        self.summary = QLabel()
        self.summary.setObjectName("summaryLabel")
        refresh = QPushButton(_("Refresh"))
        refresh.setObjectName("refreshButton")
        refresh.clicked.connect(self.load)
        close = QPushButton(_("Close"))
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(refresh)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(860, 420)

    def load(self) -> None:
        db, actor = self.context.db, self.context.actor

        def work(_progress: Progress) -> tuple[OpenLoan, ...]:
            return custody.overdue_loans(db, actor)

        run_task(self, _("Reading the overdue returns…"), work, self._show, quiet=True)

    def _show(self, loans: tuple[OpenLoan, ...]) -> None:
        now = datetime.now(UTC)
        self.loans = list(loans)
        self.table.setRowCount(len(loans))
        for row, loan in enumerate(loans):
            due = loan.due_back
            values = [
                loan.item_type,
                loan.serial,
                loan.person,
                loan.service_number,
                loan.hand_receipt,
                due.astimezone().strftime("%Y-%m-%d %H:%M") if due else "",
                overdue_by(due, now) if due else "",
            ]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, loan.weapon_id)
                self.table.setItem(row, column, item)
        self.summary.setText(
            _("{count} weapons are overdue.").format(count=len(loans)) if loans else _("Nothing is overdue.")
        )
        self.loaded.emit(len(loans))

    def open_row(self, row: int, _column: int = 0) -> None:
        opener = getattr(self.parent(), "open_weapon", None)
        if callable(opener) and 0 <= row < len(self.loans):
            opener(self.loans[row].weapon_id)
