"""A plain editor of checklist templates: sections and questions in a tree, fields on the right.

The editor works on the template's JSON form; Save runs the same validation as an import and calls
:func:`armoury.services.checklists.save_template`, which makes a new version when the template has been
used (past inspections keep theirs). Reordering is done with Move up / Move down.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.errors import ArmouryError
from armoury.i18n import _
from armoury.inspections.enums import AnswerKind
from armoury.inspections.templates import parse_template
from armoury.security.permissions import Actor
from armoury.services import checklists
from ui.errors import show_error

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
PAGE_NOTHING, PAGE_SECTION, PAGE_QUESTION = 0, 1, 2


def _local(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {"en": str(value.get("en", "")), "fr": str(value.get("fr", ""))}
    return {"en": str(value or ""), "fr": ""}


def _float_or_none(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


class ChecklistEditor(QDialog):
    """Edit one stored template version; ``saved`` carries the stored summary (maybe a new version)."""

    saved = Signal(object)

    def __init__(self, db: Database, actor: Actor, template_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checklistEditor")
        self.db, self.actor, self.template_id = db, actor, template_id
        summary, template = checklists.load_template(db, actor, template_id)
        self.setWindowTitle(
            _("Checklist {code} v{version}").format(code=summary.code, version=summary.version)
        )
        self.data: dict[str, Any] = copy.deepcopy(template.to_json())
        self._loading = False
        self._build(summary.used)
        self._fill_tree()

    # ------------------------------------------------------------------------------------------ layout

    def _build(self, used: bool) -> None:
        self.title_en = QLineEdit(self.data["title"]["en"])
        self.title_fr = QLineEdit(self.data["title"]["fr"])
        self.thresholds = []
        thresholds = QHBoxLayout()
        for level in ("1", "2", "3"):
            spin = QDoubleSpinBox()
            spin.setRange(0, 100)
            spin.setSuffix(" %")
            spin.setValue(float(self.data.get("thresholds", {}).get(level, 0)))
            spin.setObjectName(f"threshold{level}")
            thresholds.addWidget(QLabel(_("Level {level}").format(level=level)))
            thresholds.addWidget(spin)
            self.thresholds.append(spin)
        head = QFormLayout()
        head.addRow(_("Title (English)"), self.title_en)
        head.addRow(_("Title (French)"), self.title_fr)
        head.addRow(_("Thresholds"), thresholds)

        self.tree = QTreeWidget()
        self.tree.setObjectName("checklistTree")
        self.tree.setHeaderHidden(True)
        self.tree.currentItemChanged.connect(self._on_current)
        buttons = QHBoxLayout()
        for name, text, slot in (
            ("addSection", _("Add section"), self.add_section),
            ("addQuestion", _("Add question"), self.add_question),
            ("removeItem", _("Remove"), self.remove_current),
            ("moveUp", _("Move up"), lambda: self.move_current(-1)),
            ("moveDown", _("Move down"), lambda: self.move_current(1)),
        ):
            button = QPushButton(text)
            button.setObjectName(name)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.tree)
        left_layout.addLayout(buttons)

        self.pages = QStackedWidget()
        self.pages.addWidget(QLabel(_("Choose a section or a question.")))
        self.pages.addWidget(self._section_page())
        self.pages.addWidget(self._question_page())
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 2)

        note = QLabel(
            _("This version has been used: saving makes a new version; past inspections keep this one.")
            if used
            else _("This version has not been used yet: saving updates it.")
        )
        note.setWordWrap(True)
        save = QPushButton(_("Save"))
        save.setObjectName("saveChecklist")
        save.clicked.connect(self.save)
        close = QPushButton(_("Close"))
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(note, 1)
        bottom.addWidget(save)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self.resize(1000, 700)

    def _section_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.section_id = QLineEdit()
        self.section_en = QLineEdit()
        self.section_fr = QLineEdit()
        form.addRow(_("Id"), self.section_id)
        form.addRow(_("Title (English)"), self.section_en)
        form.addRow(_("Title (French)"), self.section_fr)
        for edit in (self.section_id, self.section_en, self.section_fr):
            edit.textEdited.connect(self._store)
        return page

    def _question_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.q_id = QLineEdit()
        self.q_id.setObjectName("questionId")
        self.q_text_en = QPlainTextEdit()
        self.q_text_en.setObjectName("questionTextEn")
        self.q_text_fr = QPlainTextEdit()
        self.q_text_fr.setObjectName("questionTextFr")
        self.q_guidance_en = QPlainTextEdit()
        self.q_guidance_fr = QPlainTextEdit()
        for edit in (self.q_text_en, self.q_text_fr, self.q_guidance_en, self.q_guidance_fr):
            edit.setMaximumHeight(60)
            edit.textChanged.connect(self._store)
        self.q_clause = QLineEdit()
        self.q_sop = QLineEdit()
        self.q_level = QSpinBox()
        self.q_level.setRange(1, 3)
        self.q_weight = QDoubleSpinBox()
        self.q_weight.setRange(0, 100)
        self.q_critical = QCheckBox(_("Critical"))
        self.q_na = QCheckBox(_("Not applicable allowed"))
        self.q_kind = QComboBox()
        for kind in AnswerKind:
            self.q_kind.addItem(kind.label, kind.value)
        self.q_target = QComboBox()
        self.q_target.addItem(_("Nothing"), None)
        self.q_target.addItem(_("Racks"), "racks")
        self.q_target.addItem(_("Storage areas"), "areas")
        self.q_fail_note = QCheckBox(_("note"))
        self.q_fail_photo = QCheckBox(_("photo"))
        self.q_fail_action = QCheckBox(_("corrective action"))
        fail_row = QHBoxLayout()
        for box in (self.q_fail_note, self.q_fail_photo, self.q_fail_action):
            fail_row.addWidget(box)
        self.q_min = QLineEdit()
        self.q_max = QLineEdit()
        self.q_fail_below = QLineEdit()
        self.q_fail_above = QLineEdit()
        self.q_unit = QLineEdit()
        number_row = QHBoxLayout()
        for label, number_edit in (
            (_("min"), self.q_min),
            (_("max"), self.q_max),
            (_("fails below"), self.q_fail_below),
            (_("fails above"), self.q_fail_above),
            (_("unit"), self.q_unit),
        ):
            number_row.addWidget(QLabel(label))
            number_row.addWidget(number_edit)
        self.q_options = QPlainTextEdit()
        self.q_options.setPlaceholderText(_("One option a line: id | English | French"))
        self.q_options.setMaximumHeight(80)
        self.q_options.textChanged.connect(self._store)
        self.q_fail_options = QLineEdit()
        self.q_fail_options.setPlaceholderText(_("ids of the failing options, separated by commas"))
        form.addRow(_("Id"), self.q_id)
        form.addRow(_("Text (English)"), self.q_text_en)
        form.addRow(_("Text (French)"), self.q_text_fr)
        form.addRow(_("Guidance (English)"), self.q_guidance_en)
        form.addRow(_("Guidance (French)"), self.q_guidance_fr)
        form.addRow(_("Standard clause"), self.q_clause)
        form.addRow(_("National SOP"), self.q_sop)
        form.addRow(_("Level"), self.q_level)
        form.addRow(_("Weight"), self.q_weight)
        form.addRow("", self.q_critical)
        form.addRow(_("Answer"), self.q_kind)
        form.addRow("", self.q_na)
        form.addRow(_("Number limits"), number_row)
        form.addRow(_("Choices"), self.q_options)
        form.addRow(_("Failing choices"), self.q_fail_options)
        form.addRow(_("A finding requires"), fail_row)
        form.addRow(_("Points to"), self.q_target)
        for line in (
            self.q_id, self.q_clause, self.q_sop, self.q_min, self.q_max, self.q_fail_below, self.q_fail_above,
            self.q_unit, self.q_fail_options,
        ):  # fmt: skip
            line.textEdited.connect(self._store)
        self.q_level.valueChanged.connect(self._store)
        self.q_weight.valueChanged.connect(self._store)
        for box in (self.q_critical, self.q_na, self.q_fail_note, self.q_fail_photo, self.q_fail_action):
            box.toggled.connect(self._store)
        self.q_kind.currentIndexChanged.connect(self._store)
        self.q_target.currentIndexChanged.connect(self._store)
        return page

    # ------------------------------------------------------------------------------------------- tree

    def _fill_tree(self, select: tuple[int, ...] | None = None) -> None:
        self._loading = True
        self.tree.clear()
        chosen: QTreeWidgetItem | None = None
        for s_index, section in enumerate(self.data["sections"]):
            top = QTreeWidgetItem([_local(section.get("title"))["en"] or section.get("id", "")])
            top.setData(0, PATH_ROLE, (s_index,))
            self.tree.addTopLevelItem(top)
            if select == (s_index,):
                chosen = top
            for q_index, question in enumerate(section.get("questions", [])):
                child = QTreeWidgetItem([f"{question.get('id', '')}  {_local(question.get('text'))['en']}"])
                child.setData(0, PATH_ROLE, (s_index, q_index))
                top.addChild(child)
                if select == (s_index, q_index):
                    chosen = child
        self.tree.expandAll()
        self._loading = False
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
        else:
            self.pages.setCurrentIndex(PAGE_NOTHING)

    def current_path(self) -> tuple[int, ...] | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        path = item.data(0, PATH_ROLE)
        return tuple(path) if path is not None else None

    def select(self, path: tuple[int, ...]) -> None:
        self._fill_tree(path)

    def _on_current(self, *_args: object) -> None:
        if self._loading:
            return
        path = self.current_path()
        self._loading = True
        try:
            if path is None:
                self.pages.setCurrentIndex(PAGE_NOTHING)
            elif len(path) == 1:
                self._show_section(self.data["sections"][path[0]])
            else:
                self._show_question(self.data["sections"][path[0]]["questions"][path[1]])
        finally:
            self._loading = False

    def _show_section(self, section: dict[str, Any]) -> None:
        self.pages.setCurrentIndex(PAGE_SECTION)
        title = _local(section.get("title"))
        self.section_id.setText(section.get("id", ""))
        self.section_en.setText(title["en"])
        self.section_fr.setText(title["fr"])

    def _show_question(self, q: dict[str, Any]) -> None:
        self.pages.setCurrentIndex(PAGE_QUESTION)
        text, guidance = _local(q.get("text")), _local(q.get("guidance"))
        answer = q.get("answer", {"kind": "compliance"})
        on_fail = q.get("on_fail", {})
        self.q_id.setText(q.get("id", ""))
        self.q_text_en.setPlainText(text["en"])
        self.q_text_fr.setPlainText(text["fr"])
        self.q_guidance_en.setPlainText(guidance["en"])
        self.q_guidance_fr.setPlainText(guidance["fr"])
        self.q_clause.setText(q.get("clause", ""))
        self.q_sop.setText(q.get("sop", ""))
        self.q_level.setValue(int(q.get("level", 1)))
        self.q_weight.setValue(float(q.get("weight", 1)))
        self.q_critical.setChecked(bool(q.get("critical", False)))
        self.q_na.setChecked(bool(answer.get("allow_na", True)))
        self.q_kind.setCurrentIndex(max(0, self.q_kind.findData(answer.get("kind", "compliance"))))
        self.q_target.setCurrentIndex(max(0, self.q_target.findData(q.get("target"))))
        self.q_fail_note.setChecked(bool(on_fail.get("note", False)))
        self.q_fail_photo.setChecked(bool(on_fail.get("photo", False)))
        self.q_fail_action.setChecked(bool(on_fail.get("action", False)))
        for edit, key in (
            (self.q_min, "minimum"), (self.q_max, "maximum"), (self.q_fail_below, "fail_below"),
            (self.q_fail_above, "fail_above"),
        ):  # fmt: skip
            value = answer.get(key)
            edit.setText("" if value is None else str(value))
        self.q_unit.setText(answer.get("unit", ""))
        self.q_options.setPlainText(
            "\n".join(
                f"{o.get('id', '')} | {_local(o.get('label'))['en']} | {_local(o.get('label'))['fr']}"
                for o in answer.get("options", [])
            )
        )
        self.q_fail_options.setText(", ".join(answer.get("fail", [])))

    # ---------------------------------------------------------------------------------------- editing

    def _store(self, *_args: object) -> None:
        """Write the fields of the current section or question back into the template data."""
        if self._loading:
            return
        path = self.current_path()
        if path is None:
            return
        item = self.tree.currentItem()
        if item is None:
            return
        if len(path) == 1:
            section = self.data["sections"][path[0]]
            section["id"] = self.section_id.text().strip()
            section["title"] = {"en": self.section_en.text(), "fr": self.section_fr.text()}
            item.setText(0, self.section_en.text() or section["id"])
            return
        q = self.data["sections"][path[0]]["questions"][path[1]]
        kind = self.q_kind.currentData()
        answer: dict[str, Any] = {"kind": kind, "allow_na": self.q_na.isChecked()}
        if kind == AnswerKind.NUMBER.value:
            for edit, key in (
                (self.q_min, "minimum"), (self.q_max, "maximum"), (self.q_fail_below, "fail_below"),
                (self.q_fail_above, "fail_above"),
            ):  # fmt: skip
                value = _float_or_none(edit.text())
                if value is not None:
                    answer[key] = value
            if self.q_unit.text().strip():
                answer["unit"] = self.q_unit.text().strip()
        if kind == AnswerKind.CHOICE.value:
            options = []
            for line in self.q_options.toPlainText().splitlines():
                parts = [p.strip() for p in line.split("|")]
                if parts and parts[0]:
                    options.append(
                        {
                            "id": parts[0],
                            "label": {
                                "en": parts[1] if len(parts) > 1 else "",
                                "fr": parts[2] if len(parts) > 2 else "",
                            },
                        }
                    )
            answer["options"] = options
            answer["fail"] = [f.strip() for f in self.q_fail_options.text().split(",") if f.strip()]
        q.clear()
        q.update(
            {
                "id": self.q_id.text().strip(),
                "text": {"en": self.q_text_en.toPlainText(), "fr": self.q_text_fr.toPlainText()},
                "guidance": {"en": self.q_guidance_en.toPlainText(), "fr": self.q_guidance_fr.toPlainText()},
                "clause": self.q_clause.text(),
                "level": self.q_level.value(),
                "weight": self.q_weight.value(),
                "critical": self.q_critical.isChecked(),
                "answer": answer,
                "on_fail": {
                    "note": self.q_fail_note.isChecked(),
                    "photo": self.q_fail_photo.isChecked(),
                    "action": self.q_fail_action.isChecked(),
                },
            }
        )
        if self.q_sop.text().strip():
            q["sop"] = self.q_sop.text().strip()
        if self.q_target.currentData():
            q["target"] = self.q_target.currentData()
        item.setText(0, f"{q['id']}  {q['text']['en']}")

    def add_section(self) -> None:
        number = len(self.data["sections"]) + 1
        self.data["sections"].append(
            {
                "id": f"section-{number}",
                "title": {"en": _("New section"), "fr": ""},
                "questions": [self._new_question()],
            }
        )
        self.select((number - 1,))

    def _new_question(self) -> dict[str, Any]:
        taken = {q.get("id") for s in self.data["sections"] for q in s.get("questions", [])}
        number = 1
        while f"Q-{number:02d}" in taken:
            number += 1
        return {
            "id": f"Q-{number:02d}",
            "text": {"en": _("New question"), "fr": ""},
            "level": 1,
            "weight": 1,
            "critical": False,
            "answer": {"kind": "compliance"},
            "on_fail": {"note": True, "photo": False, "action": False},
        }

    def add_question(self) -> None:
        path = self.current_path() or (len(self.data["sections"]) - 1,)
        if not self.data["sections"]:
            self.add_section()
            return
        questions = self.data["sections"][path[0]]["questions"]
        at = path[1] + 1 if len(path) > 1 else len(questions)
        questions.insert(at, self._new_question())
        self.select((path[0], at))

    def remove_current(self) -> None:
        path = self.current_path()
        if path is None:
            return
        if len(path) == 1:
            del self.data["sections"][path[0]]
            self._fill_tree()
        else:
            del self.data["sections"][path[0]]["questions"][path[1]]
            self._fill_tree((path[0],))

    def move_current(self, step: int) -> None:
        path = self.current_path()
        if path is None:
            return
        items = self.data["sections"] if len(path) == 1 else self.data["sections"][path[0]]["questions"]
        index = path[-1]
        target = index + step
        if not 0 <= target < len(items):
            return
        items[index], items[target] = items[target], items[index]
        self.select((*path[:-1], target))

    def template_data(self) -> dict[str, Any]:
        data = copy.deepcopy(self.data)
        data["title"] = {"en": self.title_en.text(), "fr": self.title_fr.text()}
        data["thresholds"] = {str(i + 1): spin.value() for i, spin in enumerate(self.thresholds)}
        return data

    def save(self) -> bool:
        try:
            template = parse_template(self.template_data(), self.data.get("id", ""))
            summary = checklists.save_template(self.db, self.actor, self.template_id, template)
        except ArmouryError as error:
            show_error(self, error)
            return False
        self.template_id = summary.id
        self.setWindowTitle(
            _("Checklist {code} v{version}").format(code=summary.code, version=summary.version)
        )
        self.saved.emit(summary)
        return True
