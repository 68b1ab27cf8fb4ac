"""The roster and catalogue pages of the main window."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from armoury.i18n import _
from ui.context import AppContext
from ui.models.item_types import ItemTypeTableModel
from ui.models.people import PersonTableModel


def table_view(name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setDefaultSectionSize(24)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setHighlightSections(False)
    return view


class PeoplePage(QWidget):
    activated = Signal(int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("peopleSearch")
        self.search.setPlaceholderText(_("Search service number or name"))
        self.search.setClearButtonEnabled(True)
        label = QLabel(_("&Find:"))
        label.setBuddy(self.search)
        bar.addWidget(label)
        bar.addWidget(self.search)
        layout.addLayout(bar)
        self.model = PersonTableModel(context, self)
        self.view = table_view("peopleTable")
        self.view.setModel(self.model)
        layout.addWidget(self.view)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(150)
        self.timer.timeout.connect(lambda: self.model.set_search(self.search.text()))
        self.search.textChanged.connect(self.timer.start)
        self.view.doubleClicked.connect(lambda index: self.activated.emit(self.model.id_at(index.row()) or 0))

    def selected_id(self) -> int | None:
        index = self.view.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None

    def select_id(self, person_id: int) -> bool:
        row = self.model.row_of(person_id)
        if row is None:
            self.search.clear()
            self.model.set_search("")
            row = self.model.row_of(person_id)
        if row is None:
            return False
        self.view.selectRow(row)
        self.view.scrollTo(self.model.index(row, 0))
        return True


class CataloguePage(QWidget):
    activated = Signal(int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.model = ItemTypeTableModel(context, self)
        self.view = table_view("catalogueTable")
        self.view.setModel(self.model)
        layout.addWidget(self.view)
        self.view.doubleClicked.connect(self._activated)

    def _activated(self, index: object) -> None:
        item = self.model.item_at(self.view.currentIndex().row())
        if item is not None:
            self.activated.emit(item.id)

    def selected_id(self) -> int | None:
        item = self.model.item_at(self.view.currentIndex().row())
        return item.id if item is not None else None
