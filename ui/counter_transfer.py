"""Transfers between facilities: dispatch on a transfer voucher, and the receiving side's scan to accept.

* :class:`TransferScreen` — choose the destination, scan the weapons, dispatch: the voucher number is
  shown and its PDF can be saved or printed.
* :class:`AcceptTransferScreen` — scan (or type) the voucher number, choose the rack, then each weapon
  scanned is accepted at once (one ledger entry per scan, so a box half unpacked is still exact); what is
  left on the voucher can be rejected with a reason.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QWidget

from armoury.errors import ValidationError
from armoury.i18n import _
from armoury.models.ledger import LedgerOperation
from armoury.security.permissions import Actor
from armoury.services import custody, locations
from armoury.services.auth import confirm_witness
from armoury.services.custody_common import OperationResult, WeaponResult, WeaponsBlocked
from ui.context import AppContext
from ui.counter_common import CounterDialog, Documents, RackPicker, ScanField
from ui.worker import Progress, run_task


class TransferScreen(CounterDialog):
    operation = LedgerOperation.TRANSFER_DISPATCH
    witness_action = "transfer"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.title_text = _("Transfer weapons to another facility")
        self.confirm_text = _("&Dispatch")
        self.documents = Documents("transfer_voucher_pdf", _("transfer voucher"))
        super().__init__(context, parent)
        self.setObjectName("transferScreen")

    def build_form(self, form: QFormLayout) -> None:
        self.destination = QComboBox()
        self.destination.setObjectName("destinationBox")
        self.destination.setEditable(True)
        self.destination.setToolTip(_("Choose the facility, or type its code."))
        for facility in locations.list_facilities(self.db, self.actor):
            self.destination.addItem(f"{facility.code} — {facility.name}", facility.code)
        self.destination.setCurrentIndex(-1)
        form.addRow(_("To facility"), self.destination)

    def destination_code(self) -> str:
        text = self.destination.currentText().strip()
        index = self.destination.findText(text)
        if index >= 0:
            return str(self.destination.itemData(index))
        return text.split(" — ", 1)[0].strip()

    def collect(self) -> dict[str, Any]:
        code = self.destination_code()
        if not code:
            raise ValidationError(
                _("No destination is chosen."), _("Choose the facility receiving the weapons.")
            )
        return {"to": code}

    def perform(self, refs: list[str], witnesses: list[Actor], values: dict[str, Any]) -> OperationResult:
        return custody.transfer(self.db, self.actor, refs, values["to"], witnesses=witnesses)

    def done_text(self, result: OperationResult) -> str:
        return _("{count} weapons dispatched on transfer voucher {voucher}.").format(
            count=len(result.weapons), voucher=result.document_ref
        )


class AcceptTransferScreen(CounterDialog):
    """Each scan accepts one weapon of the voucher; "Reject the rest" sends back what was not scanned."""

    operation = LedgerOperation.TRANSFER_ACCEPT
    witness_action = "receipt"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.title_text = _("Receive a transfer")
        self.confirm_text = _("&Reject the rest…")
        self.documents = Documents("transfer_voucher_pdf", _("transfer voucher"))
        self.witness: Actor | None = None
        super().__init__(context, parent)
        self.setObjectName("acceptTransferScreen")
        self.confirm_button.setToolTip(
            _("Send back every weapon of the voucher not yet accepted, with the reason.")
        )

    def build_form(self, form: QFormLayout) -> None:
        self.voucher = ScanField(_("Scan or type the transfer voucher number (TV-…)"))
        self.voucher.setObjectName("voucherField")
        self.voucher.scanned.connect(self.set_voucher)
        self.voucher_code = ""
        self.rack = RackPicker(self.context, _("Choose the rack"))
        self.rack.setObjectName("rackPicker")
        self.reason = QLineEdit()
        self.reason.setObjectName("rejectReason")
        self.reason.setPlaceholderText(_("Why the weapons not accepted are sent back"))
        form.addRow(_("Transfer voucher"), self.voucher)
        form.addRow(_("Onto rack"), self.rack)
        form.addRow(_("Reason to reject"), self.reason)

    def set_voucher(self, text: str) -> None:
        self.voucher_code = text.strip().upper()
        self.voucher.setText(self.voucher_code)
        self.say(_("Voucher {voucher}: scan each weapon as you unpack it.").format(voucher=self.voucher_code))
        self.scan_field.setFocus()

    def handle_scan(self, text: str) -> None:
        if text.strip().upper().startswith("TV-"):
            self.set_voucher(text)
        else:
            self.scan_weapon(text)

    def update_confirm(self) -> None:
        self.confirm_button.setEnabled(True)

    def needs_weapons(self) -> bool:
        return False

    def document_ref(self) -> str:
        return self.voucher_code

    def scan_weapon(self, text: str) -> None:
        """Accept the scanned weapon of the voucher at once (the witness signs in at the first scan)."""
        code = text.strip()
        voucher, rack = self.voucher_code, self.rack.rack_id()
        if not code:
            return
        if not voucher or rack is None:
            self.say(_("Scan the voucher number and choose the rack first."), error=True)
            self.checked.emit(None)
            return
        credentials = CounterDialog.take_witness_credentials(self) if self.witness is None else []
        db, actor = self.db, self.actor
        known = self.witness

        def work(_progress: Progress) -> tuple[WeaponResult, Any]:
            witnesses = (
                [known] if known is not None else [confirm_witness(db, actor, n, p) for n, p in credentials]
            )
            try:
                result = custody.accept_transfer(
                    db, actor, voucher, rack, weapons=[code], witnesses=witnesses
                )
            except WeaponsBlocked as blocked:
                return blocked.results[0], witnesses
            return result.weapons[0], (witnesses, result)

        run_task(self, _("Accepting…"), work, self._accepted, self._check_failed, quiet=True)

    def _accepted(self, checked: tuple[WeaponResult, Any]) -> None:
        result, extra = checked
        witnesses, operation = extra if isinstance(extra, tuple) else (extra, None)
        if witnesses:
            self.witness = witnesses[0]
        if operation is not None:
            self.last_result = operation
            self.after_box.show()
            if result.weapon_id is not None and self.weapon_list.row_of(result.weapon_id) < 0:
                row = self.weapon_list.add(result)
                self.weapon_list.mark_done(row, result.after)
            self.say(_("{weapon} accepted.").format(weapon=f"{result.item_type} {result.serial}"))
            refresh = getattr(self.parent(), "refresh", None)
            if callable(refresh):
                refresh()
            self.checked.emit(result)
            return
        self._checked((result, None))

    def collect(self) -> dict[str, Any]:
        if not self.voucher_code:
            raise ValidationError(_("No voucher is chosen."), _("Scan the transfer voucher number first."))
        if not self.reason.text().strip():
            raise ValidationError(_("Say why the weapons are rejected."), _("Type the reason, then reject."))
        return {"voucher": self.voucher_code, "reason": self.reason.text().strip()}

    def take_witness_credentials(self) -> list[tuple[str, str]]:
        """A rejection needs no witness (the weapons stay on the sender's books)."""
        return []

    def perform(self, refs: list[str], witnesses: list[Actor], values: dict[str, Any]) -> OperationResult:
        return custody.reject_transfer(self.db, self.actor, values["voucher"], reason=values["reason"])

    def done_text(self, result: OperationResult) -> str:
        return _("{count} weapons rejected: back in store at the sending facility.").format(
            count=len(result.weapons)
        )

    def reset(self) -> None:
        self.voucher_code = ""
        self.voucher.clear()
        self.reason.clear()
        self.witness = None
        super().reset()
