"""The item-type catalogue table (hundreds of rows: loaded whole)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from armoury.i18n import N_, _
from ui.context import AppContext

if TYPE_CHECKING:
    from armoury.services.catalogue import ItemTypeInfo

_Index = QModelIndex | QPersistentModelIndex


class ItemTypeColumn(enum.IntEnum):
    MANUFACTURER = 0
    MODEL = 1
    CATEGORY = 2
    CALIBRE = 3
    COUNTRY = 4
    WEAPONS = 5


HEADERS = {
    ItemTypeColumn.MANUFACTURER: N_("Manufacturer"),
    ItemTypeColumn.MODEL: N_("Model"),
    ItemTypeColumn.CATEGORY: N_("Category"),
    ItemTypeColumn.CALIBRE: N_("Calibre"),
    ItemTypeColumn.COUNTRY: N_("Country"),
    ItemTypeColumn.WEAPONS: N_("Weapons"),
}


class ItemTypeTableModel(QAbstractTableModel):
    def __init__(self, context: AppContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.context = context
        self._items: list[ItemTypeInfo] = []

    def reload(self) -> None:
        from armoury.services import catalogue

        items = catalogue.list_item_types(self.context.db, self.context.actor, with_counts=True)
        self.beginResetModel()
        self._items = items
        self.endResetModel()

    def item_at(self, row: int) -> ItemTypeInfo | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, ident: int) -> int | None:
        return next((i for i, item in enumerate(self._items) if item.id == ident), None)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(ItemTypeColumn)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self.item_at(index.row())
        if item is None:
            return None
        if role == Qt.ItemDataRole.UserRole:
            return item.id
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        match ItemTypeColumn(index.column()):
            case ItemTypeColumn.MANUFACTURER:
                return item.manufacturer
            case ItemTypeColumn.MODEL:
                return item.model
            case ItemTypeColumn.CATEGORY:
                return item.category.label
            case ItemTypeColumn.CALIBRE:
                return item.calibre
            case ItemTypeColumn.COUNTRY:
                return item.country
            case ItemTypeColumn.WEAPONS:
                return item.weapons
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        if 0 <= section < len(ItemTypeColumn):
            return _(HEADERS[ItemTypeColumn(section)])
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
