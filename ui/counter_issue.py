"""The issue counter: scan (or pick) the person, scan the weapons, set the due-back time, witness, confirm.

One call to :func:`armoury.services.custody.issue` issues every green weapon on one hand receipt; the
hand receipt PDF can then be saved or printed, and "Next" empties the screen for the next person.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QCompleter,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import _
from armoury.models.ledger import LedgerOperation
from armoury.security.permissions import Actor
from armoury.services import browse, custody, people
from armoury.services.custody_common import OperationResult
from armoury.services.people import PersonInfo
from ui.context import AppContext
from ui.counter_common import CounterDialog, Documents, ScanField
from ui.errors import show_error
from ui.worker import Progress, run_task

DEFAULT_DUTY_HOURS = 8
ROSTER_COMPLETION_LIMIT = 5000


def find_person(context: AppContext, code: str) -> PersonInfo:
    """The person a scanned or typed code names: a service number, or a person's label."""
    found = people.find_person(context.db, context.actor, code)
    if found is not None:
        return found
    from ui.scan_target import resolve_scan

    try:
        target = resolve_scan(context, code)
    except NotFoundError:
        target = None
    if target is None or target.kind != "person":
        raise NotFoundError(
            _("Nobody on the roster has the service number {number}.").format(number=code),
            _("Scan the person's card or label, or type their service number."),
        )
    return people.get_person(context.db, context.actor, target.id)


def default_due_back(now: datetime | None = None) -> datetime:
    """The next full hour after a duty of ``DEFAULT_DUTY_HOURS`` (UTC)."""
    start = (now or datetime.now(UTC)) + timedelta(hours=DEFAULT_DUTY_HOURS)
    return start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


class IssueScreen(CounterDialog):
    operation = LedgerOperation.ISSUE
    witness_action = "issue"
    documents = Documents("hand_receipt_pdf", "")

    person_found = Signal(object)  # PersonInfo, or None when the code named nobody

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        self.title_text = _("Issue weapons")
        self.confirm_text = _("&Issue")
        self.documents = Documents("hand_receipt_pdf", _("hand receipt"))
        self.person: PersonInfo | None = None
        super().__init__(context, parent)
        self.setObjectName("issueScreen")
        self._load_roster()

    def build_form(self, form: QFormLayout) -> None:
        self.person_field = ScanField(_("Scan the person's card or type the service number, then Enter"))
        self.person_field.setObjectName("personField")
        self.person_field.scanned.connect(self.set_person_code)
        self.person_label = QLabel(_("Nobody chosen yet"))
        self.person_label.setObjectName("personLabel")
        form.addRow(_("Person"), self.person_field)
        form.addRow("", self.person_label)
        due = QWidget()
        row = QHBoxLayout(due)
        row.setContentsMargins(0, 0, 0, 0)
        self.due_edit = QDateTimeEdit()
        self.due_edit.setObjectName("dueBackEdit")
        self.due_edit.setCalendarPopup(True)
        self.due_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.set_due_back(default_due_back())
        self.long_term = QCheckBox(_("Long-term assignment (no due-back time)"))
        self.long_term.setObjectName("longTermBox")
        self.long_term.toggled.connect(lambda on: self.due_edit.setEnabled(not on))
        row.addWidget(self.due_edit)
        row.addWidget(self.long_term)
        row.addStretch(1)
        form.addRow(_("Due back"), due)

    def _load_roster(self) -> None:
        db, actor = self.db, self.actor

        def work(_progress: Progress) -> list[str]:
            ids = browse.person_ids(db, actor)[:ROSTER_COMPLETION_LIMIT]
            rows = browse.person_rows(db, actor, ids)
            return [
                f"{r.service_number} — {' '.join(p for p in (r.rank, r.surname.upper(), r.given_names) if p)}"
                for r in (rows[i] for i in ids if i in rows)
            ]

        def show(entries: list[str]) -> None:
            completer = QCompleter(entries, self)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            self.person_field.setCompleter(completer)

        run_task(self, _("Loading the roster…"), work, show, lambda _error: None, quiet=True)

    # --- the person -------------------------------------------------------------------------------------

    def handle_scan(self, text: str) -> None:
        """A scan goes to the person while nobody is chosen (or the person field has the focus)."""
        if self.person is None or QApplication.focusWidget() is self.person_field:
            self.set_person_code(text)
        else:
            self.scan_weapon(text)

    def set_person_code(self, text: str) -> None:
        code = text.split(" — ", 1)[0].strip()
        if not code:
            return
        context = self.context

        def work(_progress: Progress) -> PersonInfo:
            return find_person(context, code)

        run_task(self, _("Looking for the person…"), work, self._person_done, self._person_failed, quiet=True)

    def _person_done(self, person: PersonInfo) -> None:
        self.person = person
        name = f"{person.display_name} ({person.service_number})"
        if person.active:
            self.person_label.setText(name)
            self.person_label.setStyleSheet("color: #1b5e20; font-weight: bold;")
            self.say(_("Now scan the weapons for {person}.").format(person=person.display_name))
        else:
            self.person_label.setText(
                _("{person} is not active on the roster: nothing can be issued to them.").format(person=name)
            )
            self.person_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.scan_field.setFocus()
        self.update_confirm()
        self.person_found.emit(person)

    def _person_failed(self, error: BaseException) -> None:
        if isinstance(error, NotFoundError):
            self.say(error.message, error=True)
        else:
            show_error(self, error)
        self.person_found.emit(None)

    # --- due back -------------------------------------------------------------------------------------

    def set_due_back(self, when: datetime) -> None:
        self.due_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(when.timestamp())))

    def due_back(self) -> datetime:
        return datetime.fromtimestamp(self.due_edit.dateTime().toSecsSinceEpoch(), UTC)

    # --- confirming -----------------------------------------------------------------------------------

    def update_confirm(self) -> None:
        super().update_confirm()
        if self.person is None or not self.person.active:
            self.confirm_button.setEnabled(False)

    def collect(self) -> dict[str, Any]:
        if self.person is None:
            raise ValidationError(
                _("Nobody is chosen to receive the weapons."), _("Scan the person's card first.")
            )
        long_term = self.long_term.isChecked()
        return {
            "person": self.person.id,
            "long_term": long_term,
            "due_back": None if long_term else self.due_back(),
        }

    def perform(self, refs: list[str], witnesses: list[Actor], values: dict[str, Any]) -> OperationResult:
        return custody.issue(
            self.db,
            self.actor,
            refs,
            values["person"],
            due_back=values["due_back"],
            long_term=values["long_term"],
            witnesses=witnesses,
        )

    def done_text(self, result: OperationResult) -> str:
        return _("{count} weapons issued on hand receipt {receipt}.").format(
            count=len(result.weapons), receipt=result.document_ref
        )

    def reset(self) -> None:
        self.person = None
        self.person_label.setText(_("Nobody chosen yet"))
        self.person_label.setStyleSheet("")
        self.long_term.setChecked(False)
        self.set_due_back(default_due_back())
        super().reset()
        self.person_field.setFocus()
