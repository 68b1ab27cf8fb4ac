"""The frame every editing dialog shares: labelled fields with a message line under each, Save / Cancel.

A subclass adds its fields with :meth:`FormDialog.add_field`, and implements ``collect()`` (read the
widgets into the service's data class, plus problems found while reading, e.g. a year that is not a
number), ``check(data)`` (the service's pure ``check_*`` function) and ``save(data)`` (the service call).
Messages appear only for fields the user has touched (all of them once Save is pressed); Save stays
disabled while a shown message is unresolved. A refused save (duplicate code...) puts the message next to the field
it names; other errors go to the one error dialog (ui/errors.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from armoury.errors import ArmouryError
from armoury.services.fields import FieldProblem
from ui.context import AppContext
from ui.errors import show_error

ERROR_STYLE = "color: #b02020;"


class FormDialog(QDialog):
    """A form dialog; ``saved`` carries what the service returned."""

    saved = Signal(object)

    def __init__(self, context: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(title)
        self.setModal(True)
        self.result_value: Any = None
        self.messages: dict[str, QLabel] = {}
        self.widgets: dict[str, QWidget] = {}
        self.holders: dict[str, QWidget] = {}
        self._touched: set[str] = set()
        self._ready = False  # set by finish(): no validation while the form is being built
        self._server_problems: dict[str, str] = {}
        outer = QVBoxLayout(self)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(self.form)
        self.body = outer
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

    # --- building --------------------------------------------------------------------------------------

    @property
    def save_button(self) -> QAbstractButton:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        assert button is not None
        return button

    def add_field(self, name: str, label: str, widget: QWidget, tip: str = "") -> QWidget:
        """Add ``widget`` under ``label`` with a message line for field ``name``."""
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(widget)
        message = QLabel()
        message.setObjectName(f"message_{name}")
        message.setStyleSheet(ERROR_STYLE)
        message.setWordWrap(True)
        message.hide()
        column.addWidget(message)
        if tip:
            widget.setToolTip(tip)
        widget.setObjectName(name)
        self.form.addRow(label, holder)
        self.messages[name] = message
        self.widgets[name] = widget
        self.holders[name] = holder
        self._watch(name, widget)
        return widget

    def _watch(self, name: str, widget: QWidget) -> None:
        def changed(*_args: object) -> None:
            self._touched.add(name)
            self._server_problems.pop(name, None)
            self.validate()

        if isinstance(widget, QLineEdit | QPlainTextEdit):
            widget.textChanged.connect(changed)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(changed)
        elif isinstance(widget, QSpinBox):
            widget.valueChanged.connect(changed)
        elif isinstance(widget, QDateEdit):
            widget.dateChanged.connect(changed)
        elif isinstance(widget, QCheckBox):
            widget.toggled.connect(changed)

    # --- to implement ----------------------------------------------------------------------------------

    def collect(self) -> tuple[Any, list[FieldProblem]]:
        raise NotImplementedError

    def check(self, data: Any) -> Sequence[FieldProblem]:
        raise NotImplementedError

    def save(self, data: Any) -> Any:
        raise NotImplementedError

    # --- validation ------------------------------------------------------------------------------------

    def problems(self) -> list[FieldProblem]:
        data, problems = self.collect()
        if data is not None:
            problems = [*problems, *self.check(data)]
        problems += [FieldProblem(f, m) for f, m in self._server_problems.items()]
        return problems

    def finish(self) -> None:
        """Call at the end of a subclass's __init__: the form is complete, validate from now on."""
        self._ready = True
        self.validate()

    def validate(self) -> list[FieldProblem]:
        """Show the problems of touched fields next to them; enable Save only when there are none."""
        if not self._ready:
            return []
        problems = self.problems()
        shown: dict[str, str] = {}
        for problem in problems:
            if problem.field in self._touched and problem.field not in shown:
                shown[problem.field] = problem.message
        for name, label in self.messages.items():
            text = shown.get(name, "")
            label.setText(text)
            label.setVisible(bool(text))
        # Save stays available while the only problems are in untouched fields: pressing it shows them.
        self.save_button.setEnabled(not shown)
        return problems

    def set_field_visible(self, name: str, visible: bool) -> None:
        self.form.setRowVisible(self.holders[name], visible)

    def message(self, name: str) -> str:
        label = self.messages.get(name)
        return label.text() if label is not None and label.isVisibleTo(self) else ""

    # --- saving ----------------------------------------------------------------------------------------

    def accept(self) -> None:
        self._touched.update(self.messages)
        if self.validate():
            return
        data, _problems = self.collect()
        if not self.before_save(data):
            return
        self.do_save(data)

    def before_save(self, data: Any) -> bool:
        """A last look before saving (e.g. the look-alike serial warning); False stops the save."""
        return True

    def do_save(self, data: Any) -> None:
        try:
            result = self.save(data)
        except ArmouryError as error:
            field = getattr(error, "field", None) or error.details
            if field in self.messages:
                self._server_problems[field] = error.message
                self._touched.add(field)
                self.validate()
                widget = self.widgets[field]
                widget.setFocus(Qt.FocusReason.OtherFocusReason)
            else:
                show_error(self, error)
            return
        self.result_value = result
        self.saved.emit(result)
        super().accept()


def text_of(widget: QWidget) -> str:
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    raise TypeError(type(widget))


def optional_int(text: str, name: str, message: str, problems: list[FieldProblem]) -> int | None:
    value = text.strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        problems.append(FieldProblem(name, message))
        return None


def optional_float(text: str, name: str, message: str, problems: list[FieldProblem]) -> float | None:
    value = text.strip().replace(",", ".")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        problems.append(FieldProblem(name, message))
        return None


def enum_combo(members: Sequence[Any], current: Any = None) -> QComboBox:
    """A combo box of a LabelledEnum's members, showing their translated labels."""
    combo = QComboBox()
    for member in members:
        combo.addItem(member.label, member.value)
    if current is not None:
        combo.setCurrentIndex(max(0, combo.findData(current.value)))
    return combo
