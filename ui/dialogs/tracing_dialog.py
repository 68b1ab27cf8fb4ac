"""Tracing dialogs: record a tracing request sent about a recovered weapon, or the answer to one.

Both validate as the user types with the service's pure checks and save through the tracing service.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QLabel, QLineEdit, QPlainTextEdit, QWidget

from armoury.i18n import _
from armoury.services import tracing
from armoury.services.fields import FieldProblem
from armoury.services.tracing import TracingRequestData, TracingRequestInfo
from ui.context import AppContext
from ui.dialogs.base import FormDialog


def _date_edit(value: date) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setDate(QDate(value))
    return edit


def _day(edit: QDateEdit) -> date:
    value = edit.date().toPython()
    assert isinstance(value, date)
    return value


def _text_box(text: str = "") -> QPlainTextEdit:
    box = QPlainTextEdit(text)
    box.setTabChangesFocus(True)
    box.setFixedHeight(70)
    return box


class TracingRequestDialog(FormDialog):
    """Record a tracing request sent about one weapon; ``saved`` carries the new TracingRequestInfo."""

    def __init__(
        self, context: AppContext, weapon_id: int, weapon_label: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(context, _("New tracing request"), parent)
        self.weapon_id = weapon_id
        heading = QLabel(weapon_label)
        heading.setWordWrap(True)
        self.form.addRow(heading)
        self.sent_on = _date_edit(date.today())
        self.sent_to = QLineEdit()
        self.sent_to.setPlaceholderText(_("e.g. the manufacturing State, INTERPOL iARMS, a UN panel"))
        self.reference = QLineEdit()
        self.details = _text_box()
        self.add_field("sent_on", _("&Sent on"), self.sent_on)
        self.add_field("sent_to", _("Sent &to"), self.sent_to, _("The State or organisation asked to trace"))
        self.add_field("reference", _("&Reference"), self.reference)
        self.add_field("details", _("&Details"), self.details)
        self.finish()

    def collect(self) -> tuple[TracingRequestData, list[FieldProblem]]:
        data = TracingRequestData(
            _day(self.sent_on), self.sent_to.text(), self.reference.text(), self.details.toPlainText()
        )
        return data, []

    def check(self, data: TracingRequestData) -> Sequence[FieldProblem]:
        return tracing.check_request(data)

    def save(self, data: TracingRequestData) -> TracingRequestInfo:
        return tracing.record_request(self.context.db, self.context.actor, self.weapon_id, data)


class TracingAnswerDialog(FormDialog):
    """Record the answer to an open tracing request; ``saved`` carries the answered TracingRequestInfo."""

    def __init__(
        self, context: AppContext, request: TracingRequestInfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(context, _("Answer to a tracing request"), parent)
        self.request = request
        heading = QLabel(
            _("{weapon}: request sent on {date} to {to}").format(
                weapon=f"{request.item_type} {request.serial}",
                date=request.sent_on.isoformat(),
                to=request.sent_to,
            )
        )
        heading.setWordWrap(True)
        self.form.addRow(heading)
        self.answered_on = _date_edit(max(date.today(), request.sent_on))
        self.answer = _text_box()
        self.add_field("answered_on", _("&Answered on"), self.answered_on)
        self.add_field("answer", _("A&nswer"), self.answer)
        self.finish()

    def collect(self) -> tuple[tuple[date, str], list[FieldProblem]]:
        return (_day(self.answered_on), self.answer.toPlainText()), []

    def check(self, data: tuple[date, str]) -> Sequence[FieldProblem]:
        return tracing.check_answer(self.request.sent_on, data[0], data[1])

    def save(self, data: tuple[date, str]) -> TracingRequestInfo:
        return tracing.record_answer(self.context.db, self.context.actor, self.request.id, data[0], data[1])
