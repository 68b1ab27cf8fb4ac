"""The inspecting screen: one question at a time, answered with one key, saved at once.

Keys on the question list: C compliant, N not compliant, A not applicable, 1–9 a choice; a number or a
text answer is typed in its field and saved with Enter. After an answer the next question is selected.
Notes save themselves a moment after typing stops (and when another question is chosen); photos, racks,
areas and corrective actions are saved as soon as they are given. Sign-off asks for confirmation and then
locks the inspection.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.errors import ArmouryError
from armoury.i18n import _
from armoury.inspections.enums import COMPLIANT, NOT_APPLICABLE, NOT_COMPLIANT, AnswerKind, Outcome
from armoury.inspections.records import InspectionDetail
from armoury.inspections.scoring import answer_label
from armoury.inspections.templates import Question
from armoury.security.permissions import Actor
from armoury.services import inspections, locations
from ui.errors import show_error

QUESTION_ROLE = Qt.ItemDataRole.UserRole + 1
NOTE_SAVE_DELAY_MS = 700
COMPLIANCE_KEYS = {Qt.Key.Key_C: COMPLIANT, Qt.Key.Key_N: NOT_COMPLIANT, Qt.Key.Key_A: NOT_APPLICABLE}
_MARKS = {
    None: "○",
    Outcome.PASS: "✓",
    Outcome.FAIL: "✗",
    Outcome.NOT_APPLICABLE: "–",
    Outcome.INFO: "✎",
}


def choose_photo_file(parent: QWidget) -> str:
    """Ask for a picture file (tests replace this function)."""
    path, _filter = QFileDialog.getOpenFileName(
        parent, _("Add a photo"), "", _("Pictures (*.png *.jpg *.jpeg *.gif *.bmp *.webp)")
    )
    return path


class InspectionForm(QWidget):
    """Answer, annotate and sign one inspection."""

    changed = Signal()  # after every saved change (answers, notes, photos, sign-off)
    signed = Signal(int)

    def __init__(self, db: Database, actor: Actor, inspection_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspectionForm")
        self.db = db
        self.actor = actor
        self.inspection_id = inspection_id
        self.detail: InspectionDetail = inspections.get_inspection(db, actor, inspection_id)
        self._current: Question | None = None
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(NOTE_SAVE_DELAY_MS)
        self._note_timer.timeout.connect(self.save_note)
        self._loading = False
        self._build()
        self._fill_questions()
        self._show_previous()
        self._refresh_header()
        first = self._first_unanswered_row()
        if first is not None:
            self.questions.setCurrentRow(first)

    # ------------------------------------------------------------------------------------------ layout

    def _build(self) -> None:
        self.title = QLabel()
        self.title.setObjectName("inspectionTitle")
        self.title.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("inspectionProgress")
        self.score_label = QLabel()
        self.score_label.setObjectName("inspectionScore")
        self.sign_button = QPushButton(_("Sign off…"))
        self.sign_button.setObjectName("signOffButton")
        self.sign_button.clicked.connect(self.ask_sign_off)
        self.missing_label = QLabel()
        self.missing_label.setObjectName("missingLabel")
        self.missing_label.setWordWrap(True)
        header = QHBoxLayout()
        header.addWidget(self.title, 3)
        header.addWidget(self.progress, 1)
        header.addWidget(self.score_label)
        header.addWidget(self.sign_button)

        self.previous = QLabel()
        self.previous.setObjectName("previousFindings")
        self.previous.setWordWrap(True)
        self.previous.setTextFormat(Qt.TextFormat.PlainText)

        self.questions = QListWidget()
        self.questions.setObjectName("questionList")
        self.questions.currentItemChanged.connect(self._on_current_changed)
        self.questions.installEventFilter(self)

        splitter = QSplitter()
        splitter.addWidget(self.questions)
        splitter.addWidget(self._question_panel())
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.missing_label)
        layout.addWidget(self.previous)
        layout.addWidget(splitter, 1)

    def _question_panel(self) -> QWidget:
        panel = QWidget()
        self.section_label = QLabel()
        self.section_label.setObjectName("sectionLabel")
        self.text_label = QLabel()
        self.text_label.setObjectName("questionText")
        self.text_label.setWordWrap(True)
        font = self.text_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.text_label.setFont(font)
        self.guidance_label = QLabel()
        self.guidance_label.setWordWrap(True)
        self.facts_label = QLabel()
        self.facts_label.setObjectName("questionFacts")
        self.facts_label.setWordWrap(True)
        self.answer_label = QLabel()
        self.answer_label.setObjectName("answerLabel")

        # Answer widgets per kind.
        self.answer_stack = QStackedWidget()
        compliance = QWidget()
        row = QHBoxLayout(compliance)
        self.compliance_buttons: dict[str, QPushButton] = {}
        for value, text in (
            (COMPLIANT, _("[C] Compliant")),
            (NOT_COMPLIANT, _("[N] Not compliant")),
            (NOT_APPLICABLE, _("[A] Not applicable")),
        ):
            button = QPushButton(text)
            button.setObjectName(f"answer_{value}")
            button.clicked.connect(lambda _checked=False, v=value: self.answer(v))
            self.compliance_buttons[value] = button
            row.addWidget(button)
        self.number_edit = QLineEdit()
        self.number_edit.setObjectName("numberAnswer")
        self.number_edit.returnPressed.connect(lambda: self.answer(self.number_edit.text()))
        number = QWidget()
        number_row = QHBoxLayout(number)
        number_row.addWidget(self.number_edit)
        self.unit_label = QLabel()
        number_row.addWidget(self.unit_label)
        na_button = QPushButton(_("[A] Not applicable"))
        na_button.clicked.connect(lambda: self.answer(NOT_APPLICABLE))
        number_row.addWidget(na_button)
        self.choice_box = QWidget()
        self.choice_layout = QHBoxLayout(self.choice_box)
        self.text_edit = QLineEdit()
        self.text_edit.setObjectName("textAnswer")
        self.text_edit.returnPressed.connect(lambda: self.answer(self.text_edit.text()))
        for widget in (compliance, number, self.choice_box, self.text_edit):
            self.answer_stack.addWidget(widget)

        self.note_edit = QPlainTextEdit()
        self.note_edit.setObjectName("noteEdit")
        self.note_edit.setPlaceholderText(_("Note (saved as you type)"))
        self.note_edit.setMaximumHeight(90)
        self.note_edit.textChanged.connect(self._note_typed)

        evidence = QGroupBox(_("Evidence and follow-up"))
        form = QFormLayout(evidence)
        self.photo_list = QListWidget()
        self.photo_list.setObjectName("photoList")
        self.photo_list.setMaximumHeight(70)
        add_photo = QPushButton(_("Add photo…"))
        add_photo.setObjectName("addPhotoButton")
        add_photo.clicked.connect(self._choose_photo)
        self.photo_button = add_photo
        photos = QHBoxLayout()
        photos.addWidget(self.photo_list, 1)
        photos.addWidget(add_photo)
        form.addRow(_("Photos"), photos)
        self.target_list = QListWidget()
        self.target_list.setObjectName("targetList")
        self.target_list.setMaximumHeight(110)
        self.target_list.itemChanged.connect(self._target_toggled)
        form.addRow(_("Racks / areas"), self.target_list)
        self.action_list = QListWidget()
        self.action_list.setObjectName("actionList")
        self.action_list.setMaximumHeight(70)
        self.action_button = QPushButton(_("Add corrective action…"))
        self.action_button.setObjectName("addActionButton")
        self.action_button.clicked.connect(self.open_action_dialog)
        actions = QHBoxLayout()
        actions.addWidget(self.action_list, 1)
        actions.addWidget(self.action_button)
        form.addRow(_("Corrective actions"), actions)

        inner = QWidget()
        layout = QVBoxLayout(inner)
        for widget in (self.section_label, self.text_label, self.guidance_label, self.facts_label):
            layout.addWidget(widget)
        layout.addWidget(self.answer_stack)
        layout.addWidget(self.answer_label)
        layout.addWidget(QLabel(_("Note")))
        layout.addWidget(self.note_edit)
        layout.addWidget(evidence)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(panel)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        return panel

    # ---------------------------------------------------------------------------------------- contents

    def _fill_questions(self) -> None:
        self._loading = True
        current = self._current.id if self._current else None
        self.questions.clear()
        bold = self.questions.font()
        bold.setBold(True)
        for section in self.detail.template.sections:
            header = QListWidgetItem(section.title.text())
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            header.setFont(bold)
            self.questions.addItem(header)
            for q in section.questions:
                item = QListWidgetItem()
                item.setData(QUESTION_ROLE, q.id)
                self._paint_item(item, q)
                self.questions.addItem(item)
                if q.id == current:
                    self.questions.setCurrentItem(item)
        self._loading = False

    def _paint_item(self, item: QListWidgetItem, q: Question) -> None:
        answer = self.detail.answers.get(q.id)
        result = answer.outcome if answer else None
        critical = " ★" if q.critical else ""
        item.setText(f"{_MARKS[result]}  {q.id}{critical}  {q.text.text()}")
        if result is Outcome.FAIL:
            item.setForeground(QBrush(QColor("#b00020")))

    def _row_of(self, question_id: str) -> int:
        for row in range(self.questions.count()):
            if self.questions.item(row).data(QUESTION_ROLE) == question_id:
                return row
        return -1

    def _first_unanswered_row(self) -> int | None:
        for _s, q in self.detail.template.questions():
            answer = self.detail.answers.get(q.id)
            if answer is None or answer.value is None:
                return self._row_of(q.id)
        first = next(iter(self.detail.template.questions()), None)
        return self._row_of(first[1].id) if first else None

    def _refresh_header(self) -> None:
        s = self.detail.summary
        area = f" — {s.area_name}" if s.area_name else ""
        self.title.setText(
            _("{facility}{area} · {template} v{version} · {status}").format(
                facility=s.facility_name,
                area=area,
                template=s.template_title,
                version=s.template_version,
                status=s.status.label,
            )
        )
        answered, total = self.detail.progress
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(answered)
        self.progress.setFormat(_("{answered} of {total} answered").format(answered=answered, total=total))
        card = self.detail.card
        score = "—" if card.percent is None else f"{card.percent:.1f} %"
        level = card.level_reached if not s.signed else (s.level or 0)
        self.score_label.setText(_("Score {score} · level {level}").format(score=score, level=level))
        self.sign_button.setEnabled(not s.signed)
        if s.signed:
            self.missing_label.setText(_("Signed on {date}: this inspection can no longer change.").format(
                date=s.signed_at.strftime("%Y-%m-%d %H:%M UTC") if s.signed_at else ""
            ))  # fmt: skip
        else:
            missing = self.detail.missing
            self.missing_label.setText(
                _("Before sign-off: {items}").format(
                    items="; ".join(missing[:4]) + (" …" if len(missing) > 4 else "")
                )
                if missing
                else _("Ready to sign.")
            )

    def _show_previous(self) -> None:
        try:
            findings = inspections.previous_findings(self.db, self.actor, self.inspection_id)
        except ArmouryError:
            findings = []
        if not findings:
            self.previous.hide()
            return
        closed = sum(1 for f in findings if f.closed)
        lines = [
            _("Previous inspection: {count} findings, {closed} closed.").format(
                count=len(findings), closed=closed
            )
        ]
        for f in findings:
            state = _("closed") if f.closed else _("NOT closed")
            lines.append(f"• {f.question_id} {f.question_text} — {state}")
        self.previous.setText("\n".join(lines))
        self.previous.show()

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if self._loading:
            return
        self.save_note()
        question_id = current.data(QUESTION_ROLE) if current is not None else None
        self._current = self.detail.template.question(question_id) if question_id else None
        self._show_question()

    def _show_question(self) -> None:
        q = self._current
        self._loading = True
        try:
            if q is None:
                self.text_label.setText("")
                return
            section = next(s for s in self.detail.template.sections if q in s.questions)
            self.section_label.setText(section.title.text())
            self.text_label.setText(q.text.text())
            self.guidance_label.setText(q.guidance.text())
            facts = [
                _("Level {level}").format(level=q.level),
                _("weight {weight}").format(weight=f"{q.weight:g}"),
            ]
            if q.critical:
                facts.append(_("critical"))
            if q.clause:
                facts.append(q.clause)
            if q.sop:
                facts.append(_("SOP {number}").format(number=q.sop))
            self.facts_label.setText(" · ".join(facts))
            answer = self.detail.answers.get(q.id)
            value = answer.value if answer else None
            self.answer_label.setText(
                _("Answer: {answer}").format(answer=answer_label(q, value))
                if value is not None
                else _("Not answered")
            )
            self._show_answer_widget(q, value)
            self.note_edit.setPlainText(answer.note if answer else "")
            self.photo_list.clear()
            for photo in answer.photos if answer else ():
                self.photo_list.addItem(f"{photo.filename or photo.sha256[:12]} ({photo.size} B)")
            self._fill_targets(q)
            self.action_list.clear()
            for action in answer.actions if answer else ():
                self.action_list.addItem(f"{action.what} — {action.who} — {action.due_on.isoformat()}")
            editable = not self.detail.summary.signed
            for widget in (self.answer_stack, self.note_edit, self.photo_button, self.target_list):
                widget.setEnabled(editable)
            self.action_button.setEnabled(answer is not None and answer.outcome is Outcome.FAIL)
        finally:
            self._loading = False

    def _show_answer_widget(self, q: Question, value: str | None) -> None:
        if q.kind is AnswerKind.COMPLIANCE:
            self.answer_stack.setCurrentIndex(0)
            for v, button in self.compliance_buttons.items():
                button.setEnabled(v != NOT_APPLICABLE or q.allow_na)
        elif q.kind is AnswerKind.NUMBER:
            self.answer_stack.setCurrentIndex(1)
            self.number_edit.setText(value if value not in (None, NOT_APPLICABLE) else "")
            self.unit_label.setText(q.unit)
        elif q.kind is AnswerKind.CHOICE:
            self.answer_stack.setCurrentIndex(2)
            while self.choice_layout.count():
                item = self.choice_layout.takeAt(0)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.deleteLater()
            for number, option in enumerate(q.options, start=1):
                button = QPushButton(f"[{number}] {option.label.text()}")
                button.clicked.connect(lambda _c=False, v=option.id: self.answer(v))
                self.choice_layout.addWidget(button)
        else:
            self.answer_stack.setCurrentIndex(3)
            self.text_edit.setText(value or "")

    def _fill_targets(self, q: Question) -> None:
        self.target_list.clear()
        if q.target is None:
            self.target_list.addItem(_("This question does not point to racks or areas."))
            return
        answer = self.detail.answers.get(q.id)
        facility_id = self.detail.summary.facility_id
        if q.target == "racks":
            chosen = {r.id for r in answer.racks} if answer else set()
            entries = [
                (r.id, f"{r.code} {r.name}".strip())
                for r in locations.list_racks(self.db, self.actor, facility_id)
            ]
        else:
            chosen = {a.id for a in answer.areas} if answer else set()
            entries = [
                (a.id, f"{a.code} {a.name}") for a in locations.list_areas(self.db, self.actor, facility_id)
            ]
        for ident, text in entries:
            item = QListWidgetItem(text)
            item.setData(QUESTION_ROLE, ident)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if ident in chosen else Qt.CheckState.Unchecked)
            self.target_list.addItem(item)

    # ------------------------------------------------------------------------------------------ saving

    def _reload(self) -> None:
        self.detail = inspections.get_inspection(self.db, self.actor, self.inspection_id)
        if self._current is not None:
            row = self._row_of(self._current.id)
            if row >= 0:
                self._paint_item(self.questions.item(row), self._current)
        self._refresh_header()
        self.changed.emit()

    def answer(self, value: str) -> bool:
        """Save ``value`` as the answer to the current question and go to the next one."""
        q = self._current
        if q is None or self.detail.summary.signed:
            return False
        self.save_note()
        try:
            inspections.record_answer(self.db, self.actor, self.inspection_id, q.id, value)
        except ArmouryError as error:
            show_error(self, error)
            return False
        self._reload()
        self._show_question()
        answer = self.detail.answers.get(q.id)
        # A finding stays on screen so the note, photo and action can be given; otherwise move on.
        if answer is not None and answer.outcome is not Outcome.FAIL:
            self.next_question()
        self.questions.setFocus()
        return True

    def next_question(self) -> None:
        row = self.questions.currentRow()
        for candidate in range(row + 1, self.questions.count()):
            if self.questions.item(candidate).data(QUESTION_ROLE):
                self.questions.setCurrentRow(candidate)
                return

    def _note_typed(self) -> None:
        if not self._loading:
            self._note_timer.start()

    def save_note(self) -> None:
        """Save the note of the current question if it changed."""
        self._note_timer.stop()
        q = self._current
        if q is None or self.detail.summary.signed:
            return
        text = self.note_edit.toPlainText().strip()
        answer = self.detail.answers.get(q.id)
        if text == (answer.note if answer else ""):
            return
        try:
            inspections.set_note(self.db, self.actor, self.inspection_id, q.id, text)
        except ArmouryError as error:
            show_error(self, error)
            return
        self._reload()

    def _choose_photo(self) -> None:
        path = choose_photo_file(self)
        if path:
            self.add_photo_file(Path(path))

    def add_photo_file(self, path: Path) -> bool:
        q = self._current
        if q is None:
            return False
        try:
            inspections.add_photo_file(self.db, self.actor, self.inspection_id, q.id, path)
        except ArmouryError as error:
            show_error(self, error)
            return False
        self._reload()
        self._show_question()
        return True

    def _target_toggled(self, _item: QListWidgetItem) -> None:
        q = self._current
        if self._loading or q is None or q.target is None:
            return
        chosen = [
            int(self.target_list.item(i).data(QUESTION_ROLE))
            for i in range(self.target_list.count())
            if self.target_list.item(i).checkState() == Qt.CheckState.Checked
        ]
        try:
            if q.target == "racks":
                inspections.set_targets(self.db, self.actor, self.inspection_id, q.id, rack_ids=chosen)
            else:
                inspections.set_targets(self.db, self.actor, self.inspection_id, q.id, area_ids=chosen)
        except ArmouryError as error:
            show_error(self, error)
            return
        self._reload()

    def open_action_dialog(self) -> QWidget | None:
        from ui.inspection_dialogs import CorrectiveActionDialog

        q = self._current
        if q is None:
            return None
        dialog = CorrectiveActionDialog(self.db, self.actor, self.inspection_id, q.id, q.text.text(), self)
        dialog.saved.connect(self._after_action_saved)
        dialog.open()
        return dialog

    def _after_action_saved(self, _info: object) -> None:
        self._reload()
        self._show_question()

    # --------------------------------------------------------------------------------------- sign-off

    def ask_sign_off(self) -> QMessageBox:
        """Ask for confirmation (window-modal, not blocking); Yes signs."""
        self.save_note()
        box = QMessageBox(self)
        box.setObjectName("signOffConfirm")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(_("Sign off"))
        box.setText(
            _("Sign inspection {id}? It can no longer be changed afterwards.").format(id=self.inspection_id)
        )
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.buttonClicked.connect(
            lambda button: (
                self.sign_off() if box.standardButton(button) == QMessageBox.StandardButton.Yes else None
            )
        )
        box.open()
        return box

    def sign_off(self) -> bool:
        if self.detail.summary.signed:
            return True
        try:
            inspections.sign_off(self.db, self.actor, self.inspection_id)
        except ArmouryError as error:
            show_error(self, error)
            return False
        self._reload()
        self._show_question()
        self.signed.emit(self.inspection_id)
        return True

    # ------------------------------------------------------------------------------------------- keys

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.questions and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if self._answer_key(event):
                return True
        return super().eventFilter(watched, event)

    def _answer_key(self, event: QKeyEvent) -> bool:
        if event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            return False
        q = self._current
        if q is None:
            return False
        key = Qt.Key(event.key())
        if key == Qt.Key.Key_A and q.allow_na:
            return self.answer(NOT_APPLICABLE) or True
        if q.kind is AnswerKind.COMPLIANCE and key in COMPLIANCE_KEYS:
            return self.answer(COMPLIANCE_KEYS[key]) or True
        if q.kind is AnswerKind.CHOICE and Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            index = key - Qt.Key.Key_1
            if index < len(q.options):
                return self.answer(q.options[index].id) or True
        if q.kind in (AnswerKind.NUMBER, AnswerKind.TEXT) and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            (self.number_edit if q.kind is AnswerKind.NUMBER else self.text_edit).setFocus()
            return True
        return False
