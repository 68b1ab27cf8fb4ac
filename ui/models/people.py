"""The roster table (people who can hold a weapon or a key)."""

from __future__ import annotations

import enum
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt

from armoury.i18n import N_, _
from armoury.services import browse
from armoury.services.browse import PersonRow
from ui.context import AppContext
from ui.models.paged import PagedIdModel


class PersonColumn(enum.IntEnum):
    SERVICE_NUMBER = 0
    RANK = 1
    SURNAME = 2
    GIVEN_NAMES = 3
    UNIT = 4
    WEAPONS_HELD = 5


HEADERS = {
    PersonColumn.SERVICE_NUMBER: N_("Service number"),
    PersonColumn.RANK: N_("Rank"),
    PersonColumn.SURNAME: N_("Surname"),
    PersonColumn.GIVEN_NAMES: N_("Given names"),
    PersonColumn.UNIT: N_("Unit"),
    PersonColumn.WEAPONS_HELD: N_("Weapons held"),
}


class PersonTableModel(PagedIdModel[PersonRow, PersonColumn]):
    columns = tuple(PersonColumn)
    header_labels = HEADERS

    def __init__(self, context: AppContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.context = context
        self.search = ""
        self.include_inactive = False
        self._all: array[int] = array("q")

    def count_ids(self) -> int:
        # A roster has thousands of people, not millions: its ids are read in one go.
        self._all = browse.person_ids(self.context.db, self.context.actor, self.search, self.include_inactive)
        return len(self._all)

    def load_ids(self, offset: int, limit: int) -> array[int]:
        return self._all[offset : offset + limit]

    def fetch_rows(self, ids: Sequence[int]) -> Mapping[int, PersonRow]:
        return browse.person_rows(self.context.db, self.context.actor, ids)

    def set_search(self, text: str) -> None:
        if text != self.search:
            self.search = text
            self.reload()

    def cell(self, row: PersonRow, column: PersonColumn, role: int) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        match column:
            case PersonColumn.SERVICE_NUMBER:
                return (
                    row.service_number
                    if row.active
                    else _("{number} (inactive)").format(number=row.service_number)
                )
            case PersonColumn.RANK:
                return row.rank
            case PersonColumn.SURNAME:
                return row.surname.upper()
            case PersonColumn.GIVEN_NAMES:
                return row.given_names
            case PersonColumn.UNIT:
                return row.unit_code
            case PersonColumn.WEAPONS_HELD:
                return row.weapons_held
