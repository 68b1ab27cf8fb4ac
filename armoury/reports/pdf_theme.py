"""The look shared by every PDF Armoury prints: fonts, colours, page margins, paragraph styles, and how
values are written in a cell (numbers, timestamps, emphasis). :mod:`armoury.reports.style` builds the pages
with them, :mod:`armoury.reports.pdf_flowables` the long tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

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


def escape_text(text: str) -> str:
    """``text`` safe inside a platypus Paragraph (markup characters escaped, line breaks kept)."""
    return escape(text).replace("\n", "<br/>")
