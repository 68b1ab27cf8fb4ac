"""The return counter: scan the weapons coming back, note each one's condition, put it on its rack.

The rack suggested for each weapon is the one it was issued from (its hand receipt remembers it); another
rack can be chosen per weapon. Weapons with the same condition and rack go back in one call to
:func:`armoury.services.custody.return_weapons` (usually one call for the whole return).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from armoury.domain.enums import Condition
from armoury.errors import ArmouryError
from armoury.i18n import _
from armoury.models.ledger import LedgerOperation
from armoury.security.permissions import Actor
from armoury.services import custody
from armoury.services.custody_common import OperationResult, WeaponResult
from ui.context import AppContext
from ui.counter_common import CounterDialog, RackPicker, condition_picker

CONDITION_COLUMN = 4
RACK_COLUMN = 5


class ReturnScreen(CounterDialog):
    operation = LedgerOperation.RETURN
    witness_action = "return"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.title_text = _("Return weapons")
        self.confirm_text = _("&Return")
        super().__init__(context, parent)
        self.setObjectName("returnScreen")
        self.racks = RackPicker(context)
        self.rack_choices = self.racks.choices()

    def extra_columns(self) -> list[str]:
        return [_("Condition found"), _("Back to rack")]

    def check(self, code: str) -> tuple[WeaponResult, Any]:
        result = custody.check_weapons(self.db, self.actor, self.operation, [code])[0]
        home: int | None = None
        if result.ok and result.weapon_id is not None:
            loans = custody.open_loans(self.db, self.actor)
            home = next((loan.home_rack_id for loan in loans if loan.weapon_id == result.weapon_id), None)
        return result, home

    def after_added(self, row: int, result: WeaponResult, extra: Any) -> None:
        if not result.ok:
            return
        condition = condition_picker(_("Unchanged"))
        condition.setObjectName(f"condition{row}")
        self.weapon_list.setCellWidget(row, CONDITION_COLUMN, condition)
        rack = QComboBox()
        rack.setObjectName(f"rack{row}")
        home = self.racks.code_of(extra)
        rack.addItem(_("{rack} (where it came from)").format(rack=home) if home else _("Choose a rack"), None)
        rack.setProperty("home", home)
        for text, rack_id in self.rack_choices:
            rack.addItem(text, rack_id)
        self.weapon_list.setCellWidget(row, RACK_COLUMN, rack)

    def _box(self, row: int, column: int) -> QComboBox:
        box = self.weapon_list.cellWidget(row, column)
        assert isinstance(box, QComboBox)
        return box

    def suggested_rack(self, row: int) -> str:
        """The code of the rack the weapon of ``row`` came from ("" when unknown)."""
        return str(self._box(row, RACK_COLUMN).property("home") or "")

    def set_condition(self, row: int, condition: Condition | None) -> None:
        box = self._box(row, CONDITION_COLUMN)
        box.setCurrentIndex(box.findData(condition.value if condition is not None else None))

    def set_rack(self, row: int, rack_id: int | None) -> None:
        box = self._box(row, RACK_COLUMN)
        box.setCurrentIndex(box.findData(rack_id))

    def collect(self) -> dict[str, Any]:
        groups: dict[tuple[str | None, int | None], list[str]] = {}
        for row in self.weapon_list.ok_rows():
            condition = self._box(row, CONDITION_COLUMN).currentData()
            rack = self._box(row, RACK_COLUMN).currentData()
            groups.setdefault((condition, rack), []).append(self.weapon_list.results[row].ref)
        return {"groups": groups}

    def perform(self, refs: list[str], witnesses: list[Actor], values: dict[str, Any]) -> list[Any]:
        """One return per (condition, rack) group. A refused group stops there: the groups before it are
        recorded and shown as done, the refusal is shown after them."""
        out: list[Any] = []
        for (condition, rack), group in values["groups"].items():
            try:
                out.append(
                    custody.return_weapons(
                        self.db, self.actor, group, rack=rack, condition=condition, witnesses=witnesses
                    )
                )
            except ArmouryError as error:
                if not out:
                    raise
                out.append(error)
                break
        return out

    def done_text(self, result: OperationResult) -> str:
        return _("Weapons back in store (ledger entry {seq}).").format(seq=result.seq)
