"""Label layout (pure geometry, shared with the Qt preview) and PDF rendering with ReportLab.

A label is a QR code on the left, with its full quiet zone, and lines of text on the right. Text is set in
the bundled DejaVu Sans so any name prints; each line shrinks to fit its width, then is cut with an
ellipsis as a last resort; lines that do not fit the height at the smallest size are dropped from the
least important end. The QR is drawn as vector rectangles, one per run of dark modules in a row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from armoury.errors import ValidationError
from armoury.i18n import _
from armoury.labels.payload import LabelKind
from armoury.labels.products import MM, Corrections, LabelProduct, Placement, placements
from armoury.labels.qr import QrMatrix, build_matrix
from armoury.paths import resources_dir

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
MIN_FONT_SIZE = 4.5  # points; smaller is unreadable on a worn label
LINE_SPACING = 1.18
ELLIPSIS = "…"

#: A line as laid out: text, font, size set, size wanted (points).
Row = tuple[str, str, float, float]


@cache
def register_fonts() -> tuple[str, str]:
    """Register the bundled DejaVu Sans fonts with ReportLab (once) and return their names."""
    folder = resources_dir() / "fonts"
    for name, filename in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(Path(folder) / filename)))
    return FONT, FONT_BOLD


@dataclass(frozen=True)
class TextSpec:
    """One line wanted on a label: its text, whether bold, and its preferred size in points."""

    text: str
    size: float = 8.0
    bold: bool = False


@dataclass(frozen=True)
class LabelContent:
    """Everything printed on one label: the QR payload and the text lines, most important first."""

    kind: LabelKind
    record_id: int
    payload: str
    lines: tuple[TextSpec, ...]


@dataclass(frozen=True)
class TextLine:
    """A line as laid out: baseline at (x, y) mm from the label's top-left, width in mm."""

    text: str
    font: str
    size: float
    x: float
    y: float
    width: float

    @property
    def top(self) -> float:
        return self.y - self.size / MM * 0.76

    @property
    def bottom(self) -> float:
        return self.y + self.size / MM * 0.24


@dataclass(frozen=True)
class LabelLayout:
    """A label laid out in millimetres from its top-left corner (y grows downwards)."""

    width: float
    height: float
    qr: QrMatrix
    qr_x: float
    qr_y: float
    module: float
    text_box: tuple[float, float, float, float]
    lines: tuple[TextLine, ...] = field(default=())

    @property
    def qr_side(self) -> float:
        return self.module * self.qr.size


def weapon_lines(serial: str, make_model: str, calibre: str, depot: str) -> tuple[TextSpec, ...]:
    return (
        TextSpec(serial, 11, True),
        TextSpec(make_model, 7.5),
        TextSpec(calibre, 7.5),
        TextSpec(depot, 6.5),
    )


def place_lines(code: str, name: str, place: str) -> tuple[TextSpec, ...]:
    return (TextSpec(code, 11, True), TextSpec(name, 7.5), TextSpec(place, 6.5))


def person_lines(name: str, rank: str, service_number: str) -> tuple[TextSpec, ...]:
    return (TextSpec(name, 9.5, True), TextSpec(rank, 7.5), TextSpec(service_number, 8, True))


def key_lines(number: str, description: str, place: str) -> tuple[TextSpec, ...]:
    return (TextSpec(number, 11, True), TextSpec(description, 7.5), TextSpec(place, 6.5))


def _width_mm(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size)) / MM


def fit_text(text: str, font: str, size: float, width: float) -> tuple[str, float]:
    """Shrink ``text`` down to the minimum size to fit ``width`` mm, then cut it with an ellipsis."""
    natural = _width_mm(text, font, size)
    if natural <= width:
        return text, size
    smaller = max(MIN_FONT_SIZE, math.floor(size * width / natural * 10) / 10)
    if _width_mm(text, font, smaller) <= width:
        return text, smaller
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if _width_mm(text[:mid].rstrip() + ELLIPSIS, font, smaller) <= width:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo].rstrip() + ELLIPSIS if lo else ""
    return cut, smaller


def layout_label(content: LabelContent, product: LabelProduct) -> LabelLayout:
    """Lay out ``content`` on one label of ``product``."""
    register_fonts()
    width, height, pad = product.label_width, product.label_height, product.padding
    matrix = build_matrix(content.payload, product.qr_max_version, product.qr_level)
    available = min(height - 2 * pad, width * 0.5)
    dot = 25.4 / product.dpi
    module = math.floor(available / matrix.size / dot) * dot
    if module < 0.25:
        raise ValidationError(
            _("The label {product} is too small for this QR code.").format(product=product.name),
            _("Choose a larger label product."),
        )
    side = module * matrix.size
    qr_x = pad
    qr_y = (height - side) / 2
    # The quiet zone is part of the QR; text starts after it, with a little air.
    text_x = qr_x + side + 0.5
    box = (text_x, pad, max(0.0, width - pad - text_x), height - 2 * pad)
    return LabelLayout(
        width=width,
        height=height,
        qr=matrix,
        qr_x=qr_x,
        qr_y=qr_y,
        module=module,
        text_box=box,
        lines=tuple(_layout_lines(content.lines, box)),
    )


def _layout_lines(specs: Iterable[TextSpec], box: tuple[float, float, float, float]) -> list[TextLine]:
    x, y, w, h = box
    wanted = [s for s in specs if s.text.strip()]
    if w <= 1.0:
        return []
    # Wide labels may set the text larger than the preferred sizes, narrow ones only smaller.
    scales = (1.6, 1.4, 1.2, 1.0) if w >= 40 else (1.0,)
    while wanted:
        for scale in (*scales, 0.9, 0.8, 0.7, 0.6, 0.5):
            for wrap in (True, False):  # a long line on two lines beats a tiny one
                rows = _rows(wanted, scale, wrap, w)
                total = sum(size * LINE_SPACING for _t, _f, size, _w in rows) / MM
                # Setting text larger than preferred is only worth it if no line must then shrink.
                shrunk = any(size < 0.85 * wanted_size for _t, _f, size, wanted_size in rows)
                if total <= h and not (scale > 1.0 and shrunk):
                    return _set_lines(rows, x, y + (h - total) / 2)
        wanted = wanted[:-1]  # drop the least important line
    return []


def _rows(specs: list[TextSpec], scale: float, wrap: bool, width: float) -> list[Row]:
    """Lines as (text, font, size, size wanted) already fitted to ``width``; a wrapped line keeps one size."""
    rows: list[Row] = []
    for spec in specs:
        font = FONT_BOLD if spec.bold else FONT
        size = max(MIN_FONT_SIZE, spec.size * scale)
        text = " ".join(spec.text.split())
        if wrap and " " in text and _width_mm(text, font, size) > width:
            parts = [fit_text(part, font, size, width) for part in _split_in_two(text, font, size)]
            common = min(fitted for _t, fitted in parts)
            rows += [(fit_text(part, font, common, width)[0], font, common, size) for part, _s in parts]
        else:
            fitted_text, fitted = fit_text(text, font, size, width)
            rows.append((fitted_text, font, fitted, size))
    return rows


def _split_in_two(text: str, font: str, size: float) -> tuple[str, str]:
    """Cut ``text`` at the space that makes its longer half shortest."""
    words = text.split(" ")
    best = (" ".join(words[:1]), " ".join(words[1:]))
    best_width = float("inf")
    for i in range(1, len(words)):
        first, second = " ".join(words[:i]), " ".join(words[i:])
        widest = max(_width_mm(first, font, size), _width_mm(second, font, size))
        if widest < best_width:
            best, best_width = (first, second), widest
    return best


def _set_lines(rows: list[Row], x: float, top: float) -> list[TextLine]:
    out = []
    cursor = top
    for text, font, size, _wanted in rows:
        line_height = size * LINE_SPACING / MM
        baseline = cursor + (line_height + size * 0.76 / MM - size * 0.24 / MM) / 2
        out.append(TextLine(text, font, size, x, baseline, _width_mm(text, font, size)))
        cursor += line_height
    return out


def qr_operators(matrix: QrMatrix) -> str:
    """PDF path operators filling the dark modules of ``matrix``, in module units, origin bottom-left.

    Written directly (integers only) because formatting floats through ReportLab's path objects costs
    most of a label's time when its C accelerator is not installed.
    """
    last = matrix.size - 1
    ops = [f"{column} {last - row} {length} 1 re" for row, column, length in matrix.runs()]
    ops.append("f")
    return "\n".join(ops)


def draw_label(canvas: Canvas, layout: LabelLayout, left: float, top: float, page_height: float) -> None:
    """Draw ``layout`` with its top-left corner at (``left``, ``top``) mm from the page's top-left."""
    module = layout.module * MM
    x0 = (left + layout.qr_x) * MM
    y0 = (page_height - top - layout.qr_y - layout.qr_side) * MM
    canvas.saveState()
    canvas.setFillGray(0)
    canvas.addLiteral(f"{module:.5f} 0 0 {module:.5f} {x0:.3f} {y0:.3f} cm")
    canvas.addLiteral(qr_operators(layout.qr))
    canvas.restoreState()
    for line in layout.lines:
        canvas.setFont(line.font, line.size)
        canvas.drawString((left + line.x) * MM, (page_height - top - line.y) * MM, line.text)


def render_pdf(
    target: Any,
    contents: list[LabelContent],
    product: LabelProduct,
    start: int = 1,
    copies: int = 1,
    corrections: Corrections = Corrections(),
    outlines: bool = False,
    progress: Callable[[int, int], bool] | None = None,
    title: str = "",
) -> int:
    """Write the labels of ``contents`` (each ``copies`` times) to ``target`` (a path or a binary file).

    ``progress(done, total)`` is called as labels are drawn; returning False cancels (nothing is saved).
    ``outlines`` draws each label's edge, for a test print on plain paper. Returns the pages written.
    """
    if copies < 1 or copies > 100:
        raise ValidationError(
            _("{copies} copies cannot be printed.").format(copies=copies),
            _("Choose from 1 to 100 copies per record."),
        )
    register_fonts()
    items = [c for c in contents for _i in range(copies)]
    spots = placements(product, len(items), start, corrections)
    use_a85 = rl_config.useA85
    # Plain Flate streams: ASCII85 on top only makes the file bigger and, in pure Python, slower.
    rl_config.useA85 = 0
    try:
        return _render(target, items, spots, product, outlines, progress, title)
    finally:
        rl_config.useA85 = use_a85


def _render(
    target: Any,
    items: list[LabelContent],
    spots: list[Placement],
    product: LabelProduct,
    outlines: bool,
    progress: Callable[[int, int], bool] | None,
    title: str,
) -> int:
    page_h = product.page_height
    canvas = Canvas(target, pagesize=(product.page_width * MM, page_h * MM), pageCompression=1)
    canvas.setTitle(title or _("Armoury labels"))
    canvas.setCreator("Armoury")
    last: tuple[str, LabelLayout] | None = None
    page = 0
    total = len(items)
    for n, (content, spot) in enumerate(zip(items, spots, strict=True)):
        if spot.page != page:
            canvas.showPage()
            page = spot.page
        if last is None or last[0] != content.payload:  # copies are consecutive: lay out once
            last = (content.payload, layout_label(content, product))
        if outlines:
            canvas.setLineWidth(0.2)
            canvas.setStrokeGray(0.6)
            canvas.rect(spot.x * MM, (page_h - spot.y - product.label_height) * MM,
                        product.label_width * MM, product.label_height * MM, stroke=1, fill=0)  # fmt: skip
        draw_label(canvas, last[1], spot.x, spot.y, page_h)
        if progress is not None and (n % 50 == 49 or n == total - 1) and progress(n + 1, total) is False:
            raise LabelRunCancelled()
    canvas.showPage()
    canvas.save()
    return page + 1


class LabelRunCancelled(Exception):
    """The user cancelled a label run; nothing was written."""
