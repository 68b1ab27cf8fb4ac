"""The report centre: pick a report and its parameters, generate it in the background, preview its pages,
print it through the system dialog, save the PDF or export CSV / XLSX / JSON.

The main window opens it with ``ReportCentre(db, actor, parent, facility_codes=[...]).show()``. Every print,
save and export is written to the security audit trail by the core (``record_output``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.i18n import _
from armoury.security.permissions import Actor
from ui.worker import Progress, Task, run_task

PREVIEW_DPI = 96


@dataclass(frozen=True)
class GeneratedReport:
    """What a generation produced: the report's content, its PDF, and its pages as images."""

    report: Any  # armoury.reports.base.ReportData (imported lazily: ReportLab loads after the window)
    pdf: bytes
    pages: tuple[QImage, ...]


def render_pages(pdf: bytes, dpi: int = PREVIEW_DPI) -> list[QImage]:
    """Rasterize each page of ``pdf`` (QImage is safe to build off the GUI thread)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    images = []
    try:
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=dpi / 72)
            pil = bitmap.to_pil().convert("RGB")
            data = pil.tobytes("raw", "RGB")
            image = QImage(data, pil.width, pil.height, pil.width * 3, QImage.Format.Format_RGB888).copy()
            images.append(image)
            page.close()
    finally:
        document.close()
    return images


class ReportCentre(QDialog):
    """Pick, generate, preview, print, save and export any report of the catalogue."""

    generated = Signal()

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        facility_codes: Sequence[str] = (),
    ) -> None:
        super().__init__(parent)
        from armoury.reports.catalogue import REPORTS

        self.db = db
        self.actor = actor
        self.specs = list(REPORTS)
        self.generated_report: GeneratedReport | None = None
        self.task: Task | None = None
        self.setWindowTitle(_("Report centre"))
        self.resize(1100, 760)

        self.list = QListWidget()
        for spec in self.specs:
            item = QListWidgetItem(_(spec.title))
            item.setToolTip(_(spec.description))
            self.list.addItem(item)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.fields: dict[str, QLineEdit | QComboBox] = {}
        self.facility_codes = list(facility_codes)

        self.generate_button = QPushButton(_("Generate"))
        self.print_button = QPushButton(_("Print…"))
        self.save_button = QPushButton(_("Save PDF…"))
        self.export_format = QComboBox()
        for fmt in ("csv", "xlsx", "json"):
            self.export_format.addItem(fmt.upper(), fmt)
        self.export_button = QPushButton(_("Export…"))
        for button in (self.print_button, self.save_button, self.export_button):
            button.setEnabled(False)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(QLabel(_("Reports")))
        left_layout.addWidget(self.list, 1)
        left_layout.addWidget(self.description)
        left_layout.addWidget(self.form_host)
        left_layout.addWidget(self.generate_button)
        actions = QHBoxLayout()
        actions.addWidget(self.print_button)
        actions.addWidget(self.save_button)
        left_layout.addLayout(actions)
        exports = QHBoxLayout()
        exports.addWidget(self.export_format)
        exports.addWidget(self.export_button)
        left_layout.addLayout(exports)

        self.pages_host = QWidget()
        self.pages_layout = QVBoxLayout(self.pages_host)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.status = QLabel(_("Pick a report, fill in its parameters and press Generate."))
        self.pages_layout.addWidget(self.status)
        self.preview = QScrollArea()
        self.preview.setWidgetResizable(True)
        self.preview.setWidget(self.pages_host)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 780])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        self.list.currentRowChanged.connect(self._select)
        self.generate_button.clicked.connect(self.generate)
        self.print_button.clicked.connect(self.print_with_dialog)
        self.save_button.clicked.connect(self.save_with_dialog)
        self.export_button.clicked.connect(self.export_with_dialog)
        self.list.setCurrentRow(0)

    # parameters -------------------------------------------------------------------------------------

    @property
    def spec(self) -> Any:
        return self.specs[max(0, self.list.currentRow())]

    def select_report(self, name: str) -> None:
        names = [s.name for s in self.specs]
        self.list.setCurrentRow(names.index(name))

    def _select(self, _row: int) -> None:
        previous = {name: self.value(name) for name in self.fields}
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        spec = self.spec
        self.description.setText(_(spec.description))
        for parameter in spec.parameters:
            field: QLineEdit | QComboBox
            if parameter.name == "facility" and self.facility_codes:
                field = QComboBox()
                field.setEditable(True)
                field.addItems(self.facility_codes)
            else:
                field = QLineEdit()
                field.setPlaceholderText(_("required") if parameter.required else _("optional"))
            self.fields[parameter.name] = field
            self.form.addRow(_(parameter.label), field)
            if previous.get(parameter.name):
                self.set_value(parameter.name, previous[parameter.name])

    def value(self, name: str) -> str:
        field = self.fields[name]
        return (field.currentText() if isinstance(field, QComboBox) else field.text()).strip()

    def set_value(self, name: str, value: str) -> None:
        field = self.fields[name]
        if isinstance(field, QComboBox):
            field.setCurrentText(value)
        else:
            field.setText(value)

    def parameters(self) -> dict[str, str]:
        return {name: self.value(name) for name in self.fields if self.value(name)}

    # generating -------------------------------------------------------------------------------------

    def generate(self) -> None:
        """Build the report and its PDF in the background, then show its pages."""
        from armoury.reports.catalogue import build_report
        from armoury.reports.style import ReportCancelled

        db, actor, name, params = self.db, self.actor, self.spec.name, self.parameters()

        def work(progress: Progress) -> GeneratedReport:
            from armoury.reports.base import OutputFormat, write_report

            progress(0, 0)
            report = build_report(db, actor, name, params)

            def pages_done(pages: int) -> None:
                if not progress(pages, 0):
                    raise ReportCancelled

            buffer = io.BytesIO()
            write_report(report, OutputFormat.PDF, buffer, pages_done)
            pdf = buffer.getvalue()
            return GeneratedReport(report, pdf, tuple(render_pages(pdf)))

        self.generate_button.setEnabled(False)
        self.status.setText(_("Generating…"))
        self.task = run_task(self, _("Generating the report…"), work, self._show, self._failed)

    def _failed(self, error: BaseException) -> None:
        from armoury.reports.style import ReportCancelled

        self.generate_button.setEnabled(True)
        if isinstance(error, ReportCancelled):
            self.status.setText(_("Cancelled."))
            return
        self.status.setText(str(error))
        from ui.errors import show_error

        if not Task.inline:
            show_error(self, error)

    def _show(self, result: GeneratedReport) -> None:
        self.generated_report = result
        self.generate_button.setEnabled(True)
        while self.pages_layout.count() > 1:
            item = self.pages_layout.takeAt(1)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.status.setText(
            _("{title}: {pages} page(s).").format(title=result.report.title, pages=len(result.pages))
        )
        for image in result.pages:
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            label.setStyleSheet("border: 1px solid #888; background: white;")
            self.pages_layout.addWidget(label)
        self.print_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self.export_button.setEnabled(result.report.external_pdf is None)
        self.generated.emit()

    # output -----------------------------------------------------------------------------------------

    def save_pdf(self, path: str | Path) -> None:
        from armoury.reports.base import record_output

        assert self.generated_report is not None
        Path(path).write_bytes(self.generated_report.pdf)
        record_output(self.db, self.actor, self.generated_report.report, "pdf")

    def export(self, path: str | Path, fmt: str) -> None:
        from armoury.reports.catalogue import export_report

        assert self.generated_report is not None
        export_report(self.db, self.actor, self.generated_report.report, fmt, Path(path))

    def print_to(self, printer: Any) -> None:
        """Paint every page on ``printer`` (a QPrinter already set up by the print dialog)."""
        from armoury.reports.base import record_output

        assert self.generated_report is not None
        dpi = max(150, min(300, printer.resolution()))
        images = render_pages(self.generated_report.pdf, dpi)
        painter = QPainter()
        if not painter.begin(printer):
            return
        try:
            for n, image in enumerate(images):
                if n:
                    printer.newPage()
                target = painter.viewport()
                scaled = image.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.setViewport(target.x(), target.y(), scaled.width(), scaled.height())
                painter.setWindow(image.rect())
                painter.drawImage(0, 0, image)
                painter.setViewport(target)
        finally:
            painter.end()
        record_output(self.db, self.actor, self.generated_report.report, "pdf", printed=True)

    def print_with_dialog(self) -> None:  # pragma: no cover - needs a person at the dialog
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def save_with_dialog(self) -> None:  # pragma: no cover - needs a person at the dialog
        path, _filter = QFileDialog.getSaveFileName(self, _("Save the report"), "", _("PDF (*.pdf)"))
        if path:
            self.save_pdf(path if path.lower().endswith(".pdf") else path + ".pdf")

    def export_with_dialog(self) -> None:  # pragma: no cover - needs a person at the dialog
        fmt = str(self.export_format.currentData())
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Export the report"), "", f"{fmt.upper()} (*.{fmt})"
        )
        if path:
            self.export(path if path.lower().endswith("." + fmt) else f"{path}.{fmt}", fmt)


def open_report_centre(window: Any, report: str | None = None) -> ReportCentre:
    """Open (or raise) the report centre of ``window``, on ``report`` and the selected facility."""
    from datetime import UTC, datetime

    from armoury.services.locations import list_facilities

    context = window.context
    facilities = list_facilities(context.db, context.actor)
    centre: ReportCentre | None = getattr(window, "report_centre", None)
    if centre is None:
        centre = ReportCentre(context.db, context.actor, window, [f.code for f in facilities])
        window.report_centre = centre
    if report:
        centre.select_report(report)
    node = window.current_node() if hasattr(window, "current_node") else None
    if node and node[0] == "facility" and "facility" in centre.fields:
        code = next((f.code for f in facilities if f.id == node[1]), "")
        if code:
            centre.set_value("facility", code)
    if report == "monthly-return" and not centre.value("month"):
        now = datetime.now(UTC)
        centre.set_value("month", f"{now.year:04d}-{now.month:02d}")
    centre.show()
    centre.raise_()
    centre.activateWindow()
    return centre


def install_report_actions(window: Any) -> dict[str, Any]:
    """Add "Report centre…" and "Monthly stock return…" to the window's Reports menu."""
    from PySide6.QtGui import QAction, QKeySequence

    from armoury.security.permissions import Permission

    made: dict[str, Any] = {}
    for key, text, report, shortcut in (
        ("centre", _("Report centre…"), None, "Ctrl+Shift+R"),
        ("monthly", _("Monthly stock return…"), "monthly-return", None),
    ):
        action = QAction(text, window)
        action.setObjectName("actionReportCentre" if key == "centre" else "actionMonthlyReturn")
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False, r=report: open_report_centre(window, r))
        action.setEnabled(window.context.actor.can(Permission.RUN_REPORTS))
        window.add_action("reports", action)
        made[key] = action
    return made
