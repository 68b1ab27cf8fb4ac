"""The one report style: every PDF Armoury prints looks the same and carries the same proofs.

A report is built with :class:`ReportDocument`::

    doc = ReportDocument(path, _("Monthly stock return"), depot_name="Central depot (CD-01)",
                         user="Capt. A. Diallo (adiallo)", checkpoint="1234:9f2c…", subtitle="2026-11")
    doc.heading(_("Summary"))
    doc.paragraph(_("All figures are computed from the custody ledger."))
    doc.key_values([(_("Facility"), "CD-01"), (_("Period"), "2026-11-01 – 2026-11-30")])
    doc.table([_("Serial"), _("Model")], rows, col_widths=[40, 80], numeric_columns={2})
    doc.certification(_("I certify that …"))
    doc.signature_blocks([SignatureBlock(_("Storekeeper")), SignatureBlock(_("Commander"))])
    doc.build()

Every page has a header (depot name, report title and subtitle) and a footer (generation time in UTC and
local time, the user, the ledger checkpoint ``SEQ:HASH`` or "—", and "Page x of y"). Tables repeat their
header row on every page and never cut a row across two pages. The bundled DejaVu Sans font prints every
name in Latin, Cyrillic or Greek script. Strings come from the current language (:mod:`armoury.i18n`).

Tables are drawn by :class:`DataTable`, a flowable written for long listings: it lays out plain-text cells
with fixed column widths, measures each row once, and splits between rows only. It is several times faster
than a platypus ``Table`` for thousands of rows; small layout blocks (facts, signatures) use platypus.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape as to_landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from armoury.i18n import _, current_language
from armoury.paths import resources_dir

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
NO_CHECKPOINT = "—"

MARGIN = 15 * mm
HEADER_HEIGHT = 16 * mm
FOOTER_HEIGHT = 14 * mm

INK = colors.HexColor("#1a1a1a")
RULE = colors.HexColor("#4d4d4d")
GRID = colors.HexColor("#9a9a9a")
HEADER_FILL = colors.HexColor("#d9dde3")
ZEBRA_FILL = colors.HexColor("#f3f4f6")
SECTION_FILL = colors.HexColor("#e8eaee")
ALERT = colors.HexColor("#b00020")
ALERT_FILL = colors.HexColor("#fde7ea")


class ReportCancelled(Exception):
    """Raised by a progress callback to stop building a report (the partial file is removed)."""


# --------------------------------------------------------------------------------------------- fonts


_fonts_registered = False


def register_fonts() -> None:
    """Register the bundled DejaVu Sans (regular and bold) with ReportLab, once per process."""
    global _fonts_registered
    if _fonts_registered:
        return
    from reportlab.lib.fonts import addMapping

    folder = resources_dir() / "fonts"
    for name, filename in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(folder / filename)))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT)
    addMapping(FONT, 1, 1, FONT_BOLD)
    _fonts_registered = True


# --------------------------------------------------------------------------------------------- values


def format_number(value: int | float | Decimal) -> str:
    """An integer with the language's thousands separator (1,234 / 1 234); other numbers as given."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral_value()):
        text = f"{int(value):,}"
        return text.replace(",", "\u202f") if current_language() == "fr" else text
    return str(value)


def cell_text(value: Any) -> str:
    """How a table cell prints a value: numbers with separators, dates in ISO form, None as empty."""
    if value is None:
        return ""
    if isinstance(value, Cell):
        return cell_text(value.value)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return format_number(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def format_timestamp(moment: datetime) -> str:
    """``2026-11-22 13:40 UTC (14:40 local time)`` — the generation time every report carries."""
    utc = moment.astimezone(UTC)
    local = moment.astimezone()
    return _("{utc} UTC ({local} local time)").format(
        utc=utc.strftime("%Y-%m-%d %H:%M"),
        local=local.strftime("%H:%M") if local.date() == utc.date() else local.strftime("%Y-%m-%d %H:%M"),
    )


@dataclass(frozen=True)
class Cell:
    """A table cell with emphasis: bold text, a text colour (``"alert"``) or a background (``"alert"``)."""

    value: Any
    bold: bool = False
    alert: bool = False


@dataclass(frozen=True)
class Section:
    """A row that spans the whole table: a group title (a rack, a register) inside a listing."""

    text: str


@dataclass(frozen=True)
class SignatureBlock:
    """One signatory: the role printed above the lines, and the name/rank if known in advance."""

    role: str
    name: str = ""
    rank_or_function: str = ""
    date: str = ""


# --------------------------------------------------------------------------------------------- styles


def paragraph_styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, textColor=INK, spaceAfter=4)
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=15, leading=19, spaceAfter=2
        ),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=10, leading=13, spaceAfter=8),
        "h1": ParagraphStyle(
            "h1",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=11.5,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=6,
            spaceAfter=3,
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "cert": ParagraphStyle("cert", parent=body, fontSize=9, leading=12.5),
        "alert": ParagraphStyle("alert", parent=body, fontName=FONT_BOLD, textColor=ALERT),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11, spaceAfter=0),
        "cell_bold": ParagraphStyle("cell_bold", parent=body, fontName=FONT_BOLD, fontSize=8.5, leading=11),
    }


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


# --------------------------------------------------------------------------------------------- canvas


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """Keeps every page until the end so that the footer can say "Page x of y"."""

    decorate: Callable[[Canvas, int, int], None]
    progress: Callable[[int], None] | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()
        if self.progress is not None:
            self.progress(len(self._saved_pages))

    def save(self) -> None:
        total = len(self._saved_pages)
        for number, state in enumerate(self._saved_pages, start=1):
            self.__dict__.update(state)
            self.decorate(self, number, total)
            Canvas.showPage(self)
        self._saved_pages = []
        Canvas.save(self)


# --------------------------------------------------------------------------------------------- document


class ReportDocument:
    """One printed report in the house style. Add content with the methods, then :meth:`build`.

    ``path`` is a file path or a binary stream. ``checkpoint`` is the ledger chain head ``"SEQ:HASH"``
    (or ``"—"`` when the database has no ledger yet). ``landscape``: ``True``/``False``, or ``None`` to
    choose landscape when the widest table does not fit across a portrait page. ``progress`` is called with
    the number of pages laid out so far; it may raise :class:`ReportCancelled` to stop.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | BinaryIO,
        title: str,
        depot_name: str,
        user: str,
        checkpoint: str = NO_CHECKPOINT,
        landscape: bool | None = False,
        *,
        subtitle: str = "",
        reference: str = "",
        generated_at: datetime | None = None,
        page_size: tuple[float, float] = A4,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        register_fonts()
        self.path = path
        self.title = title
        self.subtitle = subtitle
        self.reference = reference
        self.depot_name = depot_name
        self.user = user
        self.checkpoint = checkpoint or NO_CHECKPOINT
        self.landscape = landscape
        self.generated_at = generated_at or datetime.now(UTC)
        self.page_size = page_size
        self.progress = progress
        self.styles = paragraph_styles()
        # Items are flowables, or functions of the frame width (known once the orientation is chosen).
        self.story: list[Flowable | Callable[[float], list[Flowable]]] = []
        self._widest = 0.0
        self.page_count = 0
        self._title_block_added = False

    # geometry ------------------------------------------------------------------------------------

    @staticmethod
    def frame_width(landscape: bool, page_size: tuple[float, float] = A4) -> float:
        """The usable width in points of a portrait or landscape page."""
        size = to_landscape(page_size) if landscape else page_size
        return float(size[0] - 2 * MARGIN)

    def _is_landscape(self) -> bool:
        if self.landscape is None:
            return self._widest > self.frame_width(False, self.page_size) + 0.5
        return self.landscape

    # content -------------------------------------------------------------------------------------

    def _ensure_title_block(self) -> None:
        if self._title_block_added:
            return
        self._title_block_added = True
        self.story.append(Paragraph(escape(self.title), self.styles["title"]))
        if self.subtitle:
            self.story.append(Paragraph(escape(self.subtitle), self.styles["subtitle"]))
        else:
            self.story.append(Spacer(1, 6))

    def heading(self, text: str, level: int = 1) -> None:
        """A section title; it starts a new page when less than 30 mm are left, so that it is never
        alone at the bottom of a page (a long table after it still starts on the same page)."""
        self._ensure_title_block()
        self.story.append(CondPageBreak(30 * mm))
        self.story.append(Paragraph(escape(text), self.styles["h1" if level <= 1 else "h2"]))

    def paragraph(self, text: str, style: str = "body") -> None:
        """Plain text (escaped; line breaks kept). ``style``: body, small, alert, cert."""
        self._ensure_title_block()
        self.story.append(Paragraph(escape(text).replace("\n", "<br/>"), self.styles[style]))

    def key_values(self, pairs: Sequence[tuple[str, str]], columns: int = 2) -> None:
        """A block of facts ("Facility: CD-01", "Period: …") laid out in ``columns`` pairs per line."""
        self._ensure_title_block()
        if not pairs:
            return
        label_style = self.styles["cell_bold"]
        value_style = self.styles["cell"]
        cells: list[list[Any]] = []
        line: list[Any] = []
        for label, value in pairs:
            line += [Paragraph(escape(label), label_style), Paragraph(escape(value), value_style)]
            if len(line) == 2 * columns:
                cells.append(line)
                line = []
        if line:
            line += [""] * (2 * columns - len(line))
            cells.append(line)

        def make(width: float) -> list[Flowable]:
            label_w = 34 * mm
            value_w = width / columns - label_w
            table = Table(cells, colWidths=[label_w, value_w] * columns, hAlign="LEFT")
            table.setStyle(
                TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 2),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                        ("TOPPADDING", (0, 0), (-1, -1), 1),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                        ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE),
                        ("LINEABOVE", (0, 0), (-1, 0), 0.6, RULE),
                    ]
                )
            )
            return [table, Spacer(1, 6)]

        self.story.append(make)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Any] | Section],
        col_widths: Sequence[float],
        numeric_columns: Iterable[int] = (),
        *,
        total_rows: int = 0,
        empty_text: str | None = None,
        max_lines: int = 6,
    ) -> None:
        """A listing. ``col_widths`` are in millimetres (scaled down if wider than the page);
        ``numeric_columns`` (0-based) are right-aligned; the last ``total_rows`` rows print in bold under a
        rule. Cells may be :class:`Cell` for emphasis, rows may be :class:`Section` titles. An empty list
        prints ``empty_text`` (default "None.")."""
        self._ensure_title_block()
        if not rows:
            self.paragraph(empty_text if empty_text is not None else _("None."))
            return
        widths = [w * mm for w in col_widths]
        self._widest = max(self._widest, sum(widths))
        self.story.append(
            DataTable(header, rows, widths, numeric_columns, total_rows=total_rows, max_lines=max_lines)
        )
        self.story.append(Spacer(1, 6))

    def certification(self, text: str) -> None:
        """A framed certification statement, kept on one page."""
        self._ensure_title_block()
        content = Paragraph(escape(text).replace("\n", "<br/>"), self.styles["cert"])

        def make(width: float) -> list[Flowable]:
            box = Table([[content]], colWidths=[width], hAlign="LEFT")
            box.setStyle(
                TableStyle(
                    [
                        ("BOX", (0, 0), (-1, -1), 0.8, RULE),
                        ("LEFTPADDING", (0, 0), (-1, -1), 6),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                        ("TOPPADDING", (0, 0), (-1, -1), 5),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                    ]
                )
            )
            return [CondPageBreak(40 * mm), KeepTogether([box, Spacer(1, 8)])]

        self.story.append(make)

    def signature_blocks(self, blocks: Sequence[SignatureBlock], per_line: int = 3) -> None:
        """Signature blocks side by side: role, then name, rank/function, date and signature lines."""
        self._ensure_title_block()
        if not blocks:
            return
        per_line = max(1, min(per_line, len(blocks)))
        self.story.append(lambda width: self._signature_flowables(blocks, per_line, width))

    def _signature_flowables(
        self, blocks: Sequence[SignatureBlock], per_line: int, width: float
    ) -> list[Flowable]:
        col_w = min(width / per_line, 95 * mm)
        label = self.styles["cell"]
        bold = self.styles["cell_bold"]
        flow: list[Flowable] = []
        for start in range(0, len(blocks), per_line):
            group = list(blocks[start : start + per_line])
            grid: list[list[Any]] = [[] for _ in range(5)]
            for block in group:
                grid[0].append(Paragraph(escape(block.role), bold))
                grid[1].append(Paragraph(escape(_("Name: {value}").format(value=block.name)), label))
                grid[2].append(
                    Paragraph(
                        escape(_("Rank / function: {value}").format(value=block.rank_or_function)), label
                    )
                )
                grid[3].append(Paragraph(escape(_("Date: {value}").format(value=block.date)), label))
                grid[4].append(Paragraph(escape(_("Signature:")), label))
            table = Table(
                grid,
                colWidths=[col_w] * len(group),
                rowHeights=[14, 20, 20, 20, 34],
                hAlign="LEFT",
            )
            commands: list[Any] = [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 10),
            ]
            for col in range(len(group)):
                commands.append(("BOX", (col, 0), (col, -1), 0.6, RULE))
                commands.append(("LINEBELOW", (col, 0), (col, 0), 0.6, RULE))
                commands.append(("BACKGROUND", (col, 0), (col, 0), HEADER_FILL))
                for row in (1, 2, 3):
                    commands.append(("LINEBELOW", (col, row), (col, row), 0.3, GRID))
            table.setStyle(TableStyle(commands))
            flow += [table, Spacer(1, 8)]
        return [CondPageBreak(45 * mm), KeepTogether(flow)]

    def spacer(self, height_mm: float = 4) -> None:
        self.story.append(Spacer(1, height_mm * mm))

    def page_break(self) -> None:
        self.story.append(PageBreak())

    def flowable(self, item: Flowable) -> None:
        """Any other platypus flowable (a QR drawing, a photo)."""
        self._ensure_title_block()
        self.story.append(item)

    # page decoration -----------------------------------------------------------------------------

    def _decorate(self, canv: Canvas, number: int, total: int) -> None:
        width, height = canv._pagesize
        left, right = MARGIN, width - MARGIN
        canv.saveState()
        # Header: depot on the left, report title (and reference) on the right, a rule under both.
        top = height - MARGIN + 2 * mm
        canv.setFillColor(INK)
        canv.setFont(FONT_BOLD, 9.5)
        canv.drawString(left, top - 9, _clip(self.depot_name, FONT_BOLD, 9.5, (right - left) * 0.55))
        canv.drawRightString(right, top - 9, _clip(self.title, FONT_BOLD, 9.5, (right - left) * 0.44))
        canv.setFont(FONT, 7.5)
        second = " · ".join(dict.fromkeys(p for p in (self.subtitle, self.reference) if p))
        if second:
            canv.drawRightString(right, top - 19, _clip(second, FONT, 7.5, (right - left) * 0.6))
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.8)
        canv.line(left, top - 23, right, top - 23)

        # Footer: generation and proof on the left, page x of y on the right.
        base = MARGIN - 6 * mm
        canv.setLineWidth(0.5)
        canv.line(left, base + 16, right, base + 16)
        canv.setFont(FONT, 7)
        generated = _("Generated {when} by {user}").format(
            when=format_timestamp(self.generated_at), user=self.user
        )
        canv.drawString(left, base + 8, _clip(generated, FONT, 7, (right - left) * 0.8))
        canv.drawString(
            left,
            base,
            _clip(
                _("Ledger checkpoint: {checkpoint}").format(checkpoint=self.checkpoint),
                FONT,
                7,
                (right - left) * 0.8,
            ),
        )
        canv.setFont(FONT_BOLD, 8)
        canv.drawRightString(right, base + 4, _("Page {page} of {pages}").format(page=number, pages=total))
        canv.restoreState()

    # building ------------------------------------------------------------------------------------

    def build(self) -> int:
        """Lay out and write the PDF. Returns the number of pages."""
        self._ensure_title_block()
        is_landscape = self._is_landscape()
        page = to_landscape(self.page_size) if is_landscape else self.page_size
        target: Any = str(self.path) if isinstance(self.path, str | os.PathLike) else self.path
        doc = BaseDocTemplate(
            target,
            pagesize=page,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + HEADER_HEIGHT - 6 * mm,
            bottomMargin=MARGIN + FOOTER_HEIGHT - 8 * mm,
            title=self.title,
            author=self.user,
            subject=self.depot_name,
            creator="Armoury",
        )
        frame = Frame(
            doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", leftPadding=0, rightPadding=0
        )
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], pagesize=page)])
        decorate = self._decorate
        progress = self.progress
        counter = {"pages": 0}

        def on_page(pages: int) -> None:
            counter["pages"] = pages
            if progress is not None:
                progress(pages)

        class Canvas_(_NumberedCanvas):
            pass

        Canvas_.decorate = staticmethod(decorate)
        Canvas_.progress = staticmethod(on_page)
        story: list[Flowable] = []
        for item in self.story:
            if isinstance(item, Flowable):
                story.append(item)
            else:
                story.extend(item(doc.width))
        try:
            doc.build(story, canvasmaker=Canvas_)
        except ReportCancelled:
            if isinstance(self.path, str | os.PathLike):
                Path(self.path).unlink(missing_ok=True)
            raise
        self.page_count = counter["pages"]
        return self.page_count


def escape_text(text: str) -> str:
    """``text`` safe inside a platypus Paragraph (markup characters escaped, line breaks kept)."""
    return escape(text).replace("\n", "<br/>")


def _clip(text: str, font: str, size: float, width: float) -> str:
    """Shorten ``text`` with "…" so that it fits ``width``."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
