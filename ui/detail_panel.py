"""The panel on the right: everything about the selected weapon, its markings, tracing requests (recovered
and evidence weapons), photos and history."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from armoury.domain.enums import Register
from armoury.errors import ArmouryError
from armoury.i18n import _
from armoury.security.permissions import Permission
from ui.context import AppContext

if TYPE_CHECKING:
    from armoury.services.tracing import TracingRequestInfo
    from armoury.services.weapons import WeaponDetail

log = logging.getLogger(__name__)
THUMB = 140


class DetailPanel(QScrollArea):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.weapon: WeaponDetail | None = None
        self.setWidgetResizable(True)
        self.setMinimumWidth(280)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        self.title = QLabel(_("No weapon selected"))
        self.title.setObjectName("detailTitle")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        self.subtitle = QLabel("")
        self.subtitle.setWordWrap(True)
        self.subtitle.setStyleSheet("color: #4a5560; font-size: 11pt;")
        layout.addWidget(self.subtitle)
        self.fields_box = QGroupBox(_("Record"))
        self.fields = QFormLayout(self.fields_box)
        layout.addWidget(self.fields_box)
        self.markings_box = QGroupBox(_("Markings"))
        self.markings = QVBoxLayout(self.markings_box)
        layout.addWidget(self.markings_box)
        layout.addWidget(self._build_tracing_box())
        self.photos_box = QGroupBox(_("Photos"))
        self.photos = QHBoxLayout(self.photos_box)
        layout.addWidget(self.photos_box)
        self.history_box = QGroupBox(_("History"))
        history_layout = QVBoxLayout(self.history_box)
        self.history = QTreeWidget()
        self.history.setObjectName("history")
        self.history.setHeaderLabels([_("When"), _("What"), _("By")])
        self.history.setRootIsDecorated(False)
        self.history.setWordWrap(True)
        self.history.header().setStretchLastSection(True)
        self.history.setMinimumHeight(120)
        history_layout.addWidget(self.history)
        self.history_note = QLabel("")
        self.history_note.setWordWrap(True)
        history_layout.addWidget(self.history_note)
        layout.addWidget(self.history_box)
        layout.addStretch()
        self.setWidget(inner)
        self.current_dialog: Any = None
        self.show_weapon(None)

    def _build_tracing_box(self) -> QGroupBox:
        self.tracing_box = QGroupBox(_("Tracing requests"))
        box_layout = QVBoxLayout(self.tracing_box)
        self.tracing = QTreeWidget()
        self.tracing.setObjectName("tracing")
        self.tracing.setHeaderLabels([_("Sent on"), _("Sent to"), _("Reference"), _("Answer")])
        self.tracing.setRootIsDecorated(False)
        self.tracing.setWordWrap(True)
        self.tracing.header().setStretchLastSection(True)
        self.tracing.setMaximumHeight(140)
        self.tracing.currentItemChanged.connect(lambda *_args: self._update_tracing_buttons())
        box_layout.addWidget(self.tracing)
        self.tracing_note = QLabel("")
        self.tracing_note.setWordWrap(True)
        box_layout.addWidget(self.tracing_note)
        buttons = QHBoxLayout()
        self.new_request_button = QPushButton(_("New tracing request…"))
        self.new_request_button.setObjectName("newTracingRequest")
        self.new_request_button.clicked.connect(self.new_tracing_request)
        self.answer_button = QPushButton(_("Record answer…"))
        self.answer_button.setObjectName("answerTracingRequest")
        self.answer_button.clicked.connect(self.answer_tracing_request)
        buttons.addWidget(self.new_request_button)
        buttons.addWidget(self.answer_button)
        buttons.addStretch()
        box_layout.addLayout(buttons)
        self.tracing_requests: list[TracingRequestInfo] = []
        return self.tracing_box

    def _clear(self, layout: QFormLayout | QVBoxLayout | QHBoxLayout) -> None:
        while layout.count():
            item = layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()

    def field_text(self, label: str) -> str:
        """The value shown for ``label`` (for tests)."""
        for row in range(self.fields.rowCount()):
            name = self.fields.itemAt(row, QFormLayout.ItemRole.LabelRole)
            value = self.fields.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if name is not None and value is not None:
                name_widget, value_widget = name.widget(), value.widget()
                if (
                    isinstance(name_widget, QLabel)
                    and isinstance(value_widget, QLabel)
                    and name_widget.text() == label
                ):
                    return value_widget.text()
        return ""

    def show_weapon_id(self, weapon_id: int | None) -> None:
        if weapon_id is None:
            self.show_weapon(None)
            return
        from armoury.services import weapons

        try:
            self.show_weapon(weapons.get_weapon(self.context.db, self.context.actor, weapon_id))
        except ArmouryError as error:
            self.show_weapon(None)
            self.subtitle.setText(error.message)

    def show_weapon(self, weapon: WeaponDetail | None) -> None:
        self.weapon = weapon
        for layout in (self.fields, self.markings, self.photos):
            self._clear(layout)
        self.history.clear()
        self.tracing.clear()
        self.tracing_requests = []
        visible = weapon is not None
        for box in (self.fields_box, self.markings_box, self.photos_box, self.history_box):
            box.setVisible(visible)
        self.tracing_box.setVisible(False)
        if weapon is None:
            self.title.setText(_("No weapon selected"))
            self.subtitle.setText(_("Select a weapon in the table, or scan its label."))
            return
        self.title.setText(weapon.serial)
        self.subtitle.setText(f"{weapon.item_type} · {weapon.category_label}")
        place = weapon.whereabouts.label
        if weapon.rack_code:
            place += " — " + (
                _("{rack} slot {slot}").format(rack=weapon.rack_code, slot=weapon.slot)
                if weapon.slot is not None
                else weapon.rack_code
            )
        if weapon.holder:
            place += " — " + weapon.holder
        rows: list[tuple[str, str]] = [
            (_("Serial number"), weapon.serial),
            (_("Make and model"), weapon.item_type),
            (_("Calibre"), weapon.calibre),
            (_("Country of manufacture"), weapon.country),
            (
                _("Year of manufacture"),
                "" if weapon.year_of_manufacture is None else str(weapon.year_of_manufacture),
            ),
            (_("Register"), weapon.register.label),
            (_("Facility"), weapon.facility_code),
            (_("Where"), place),
            (_("Condition"), weapon.condition.label),
        ]
        if weapon.register is Register.CONTINGENT:
            rows += [
                (_("Contributing country"), weapon.contingent_country),
                (_("Contingent unit"), weapon.contingent_unit),
            ]
        if weapon.register in (Register.RECOVERED, Register.EVIDENCE):
            rows += [
                (_("Recovered on"), weapon.recovered_on.isoformat() if weapon.recovered_on else ""),
                (_("Recovered at"), weapon.recovered_place),
                (_("Recovering unit"), weapon.recovering_unit),
                (_("Case reference"), weapon.case_reference),
                (_("Circumstances"), weapon.recovered_circumstances),
            ]
        rows += [
            (_("Notes"), weapon.notes),
            (_("On the books since"), weapon.created_at.strftime("%Y-%m-%d")),
        ]
        for label, value in rows:
            if not value:
                continue
            shown = QLabel(value)
            shown.setWordWrap(True)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields.addRow(QLabel(label), shown)
        if not weapon.markings:
            self.markings.addWidget(QLabel(_("No markings recorded.")))
        for marking in weapon.markings:
            text = f"<b>{marking.kind.label}</b> — {marking.transcription}"
            if marking.position:
                text += f" <i>({marking.position})</i>"
            if marking.import_country or marking.import_year:
                text += " · " + _("import {country} {year}").format(
                    country=marking.import_country, year=marking.import_year or ""
                )
            label = QLabel(text)
            label.setWordWrap(True)
            self.markings.addWidget(label)
        self._show_tracing(weapon)
        if not weapon.photos:
            self.photos.addWidget(QLabel(_("No photos.")))
        from armoury.services import weapons

        for photo in weapon.photos[:4]:
            data = weapons.get_photo(self.context.db, self.context.actor, photo.id).data
            pixmap = QPixmap()
            pixmap.loadFromData(data)
            thumb = QLabel()
            thumb.setPixmap(
                pixmap.scaled(
                    THUMB,
                    THUMB,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            thumb.setToolTip(photo.caption)
            self.photos.addWidget(thumb)
        self.photos.addStretch()
        self._show_history(weapon.id)

    # --- tracing requests (recovered and evidence weapons) ---------------------------------------------

    def _show_tracing(self, weapon: WeaponDetail) -> None:
        from armoury.services import tracing

        if weapon.register not in tracing.TRACED_REGISTERS:
            return
        self.tracing_box.setVisible(True)
        may_record = self.context.can(Permission.RECOVER, weapon.facility_id)
        self.new_request_button.setVisible(may_record)
        self.answer_button.setVisible(may_record)
        try:
            self.tracing_requests = tracing.requests_for(self.context.db, self.context.actor, weapon.id)
        except ArmouryError as error:
            self.tracing_note.setText(error.message)
            return
        for request in self.tracing_requests:
            answer = (
                f"{request.answered_on.isoformat()}: {request.answer}"
                if request.answered_on is not None
                else _("no answer yet")
            )
            item = QTreeWidgetItem([request.sent_on.isoformat(), request.sent_to, request.reference, answer])
            for column in range(4):
                item.setToolTip(column, request.details or request.summary)
            self.tracing.addTopLevelItem(item)
        self.tracing_note.setText("" if self.tracing_requests else _("No tracing request sent yet."))
        open_rows = [i for i, r in enumerate(self.tracing_requests) if r.is_open]
        if open_rows:
            self.tracing.setCurrentItem(self.tracing.topLevelItem(open_rows[0]))
        self._update_tracing_buttons()

    def _reload_tracing(self) -> None:
        """After a request or an answer is recorded: only the tracing list is read again."""
        self.tracing.clear()
        self.tracing_requests = []
        if self.weapon is not None:
            self._show_tracing(self.weapon)

    def selected_tracing_request(self) -> TracingRequestInfo | None:
        row = (
            self.tracing.indexOfTopLevelItem(self.tracing.currentItem()) if self.tracing.currentItem() else -1
        )
        return self.tracing_requests[row] if 0 <= row < len(self.tracing_requests) else None

    def _update_tracing_buttons(self) -> None:
        selected = self.selected_tracing_request()
        self.answer_button.setEnabled(selected is not None and selected.is_open)

    def _open_tracing_dialog(self, dialog: Any) -> Any:
        dialog.saved.connect(lambda _info: self._reload_tracing())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.current_dialog = dialog
        return dialog

    def new_tracing_request(self) -> Any:
        """Open the dialog that records a tracing request for the weapon shown."""
        from ui.dialogs.tracing_dialog import TracingRequestDialog

        if self.weapon is None:
            return None
        label = f"{self.weapon.item_type} {self.weapon.serial}"
        return self._open_tracing_dialog(TracingRequestDialog(self.context, self.weapon.id, label, self))

    def answer_tracing_request(self) -> Any:
        """Open the dialog that records the answer to the selected open request."""
        from ui.dialogs.tracing_dialog import TracingAnswerDialog

        request = self.selected_tracing_request()
        if request is None or not request.is_open:
            return None
        return self._open_tracing_dialog(TracingAnswerDialog(self.context, request, self))

    def _show_history(self, weapon_id: int) -> None:
        try:
            ledger = importlib.import_module("armoury.services.ledger")
            history = ledger.weapon_history
        except (ImportError, AttributeError):
            self.history_note.setText(_("The custody history will appear here."))
            return
        try:
            lines = history(self.context.db, self.context.actor, weapon_id)
        except ArmouryError as error:
            self.history_note.setText(error.message)
            return
        except Exception:
            log.exception("cannot read the history of weapon %s", weapon_id)
            self.history_note.setText(_("The history cannot be shown."))
            return
        for line in lines:
            when = getattr(line, "recorded_at", None)
            item = QTreeWidgetItem(
                [
                    when.strftime("%Y-%m-%d %H:%M") if when is not None else "",
                    str(getattr(line, "operation_label", "")),
                    str(getattr(line, "actor", "")),
                ]
            )
            after = str(getattr(line, "to_state", ""))
            reason = str(getattr(line, "reason", ""))
            tip = _("After: {state}").format(state=after) + (f"\n{reason}" if reason else "")
            for column in range(3):
                item.setToolTip(column, tip)
            self.history.addTopLevelItem(item)
        for column in range(2):
            self.history.resizeColumnToContents(column)
        self.history_note.setText("" if lines else _("No custody entries yet."))
