"""Person dialog (someone on the roster)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from armoury.i18n import _
from armoury.services import people
from armoury.services.fields import FieldProblem
from armoury.services.people import PersonData, PersonInfo
from ui.context import AppContext
from ui.dialogs.base import FormDialog


class PersonDialog(FormDialog):
    def __init__(
        self, context: AppContext, existing: PersonInfo | None = None, parent: QWidget | None = None
    ):
        title = _("New person") if existing is None else existing.display_name
        super().__init__(context, title, parent)
        self.existing = existing
        self.service_number = QLineEdit(existing.service_number if existing else "")
        self.rank = QLineEdit(existing.rank if existing else "")
        self.surname = QLineEdit(existing.surname if existing else "")
        self.given_names = QLineEdit(existing.given_names if existing else "")
        self.unit = QComboBox()
        self.unit.addItem(_("(no unit)"), None)
        for unit in people.list_units(context.db, context.actor):
            self.unit.addItem(f"{unit.code} — {unit.name}", unit.id)
        if existing is not None and existing.unit_id is not None:
            self.unit.setCurrentIndex(max(0, self.unit.findData(existing.unit_id)))
        self.qualifications = QPlainTextEdit(existing.qualifications if existing else "")
        self.qualifications.setTabChangesFocus(True)
        self.qualifications.setFixedHeight(60)
        self.add_field("service_number", _("&Service number"), self.service_number)
        self.add_field("rank", _("&Rank"), self.rank)
        self.add_field("surname", _("S&urname"), self.surname)
        self.add_field("given_names", _("&Given names"), self.given_names)
        self.add_field("unit", _("U&nit"), self.unit)
        self.add_field("qualifications", _("&Qualifications"), self.qualifications)
        self.finish()

    def collect(self) -> tuple[PersonData, list[FieldProblem]]:
        unit = self.unit.currentData()
        data = PersonData(
            self.service_number.text(),
            self.surname.text(),
            self.given_names.text(),
            self.rank.text(),
            int(unit) if unit is not None else None,
            self.qualifications.toPlainText(),
        )
        return data, []

    def check(self, data: PersonData) -> Sequence[FieldProblem]:
        return people.check_person(data)

    def save(self, data: PersonData) -> PersonInfo:
        if self.existing is None:
            return people.create_person(self.context.db, self.context.actor, data)
        return people.update_person(self.context.db, self.context.actor, self.existing.id, data)
