"""The flowables written for Armoury's reports: :class:`DataTable` for long listings (thousands of rows, a
header row repeated on every page, never a row cut across two pages) and :class:`VectorImage` for QR codes
drawn as vector squares."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from armoury.reports.pdf_theme import (
    ALERT,
    ALERT_FILL,
    FONT,
    FONT_BOLD,
    GRID,
    HEADER_FILL,
    INK,
    RULE,
    SECTION_FILL,
    ZEBRA_FILL,
    Cell,
    Section,
    cell_text,
    register_fonts,
)

# --------------------------------------------------------------------------------------------- tables


class DataTable(Flowable):  # type: ignore[misc]
    """A listing with fixed column widths, plain-text cells, a header row repeated on every page.

    Rows are measured once (the measurements are shared by the pieces a page break makes) and a page break
    only ever falls between two rows. A cell wraps onto several lines when its text is wider than its
    column (at most ``max_lines``; longer text is cut with "…"). Rows may be :class:`Section` titles.
    """

    font_size = 8.0
    header_font_size = 6.2
    leading = 10.0
    pad_x = 3.0
    pad_y = 2.6

    def __init__(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Any] | Section],
        col_widths: Sequence[float],
        numeric_columns: Iterable[int] = (),
        total_rows: int = 0,
        max_lines: int = 6,
        zebra: bool = True,
        *,
        _shared: _TableLayout | None = None,
        _start: int = 0,
        _end: int | None = None,
    ) -> None:
        super().__init__()
        register_fonts()
        self.header = list(header)
        self.rows = rows
        self.numeric = frozenset(numeric_columns)
        self.total_rows = total_rows
        self.zebra = zebra
        self.max_lines = max_lines
        self.requested_widths = [float(w) for w in col_widths]
        if len(self.requested_widths) != len(self.header):
            raise ValueError("one column width per header cell")
        self._layout = _shared or _TableLayout(self)
        self._start = _start
        self._end = len(rows) if _end is None else _end
        self._fit_end = self._start  # rows [start, fit_end) measured by the last wrap()

    # platypus protocol ---------------------------------------------------------------------------

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        layout = self._layout
        layout.resolve_widths(availWidth)
        height = layout.header_height
        index = self._start
        # Measure only as far as the page can go: the rest is measured when its own page comes.
        while index < self._end and height <= availHeight:
            height += layout.row_height(index)
            index += 1
        self._fit_end = index
        self.width, self.height = layout.total_width, height
        return self.width, height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        layout = self._layout
        layout.resolve_widths(availWidth)
        height = layout.header_height
        index = self._start
        while index < self._end:
            row_h = layout.row_height(index)
            if height + row_h > availHeight:
                break
            height += row_h
            index += 1
        # The total rows never start a page alone: the last ordinary row goes with them.
        first_total = len(self.rows) - self.total_rows
        if self.total_rows and first_total <= index < self._end and first_total - 1 > self._start:
            index = first_total - 1
        # Keep at least one data row with the header; a lonely header moves to the next page.
        if index == self._start or (index == self._start + 1 and isinstance(self.rows[index - 1], Section)):
            return []
        return [self._piece(self._start, index), self._piece(index, self._end)]

    def _piece(self, start: int, end: int) -> DataTable:
        return DataTable(
            self.header,
            self.rows,
            self.requested_widths,
            self.numeric,
            self.total_rows,
            self.max_lines,
            self.zebra,
            _shared=self._layout,
            _start=start,
            _end=end,
        )

    def draw(self) -> None:
        self._layout.draw(self.canv, self._start, self._end)


class _TableLayout:
    """Column widths and row heights of one :class:`DataTable`, shared by its page pieces."""

    def __init__(self, table: DataTable) -> None:
        self.table = table
        self.widths: list[float] = []
        self.total_width = 0.0
        self.heights: list[float] = []
        self.lines_cache: dict[int, list[list[str]]] = {}
        self.header_lines: list[list[str]] = []
        self.header_height = 0.0

    def resolve_widths(self, avail: float) -> None:
        if self.widths:
            return
        requested = self.table.requested_widths
        total = sum(requested)
        scale = min(1.0, avail / total) if total > 0 else 1.0
        self.widths = [w * scale for w in requested]
        self.total_width = sum(self.widths)
        t = self.table
        self.header_lines = [
            self._wrap_text(str(h), w, FONT_BOLD, t.header_font_size, hyphen=True)
            for h, w in zip(t.header, self.widths, strict=False)
        ]
        self.header_height = max(len(lines) for lines in self.header_lines) * t.leading + 2 * t.pad_y

    def _wrap_text(
        self, text: str, width: float, font: str, size: float | None = None, hyphen: bool = False
    ) -> list[str]:
        """Lines of ``text`` that fit the column. A word wider than the column is cut: with a hyphen in
        headings (words), without one in cells (a serial number must not gain a character)."""
        t = self.table
        size = size or t.font_size
        inner = width - 2 * t.pad_x
        if "\n" not in text and pdfmetrics.stringWidth(text, font, size) <= inner:
            return [text]
        mark = "-" if hyphen else ""
        lines: list[str] = []
        for part in text.split("\n"):
            pieces = simpleSplit(part, font, size, inner) or [""]
            for piece in pieces:
                while pdfmetrics.stringWidth(piece, font, size) > inner and len(piece) > 2:
                    cut = len(piece) - 1
                    while cut > 1 and pdfmetrics.stringWidth(piece[:cut] + mark, font, size) > inner:
                        cut -= 1
                    dash = piece.rfind("-", 0, cut + 1)
                    if dash > 0:  # break after a hyphen that is already there ("Fusil-|mitrailleur")
                        lines.append(piece[: dash + 1])
                        piece = piece[dash + 1 :]
                        continue
                    lines.append(piece[:cut] + mark)
                    piece = piece[cut:]
                lines.append(piece)
        if len(lines) > t.max_lines:
            lines = [*lines[: t.max_lines - 1], lines[t.max_lines - 1][:-1] + "…"]
        return lines

    def cell_lines(self, index: int) -> list[list[str]]:
        cached = self.lines_cache.get(index)
        if cached is not None:
            return cached
        row = self.table.rows[index]
        if isinstance(row, Section):
            lines = [self._wrap_text(row.text, self.total_width, FONT_BOLD)]
        else:
            first_total = len(self.table.rows) - self.table.total_rows
            lines = []
            for value, width in zip(row, self.widths, strict=False):
                bold = index >= first_total or (isinstance(value, Cell) and value.bold)
                lines.append(self._wrap_text(cell_text(value), width, FONT_BOLD if bold else FONT))
        self.lines_cache[index] = lines
        return lines

    def row_height(self, index: int) -> float:
        heights = self.heights
        while len(heights) <= index:
            i = len(heights)
            lines = self.cell_lines(i)
            heights.append(max(len(c) for c in lines) * self.table.leading + 2 * self.table.pad_y)
            if len(self.lines_cache) > 4000:
                # Text is re-wrapped when its page is drawn; keep memory flat for 100,000-row listings.
                self.lines_cache.clear()
        return heights[index]

    def draw(self, canv: Canvas, start: int, end: int) -> None:
        t = self.table
        widths = self.widths
        total_w = self.total_width
        heights = [self.header_height] + [self.row_height(i) for i in range(start, end)]
        height = sum(heights)
        xs = [0.0]
        for w in widths:
            xs.append(xs[-1] + w)
        first_total = len(t.rows) - t.total_rows

        canv.saveState()
        # Backgrounds: header, zebra stripes, sections, alerts.
        y = height
        canv.setFillColor(HEADER_FILL)
        canv.rect(0, y - self.header_height, total_w, self.header_height, stroke=0, fill=1)
        y -= self.header_height
        for n, index in enumerate(range(start, end)):
            row_h = heights[n + 1]
            row = t.rows[index]
            if isinstance(row, Section):
                canv.setFillColor(SECTION_FILL)
                canv.rect(0, y - row_h, total_w, row_h, stroke=0, fill=1)
            else:
                if t.zebra and index % 2 == 1 and index < first_total:
                    canv.setFillColor(ZEBRA_FILL)
                    canv.rect(0, y - row_h, total_w, row_h, stroke=0, fill=1)
                for col, value in enumerate(row):
                    if isinstance(value, Cell) and value.alert:
                        canv.setFillColor(ALERT_FILL)
                        canv.rect(xs[col], y - row_h, widths[col], row_h, stroke=0, fill=1)
            y -= row_h

        # Text (font and colour are switched only when they change: a page holds thousands of cells).
        pen = _Pen(canv.beginText(), t.font_size)
        y = height
        pen.size = t.header_font_size
        self._draw_row(pen, self.header_lines, y, [FONT_BOLD] * len(widths), [INK] * len(widths), xs)
        pen.size = t.font_size
        y -= self.header_height
        plain_fonts, plain_inks = [FONT] * len(widths), [INK] * len(widths)
        for n, index in enumerate(range(start, end)):
            row = t.rows[index]
            lines = self.cell_lines(index)
            if isinstance(row, Section):
                self._draw_row(pen, lines, y, [FONT_BOLD], [INK], [0.0, total_w])
            elif index >= first_total:
                self._draw_row(pen, lines, y, [FONT_BOLD] * len(widths), plain_inks, xs)
            elif any(isinstance(value, Cell) for value in row):
                fonts = [FONT_BOLD if isinstance(v, Cell) and v.bold else FONT for v in row]
                inks = [ALERT if isinstance(v, Cell) and v.alert else INK for v in row]
                self._draw_row(pen, lines, y, fonts, inks, xs)
            else:
                self._draw_row(pen, lines, y, plain_fonts, plain_inks, xs)
            y -= heights[n + 1]
        canv.drawText(pen.text)

        # Rules: a grid, a heavier rule under the header and above the totals.
        canv.setStrokeColor(GRID)
        canv.setLineWidth(0.4)
        path = canv.beginPath()
        y = height - self.header_height
        run_top = height  # top of the current run of ordinary rows (column lines stop at section rows)
        for n, index in enumerate(range(start, end)):
            if isinstance(t.rows[index], Section):
                self._column_lines(path, xs, run_top, y)
                run_top = y - heights[n + 1]
            y -= heights[n + 1]
            path.moveTo(0, y)
            path.lineTo(total_w, y)
        self._column_lines(path, xs, run_top, 0.0)
        canv.drawPath(path, stroke=1, fill=0)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.8)
        canv.rect(0, 0, total_w, height, stroke=1, fill=0)
        canv.line(0, height - self.header_height, total_w, height - self.header_height)
        if t.total_rows and start <= first_total < end:
            offset = sum(heights[: first_total - start + 1])
            canv.line(0, height - offset, total_w, height - offset)
        canv.restoreState()

    @staticmethod
    def _column_lines(path: Any, xs: list[float], top: float, bottom: float) -> None:
        if top - bottom < 0.01:
            return
        for x in xs[1:-1]:
            path.moveTo(x, bottom)
            path.lineTo(x, top)

    def _draw_row(
        self,
        pen: _Pen,
        lines: list[list[str]],
        top: float,
        fonts: list[str],
        inks: list[Any],
        xs: list[float],
    ) -> None:
        t = self.table
        size = pen.size
        first_baseline = top - t.pad_y - t.font_size + 1
        numeric = t.numeric
        for col, cell_lines in enumerate(lines):
            font = fonts[col]
            pen.use(font, inks[col])
            baseline = first_baseline
            for line in cell_lines:
                if line:
                    if col in numeric:
                        x = xs[col + 1] - t.pad_x - pdfmetrics.stringWidth(line, font, size)
                    else:
                        x = xs[col] + t.pad_x
                    pen.text.setTextOrigin(x, baseline)
                    pen.text._textOut(line)
                baseline -= t.leading


class _Pen:
    """A text object that remembers its font and colour, so it changes them only when needed."""

    def __init__(self, text: Any, size: float) -> None:
        self.text = text
        self.size = size
        self.font = ""
        self._font_size = size
        self.ink: Any = None

    def use(self, font: str, ink: Any) -> None:
        if font != self.font or self.size != self._font_size:
            self.text.setFont(font, self.size)
            self.font = font
            self._font_size = self.size
        if ink is not self.ink:
            self.text.setFillColor(ink)
            self.ink = ink


class VectorImage(Flowable):  # type: ignore[misc]
    """A small drawing given as a function of the canvas (a QR matrix drawn as squares, a logo)."""

    def __init__(self, width: float, height: float, paint: Callable[[Canvas], None]) -> None:
        super().__init__()
        self.width, self.height = width, height
        self._paint = paint

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.saveState()
        self._paint(self.canv)
        self.canv.restoreState()


def qr_flowable(matrix: Sequence[Sequence[bool]], size: float = 22 * mm) -> VectorImage:
    """A QR code drawn as vector squares from its module matrix (quiet zone included by the caller)."""
    count = len(matrix)

    def paint(canv: Canvas) -> None:
        module = size / count
        canv.setFillColor(colors.black)
        for r, row in enumerate(matrix):
            y = size - (r + 1) * module
            c = 0
            while c < count:
                if row[c]:
                    start = c
                    while c < count and row[c]:
                        c += 1
                    canv.rect(start * module, y, (c - start) * module, module, stroke=0, fill=1)
                else:
                    c += 1

    return VectorImage(size, size, paint)
