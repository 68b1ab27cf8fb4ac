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

The look (fonts, colours, cell values) is in :mod:`armoury.reports.pdf_theme` and the long-table flowable in
:mod:`armoury.reports.pdf_flowables`; their public names are imported here too, so callers need only this
module.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape as to_landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
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

from armoury.i18n import _
from armoury.reports.pdf_flowables import DataTable, qr_flowable
from armoury.reports.pdf_theme import (
    FONT,
    FONT_BOLD,
    FOOTER_HEIGHT,
    GRID,
    HEADER_FILL,
    HEADER_HEIGHT,
    INK,
    MARGIN,
    NO_CHECKPOINT,
    RULE,
    Cell,
    ReportCancelled,
    Section,
    SignatureBlock,
    escape_text,
    format_number,
    format_timestamp,
    paragraph_styles,
    register_fonts,
)

# What the reports import from here (the look and the table live in the two modules above).
__all__ = [
    "NO_CHECKPOINT",
    "Cell",
    "ReportCancelled",
    "ReportDocument",
    "Section",
    "SignatureBlock",
    "escape_text",
    "format_number",
    "qr_flowable",
]


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


def _clip(text: str, font: str, size: float, width: float) -> str:
    """Shorten ``text`` with "…" so that it fits ``width``."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
