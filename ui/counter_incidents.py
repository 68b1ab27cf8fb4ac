"""Screens for what happens off the daily counter: loss report, recovery, destruction, repair, condition.

Each is a :class:`ui.counter_common.CounterDialog`: scan the weapons (each checked by the service at
once), fill the form, confirm one call to the service. The loss report and the destruction certificate
can then be saved or printed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import QDate, QDateTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from armoury.domain.enums import Condition
from armoury.errors import ValidationError
from armoury.i18n import _
from armoury.models.ledger import IncidentKind, LedgerOperation
from armoury.security.permissions import Actor
from armoury.services import custody
from armoury.services.custody_common import OperationResult
from ui.context import AppContext
from ui.counter_common import CounterDialog, Documents, RackPicker, condition_picker


def _date_edit(name: str) -> QDateEdit:
    edit = QDateEdit(QDate.currentDate())
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMaximumDate(QDate.currentDate())
    return edit


def _day(edit: QDateEdit) -> date:
    value = edit.date()
    return date(value.year(), value.month(), value.day())


def _text(name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def _required(value: str, message: str, hint: str) -> str:
    if not value.strip():
        raise ValidationError(message, hint)
    return value.strip()


class LossReportScreen(CounterDialog):
    """Report weapons lost or stolen: the incident is opened and the weapons leave the books today."""

    operation = LedgerOperation.LOSS_REPORT

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.title_text = _("Report a loss or theft")
        self.confirm_text = _("&Report")
        self.documents = Documents("loss_report_pdf", _("loss report"))
        super().__init__(context, parent)
        self.setObjectName("lossReportScreen")

    def build_form(self, form: QFormLayout) -> None:
        self.kind = QComboBox()
        self.kind.setObjectName("kindBox")
        for kind in IncidentKind:
            self.kind.addItem(kind.label, kind.value)
        self.occurred = QDateTimeEdit(QDateTime.currentDateTime())
        self.occurred.setObjectName("occurredEdit")
        self.occurred.setCalendarPopup(True)
        self.occurred.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.place = _text("placeEdit", _("Where it happened"))
        self.circumstances = QPlainTextEdit()
        self.circumstances.setObjectName("circumstancesEdit")
        self.circumstances.setPlaceholderText(_("What happened, who noticed, what was done"))
        self.circumstances.setMaximumHeight(90)
        self.reported_to = _text("reportedToEdit", _("Police, commander, headquarters…"))
        self.reference = _text("referenceEdit", _("Their reference (police report number…)"))
        form.addRow(_("Lost or stolen"), self.kind)
        form.addRow(_("When"), self.occurred)
        form.addRow(_("Where"), self.place)
        form.addRow(_("Circumstances"), self.circumstances)
        form.addRow(_("Reported to"), self.reported_to)
        form.addRow(_("Reference"), self.reference)

    def set_occurred(self, when: datetime) -> None:
        self.occurred.setDateTime(QDateTime.fromSecsSinceEpoch(int(when.timestamp())))

    def collect(self) -> dict[str, Any]:
        circumstances = _required(
            self.circumstances.toPlainText(),
            _("Describe the circumstances of the loss."),
            _("Say what happened."),
        )
        when = datetime.fromtimestamp(self.occurred.dateTime().toSecsSinceEpoch(), UTC)
        return {
            "kind": self.kind.currentData(),
            "circumstances": circumstances,
            "occurred_at": min(when, datetime.now(UTC)),
            "place": self.place.text().strip(),
            "reported_to": self.reported_to.text().strip(),
            "reference": self.reference.text().strip(),
        }

    def perform(self, refs: list[str], witnesses: list[Actor], values: dict[str, Any]) -> OperationResult:
        return custody.report_loss(self.db, self.actor, refs, witnesses=witnesses, **values)

    def done_text(self, result: OperationResult) -> str:
        return _(
            "Incident {incident} opened; the investigation stays open until a commander concludes it."
        ).format(incident=result.document_ref)


class RecoveryScreen(CounterDialog):
    """A weapon reported lost or stolen is found again: back in store, quarantined until inspected."""

    operation = LedgerOperation.RECOVER
    witness_action = "receipt"  # the service applies the receipt rule

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.title_text = _("Recover a lost or stolen weapon")
        self.confirm_text = _("&Recover")
        super().__init__(context, parent)
        self.setObjectName("recoveryScreen")

    def build_form(self, form: QFormLayout) -> None:
        self.rack = RackPicker(self.context, _("Choose the rack"))
        self.rack.setObjectName("rackPicker")
        self.condition = condition_picker()
        self.condition.setObjectName("conditionBox")
        self.condition.setCurrentIndex(self.condition.findData(Condition.QUARANTINED.value))
        self.recovered_on = _date_edit("recoveredOnEdit")
        self.place = _text("placeEdit", _("Where it was found"))
        self.circumstances = _text("circumstancesEdit", _("How it was found"))
        form.addRow(_("Onto rack"), self.rack)
        form.addRow(_("Condition"), self.condition)
        form.addRow(_("Recovered on"), self.recovered_on)
        form.addRow(_("Where"), self.place)
        form.addRow(_("Circumstances"), self.circumstances)

    def collect(self) -> dict[str, Any]:
        rack = self.rack.rack_id()
        if rack is None:
            raise ValidationError(_("No rack is chosen."), _("Choose the rack the weapons go on."))
        return {
            "rack": rack,
            "condition": self.condition.currentData(),
            "recovered_on": _day(self.recovered_on),
            "place": self.place.text().strip(),
            "circumstances": self.circumstances.text().strip(),
        }

    def perform(self, refs: list[str], witnesses: list[Actor], values: dict[str, Any]) -> OperationResult:
        rack = values.pop("rack")
        return custody.recover(self.db, self.actor, refs, rack, witnesses=witnesses, **values)


class DestructionScreen(CounterDialog):
    """Destroy weapons marked for disposal, under a certificate, before two witnesses."""

    operation = LedgerOperation.DESTROY
    witnesses_needed = 2

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.title_text = _("Destroy weapons")
        self.confirm_text = _("&Destroy")
        self.documents = Documents("destruction_certificate_pdf", _("destruction certificate"))
        super().__init__(context, parent)
        self.setObjectName("destructionScreen")

    def build_form(self, form: QFormLayout) -> None:
        self.method = _text("methodEdit", _("Cutting, crushing, melting…"))
        self.destroyed_on = _date_edit("destroyedOnEdit")
        self.certificate = _text("certificateEdit", _("The destruction certificate number"))
        form.addRow(_("Method"), self.method)
        form.addRow(_("Date"), self.destroyed_on)
        form.addRow(_("Certificate number"), self.certificate)

    def collect(self) -> dict[str, Any]:
        hint = _("Give the method and the certificate number.")
        message = _("A destruction needs its method and its certificate number.")
        return {
            "method": _required(self.method.text(), message, hint),
            "certificate": _required(self.certificate.text(), message, hint),
            "destroyed_on": _day(self.destroyed_on),
        }

    def perform(self, refs: list[str], witnesses: list[Actor], values: dict[str, Any]) -> OperationResult:
        return custody.destroy(self.db, self.actor, refs, witnesses=witnesses, **values)

    def done_text(self, result: OperationResult) -> str:
        return _("{count} weapons destroyed under certificate {certificate}.").format(
            count=len(result.weapons), certificate=result.document_ref
        )


class RepairScreen(CounterDialog):
    """Send weapons to repair, or take them back from repair onto a rack."""

    operation = LedgerOperation.REPAIR_SEND
    witness_action = "repair"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.title_text = _("Repair")
        self.confirm_text = _("&Confirm")
        super().__init__(context, parent)
        self.setObjectName("repairScreen")
        self._mode_changed()

    def build_form(self, form: QFormLayout) -> None:
        self.mode = QComboBox()
        self.mode.setObjectName("modeBox")
        self.mode.addItem(_("Send to repair"), LedgerOperation.REPAIR_SEND.value)
        self.mode.addItem(_("Back from repair"), LedgerOperation.REPAIR_BACK.value)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.repairer = _text("repairerEdit", _("Workshop or armourer"))
        self.document = _text("documentEdit", _("Repair order or work-order number"))
        self.rack = RackPicker(self.context, _("Choose the rack"))
        self.rack.setObjectName("rackPicker")
        self.condition = condition_picker()
        self.condition.setObjectName("conditionBox")
        form.addRow(_("What"), self.mode)
        form.addRow(_("Repairer"), self.repairer)
        form.addRow(_("Document"), self.document)
        form.addRow(_("Onto rack"), self.rack)
        form.addRow(_("Condition"), self.condition)
        self._form = form

    def sending(self) -> bool:
        return bool(self.mode.currentData() == LedgerOperation.REPAIR_SEND.value)

    def _mode_changed(self) -> None:
        self.operation = LedgerOperation.REPAIR_SEND if self.sending() else LedgerOperation.REPAIR_BACK
        self._form.setRowVisible(self.repairer, self.sending())
        self._form.setRowVisible(self.rack, not self.sending())
        self._form.setRowVisible(self.condition, not self.sending())
        if self.weapon_list.rowCount():
            self.reset()

    def collect(self) -> dict[str, Any]:
        if self.sending():
            return {"repairer": self.repairer.text().strip(), "document_ref": self.document.text().strip()}
        rack = self.rack.rack_id()
        if rack is None:
            raise ValidationError(_("No rack is chosen."), _("Choose the rack the weapons go back on."))
        return {
            "rack": rack,
            "condition": self.condition.currentData(),
            "document_ref": self.document.text().strip(),
        }

    def perform(self, refs: list[str], witnesses: list[Actor], values: dict[str, Any]) -> OperationResult:
        if "repairer" in values:
            return custody.send_to_repair(self.db, self.actor, refs, witnesses=witnesses, **values)
        rack = values.pop("rack")
        return custody.back_from_repair(self.db, self.actor, refs, rack, witnesses=witnesses, **values)


class ConditionScreen(CounterDialog):
    """Record a new condition for the scanned weapons."""

    operation = LedgerOperation.CONDITION_CHANGE

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.title_text = _("Change condition")
        self.confirm_text = _("&Change")
        super().__init__(context, parent)
        self.setObjectName("conditionScreen")

    def build_form(self, form: QFormLayout) -> None:
        self.condition = condition_picker()
        self.condition.setObjectName("conditionBox")
        self.reason = _text("reasonEdit", _("What was found (inspection, test firing…)"))
        form.addRow(_("New condition"), self.condition)
        form.addRow(_("Reason"), self.reason)

    def collect(self) -> dict[str, Any]:
        return {"condition": self.condition.currentData(), "reason": self.reason.text().strip()}

    def perform(self, refs: list[str], witnesses: list[Actor], values: dict[str, Any]) -> OperationResult:
        return custody.change_condition(
            self.db, self.actor, refs, values["condition"], reason=values["reason"]
        )
