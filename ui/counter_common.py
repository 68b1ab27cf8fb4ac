"""What every counter screen shares: a scan field, the list of scanned weapons, witnesses, the confirm step.

A counter screen is a non-modal dialog built for a USB barcode scanner and a queue of people:

* every scan lands in the screen's own scan field. The main window's scanner filter only watches widgets
  of the main window (``widget.window() is main window``), so it never sees keys typed into a counter
  dialog; the dialog installs its own :class:`ui.scanner.ScanFilter`, so a scan is caught wherever the
  focus is inside the dialog (a condition box, a button) and never ends up typed into another field;
* each scanned weapon is checked at once by the service's own check
  (:func:`armoury.services.custody.check_weapons`) and its row turns green, or red with the reason; an
  unknown code adds nothing and says so; a weapon scanned twice is flagged and not added again;
* one press on Confirm makes one call to the service with every green weapon (red rows are left out);
  the witness (two-person rule) signs in inside the same dialog, and the check of the password runs in the
  worker with the operation;
* after the operation, the document it produced (hand receipt, transfer voucher, …) can be saved as PDF
  or printed, and the screen is ready for the next person.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QHideEvent, QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from armoury.errors import ValidationError
from armoury.i18n import _
from armoury.models.ledger import LedgerOperation
from armoury.security.permissions import Actor
from armoury.services import custody, locations, settings
from armoury.services.auth import confirm_witness
from armoury.services.custody_common import OperationResult, WeaponResult, WeaponsBlocked
from ui.context import AppContext
from ui.errors import show_error
from ui.scanner import ScanFilter
from ui.witness_dialog import WitnessPanel
from ui.worker import Progress, run_task

GREEN = QColor("#c8e6c9")
RED = QColor("#ffcdd2")
GREY = QColor("#e0e0e0")


class ScanField(QLineEdit):
    """A line a scanner (or a person) types a code into; Enter hands the code on and empties the field."""

    scanned = Signal(str)

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.returnPressed.connect(self._entered)

    def _entered(self) -> None:
        text = self.text().strip()
        self.clear()
        if text:
            self.scanned.emit(text)


class RackPicker(QComboBox):
    """The active racks the user may see, as "FACILITY · RACK name"; an optional first choice."""

    def __init__(self, context: AppContext, first: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first = first
        self.racks: dict[int, locations.RackInfo] = {}
        self.facility_codes: dict[int, str] = {}
        if first:
            self.addItem(first, None)
        for facility in locations.list_facilities(context.db, context.actor):
            self.facility_codes[facility.id] = facility.code
            for rack in locations.list_racks(context.db, context.actor, facility.id):
                self.racks[rack.id] = rack
                self.addItem(rack_text(facility.code, rack), rack.id)

    def choices(self) -> list[tuple[str, int]]:
        """The racks as (text, id), to fill other boxes without reading them again."""
        return [
            (self.itemText(i), self.itemData(i)) for i in range(self.count()) if self.itemData(i) is not None
        ]

    def rack_id(self) -> int | None:
        value = self.currentData()
        return value if isinstance(value, int) else None

    def select_rack(self, rack_id: int | None) -> bool:
        index = self.findData(rack_id)
        if index >= 0:
            self.setCurrentIndex(index)
        return index >= 0

    def code_of(self, rack_id: int | None) -> str:
        rack = self.racks.get(rack_id) if rack_id is not None else None
        return rack.code if rack is not None else ""


def rack_text(facility_code: str, rack: locations.RackInfo) -> str:
    name = f" {rack.name}" if rack.name else ""
    return f"{facility_code} · {rack.code}{name}"


def condition_picker(first: str = "", parent: QWidget | None = None) -> QComboBox:
    from armoury.domain.enums import Condition

    box = QComboBox(parent)
    if first:
        box.addItem(first, None)
    for condition in Condition:
        box.addItem(condition.label, condition.value)
    return box


class Column:
    CODE, WEAPON, WHERE, STATUS = range(4)


class WeaponList(QTableWidget):
    """The weapons scanned so far, green (can take part) or red (with the reason)."""

    def __init__(self, extra_columns: Sequence[str] = (), parent: QWidget | None = None) -> None:
        headers = [_("Scanned"), _("Weapon"), _("Where it is now"), _("Check"), *extra_columns]
        super().__init__(0, len(headers), parent)
        self.setObjectName("weaponList")
        self.setHorizontalHeaderLabels(headers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.results: list[WeaponResult] = []

    def cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.item(row, column)
        assert item is not None
        return item

    def row_of(self, weapon_id: int | None) -> int:
        for row, result in enumerate(self.results):
            if weapon_id is not None and result.weapon_id == weapon_id:
                return row
        return -1

    def add(self, result: WeaponResult) -> int:
        row = self.rowCount()
        self.insertRow(row)
        self.results.append(result)
        for column in range(self.columnCount()):
            self.setItem(row, column, QTableWidgetItem())
        self.show_result(row, result)
        self.scrollToItem(self.cell(row, 0))
        return row

    def show_result(self, row: int, result: WeaponResult, status: str = "") -> None:
        self.results[row] = result
        texts = {
            Column.CODE: result.ref,
            Column.WEAPON: f"{result.item_type} {result.serial}".strip(),
            Column.WHERE: result.before,
            Column.STATUS: status or (result.reason if not result.ok else _("OK")),
        }
        colour = GREEN if result.ok else RED
        for column in range(self.columnCount()):
            item = self.cell(row, column)
            if column in texts:
                item.setText(texts[column])
                item.setToolTip(texts[column])
            item.setBackground(QBrush(colour))

    def mark_done(self, row: int, text: str) -> None:
        self.cell(row, Column.STATUS).setText(text)
        for column in range(self.columnCount()):
            self.cell(row, column).setBackground(QBrush(GREY))

    def colour(self, row: int) -> QColor:
        return self.cell(row, 0).background().color()

    def status(self, row: int) -> str:
        return self.cell(row, Column.STATUS).text()

    def ok_rows(self) -> list[int]:
        return [row for row, result in enumerate(self.results) if result.ok]

    def remove_rows(self, rows: Sequence[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            self.removeRow(row)
            del self.results[row]

    def clear_rows(self) -> None:
        self.setRowCount(0)
        self.results.clear()

    def apply_blocked(self, blocked: WeaponsBlocked) -> None:
        """Colour the rows named by a refusal of the service (someone else acted in between)."""
        for result in blocked.results:
            row = self.row_of(result.weapon_id)
            if row < 0:
                row = next((r for r, old in enumerate(self.results) if old.ref == result.ref), -1)
            if row >= 0 and not result.ok:
                old = self.results[row]
                self.show_result(
                    row,
                    WeaponResult(
                        old.ref, old.weapon_id, old.serial, old.item_type, False, result.reason, old.before
                    ),
                )


def _takes_text(widget: QWidget) -> bool:
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return isinstance(widget, QLineEdit | QPlainTextEdit | QTextEdit | QAbstractSpinBox)


class _DialogScanFilter(ScanFilter):
    """The scanner filter for a counter dialog.

    * A scan field takes its own keys: Enter hands its whole text on (even when a completer popup slowed
      the first characters down).
    * Characters typed on a widget that takes no text (a list, a drop-down box, a button) go to the scan
      field, so a scan never changes a drop-down's choice by keyboard search and always reaches the field.
    * A fast burst typed into another text field is a scan: taken back out of the field, handed on.
    """

    def __init__(self, dialog: QWidget, field: ScanField) -> None:
        super().__init__(dialog)
        self.field = field

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if isinstance(obj, ScanField) or event.type() != QEvent.Type.KeyPress or not self._in_scope(obj):
            return False
        assert isinstance(obj, QWidget) and isinstance(event, QKeyEvent)
        if not _takes_text(obj) and not isinstance(obj, QDialog):
            char = event.text()
            plain = not event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
            )
            if char and char.isprintable() and plain:
                self.field.setFocus()
                self.field.insert(char)
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.field.text():
                self.field.returnPressed.emit()
                return True
        return super().eventFilter(obj, event)


class _ScanRouter(QObject):
    """Install the dialog's scan filter on the application while the dialog is shown."""

    def __init__(self, dialog: QWidget, field: ScanField, handle: Callable[[str], None]) -> None:
        super().__init__(dialog)
        self.filter = _DialogScanFilter(dialog, field)
        self.filter.scanned.connect(handle)
        self.installed = False

    def install(self) -> None:
        app = QApplication.instance()
        if app is not None and not self.installed:
            app.installEventFilter(self.filter)
            self.installed = True

    def remove(self) -> None:
        app = QApplication.instance()
        if app is not None and self.installed:
            app.removeEventFilter(self.filter)
            self.installed = False


@dataclass(frozen=True)
class Documents:
    """The PDF a screen can give after its operation: a function of armoury.reports.custody_documents."""

    function: str  # e.g. "hand_receipt_pdf"
    title: str  # e.g. "hand receipt", translated


def document_function(name: str) -> Callable[..., int] | None:
    """The custody document writer ``name`` when the reports module provides it (else the hook is idle)."""
    try:
        module = importlib.import_module("armoury.reports.custody_documents")
    except ImportError:  # pragma: no cover - the reports module is part of the product
        return None
    found = getattr(module, name, None)
    return found if callable(found) else None


class CounterDialog(QDialog):
    """A counter screen: scan weapons, check each at once, confirm one operation for all the green ones.

    Subclasses set ``operation`` (for the per-weapon check), ``witness_action`` (settings name of the
    two-person rule, or None), ``witnesses_needed`` (forced number, destruction: 2), ``documents``, and
    implement :meth:`build_form` (their own fields), :meth:`collect` (read the fields on the GUI thread,
    raise ValidationError for a missing value) and :meth:`perform` (the service call, run in the worker).
    """

    operation: LedgerOperation = LedgerOperation.ISSUE
    title_text = ""
    confirm_text = ""
    witness_action: str | None = None
    witnesses_needed: int | None = None
    documents: Documents | None = None

    checked = Signal(object)  # WeaponResult, or None when the code named nothing or was a duplicate
    completed = Signal(object)  # OperationResult (or a list of them)
    failed = Signal(object)  # the exception

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.db = context.db
        self.actor = context.actor
        self.setWindowTitle(self.title_text)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.last_result: OperationResult | None = None
        self.message_text = ""
        self.saved_documents: list[Path] = []

        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.scan_field = ScanField(_("Scan a weapon's label or type its serial number, then Enter"))
        self.scan_field.setObjectName("scanField")
        self.scan_field.scanned.connect(self.handle_scan)
        self.build_form(self.form)
        self.form.addRow(_("Weapon"), self.scan_field)
        self.weapon_list = WeaponList(self.extra_columns())
        layout.addWidget(self.weapon_list, 1)
        remove_row = QHBoxLayout()
        self.remove_button = QPushButton(_("Remove selected"))
        self.remove_button.setObjectName("removeButton")
        self.remove_button.clicked.connect(self.remove_selected)
        remove_row.addWidget(self.remove_button)
        remove_row.addStretch(1)
        layout.addLayout(remove_row)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.weapon_list, self.remove_selected)

        self.message = QLabel()
        self.message.setObjectName("messageLabel")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

        self.witness_panels: list[WitnessPanel] = []
        for _n in range(self.witness_count()):
            panel = WitnessPanel(self.db, self.actor, self)
            self.witness_panels.append(panel)
            layout.addWidget(panel)
        if len(self.witness_panels) > 1:
            for number, panel in enumerate(self.witness_panels, start=1):
                panel.setTitle(_("Witness {number}").format(number=number))

        self.after_box = QWidget()
        after = QHBoxLayout(self.after_box)
        after.setContentsMargins(0, 0, 0, 0)
        self.save_button = QPushButton(_("Save PDF…"))
        self.save_button.setObjectName("saveDocumentButton")
        self.save_button.clicked.connect(self.save_document_with_dialog)
        self.print_button = QPushButton(_("Print…"))
        self.print_button.setObjectName("printDocumentButton")
        self.print_button.clicked.connect(self.print_document)
        after.addWidget(self.save_button)
        after.addWidget(self.print_button)
        after.addStretch(1)
        self.after_box.hide()
        layout.addWidget(self.after_box)

        buttons = QHBoxLayout()
        self.next_button = QPushButton(_("Next"))
        self.next_button.setObjectName("nextButton")
        self.next_button.setToolTip(_("Empty the screen for the next person"))
        self.next_button.clicked.connect(self.reset)
        self.confirm_button = QPushButton(self.confirm_text or _("Confirm"))
        self.confirm_button.setObjectName("confirmButton")
        self.confirm_button.clicked.connect(self.confirm)
        close = QPushButton(_("Close"))
        close.setObjectName("closeButton")
        close.clicked.connect(self.close)
        buttons.addWidget(self.next_button)
        buttons.addStretch(1)
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)

        # Enter belongs to the scan fields: no button of a counter screen is pressed by it.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        for panel in self.witness_panels:
            panel.password.returnPressed.connect(self.confirm_if_ready)
        self.scanner = _ScanRouter(self, self.scan_field, self.handle_scan)
        self.resize(820, 560)
        self.update_confirm()

    # --- what subclasses change -----------------------------------------------------------------------

    def build_form(self, form: QFormLayout) -> None:
        """Add the screen's own fields above the scan field."""

    def extra_columns(self) -> Sequence[str]:
        return ()

    def collect(self) -> dict[str, Any]:
        """Read the screen's own fields (GUI thread); raise ValidationError when one is missing."""
        return {}

    def perform(self, refs: list[str], witnesses: list[Actor], values: dict[str, Any]) -> Any:
        """Call the service (worker thread): return its OperationResult."""
        raise NotImplementedError

    def done_text(self, result: OperationResult) -> str:
        return _("Done: ledger entry {seq}, {count} weapons.").format(
            seq=result.seq, count=len(result.weapons)
        )

    def took_other(self, result: WeaponResult, extra: Any) -> bool:
        """A code that names no weapon may name something else the screen wants (a rack): take it."""
        return False

    def add_weapon_ids(self, weapon_ids: Sequence[int]) -> None:
        """Put weapons chosen in the main window on the list, as if scanned."""
        for weapon_id in weapon_ids:
            self.scan_weapon(f"#{weapon_id}")

    def after_added(self, row: int, result: WeaponResult, extra: Any) -> None:
        """A green or red row was just added (the return screen adds its condition and rack boxes)."""

    def witness_count(self) -> int:
        if self.witnesses_needed is not None:
            return self.witnesses_needed
        if self.witness_action is None:
            return 0
        try:
            return 1 if settings.requires_witness(self.db, self.witness_action) else 0
        except ValueError:
            return 0

    # --- scanning -------------------------------------------------------------------------------------

    def handle_scan(self, text: str) -> None:
        """A code scanned anywhere in the dialog or typed in the scan field."""
        self.scan_weapon(text)

    def scan_weapon(self, text: str) -> None:
        code = text.strip()
        if not code:
            return

        def work(_progress: Progress) -> tuple[WeaponResult, Any]:
            return self.check(code)

        run_task(self, _("Checking…"), work, self._checked, self._check_failed, quiet=True)

    def check(self, code: str) -> tuple[WeaponResult, Any]:
        """(Worker thread) the service's verdict on one scanned code, and anything the row needs."""
        return custody.check_weapons(self.db, self.actor, self.operation, [code])[0], None

    def _checked(self, checked: tuple[WeaponResult, Any]) -> None:
        result, extra = checked
        if result.weapon_id is None and self.took_other(result, extra):
            self.checked.emit(None)
            return
        if result.weapon_id is None:
            self.say(result.reason or _("Nothing has the code {code}.").format(code=result.ref), error=True)
            self.checked.emit(None)
            return
        existing = self.weapon_list.row_of(result.weapon_id)
        if existing >= 0:
            self.weapon_list.selectRow(existing)
            self.say(
                _("{weapon} is already in the list.").format(
                    weapon=f"{result.item_type} {result.serial}".strip()
                ),
                error=True,
            )
            self.checked.emit(None)
            return
        row = self.weapon_list.add(result)
        self.after_added(row, result, extra)
        if result.ok:
            self.say(_("{weapon}: OK.").format(weapon=f"{result.item_type} {result.serial}"))
        else:
            self.say(result.reason, error=True)
        self.update_confirm()
        self.checked.emit(result)

    def _check_failed(self, error: BaseException) -> None:
        show_error(self, error)
        self.checked.emit(None)

    def say(self, text: str, error: bool = False) -> None:
        self.message_text = text
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020; font-weight: bold;" if error else "color: #1b5e20;")

    def remove_selected(self) -> None:
        rows = [index.row() for index in self.weapon_list.selectionModel().selectedRows()]
        self.weapon_list.remove_rows(rows)
        self.update_confirm()

    def update_confirm(self) -> None:
        count = len(self.weapon_list.ok_rows())
        self.confirm_button.setEnabled(count > 0)

    # --- confirming -----------------------------------------------------------------------------------

    def ok_refs(self) -> list[str]:
        return [self.weapon_list.results[row].ref for row in self.weapon_list.ok_rows()]

    def take_witness_credentials(self) -> list[tuple[str, str]]:
        """User names and passwords typed in the witness panels (the password fields are cleared)."""
        out = []
        for panel in self.witness_panels:
            out.append((panel.username.text(), panel.password.text()))
            panel.password.clear()
        return out

    def confirm(self) -> None:
        refs = self.ok_refs()
        try:
            if not refs and self.needs_weapons():
                raise ValidationError(
                    _("No weapon can take part yet."), _("Scan the weapons; only green rows are used.")
                )
            values = self.collect()
        except ValidationError as error:
            show_error(self, error)
            self.failed.emit(error)
            return
        credentials = self.take_witness_credentials()
        db, actor = self.db, self.actor

        def work(_progress: Progress) -> Any:
            witnesses = [confirm_witness(db, actor, name, password) for name, password in credentials]
            return self.perform(refs, witnesses, values)

        self.confirm_button.setEnabled(False)
        run_task(self, _("Recording…"), work, self._done, self._failed)

    def confirm_if_ready(self) -> None:
        """Enter in the last witness password confirms, as the Confirm button would."""
        if self.confirm_button.isEnabled():
            self.confirm()

    def needs_weapons(self) -> bool:
        return True

    def _done(self, result: Any) -> None:
        results = result if isinstance(result, list) else [result]
        for one in results:
            if isinstance(one, OperationResult):
                self.last_result = one
                for weapon in one.weapons:
                    row = self.weapon_list.row_of(weapon.weapon_id)
                    if row >= 0:
                        self.weapon_list.mark_done(row, weapon.after or _("Done"))
        if self.last_result is not None:
            self.say(self.done_text(self.last_result))
        self.after_box.setVisible(self.documents is not None and self.last_result is not None)
        if self.documents is not None:
            self.save_button.setText(_("Save {document} PDF…").format(document=self.documents.title))
            self.print_button.setText(_("Print {document}…").format(document=self.documents.title))
        self.update_confirm()
        refresh = getattr(self.parent(), "refresh", None)
        if callable(refresh):
            refresh()
        self.completed.emit(result)
        for one in results:
            if isinstance(one, BaseException):  # a later part was refused: the earlier parts stand
                self._failed(one)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, WeaponsBlocked):
            self.weapon_list.apply_blocked(error)
        self.update_confirm()
        show_error(self, error)
        self.failed.emit(error)

    def reset(self) -> None:
        """Ready for the next person: empty the list and the result, keep the screen's settings."""
        self.weapon_list.clear_rows()
        self.last_result = None
        self.after_box.hide()
        self.say("")
        self.update_confirm()
        self.scan_field.setFocus()

    # --- the document ---------------------------------------------------------------------------------

    def document_ref(self) -> str:
        return self.last_result.document_ref if self.last_result is not None else ""

    def save_document(self, path: str | Path) -> None:
        """Write the operation's document as a PDF (in the worker)."""
        assert self.documents is not None
        writer = document_function(self.documents.function)
        ref = self.document_ref()
        if writer is None or not ref:
            show_error(self, ValidationError(_("This document cannot be produced here."), ""))
            return
        db, actor, target = self.db, self.actor, Path(path)

        def work(_progress: Progress) -> Path:
            writer(db, actor, ref, target)
            return target

        run_task(self, _("Writing the PDF…"), work, self.saved_documents.append)

    def save_document_with_dialog(self) -> None:  # pragma: no cover - needs a person at the dialog
        from PySide6.QtWidgets import QFileDialog

        name = f"{self.document_ref() or 'document'}.pdf"
        path, _filter = QFileDialog.getSaveFileName(self, self.save_button.text(), name, "PDF (*.pdf)")
        if path:
            self.save_document(path)

    def print_document(self) -> None:  # pragma: no cover - needs a person at the dialog
        assert self.documents is not None
        writer = document_function(self.documents.function)
        ref = self.document_ref()
        if writer is None or not ref:
            return
        db, actor = self.db, self.actor

        def work(_progress: Progress) -> list[Any]:
            import io

            from ui.report_centre import render_pages

            buffer = io.BytesIO()
            writer(db, actor, ref, buffer)
            return render_pages(buffer.getvalue(), 200)

        run_task(self, _("Preparing the print…"), work, self._print_pages)

    def _print_pages(self, pages: list[Any]) -> None:  # pragma: no cover - needs a printer
        from PySide6.QtGui import QPainter
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
            return
        painter = QPainter()
        if not painter.begin(printer):
            return
        try:
            for number, image in enumerate(pages):
                if number:
                    printer.newPage()
                area = painter.viewport()
                size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(0, 0, image.scaled(size))
        finally:
            painter.end()

    # --- the dialog's own scanner filter ---------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        self.scanner.install()
        super().showEvent(event)
        self.scan_field.setFocus()

    def hideEvent(self, event: QHideEvent) -> None:
        self.scanner.remove()
        super().hideEvent(event)
