"""The count screen: driven by a barcode scanner, with the result lists beside it.

``CountWindow(db, actor, number=None)`` is what the main window opens from its Counts menu (or from a due
count on the start screen, giving the number to resume). Tabs:

* Count — the scan field (always focused: a USB scanner types the label and Enter), the current place, and
  every scan as a green or red row with its reason at once (duplicate, foreign label, not in its place …).
* List — the expected list, to tick weapons seen (open counts only; the service withholds it in a blind
  count while counting).
* Results — the five result lists, the accuracy, and the resolution of each difference.

Every scan is committed by the service before the row turns green or red, so closing the window or a
power cut loses nothing; reopening the count shows its scans again and resumes at the last place.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.errors import ArmouryError
from armoury.i18n import _
from armoury.models.counts import ResolutionAction
from armoury.security.permissions import Actor, Permission
from armoury.services import count_reconcile, count_reports, count_scan, counts
from armoury.services.count_scan import ScanResult
from ui.errors import show_error, show_message

OK_COLOUR = QColor("#c8efd0")
BAD_COLOUR = QColor("#f8c9cf")
ID_ROLE = Qt.ItemDataRole.UserRole + 1
MAX_ROWS = 500


def _table(name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _item(text: str, colour: QColor | None = None, data: object = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if colour is not None:
        item.setBackground(QBrush(colour))
    if data is not None:
        item.setData(ID_ROLE, data)
    return item


class StartCountDialog(QDialog):
    """Plan a count: facility, type, racks, blind. Opened with ``open()``; ``started`` gives the number."""

    started = Signal(str)

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.actor = db, actor
        self.setObjectName("startCountDialog")
        self.setWindowTitle(_("Start a count"))
        form = QFormLayout(self)
        self.facility = QLineEdit()
        self.facility.setObjectName("facilityField")
        self.type_box = QComboBox()
        self.type_box.setObjectName("typeBox")
        for t in counts.list_count_types(db, actor):
            if t.active:
                self.type_box.addItem(t.name, t.code)
        self.racks = QLineEdit()
        self.racks.setObjectName("racksField")
        self.racks.setPlaceholderText(_("all racks (or codes separated by spaces)"))
        self.blind = QCheckBox(_("Blind count (counters do not see the books)"))
        self.blind.setObjectName("blindBox")
        form.addRow(_("Facility code"), self.facility)
        form.addRow(_("Count type"), self.type_box)
        form.addRow(_("Racks"), self.racks)
        form.addRow("", self.blind)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.start)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def start(self) -> None:
        plan = counts.CountPlan(
            facility=self.facility.text(),
            type_code=str(self.type_box.currentData() or "monthly"),
            racks=self.racks.text().split(),
            blind=self.blind.isChecked(),
        )
        try:
            info = counts.start_count(self.db, self.actor, plan)
        except ArmouryError as exc:
            show_error(self, exc)
            return
        self.started.emit(info.number)
        self.accept()


class CountWindow(QMainWindow):
    """One count at a time: scan, tick, see results, resolve differences, close, print."""

    scanned = Signal(object)  # ScanResult, after it is committed and shown
    count_changed = Signal(str)

    def __init__(
        self, db: Database, actor: Actor, number: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.db, self.actor = db, actor
        self.number: str | None = None
        self.setObjectName("countWindow")
        self.setWindowTitle(_("Counts"))
        central = QWidget()
        layout = QVBoxLayout(central)

        top = QHBoxLayout()
        self.count_box = QComboBox()
        self.count_box.setObjectName("countBox")
        self.count_box.activated.connect(lambda _i: self.open_count(self.count_box.currentData()))
        self.start_button = QPushButton(_("Start a count…"))
        self.start_button.setObjectName("startButton")
        self.start_button.clicked.connect(self.show_start_dialog)
        self.start_button.setEnabled(actor.can(Permission.PLAN_COUNT))
        self.finish_button = QPushButton(_("Finish counting"))
        self.finish_button.setObjectName("finishButton")
        self.finish_button.clicked.connect(self.finish_counting)
        self.close_button = QPushButton(_("Close the count"))
        self.close_button.setObjectName("closeCountButton")
        self.close_button.clicked.connect(self.close_count)
        self.close_button.setEnabled(actor.can(Permission.CLOSE_COUNT))
        for w in (
            QLabel(_("Count")),
            self.count_box,
            self.start_button,
            self.finish_button,
            self.close_button,
        ):
            top.addWidget(w)
        top.addStretch(1)
        layout.addLayout(top)
        self.info = QLabel("")
        self.info.setObjectName("countInfo")
        layout.addWidget(self.info)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("countTabs")
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.tabs)
        self._build_count_tab()
        self._build_list_tab()
        self._build_results_tab()
        self.setCentralWidget(central)
        self.resize(900, 600)
        self.tabs.currentChanged.connect(lambda _i: self._focus_scan_field())
        self.reload_counts()
        if number is not None:
            self.open_count(number)
        elif self.count_box.count():
            self.open_count(self.count_box.itemData(0))

    # --- building ---------------------------------------------------------------------------------

    def _build_count_tab(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.place_label = QLabel("")
        self.place_label.setObjectName("placeLabel")
        self.scan_field = QLineEdit()
        self.scan_field.setObjectName("scanField")
        self.scan_field.setPlaceholderText(_("Scan a rack label, then the weapons on it (or type a serial)"))
        self.scan_field.returnPressed.connect(self.submit_scan)
        self.scan_field.installEventFilter(self)
        self.message = QLabel("")
        self.message.setObjectName("scanMessage")
        self.message.setWordWrap(True)
        self.scan_table = _table("scanTable", [_("Scanned"), _("Result"), _("Place")])
        for w in (self.place_label, self.scan_field, self.message, self.scan_table):
            layout.addWidget(w)
        self.tabs.addTab(page, _("Count"))

    def _build_list_tab(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.list_note = QLabel("")
        self.list_note.setObjectName("listNote")
        self.sheet_table = _table(
            "sheetTable", [_("Serial number"), _("Model"), _("Rack"), _("Slot"), _("Holder"), _("Counted")]
        )
        self.tick_button = QPushButton(_("Seen where the list says"))
        self.tick_button.setObjectName("tickButton")
        self.tick_button.clicked.connect(self.tick_selected)
        for w in (self.list_note, self.sheet_table, self.tick_button):
            layout.addWidget(w)
        self.tabs.addTab(page, _("List"))

    def _build_results_tab(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.accuracy_label = QLabel("")
        self.accuracy_label.setObjectName("accuracyLabel")
        self.result_table = _table(
            "resultTable",
            [
                _("List"),
                _("Serial number"),
                _("Model"),
                _("Expected"),
                _("Found"),
                _("Books now"),
                _("Resolution"),
            ],
        )
        buttons = QHBoxLayout()
        self.resolve_button = QPushButton(_("Settle by the ledger operation"))
        self.resolve_button.setObjectName("resolveButton")
        self.resolve_button.clicked.connect(lambda: self.resolve_selected(None))
        self.reason_field = QLineEdit()
        self.reason_field.setObjectName("reasonField")
        self.reason_field.setPlaceholderText(_("Reason for leaving it open"))
        self.leave_open_button = QPushButton(_("Leave open"))
        self.leave_open_button.setObjectName("leaveOpenButton")
        self.leave_open_button.clicked.connect(lambda: self.resolve_selected(ResolutionAction.LEFT_OPEN))
        for enabled in (self.resolve_button, self.leave_open_button):
            enabled.setEnabled(self.actor.can(Permission.RESOLVE_DISCREPANCY))
        self.sheet_pdf = QPushButton(_("Count sheet PDF…"))
        self.sheet_pdf.clicked.connect(lambda: self._ask_report("sheet"))
        self.report_pdf = QPushButton(_("Discrepancy report PDF…"))
        self.report_pdf.clicked.connect(lambda: self._ask_report("discrepancies"))
        for w in (
            self.resolve_button,
            self.reason_field,
            self.leave_open_button,
            self.sheet_pdf,
            self.report_pdf,
        ):
            buttons.addWidget(w)
        layout.addWidget(self.accuracy_label)
        layout.addWidget(self.result_table)
        layout.addLayout(buttons)
        self.tabs.addTab(page, _("Results"))

    # --- focus: the scanner types into the scan field, always ------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.scan_field
            and event.type() == QEvent.Type.FocusOut
            and self.tabs.currentIndex() == 0
        ):
            QTimer.singleShot(0, self._focus_scan_field)
        return super().eventFilter(watched, event)

    def _focus_scan_field(self) -> None:
        if self.tabs.currentIndex() == 0 and self.isVisible() and QWidgetFocus.free(self):
            self.scan_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self._focus_scan_field()

    # --- counts -------------------------------------------------------------------------------------

    def reload_counts(self) -> None:
        self.count_box.clear()
        try:
            found = counts.list_counts(self.db, self.actor, open_only=True)
        except ArmouryError as exc:
            show_error(self, exc)
            return
        for info in found:
            self.count_box.addItem(f"{info.number} · {info.facility_code} · {info.type_name}", info.number)

    def show_start_dialog(self) -> StartCountDialog:
        dialog = StartCountDialog(self.db, self.actor, self)
        dialog.started.connect(self._started)
        dialog.open()
        return dialog

    def _started(self, number: str) -> None:
        self.reload_counts()
        self.open_count(number)

    def open_count(self, number: str | None) -> None:
        if not number:
            return
        try:
            info = counts.get_count(self.db, self.actor, number)
        except ArmouryError as exc:
            show_error(self, exc)
            return
        self.number = info.number
        index = self.count_box.findData(info.number)
        if index >= 0:
            self.count_box.setCurrentIndex(index)
        blind = _("blind") if info.blind else _("open")
        self.info.setText(
            _("{number} · {facility} · {type} · {blind} · {status}").format(
                number=info.number, facility=info.facility_code, type=info.type_name, blind=blind,
                status=info.status.label,
            )
        )  # fmt: skip
        self._load_scans()
        self.refresh_list()
        self.refresh_results()
        self.count_changed.emit(info.number)
        self._focus_scan_field()

    def _load_scans(self) -> None:
        assert self.number is not None
        self.scan_table.setRowCount(0)
        for line in count_scan.scan_lines(self.db, self.actor, self.number, limit=MAX_ROWS):
            ok = line.kind.value in ("rack", "person", "weapon") and not line.duplicate
            text = _("Duplicate") if line.duplicate else line.kind.label
            self._append_row(line.text, f"{text} {line.weapon}".strip(), line.place, ok, at_end=True)
        place = count_scan.current_place(self.db, self.actor, self.number) if self._is_counter() else ""
        self.place_label.setText(
            _("Place: {place}").format(place=place) if place else _("Scan a rack label to begin.")
        )

    def _is_counter(self) -> bool:
        assert self.number is not None
        info = counts.get_count(self.db, self.actor, self.number)
        return self.actor.user_id in info.counter_ids

    def _append_row(self, scanned: str, result: str, place: str, ok: bool, at_end: bool = False) -> None:
        row = self.scan_table.rowCount() if at_end else 0
        self.scan_table.insertRow(row)
        colour = OK_COLOUR if ok else BAD_COLOUR
        for column, text in enumerate((scanned, result, place)):
            self.scan_table.setItem(row, column, _item(text, colour))
        if self.scan_table.rowCount() > MAX_ROWS:
            self.scan_table.removeRow(self.scan_table.rowCount() - 1)

    # --- scanning -----------------------------------------------------------------------------------

    def submit_scan(self) -> ScanResult | None:
        """Send the scan field's text to the service; the row shows at once, green or red with the reason."""
        text = self.scan_field.text().strip()
        self.scan_field.clear()
        if not text or self.number is None:
            return None
        try:
            result = count_scan.scan(self.db, self.actor, self.number, text)
        except ArmouryError as exc:
            self._show_message(exc.message, False)
            self._append_row(text, exc.message, "", False)
            return None
        self._append_row(result.text, result.message, result.place, result.ok)
        self._show_message(result.message, result.ok)
        if result.kind.value in ("rack", "person"):
            self.place_label.setText(_("Place: {place}").format(place=result.place))
        self.scanned.emit(result)
        return result

    def _show_message(self, text: str, ok: bool) -> None:
        self.message.setText(text)
        colour = OK_COLOUR if ok else BAD_COLOUR
        self.message.setStyleSheet(f"background-color: {colour.name()}; padding: 6px;")
        self.message.setProperty("ok", ok)

    # --- list ---------------------------------------------------------------------------------------

    def refresh_list(self) -> None:
        assert self.number is not None
        self.sheet_table.setRowCount(0)
        lines = count_scan.count_sheet(self.db, self.actor, self.number)
        if lines is None:
            self.list_note.setText(
                _("Blind count: the list of what the books expect is not shown to counters.")
            )
            self.tick_button.setEnabled(False)
            return
        self.list_note.setText(_("{count} weapons expected.").format(count=len(lines)))
        self.tick_button.setEnabled(True)
        self.sheet_table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            values = (line.serial, line.item_type, line.rack, str(line.slot or ""), line.holder,
                      _("yes") if line.counted else "")  # fmt: skip
            for column, text in enumerate(values):
                self.sheet_table.setItem(
                    row, column, _item(text, OK_COLOUR if line.counted else None, line.weapon_id)
                )

    def tick_selected(self) -> None:
        if self.number is None:
            return
        rows = sorted({i.row() for i in self.sheet_table.selectedIndexes()})
        for row in rows:
            item = self.sheet_table.item(row, 0)
            holder = self.sheet_table.item(row, 4)
            weapon_id = int(item.data(ID_ROLE))
            try:
                if holder is not None and holder.text():
                    result = count_scan.seen_with_holder(self.db, self.actor, self.number, weapon_id)
                else:
                    result = count_scan.tick(self.db, self.actor, self.number, weapon_id)
            except ArmouryError as exc:
                show_error(self, exc)
                return
            self._append_row(result.text, result.message, result.place, result.ok)
        self.refresh_list()

    # --- results ------------------------------------------------------------------------------------

    def refresh_results(self) -> None:
        assert self.number is not None
        self.result_table.setRowCount(0)
        try:
            result = count_reconcile.count_result(self.db, self.actor, self.number, in_place_lines=False)
        except ArmouryError as exc:
            self.accuracy_label.setText(exc.message)
            return
        accuracy = "—" if result.accuracy is None else f"{result.accuracy * 100:.1f} %"
        summary = " · ".join(f"{k.label}: {result.counts_by_list.get(k.value, 0)}" for k in result.lists)
        self.accuracy_label.setText(
            _("Accuracy {accuracy} · {summary}").format(accuracy=accuracy, summary=summary)
        )
        for kind, lines in result.lists.items():
            for line in lines:
                row = self.result_table.rowCount()
                self.result_table.insertRow(row)
                bad = kind is not count_reconcile.ResultList.IN_PLACE and not line.resolution
                values = (kind.label, line.serial, line.item_type, line.expected, line.found, line.books_now,
                          line.resolution)  # fmt: skip
                for column, text in enumerate(values):
                    self.result_table.setItem(
                        row, column, _item(text, BAD_COLOUR if bad else None, (line.weapon_id, line.scan_id))
                    )

    def resolve_selected(self, action: ResolutionAction | None) -> None:
        if self.number is None:
            return
        rows = sorted({i.row() for i in self.result_table.selectedIndexes()})
        for row in rows:
            weapon_id, scan_id = self.result_table.item(row, 0).data(ID_ROLE)
            try:
                count_reconcile.resolve(
                    self.db, self.actor, self.number, weapon_id=weapon_id, scan_id=scan_id, action=action,
                    reason=self.reason_field.text(),
                )  # fmt: skip
            except ArmouryError as exc:
                show_error(self, exc)
                break
        self.refresh_results()

    def finish_counting(self) -> None:
        if self.number is None:
            return
        try:
            count_reconcile.finish_counting(self.db, self.actor, self.number)
        except ArmouryError as exc:
            show_error(self, exc)
            return
        self.open_count(self.number)
        self.tabs.setCurrentIndex(2)

    def close_count(self) -> None:
        if self.number is None:
            return
        try:
            result = count_reconcile.close_count(self.db, self.actor, self.number)
        except ArmouryError as exc:
            show_error(self, exc)
            return
        show_message(self, _("Count {number} is closed.").format(number=result.number),
                     _("Ledger checkpoint: {checkpoint}").format(checkpoint=result.close_checkpoint))  # fmt: skip
        number = self.number
        self.reload_counts()
        self.open_count(number)

    def save_report(self, path: Path, kind: str) -> int:
        assert self.number is not None
        return count_reports.write_report(self.db, self.actor, self.number, path, kind)

    def _ask_report(self, kind: str) -> None:
        if self.number is None:
            return
        dialog = QFileDialog(self, _("Save the PDF"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(_("PDF files (*.pdf)"))
        dialog.selectFile(f"{self.number}-{kind}.pdf")
        dialog.fileSelected.connect(lambda name: self._write_report(Path(name), kind))
        dialog.open()

    def _write_report(self, path: Path, kind: str) -> None:
        try:
            pages = self.save_report(path, kind)
        except ArmouryError as exc:
            show_error(self, exc)
            return
        show_message(self, _("{file}: {pages} pages.").format(file=str(path), pages=pages))


class QWidgetFocus:
    """Whether the scan field may take the focus back (not while a dialog of ours is open)."""

    @staticmethod
    def free(window: QMainWindow) -> bool:
        return not any(
            isinstance(child, QDialog) and child.isVisible() for child in window.findChildren(QDialog)
        )


def due_counts_text(db: Database, actor: Actor, today: date | None = None) -> str:
    """One line for the start screen or status bar: how many counts are overdue and due soon."""
    try:
        due = counts.due_counts(db, actor, today or date.today())
    except ArmouryError:
        return ""
    if not due:
        return ""
    overdue = sum(1 for d in due if d.overdue)
    return _("Counts: {overdue} overdue, {soon} due soon").format(overdue=overdue, soon=len(due) - overdue)


def install_count_actions(window: Any) -> dict[str, QAction]:
    """Put "Counts…" and "Start a count…" in the main window's Counts menu (``window.add_action``); the due
    counts are shown by the Today panel (ui/start_panel.py). ``window.context`` gives the database and user."""
    context = window.context
    actions: dict[str, QAction] = {}
    windows: list[CountWindow] = []

    def open_counts() -> CountWindow:
        count_window = CountWindow(context.db, context.actor)
        count_window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        windows[:] = [count_window]
        count_window.show()
        return count_window

    def start_count() -> None:
        open_counts().show_start_dialog()

    show = QAction(_("Counts…"), window)
    show.setObjectName("actionCounts")
    show.triggered.connect(open_counts)
    actions["counts"] = window.add_action("counts", show)
    if context.actor.can(Permission.PLAN_COUNT):
        start = QAction(_("Start a count…"), window)
        start.setObjectName("actionStartCount")
        start.triggered.connect(start_count)
        actions["start"] = window.add_action("counts", start)
    return actions
