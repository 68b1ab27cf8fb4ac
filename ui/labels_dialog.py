"""Print labels: choose the product, the first free position and the copies, see the sheet, then print
through the system's printer dialog or save a PDF.

The preview and the printer output are painted from the same layout and QR matrix as the PDF
(armoury.labels.render), as vector squares. Long runs go through ui.worker (a cancellable progress dialog;
inline in tests). Every print and PDF is logged by armoury.services.labels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QMouseEvent,
    QPageLayout,
    QPageSize,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from armoury.i18n import _
from armoury.labels.payload import LabelKind
from armoury.labels.products import Corrections, LabelProduct, Placement, placements
from armoury.labels.render import FONT_BOLD, LabelContent, LabelLayout, LabelRunCancelled, layout_label
from armoury.paths import resources_dir
from armoury.services import labels
from armoury.services.labels import PrintJob
from ui.context import AppContext
from ui.errors import show_error, show_message
from ui.worker import Progress, run_task

Record = tuple[LabelKind, int]
PT_PER_MM = 72 / 25.4


@cache
def label_font_family() -> str:
    """Load the bundled DejaVu Sans into Qt (once) so the preview and prints use the PDF's font."""
    family = "DejaVu Sans"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        font_id = QFontDatabase.addApplicationFont(str(resources_dir() / "fonts" / name))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if families:
            family = families[0]
    return family


class LabelSheet:
    """The labels of one run placed on pages; layouts are computed when a page is first painted."""

    def __init__(
        self,
        contents: Sequence[LabelContent],
        product: LabelProduct,
        start: int = 1,
        copies: int = 1,
        corrections: Corrections = Corrections(),
    ) -> None:
        self.product = product
        self.start = start
        self.items = [c for c in contents for _i in range(copies)]
        self.spots = placements(product, len(self.items), start, corrections)
        self._layouts: dict[str, LabelLayout] = {}

    @property
    def page_count(self) -> int:
        return self.spots[-1].page + 1 if self.spots else 1

    def on_page(self, page: int) -> list[tuple[Placement, LabelLayout]]:
        out = []
        for content, spot in zip(self.items, self.spots, strict=True):
            if spot.page == page:
                layout = self._layouts.get(content.payload)
                if layout is None:
                    layout = self._layouts[content.payload] = layout_label(content, self.product)
                out.append((spot, layout))
        return out


def paint_label(painter: QPainter, layout: LabelLayout, left: float, top: float, px_per_mm: float) -> None:
    """Paint one label with its top-left corner at (``left``, ``top``) mm, in device pixels."""
    module = layout.module * px_per_mm
    x0 = (left + layout.qr_x) * px_per_mm
    y0 = (top + layout.qr_y) * px_per_mm
    black = QColor(0, 0, 0)
    for row, column, length in layout.qr.runs():
        painter.fillRect(QRectF(x0 + column * module, y0 + row * module, length * module, module), black)
    family = label_font_family()
    painter.setPen(black)
    for line in layout.lines:
        font = QFont(family)
        font.setBold(line.font == FONT_BOLD)
        font.setPixelSize(max(1, round(line.size / PT_PER_MM * px_per_mm)))
        painter.setFont(font)
        painter.drawText(QPointF((left + line.x) * px_per_mm, (top + line.y) * px_per_mm), line.text)


def paint_page(
    painter: QPainter, sheet: LabelSheet, page: int, px_per_mm: float, outlines: bool = False
) -> None:
    """Paint page ``page`` of ``sheet``; ``outlines`` shows the paper, the cells and used positions."""
    product = sheet.product
    if outlines:
        painter.fillRect(
            QRectF(0, 0, product.page_width * px_per_mm, product.page_height * px_per_mm),
            QColor(255, 255, 255),
        )
        painter.setPen(QPen(QColor(170, 170, 170), 1))
        for position in range(1, product.per_page + 1):
            x, y = product.cell_origin(position)
            cell = QRectF(x * px_per_mm, y * px_per_mm, product.label_width * px_per_mm,
                          product.label_height * px_per_mm)  # fmt: skip
            if page == 0 and position < sheet.start:
                painter.fillRect(cell, QColor(225, 225, 225))  # already used
            painter.drawRoundedRect(cell, 1.5 * px_per_mm, 1.5 * px_per_mm)
    for spot, layout in sheet.on_page(page):
        paint_label(painter, layout, spot.x, spot.y, px_per_mm)


class PositionPicker(QWidget):
    """The sheet as a grid: click the first free label. Positions before it are shown as used."""

    startChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("positionPicker")
        self._columns, self._rows, self._start = 1, 1, 1
        self.setMinimumSize(120, 150)
        self.setToolTip(_("Click the first free label on a partly used sheet."))

    def set_grid(self, columns: int, rows: int) -> None:
        self._columns, self._rows = columns, rows
        self.set_start(min(self._start, columns * rows))
        self.update()

    def start(self) -> int:
        return self._start

    def set_start(self, start: int) -> None:
        start = max(1, min(start, self._columns * self._rows))
        if start != self._start:
            self._start = start
            self.startChanged.emit(start)
        self.update()

    def cell_rect(self, position: int) -> QRectF:
        w = (self.width() - 2) / self._columns
        h = (self.height() - 2) / self._rows
        index = position - 1
        return QRectF(1 + (index % self._columns) * w, 1 + (index // self._columns) * h, w, h)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        for position in range(1, self._columns * self._rows + 1):
            if self.cell_rect(position).contains(event.position()):
                self.set_start(position)
                return

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(QPen(QColor(120, 120, 120), 1))
        for position in range(1, self._columns * self._rows + 1):
            rect = self.cell_rect(position).adjusted(1, 1, -1, -1)
            if position < self._start:
                color = QColor(200, 200, 200)
            elif position == self._start:
                color = QColor(70, 130, 180)
            else:
                color = QColor(255, 255, 255)
            painter.fillRect(rect, color)
            painter.drawRect(rect)
        painter.end()


class LabelPreview(QWidget):
    """One page of the run, drawn exactly as it will print (vector QR squares, same layout)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelPreview")
        self.sheet: LabelSheet | None = None
        self.page = 0
        self.setMinimumSize(360, 420)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_sheet(self, sheet: LabelSheet, page: int = 0) -> None:
        self.sheet = sheet
        self.page = max(0, min(page, sheet.page_count - 1))
        self.update()

    def scale(self) -> float:
        """Pixels per millimetre at which the page fits the widget."""
        if self.sheet is None:
            return 1.0
        product = self.sheet.product
        return min((self.width() - 16) / product.page_width, (self.height() - 16) / product.page_height)

    def page_origin(self) -> QPointF:
        if self.sheet is None:
            return QPointF(0, 0)
        s = self.scale()
        product = self.sheet.product
        return QPointF(
            (self.width() - product.page_width * s) / 2, (self.height() - product.page_height * s) / 2
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(128, 128, 128))
        if self.sheet is not None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.translate(self.page_origin())
            paint_page(painter, self.sheet, self.page, self.scale(), outlines=True)
        painter.end()


class LabelsDialog(QDialog):
    """Preview and print the labels of ``records`` (weapons, racks, areas, facilities, people)."""

    printed = Signal(object)  # PrintJob

    def __init__(self, context: AppContext, records: Sequence[Record], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelsDialog")
        self.setWindowTitle(_("Print labels"))
        self.context = context
        self.records = list(records)
        label_font_family()  # load the fonts on the GUI thread, before any worker paints with them
        self.contents = labels.label_contents(context.db, context.actor, self.records)
        self.products = labels.list_products(context.db, context.actor)
        self.last_job: PrintJob | None = None
        self.status_text = ""
        #: Asks where to save the PDF; replaced in tests (a file dialog would block).
        self.choose_pdf_path: Callable[[], str] = self._ask_pdf_path
        #: Opens the printer dialog; replaced in tests.
        self.open_print_dialog: Callable[[QPrinter], None] = self._open_print_dialog

        self.product = QComboBox()
        self.product.setObjectName("product")
        for product in self.products:
            self.product.addItem(product.display_title, product.name)
        self.picker = PositionPicker()
        self.start = QSpinBox()
        self.start.setObjectName("start")
        self.copies = QSpinBox()
        self.copies.setObjectName("copies")
        self.copies.setRange(1, 100)
        self.preview = LabelPreview()
        self.page_label = QLabel()
        self.previous_page = QPushButton(_("Previous page"))
        self.next_page = QPushButton(_("Next page"))
        self.summary = QLabel()
        self.summary.setObjectName("summary")

        form = QFormLayout()
        form.addRow(_("Label product"), self.product)
        form.addRow(_("First free position"), self.start)
        form.addRow(self.picker)
        form.addRow(_("Copies of each label"), self.copies)
        form.addRow(self.summary)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addStretch(1)
        pages = QHBoxLayout()
        pages.addWidget(self.previous_page)
        pages.addWidget(self.page_label, 1, Qt.AlignmentFlag.AlignCenter)
        pages.addWidget(self.next_page)
        right = QVBoxLayout()
        right.addWidget(self.preview, 1)
        right.addLayout(pages)
        body = QHBoxLayout()
        body.addLayout(side)
        body.addLayout(right, 1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.print_button = self.buttons.addButton(_("Print…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.pdf_button = self.buttons.addButton(_("Save PDF…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        self.print_button.clicked.connect(self.print_labels)
        self.pdf_button.clicked.connect(self.save_pdf)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.buttons)

        self.product.currentIndexChanged.connect(self._product_changed)
        self.start.valueChanged.connect(self.picker.set_start)
        self.picker.startChanged.connect(self.start.setValue)
        self.start.valueChanged.connect(self._refresh)
        self.copies.valueChanged.connect(self._refresh)
        self.previous_page.clicked.connect(lambda: self._go(-1))
        self.next_page.clicked.connect(lambda: self._go(1))
        self.resize(980, 680)
        self._product_changed()

    # --- state ------------------------------------------------------------------------------------------

    def current_product(self) -> LabelProduct:
        return self.products[max(0, self.product.currentIndex())]

    def select_product(self, name: str) -> None:
        self.product.setCurrentIndex(self.product.findData(name))

    def sheet(self, printer: str = "") -> LabelSheet:
        product = self.current_product()
        corrections = labels.corrections_for(self.context.db, product.name, printer)
        return LabelSheet(self.contents, product, self.start.value(), self.copies.value(), corrections)

    def _product_changed(self) -> None:
        product = self.current_product()
        self.start.blockSignals(True)
        self.start.setRange(1, product.per_page)
        self.start.blockSignals(False)
        self.picker.set_grid(product.columns, product.rows)
        self.picker.setEnabled(not product.roll)
        self.start.setEnabled(not product.roll)
        self._refresh()

    def _refresh(self) -> None:
        sheet = LabelSheet(self.contents, self.current_product(), self.start.value(), self.copies.value())
        self.preview.show_sheet(sheet, 0)
        total = len(sheet.items)
        self.summary.setText(
            _("{labels} labels for {records} records on {pages} pages.").format(
                labels=total, records=len(self.contents), pages=sheet.page_count
            )
        )
        self._update_pages()

    def _go(self, step: int) -> None:
        if self.preview.sheet is not None:
            self.preview.show_sheet(self.preview.sheet, self.preview.page + step)
            self._update_pages()

    def _update_pages(self) -> None:
        sheet = self.preview.sheet
        count = sheet.page_count if sheet else 1
        self.page_label.setText(_("Page {page} of {count}").format(page=self.preview.page + 1, count=count))
        self.previous_page.setEnabled(self.preview.page > 0)
        self.next_page.setEnabled(self.preview.page < count - 1)

    # --- PDF --------------------------------------------------------------------------------------------

    def _ask_pdf_path(self) -> str:
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Save labels as PDF"), "labels.pdf", _("PDF (*.pdf)")
        )
        return path

    def save_pdf(self) -> None:
        path = self.choose_pdf_path()
        if not path:
            return
        from pathlib import Path

        product, start, copies = self.current_product(), self.start.value(), self.copies.value()
        db, actor, records = self.context.db, self.context.actor, self.records

        def work(progress: Progress) -> PrintJob:
            return labels.write_pdf(db, actor, records, product, Path(path), start, copies, "", progress)

        run_task(self, _("Writing labels…"), work, self._done, self._failed)

    # --- printer ----------------------------------------------------------------------------------------

    def make_printer(self) -> QPrinter:
        product = self.current_product()
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        size = QPageSize(QSizeF(product.page_width, product.page_height), QPageSize.Unit.Millimeter,
                         product.name, QPageSize.SizeMatchPolicy.FuzzyMatch)  # fmt: skip
        orientation = QPageLayout.Orientation.Portrait
        printer.setPageLayout(
            QPageLayout(size, orientation, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
        )
        printer.setFullPage(True)
        printer.setDocName(_("Armoury labels"))
        return printer

    def _open_print_dialog(self, printer: QPrinter) -> None:
        dialog = QPrintDialog(printer, self)
        dialog.accepted.connect(lambda: self.print_to(printer))
        QDialog.open(dialog)  # the non-blocking window-modal open, not the (receiver, slot) overload

    def print_labels(self) -> None:
        self.open_print_dialog(self.make_printer())

    def print_to(self, printer: QPrinter) -> None:
        """Paint every page on ``printer`` in the worker, then log the print."""
        sheet = self.sheet(printer.printerName())
        product, start, copies = self.current_product(), self.start.value(), self.copies.value()
        db, actor, contents = self.context.db, self.context.actor, self.contents

        def work(progress: Progress) -> PrintJob:
            painter = QPainter()
            if not painter.begin(printer):
                raise OSError(_("The printer could not be opened."))
            px_per_mm = printer.resolution() / 25.4
            done = 0
            try:
                for page in range(sheet.page_count):
                    if page:
                        printer.newPage()
                    paint_page(painter, sheet, page, px_per_mm)
                    done += len(sheet.on_page(page))
                    if progress(done, len(sheet.items)) is False:
                        printer.abort()
                        raise LabelRunCancelled()
            finally:
                painter.end()
            return labels.record_print(db, actor, product, contents, start, copies, "printer")

        run_task(self, _("Printing labels…"), work, self._done, self._failed)

    # --- results ----------------------------------------------------------------------------------------

    def _done(self, job: Any) -> None:
        assert isinstance(job, PrintJob)
        self.last_job = job
        self.status_text = _("{labels} labels printed (print job {job}).").format(
            labels=job.label_count, job=job.id
        )
        self.summary.setText(self.status_text)
        self.printed.emit(job)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, LabelRunCancelled):
            self.status_text = _("Printing was cancelled; nothing was logged.")
            self.summary.setText(self.status_text)
            return
        show_error(self, error)


def open_labels_dialog(
    context: AppContext, records: Sequence[Record], parent: QWidget | None = None
) -> LabelsDialog | None:
    """Open the dialog for ``records`` (window-modal, non-blocking); tells the user if there are none."""
    if not records:
        show_message(parent, _("Select the records to label first."))
        return None
    dialog = LabelsDialog(context, records, parent)
    dialog.open()
    return dialog
