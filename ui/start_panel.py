"""The "Today" panel of the main window: what needs doing now, and whether the books are sound.

It shows, for the facilities the user may see: a red banner when the start-up ledger check finds a
problem, weapons not returned by their due-back time, counts due or overdue, and overdue corrective actions
of inspections. Everything is read in the background after the window has shown its first rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from armoury.db import Database
from armoury.i18n import _, ngettext
from armoury.security.permissions import Actor


@dataclass(frozen=True)
class TodayFacts:
    integrity_problems: tuple[str, ...]
    overdue_returns: tuple[Any, ...]
    due_counts: tuple[Any, ...]
    overdue_actions: tuple[Any, ...]


def gather_today(db: Database, actor: Actor, today: date | None = None) -> TodayFacts:
    """Read everything the panel shows (runs off the GUI thread)."""
    from armoury.services import counts, custody, inspections, ledger

    day = today or datetime.now(UTC).date()
    check = ledger.quick_check(db)
    return TodayFacts(
        integrity_problems=tuple(check.problems),
        overdue_returns=tuple(custody.overdue_loans(db, actor)),
        due_counts=tuple(counts.due_counts(db, actor, day)),
        overdue_actions=tuple(inspections.overdue_corrective_actions(db, actor, day)),
    )


class TodayPanel(QWidget):
    """Lists what needs doing; double-clicking an overdue return opens the weapon."""

    weapon_requested = Signal(int)
    counts_requested = Signal()
    inspections_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayPanel")
        self.banner = QLabel()
        self.banner.setObjectName("integrityBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #b00020; color: white; padding: 6px; font-weight: bold;")
        self.banner.hide()
        self.list = QListWidget()
        self.list.setObjectName("todayList")
        self.list.itemActivated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.list)

    def show_facts(self, facts: TodayFacts) -> None:
        self.list.clear()
        if facts.integrity_problems:
            self.banner.setText(
                _(
                    "The ledger check found a problem: {problem} Run 'armoury verify' and call the administrator."
                ).format(problem=facts.integrity_problems[0])
            )
            self.banner.show()
        else:
            self.banner.hide()
        self._section(
            ngettext(
                "{n} weapon not returned on time",
                "{n} weapons not returned on time",
                len(facts.overdue_returns),
            ),
            len(facts.overdue_returns),
        )
        for loan in facts.overdue_returns:
            due = loan.due_back.astimezone().strftime("%Y-%m-%d %H:%M") if loan.due_back else ""
            self._item(
                _("{serial} ({item}) — {person}, due {due}").format(
                    serial=loan.serial, item=loan.item_type, person=loan.person, due=due
                ),
                ("weapon", loan.weapon_id),
            )
        self._section(
            ngettext("{n} count due", "{n} counts due", len(facts.due_counts)), len(facts.due_counts)
        )
        for count in facts.due_counts:
            text = _("{facility}: {kind}, due {due}").format(
                facility=count.facility_code, kind=count.type_name, due=count.due_on.isoformat()
            )
            if count.overdue:
                text = _("{what} (overdue)").format(what=text)
            self._item(text, ("counts", 0))
        self._section(
            ngettext(
                "{n} corrective action overdue", "{n} corrective actions overdue", len(facts.overdue_actions)
            ),
            len(facts.overdue_actions),
        )
        for action in facts.overdue_actions:
            self._item(
                _("{facility}: {what} — {who}, due {due}").format(
                    facility=action.facility_name,
                    what=action.what,
                    who=action.who,
                    due=action.due_on.isoformat(),
                ),
                ("inspections", 0),
            )
        if self.list.count() == 0:
            self.list.addItem(_("Nothing is waiting."))

    def _section(self, title: str, n: int) -> None:
        if n == 0:
            return
        item = QListWidgetItem(title.format(n=n))
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        self.list.addItem(item)

    def _item(self, text: str, target: tuple[str, int]) -> None:
        item = QListWidgetItem("   " + text)
        item.setData(256, target)
        self.list.addItem(item)

    def _activated(self, item: QListWidgetItem) -> None:
        target = item.data(256)
        if not target:
            return
        kind, ident = target
        if kind == "weapon":
            self.weapon_requested.emit(int(ident))
        elif kind == "counts":
            self.counts_requested.emit()
        elif kind == "inspections":
            self.inspections_requested.emit()
