"""Small dialogs of the inspections: start an inspection, add a corrective action, close one.

Each is opened with ``open()`` (never a blocking ``exec()``); it calls its service when accepted and emits
``saved`` with what the service returned. A refused action keeps the dialog open with the error shown.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from armoury.db import Database
from armoury.errors import ArmouryError
from armoury.i18n import _
from armoury.inspections.enums import ActionStatus
from armoury.security.permissions import Actor
from armoury.services import checklists, inspections, locations
from ui.errors import show_error

DEFAULT_DUE_DAYS = 30


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class _ServiceDialog(QDialog):
    saved = Signal(object)

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def _finish(self) -> None:
        self.form.addRow(self.buttons)

    def accept(self) -> None:
        try:
            result = self.save()
        except ArmouryError as error:
            show_error(self, error)
            return
        self.saved.emit(result)
        super().accept()

    def save(self) -> object:
        raise NotImplementedError


class NewInspectionDialog(_ServiceDialog):
    """Choose the facility, the storage area (or the whole facility), the checklist and the team."""

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newInspectionDialog")
        self.setWindowTitle(_("New inspection"))
        self.db, self.actor = db, actor
        self.facility = QComboBox()
        self.facility.setObjectName("facilityCombo")
        for f in locations.list_facilities(db, actor):
            self.facility.addItem(f"{f.code} — {f.name}", f.id)
        self.area = QComboBox()
        self.area.setObjectName("areaCombo")
        self.template = QComboBox()
        self.template.setObjectName("templateCombo")
        for t in checklists.list_templates(db, actor):
            self.template.addItem(f"{t.title} (v{t.version}, {t.question_count})", t.id)
        self.team = QLineEdit()
        self.team.setObjectName("teamEdit")
        self.team.setPlaceholderText(_("Other inspectors, by name"))
        self.facility.currentIndexChanged.connect(self._fill_areas)
        self._fill_areas()
        self.form.addRow(_("Facility"), self.facility)
        self.form.addRow(_("Storage area"), self.area)
        self.form.addRow(_("Checklist"), self.template)
        self.form.addRow(_("Team"), self.team)
        self._finish()

    def _fill_areas(self) -> None:
        self.area.clear()
        self.area.addItem(_("Whole facility"), None)
        facility_id = self.facility.currentData()
        if facility_id is not None:
            for a in locations.list_areas(self.db, self.actor, int(facility_id)):
                self.area.addItem(f"{a.code} — {a.name}", a.id)

    def select_template(self, code: str) -> None:
        for index in range(self.template.count()):
            summary = checklists.load_template(self.db, self.actor, int(self.template.itemData(index)))[0]
            if summary.code == code:
                self.template.setCurrentIndex(index)
                return

    def save(self) -> object:
        facility_id = self.facility.currentData()
        template_id = self.template.currentData()
        if facility_id is None or template_id is None:
            from armoury.errors import ValidationError

            raise ValidationError(_("Choose a facility and a checklist."), _("Both are needed to start."))
        area_id = self.area.currentData()
        return inspections.start_inspection(
            self.db,
            self.actor,
            int(facility_id),
            int(template_id),
            area_id=int(area_id) if area_id is not None else None,
            team=self.team.text(),
        )


class CorrectiveActionDialog(_ServiceDialog):
    """What is to be done about a finding, who does it, and by when."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        inspection_id: int,
        question_id: str,
        question_text: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("correctiveActionDialog")
        self.setWindowTitle(_("Corrective action for {id}").format(id=question_id))
        self.db, self.actor = db, actor
        self.inspection_id, self.question_id = inspection_id, question_id
        self.what = QLineEdit()
        self.what.setObjectName("whatEdit")
        self.what.setPlaceholderText(question_text)
        self.who = QLineEdit()
        self.who.setObjectName("whoEdit")
        self.due = QDateEdit(_qdate(date.today() + timedelta(days=DEFAULT_DUE_DAYS)))
        self.due.setObjectName("dueEdit")
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        self.form.addRow(_("What"), self.what)
        self.form.addRow(_("Who"), self.who)
        self.form.addRow(_("Due"), self.due)
        self._finish()

    def save(self) -> object:
        return inspections.add_corrective_action(
            self.db,
            self.actor,
            self.inspection_id,
            self.question_id,
            self.what.text(),
            self.who.text(),
            _pydate(self.due.date()),
        )


class CloseActionDialog(_ServiceDialog):
    """Close a corrective action with the evidence that it was done."""

    def __init__(
        self, db: Database, actor: Actor, action_id: int, what: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("closeActionDialog")
        self.setWindowTitle(_("Close corrective action"))
        self.db, self.actor, self.action_id = db, actor, action_id
        self.evidence = QPlainTextEdit()
        self.evidence.setObjectName("evidenceEdit")
        self.evidence.setPlaceholderText(_("What was done and how it was checked"))
        self.closed_on = QDateEdit(_qdate(date.today()))
        self.closed_on.setDisplayFormat("yyyy-MM-dd")
        self.form.addRow(_("Action"), QLineEdit(what, readOnly=True))
        self.form.addRow(_("Evidence of closure"), self.evidence)
        self.form.addRow(_("Closed on"), self.closed_on)
        self._finish()

    def save(self) -> object:
        return inspections.update_corrective_action(
            self.db,
            self.actor,
            self.action_id,
            ActionStatus.CLOSED,
            evidence=self.evidence.toPlainText(),
            closed_on=_pydate(self.closed_on.date()),
        )
