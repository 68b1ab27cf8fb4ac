"""The search box and the filters above the weapons table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from armoury.domain.enums import Category, Condition, Register, Whereabouts
from armoury.i18n import _

SEARCH_DELAY_MS = 150


def _combo(name: str, everything: str, members: Sequence[Any]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.addItem(everything, None)
    for member in members:
        combo.addItem(member.label, member.value)
    # As wide as its "everything" line, not its longest one ("Rocket launcher / recoilless", longer in
    # French), so that the window fits a 1366-pixel screen; the list that opens shows every line whole.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(len(everything))
    combo.view().setMinimumWidth(
        combo.view().sizeHintForColumn(0) + combo.view().verticalScrollBar().sizeHint().width()
    )
    return combo


class FilterBar(QWidget):
    """Emits ``changed`` 150 ms after the last keystroke in the search box, at once for a filter."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(_("Search serial, make, model or holder (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(140)
        label = QLabel(_("&Find:"))
        label.setBuddy(self.search)
        layout.addWidget(label)
        layout.addWidget(self.search, 2)
        self.register = _combo("register", _("All registers"), list(Register))
        self.category = _combo("category", _("All categories"), list(Category))
        self.condition = _combo("condition", _("Any condition"), list(Condition))
        self.whereabouts = _combo("whereabouts", _("Anywhere"), list(Whereabouts))
        for combo in (self.register, self.category, self.condition, self.whereabouts):
            layout.addWidget(combo, 1)
            combo.currentIndexChanged.connect(self.changed)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DELAY_MS)
        self.timer.timeout.connect(self.changed)
        self.search.textChanged.connect(self.timer.start)

    def values(self) -> dict[str, Any]:
        def pick(combo: QComboBox, kind: Any) -> Any:
            value = combo.currentData()
            return None if value is None else kind(value)

        return {
            "text": self.search.text(),
            "register": pick(self.register, Register),
            "category": pick(self.category, Category),
            "condition": pick(self.condition, Condition),
            "whereabouts": pick(self.whereabouts, Whereabouts),
        }

    def clear(self) -> None:
        for combo in (self.register, self.category, self.condition, self.whereabouts):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.changed.emit()
