"""The move counter: scan the rack's label (or choose the rack), then the weapons that go on it.

A scanned code that names no weapon but a rack chooses the rack, so the storekeeper scans the rack, then
the weapons, then the next rack, without touching the keyboard. One call to
:func:`armoury.services.custody.move` per confirmation.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFormLayout, QSpinBox, QWidget

from armoury.errors import ArmouryError, ValidationError
from armoury.i18n import _
from armoury.models.ledger import LedgerOperation
from armoury.security.permissions import Actor
from armoury.services import custody
from armoury.services.custody_common import OperationResult, WeaponResult
from ui.context import AppContext
from ui.counter_common import CounterDialog, RackPicker


def rack_named(context: AppContext, code: str) -> int | None:
    """The rack a scanned code names (its label or its code), or None."""
    from ui.scan_target import resolve_scan

    try:
        target = resolve_scan(context, code)
    except ArmouryError:
        return None
    return target.id if target.kind == "rack" else None


class MoveScreen(CounterDialog):
    operation = LedgerOperation.MOVE
    witness_action = "move"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.title_text = _("Move weapons between racks")
        self.confirm_text = _("&Move")
        super().__init__(context, parent)
        self.setObjectName("moveScreen")

    def build_form(self, form: QFormLayout) -> None:
        self.rack = RackPicker(self.context, _("Scan or choose the rack"))
        self.rack.setObjectName("rackPicker")
        self.slot = QSpinBox()
        self.slot.setObjectName("slotBox")
        self.slot.setRange(0, 10000)
        self.slot.setSpecialValueText(_("No slot"))
        self.slot.setToolTip(_("The first slot; the weapons take the following slots in scan order."))
        form.addRow(_("To rack"), self.rack)
        form.addRow(_("From slot"), self.slot)

    def check(self, code: str) -> tuple[WeaponResult, Any]:
        result = custody.check_weapons(self.db, self.actor, self.operation, [code])[0]
        if result.weapon_id is None:
            return result, rack_named(self.context, code)
        return result, None

    def took_other(self, result: WeaponResult, extra: Any) -> bool:
        if isinstance(extra, int) and self.rack.select_rack(extra):
            self.say(_("Now scan the weapons that go on rack {rack}.").format(rack=self.rack.code_of(extra)))
            return True
        return False

    def collect(self) -> dict[str, Any]:
        rack = self.rack.rack_id()
        if rack is None:
            raise ValidationError(_("No rack is chosen."), _("Scan the rack's label or choose the rack."))
        return {"rack": rack, "slot": self.slot.value() or None}

    def perform(self, refs: list[str], witnesses: list[Actor], values: dict[str, Any]) -> OperationResult:
        return custody.move(
            self.db, self.actor, refs, values["rack"], slot=values["slot"], witnesses=witnesses
        )

    def done_text(self, result: OperationResult) -> str:
        return _("{count} weapons moved (ledger entry {seq}).").format(
            count=len(result.weapons), seq=result.seq
        )
