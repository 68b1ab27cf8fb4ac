"""The weapons table: a million rows, of which only the painted ones are read."""

from __future__ import annotations

import enum
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from armoury.domain.enums import Condition, Whereabouts
from armoury.i18n import N_, _
from armoury.services import browse
from armoury.services.browse import WeaponFilter, WeaponRow, WeaponSort
from ui.context import AppContext
from ui.models.paged import DISPLAY_ROLE, FOREGROUND_ROLE, TOOLTIP_ROLE, PagedIdModel


class WeaponColumn(enum.IntEnum):
    SERIAL = 0
    ITEM_TYPE = 1
    CATEGORY = 2
    CALIBRE = 3
    REGISTER = 4
    LOCATION = 5
    HOLDER = 6
    WHEREABOUTS = 7
    CONDITION = 8


HEADERS = {
    WeaponColumn.SERIAL: N_("Serial number"),
    WeaponColumn.ITEM_TYPE: N_("Make and model"),
    WeaponColumn.CATEGORY: N_("Category"),
    WeaponColumn.CALIBRE: N_("Calibre"),
    WeaponColumn.REGISTER: N_("Register"),
    WeaponColumn.LOCATION: N_("Location"),
    WeaponColumn.HOLDER: N_("Holder"),
    WeaponColumn.WHEREABOUTS: N_("Where"),
    WeaponColumn.CONDITION: N_("Condition"),
}

SORTS = {
    WeaponColumn.SERIAL: WeaponSort.SERIAL,
    WeaponColumn.ITEM_TYPE: WeaponSort.ITEM_TYPE,
    WeaponColumn.CATEGORY: WeaponSort.CATEGORY,
    WeaponColumn.CALIBRE: WeaponSort.ITEM_TYPE,
    WeaponColumn.REGISTER: WeaponSort.REGISTER,
    WeaponColumn.LOCATION: WeaponSort.LOCATION,
    WeaponColumn.HOLDER: WeaponSort.HOLDER,
    WeaponColumn.WHEREABOUTS: WeaponSort.WHEREABOUTS,
    WeaponColumn.CONDITION: WeaponSort.CONDITION,
}

_ALERT = QColor(176, 32, 32)
_MUTED = QColor(110, 110, 110)


def location_text(row: WeaponRow) -> str:
    if row.rack_code:
        if row.slot is not None:
            return _("{facility} · {rack} slot {slot}").format(
                facility=row.facility_code, rack=row.rack_code, slot=row.slot
            )
        return f"{row.facility_code} · {row.rack_code}"
    return row.facility_code


def row_colour(row: WeaponRow) -> QColor | None:
    """The colour of a row's text: red for a lost or stolen weapon, grey for one gone or unfit, else None."""
    if row.whereabouts.is_terminal or row.condition in (Condition.FOR_DISPOSAL, Condition.QUARANTINED):
        return _ALERT if row.whereabouts in (Whereabouts.LOST, Whereabouts.STOLEN) else _MUTED
    return None


class WeaponTableModel(PagedIdModel[WeaponRow, WeaponColumn]):
    columns = tuple(WeaponColumn)
    header_labels = HEADERS

    def __init__(self, context: AppContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.context = context
        self.filter = WeaponFilter()
        self.sort_key = WeaponSort.SERIAL
        self.descending = False

    def count_ids(self) -> int:
        return browse.count_weapons(self.context.db, self.context.actor, self.filter)

    def load_ids(self, offset: int, limit: int) -> array[int]:
        ctx = self.context
        return browse.weapon_ids(
            ctx.db, ctx.actor, self.filter, self.sort_key, self.descending, offset, limit
        )

    def load_first(self, limit: int) -> tuple[array[int], int | None]:
        ctx = self.context
        return browse.first_weapon_ids(ctx.db, ctx.actor, self.filter, self.sort_key, self.descending, limit)

    def position_of(self, ident: int) -> int | None:
        ctx = self.context
        return browse.weapon_position(ctx.db, ctx.actor, self.filter, self.sort_key, self.descending, ident)

    def fetch_rows(self, ids: Sequence[int]) -> Mapping[int, WeaponRow]:
        return browse.weapon_rows(self.context.db, self.context.actor, ids)

    def set_filter(self, flt: WeaponFilter) -> None:
        if flt != self.filter:
            self.filter = flt
            self.reload()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        key = SORTS[WeaponColumn(column)]
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.sort_key, self.descending):
            return
        self.sort_key, self.descending = key, descending
        self.reload()

    def text_at(self, row: int, column: int) -> tuple[str, QColor | None]:
        """The text of a cell and its colour (None: the palette's) in one call, for the table's delegate
        (``ui/fast_delegate.py``); data() still answers every role for everyone else."""
        data = self.row_data(row)
        if data is None:
            return _("(removed)"), None
        return self.cell(data, self.columns[column], DISPLAY_ROLE), row_colour(data)

    def cell(self, row: WeaponRow, column: WeaponColumn, role: int) -> Any:
        if role == FOREGROUND_ROLE:
            colour = row_colour(row)
            return None if colour is None else QBrush(colour)
        if role == TOOLTIP_ROLE and column is not WeaponColumn.LOCATION:
            return None
        match column:
            case WeaponColumn.SERIAL:
                return row.serial
            case WeaponColumn.ITEM_TYPE:
                return row.item_type
            case WeaponColumn.CATEGORY:
                return row.category.label
            case WeaponColumn.CALIBRE:
                return row.calibre
            case WeaponColumn.REGISTER:
                return row.register.label
            case WeaponColumn.LOCATION:
                return location_text(row)
            case WeaponColumn.HOLDER:
                return row.holder
            case WeaponColumn.WHEREABOUTS:
                return row.whereabouts.label
            case WeaponColumn.CONDITION:
                return row.condition.label
