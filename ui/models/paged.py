"""A table model over a list of ids that fetches its rows lazily, one page at a time.

Subclasses say how many ids there are, how to get a block of them (already filtered and sorted in SQL),
how to fetch the rows of a page of ids, and how to show a row. Only the blocks and pages the view paints
are loaded, and a bounded number of them is kept, so a million weapons cost a count, a few blocks of ids
and a few hundred rows.
"""

from __future__ import annotations

import enum
import logging
from array import array
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal

from armoury.i18n import _

log = logging.getLogger(__name__)

R = TypeVar("R")
C = TypeVar("C", bound=enum.Enum)

PAGE_SIZE = 100  # rows fetched at once (by id): a tall screen's worth, read again on every search
MAX_PAGES = 50
BLOCK_SIZE = 5000  # ids fetched at once (by position in the sorted, filtered list)
FIRST_IDS = 500  # after a search, the first block starts with this many: the screen needs no more
MAX_BLOCKS = 100

_Index = QModelIndex | QPersistentModelIndex

# A view asks for seven roles of every cell it paints, so data() answers in plain integers: comparing with
# Qt's enum members costs more than the rest of a call (a painted screen is about 2,000 calls).
DISPLAY_ROLE = int(Qt.ItemDataRole.DisplayRole.value)
TOOLTIP_ROLE = int(Qt.ItemDataRole.ToolTipRole.value)
FOREGROUND_ROLE = int(Qt.ItemDataRole.ForegroundRole.value)
_USER = int(Qt.ItemDataRole.UserRole.value)
_ANSWERED = frozenset((DISPLAY_ROLE, TOOLTIP_ROLE, FOREGROUND_ROLE))
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


class PagedIdModel(QAbstractTableModel, Generic[R, C]):
    """Rows are ids, known by their count and loaded in blocks; cells come from pages of rows by id."""

    columns: Sequence[C] = ()
    header_labels: Mapping[Any, str] = {}
    counted = Signal()  # the number of rows is known (after a reload, or just after its first rows)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._count = 0
        self._blocks: OrderedDict[int, array[int]] = OrderedDict()
        self._pages: OrderedDict[int, Mapping[int, R]] = OrderedDict()
        self._short_first = False
        self.uncounted = False  # the last reload showed its first ids before counting them all
        self.fetches = 0  # pages of rows fetched, for tests and the benchmark

    # --- to override -----------------------------------------------------------------------------------

    def count_ids(self) -> int:
        raise NotImplementedError

    def load_ids(self, offset: int, limit: int) -> array[int]:
        raise NotImplementedError

    def load_first(self, limit: int) -> tuple[array[int], int | None]:
        """The first ``limit`` ids and how many there are in all — or None for "more than these", and
        then :meth:`count_ids` is asked just after the first rows are shown (see :meth:`finish_count`)."""
        count = self.count_ids()
        return (self.load_ids(0, limit) if count else array("q")), count

    def position_of(self, ident: int) -> int | None:
        """Row of ``ident`` when it is not in a loaded block (subclasses ask the database)."""
        return None

    def fetch_rows(self, ids: Sequence[int]) -> Mapping[int, R]:
        raise NotImplementedError

    def cell(self, row: R, column: C, role: int) -> Any:
        raise NotImplementedError

    # --- ids and pages ---------------------------------------------------------------------------------

    def reload(self) -> None:
        """Ask the database again (after a filter or sort change, or an edit)."""
        limit = min(FIRST_IDS, BLOCK_SIZE)
        first, count = self.load_first(limit)
        if len(first) < limit:
            count = len(first)
        self.beginResetModel()
        self._count = len(first) if count is None else count
        self._blocks = OrderedDict({0: first}) if first else OrderedDict()
        # The rest of the first block is fetched when a row past these is asked for (see id_at).
        self._short_first = len(first) < BLOCK_SIZE and (count is None or count > len(first))
        self._pages.clear()
        self.uncounted = count is None
        self.endResetModel()
        if self.uncounted:
            # Counting a search's 100,000 hits takes longer than showing its first rows: the rows are
            # painted first, the count (and the scroll bar's true range) comes just after. A timer, not a
            # queued call: those are delivered before the (low-priority) paint request.
            QTimer.singleShot(1, self.finish_count)
        else:
            self.counted.emit()

    def finish_count(self) -> None:
        """Count the ids now if the last reload left that for later; the rows past the first come in."""
        if not self.uncounted:
            return
        self.uncounted = False
        try:
            count = self.count_ids()
        except Exception:  # a view must keep painting; the error is logged
            log.exception("cannot count ids")
            count = self._count
        if count > self._count:
            self.beginInsertRows(QModelIndex(), self._count, count - 1)
            self._count = count
            self.endInsertRows()
        elif count < self._count:  # weapons went between the two queries
            self.beginRemoveRows(QModelIndex(), count, self._count - 1)
            self._count = count
            self.endRemoveRows()
        self.counted.emit()

    def refresh_rows(self) -> None:
        """Forget the fetched rows (their content changed) but keep the ids."""
        self._pages.clear()
        if self._count:
            self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, len(self.columns) - 1))

    def _block(self, number: int) -> array[int]:
        block = self._blocks.get(number)
        if block is None:
            block = self._load_ids(number * BLOCK_SIZE, BLOCK_SIZE)
            self._blocks[number] = block
            while len(self._blocks) > MAX_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(number)
        return block

    def _load_ids(self, offset: int, limit: int) -> array[int]:
        try:
            return self.load_ids(offset, limit)
        except Exception:  # a view must keep painting; the error is logged
            log.exception("cannot fetch ids")
            return array("q")

    def id_at(self, row: int) -> int | None:
        if not 0 <= row < self._count:
            return None
        number, offset = divmod(row, BLOCK_SIZE)
        block = self._block(number)
        if offset >= len(block) and number == 0 and self._short_first:
            self._short_first = False  # the first ids came alone, for a quicker first screen: now the rest
            block.extend(self._load_ids(len(block), BLOCK_SIZE - len(block)))
        return block[offset] if offset < len(block) else None

    def row_of(self, ident: int) -> int | None:
        self.finish_count()
        for number, block in self._blocks.items():
            try:
                return number * BLOCK_SIZE + block.index(ident)
            except ValueError:
                continue
        row = self.position_of(ident)
        return row if row is not None and 0 <= row < self._count else None

    def row_data(self, row: int) -> R | None:
        if not 0 <= row < self._count:
            return None
        page = row // PAGE_SIZE
        rows = self._pages.get(page)
        if rows is None:
            start = page * PAGE_SIZE
            chunk = [
                i for i in (self.id_at(r) for r in range(start, min(start + PAGE_SIZE, self._count))) if i
            ]
            try:
                rows = self.fetch_rows(chunk)
            except Exception:  # a view must keep painting; the error is logged
                log.exception("cannot fetch rows")
                rows = {}
            self.fetches += 1
            self._pages[page] = rows
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        ident = self.id_at(row)
        return rows.get(ident) if ident is not None else None

    # --- Qt --------------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = DISPLAY_ROLE) -> Any:
        if role not in _ANSWERED and role != _USER:
            return None
        column = index.column()  # -1 for an invalid index
        if not 0 <= column < len(self.columns):
            return None
        if role == _USER:
            return self.id_at(index.row())
        row = self.row_data(index.row())
        if row is None:
            return _("(removed)") if role == DISPLAY_ROLE else None
        return self.cell(row, self.columns[column], role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return _(self.header_labels[self.columns[section]])
        if orientation == Qt.Orientation.Vertical and 0 <= section < self._count:
            return section + 1
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _ROW_FLAGS
