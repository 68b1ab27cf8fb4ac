"""The security audit trail viewer (administrator, commander, auditor): filters, paging, chain check."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, time
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.errors import ArmouryError
from armoury.i18n import N_, _
from armoury.security.permissions import Actor
from armoury.services import audit
from armoury.services.audit import AuditEntry, AuditFilter
from ui.errors import show_error

_Index = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 500


class AuditColumn(IntEnum):
    NUMBER = 0
    TIME = 1
    USER = 2
    ACTION = 3
    SUBJECT = 4
    WITNESS = 5
    DETAILS = 6


AUDIT_HEADERS = {
    AuditColumn.NUMBER: N_("No."),
    AuditColumn.TIME: N_("Time (UTC)"),
    AuditColumn.USER: N_("User"),
    AuditColumn.ACTION: N_("Action"),
    AuditColumn.SUBJECT: N_("Subject"),
    AuditColumn.WITNESS: N_("Witness"),
    AuditColumn.DETAILS: N_("Details"),
}


class AuditModel(QAbstractTableModel):
    """Audit entries, newest first; ``append`` adds an older page at the end."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[AuditEntry] = []

    def set_rows(self, rows: Sequence[AuditEntry]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def append(self, rows: Sequence[AuditEntry]) -> None:
        if not rows:
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(AuditColumn)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        entry = self.rows[index.row()]
        column = AuditColumn(index.column())
        if column is AuditColumn.NUMBER:
            return entry.id
        if column is AuditColumn.TIME:
            return entry.occurred_at.strftime("%Y-%m-%d %H:%M:%S")
        if column is AuditColumn.USER:
            return entry.actor_name
        if column is AuditColumn.ACTION:
            return entry.action_label
        if column is AuditColumn.SUBJECT:
            return entry.subject
        if column is AuditColumn.WITNESS:
            return entry.witness_name
        return json.dumps(dict(entry.details), ensure_ascii=False, sort_keys=True) if entry.details else ""

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(AuditColumn)
        ):
            return _(AUDIT_HEADERS[AuditColumn(section)])
        return None


class AuditViewer(QDialog):
    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.actor = db, actor
        self.setObjectName("auditViewer")
        self.setWindowTitle(_("Security audit trail"))
        self.resize(1000, 560)
        self.action = QComboBox()
        self.action.setObjectName("actionFilter")
        self.action.addItem(_("All actions"), None)
        for key in audit.ACTION_LABELS:
            self.action.addItem(audit.action_label(key), key)
        self.user = QLineEdit()
        self.user.setObjectName("userFilter")
        self.user.setPlaceholderText(_("User name"))
        self.text = QLineEdit()
        self.text.setObjectName("textFilter")
        self.text.setPlaceholderText(_("Text in subject or details"))
        self.use_since = QCheckBox(_("From"))
        self.since = QDateEdit(QDate.currentDate().addDays(-30))
        self.since.setCalendarPopup(True)
        self.apply_button = QPushButton(_("Apply filters"))
        self.apply_button.clicked.connect(self.reload)
        filters = QHBoxLayout()
        for widget in (self.action, self.user, self.text, self.use_since, self.since, self.apply_button):
            filters.addWidget(widget)
        self.model = AuditModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.more_button = QPushButton(_("Load older entries"))
        self.more_button.clicked.connect(self.load_more)
        self.verify_button = QPushButton(_("Verify the chain"))
        self.verify_button.clicked.connect(self.verify)
        self.status = QLabel()
        self.status.setObjectName("auditStatus")
        self.status.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.more_button)
        bottom.addWidget(self.verify_button)
        bottom.addWidget(self.status, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.view)
        layout.addLayout(bottom)
        layout.addWidget(close)
        self.reload()

    def current_filter(self) -> AuditFilter:
        since = None
        if self.use_since.isChecked():
            day = self.since.date().toPython()
            since = datetime.combine(day, time(), tzinfo=UTC)  # type: ignore[arg-type]
        return AuditFilter(
            action=self.action.currentData(),
            actor_name=self.user.text().strip() or None,
            since=since,
            text=self.text.text().strip() or None,
        )

    def _fetch(self, before_id: int | None) -> list[AuditEntry]:
        try:
            return audit.list_events(
                self.db, self.actor, self.current_filter(), limit=PAGE_SIZE, before_id=before_id
            )
        except ArmouryError as error:
            show_error(self, error)
            return []

    def reload(self) -> None:
        rows = self._fetch(None)
        self.model.set_rows(rows)
        self.more_button.setEnabled(len(rows) == PAGE_SIZE)

    def load_more(self) -> None:
        if not self.model.rows:
            return
        rows = self._fetch(self.model.rows[-1].id)
        self.model.append(rows)
        self.more_button.setEnabled(len(rows) == PAGE_SIZE)

    def verify(self) -> None:
        result = audit.verify_audit_chain(self.db)
        self.status.setText(result.message)
        self.status.setStyleSheet("" if result.ok else "color: #b00020;")
