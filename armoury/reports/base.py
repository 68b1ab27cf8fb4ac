"""What a report is, independent of how it is written out: facts, text and tables, then PDF/CSV/XLSX/JSON.

A report builder (one function per report) reads the database once and returns a :class:`ReportData`;
:func:`write_report` turns it into a file in the asked format. Because every format is written from the
same :class:`ReportData`, the PDF, the CSV, the spreadsheet and the JSON always carry the same numbers.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import N_, _
from armoury.models import Facility, Setting
from armoury.reports.style import (
    NO_CHECKPOINT,
    Cell,
    ReportDocument,
    Section,
    SignatureBlock,
    format_number,
    qr_flowable,
)
from armoury.security.permissions import Actor, Permission
from armoury.services.guard import authorize


class OutputFormat(enum.StrEnum):
    PDF = "pdf"
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"


# --------------------------------------------------------------------------------------------- content


@dataclass(frozen=True)
class Column:
    """A table column: ``key`` names it in CSV/JSON/XLSX, ``title`` heads it in the PDF."""

    key: str
    title: str
    width_mm: float
    numeric: bool = False
    pdf: bool = True  # False: in the data exports only (e.g. ids)
    grouped: bool = True  # False: an integer printed without a thousands separator (a year: 1961)


@dataclass
class TableBlock:
    """A table of the report. ``group_key`` (a column key) prints a section title row in the PDF each time
    its value changes, instead of a column."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    total_rows: int = 0
    group_key: str | None = None
    empty_text: str | None = None
    heading_level: int = 1
    # PDF only: for some group values, a heading with a QR code starts a new table (a rack in the inventory).
    group_headings: Mapping[Any, QrHeadingBlock] | None = None
    # PDF only: a cell of more lines than this is cut with "…" (a register that keeps histories sets more).
    max_lines: int = 6


@dataclass
class TextBlock:
    text: str
    style: str = "body"


@dataclass
class HeadingBlock:
    text: str
    level: int = 1


@dataclass
class FactsBlock:
    pairs: Sequence[tuple[str, str]]
    columns: int = 2


@dataclass
class QrHeadingBlock:
    """A heading with a QR code beside it (a rack in the inventory) and a few facts under the title."""

    title: str
    payload: str
    lines: Sequence[str] = ()


@dataclass
class PageBreakBlock:
    pass


Block = TableBlock | TextBlock | HeadingBlock | FactsBlock | QrHeadingBlock | PageBreakBlock


@dataclass
class ReportData:
    """A report ready to be written: header facts, body blocks, certification and signatures."""

    kind: str
    title: str
    depot_name: str
    generated_by: str
    checkpoint: str = NO_CHECKPOINT
    subtitle: str = ""
    reference: str = ""
    facility_id: int | None = None
    facts: Sequence[tuple[str, str]] = ()
    blocks: list[Block] = field(default_factory=list)
    certification: str = ""
    signatures: Sequence[SignatureBlock] = ()
    landscape: bool | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Named figures for the JSON form, beyond the tables (totals, reconciliation state).
    json_extra: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    # A report whose PDF another module draws (counts, inspections): called with (target, progress).
    external_pdf: Callable[[Any, Callable[[int], None] | None], int] | None = None

    def tables(self) -> list[TableBlock]:
        return [b for b in self.blocks if isinstance(b, TableBlock)]


# --------------------------------------------------------------------------------------------- context


@dataclass(frozen=True)
class FacilityInfo:
    id: int
    code: str
    name: str

    @property
    def display(self) -> str:
        return f"{self.name} ({self.code})"


def find_facility(session: Session, code: str) -> FacilityInfo:
    row = session.execute(
        select(Facility.id, Facility.code, Facility.name).where(Facility.code == code.strip())
    ).first()
    if row is None:
        row = session.execute(
            select(Facility.id, Facility.code, Facility.name).where(Facility.code.ilike(code.strip()))
        ).first()
    if row is None:
        raise NotFoundError(
            _("There is no facility with the code {code}.").format(code=code),
            _("Check the code; 'armoury report --list' shows the reports, the window lists facilities."),
        )
    return FacilityInfo(row[0], row[1], row[2])


def authorize_report(db: Database, actor: Actor, facility_id: int | None) -> None:
    authorize(db, actor, Permission.RUN_REPORTS, facility_id)


def actor_display(actor: Actor) -> str:
    return f"{actor.full_name} ({actor.username})" if actor.full_name else actor.username


def depot_name(session: Session, facility: FacilityInfo | None) -> str:
    if facility is not None:
        return facility.display
    value = session.scalar(select(Setting.value).where(Setting.key == "depot.name"))
    if value:
        try:
            return str(json.loads(value))
        except ValueError:
            return value
    return _("Armoury")


def checkpoint_in(session: Session) -> str:
    """The ledger chain head "SEQ:HASH", or "—" before the first entry (or without a ledger)."""
    try:
        from armoury.services.ledger import chain_head_in
    except ImportError:  # pragma: no cover - the ledger is part of the product
        return NO_CHECKPOINT
    head = chain_head_in(session)
    return str(head) if head.seq > 0 else NO_CHECKPOINT


# --------------------------------------------------------------------------------------------- values


def plain(value: Any) -> Any:
    """The value behind a PDF emphasis, for the data formats."""
    return value.value if isinstance(value, Cell) else value


def json_value(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def text_value(value: Any) -> str:
    """A value in CSV: numbers without separators, times in ISO 8601 UTC, None empty."""
    value = json_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --------------------------------------------------------------------------------------------- writers


def write_report(
    report: ReportData,
    fmt: OutputFormat | str,
    target: str | os.PathLike[str] | BinaryIO,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``report`` as ``fmt`` to a path or binary stream. Returns the page count (PDF) or row count."""
    fmt = OutputFormat(fmt)
    if report.external_pdf is not None:
        if fmt is not OutputFormat.PDF:
            raise ValidationError(
                _("The report {report} exists as PDF only.").format(report=report.title),
                _("Choose the PDF format."),
            )
        return report.external_pdf(target, progress)
    if fmt is OutputFormat.PDF:
        return write_pdf(report, target, progress)
    if fmt is OutputFormat.CSV:
        return _write_bytes(target, write_csv_text(report).encode("utf-8-sig"))
    if fmt is OutputFormat.JSON:
        data = json.dumps(report_json(report), ensure_ascii=False, indent=2) + "\n"
        return _write_bytes(target, data.encode("utf-8"))
    return write_xlsx(report, target)


def _write_bytes(target: str | os.PathLike[str] | BinaryIO, data: bytes) -> int:
    if isinstance(target, str | os.PathLike):
        Path(target).write_bytes(data)
    else:
        target.write(data)
    return len(data)


def write_pdf(
    report: ReportData,
    target: str | os.PathLike[str] | BinaryIO,
    progress: Callable[[int], None] | None = None,
) -> int:
    doc = ReportDocument(
        target,
        report.title,
        report.depot_name,
        report.generated_by,
        report.checkpoint,
        landscape=report.landscape,
        subtitle=report.subtitle,
        reference=report.reference,
        generated_at=report.generated_at,
        progress=progress,
    )
    if report.facts:
        doc.key_values(list(report.facts))
    for block in report.blocks:
        if isinstance(block, HeadingBlock):
            doc.heading(block.text, block.level)
        elif isinstance(block, TextBlock):
            doc.paragraph(block.text, block.style)
        elif isinstance(block, FactsBlock):
            doc.key_values(list(block.pairs), block.columns)
        elif isinstance(block, QrHeadingBlock):
            _qr_heading(doc, block)
        elif isinstance(block, PageBreakBlock):
            doc.page_break()
        else:
            _pdf_table(doc, block)
    if report.certification:
        doc.certification(report.certification)
    if report.signatures:
        doc.signature_blocks(list(report.signatures))
    return doc.build()


def _qr_heading(doc: ReportDocument, block: QrHeadingBlock) -> None:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    from armoury.reports.style import escape_text

    text = [Paragraph(escape_text(block.title), doc.styles["h2"])]
    text += [Paragraph(escape_text(line), doc.styles["small"]) for line in block.lines]
    cells: list[Any] = [text]
    widths = [120 * mm]
    if block.payload:
        try:
            from armoury.labels.qr import build_matrix

            matrix = build_matrix(block.payload, max_version=4)
            cells.append(qr_flowable(matrix.rows, 18 * mm))
            widths.append(20 * mm)
        except (ImportError, ValidationError):
            pass
    table = Table([cells], colWidths=widths, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    table.keepWithNext = True
    doc.flowable(table)


def _pdf_value(value: Any, column: Column) -> Any:
    if not column.grouped and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _pdf_table(doc: ReportDocument, block: TableBlock) -> None:
    if block.title:
        doc.heading(block.title, block.heading_level)
    shown = [i for i, c in enumerate(block.columns) if c.pdf and c.key != block.group_key]
    group_index = next((i for i, c in enumerate(block.columns) if c.key == block.group_key), None)
    headings = block.group_headings or {}
    header = [block.columns[i].title for i in shown]
    widths = [block.columns[i].width_mm for i in shown]
    numeric = {n for n, i in enumerate(shown) if block.columns[i].numeric}
    rows: list[Sequence[Any] | Section] = []
    current: Any = object()
    data_rows = len(block.rows) - block.total_rows
    for n, row in enumerate(block.rows):
        if group_index is not None and n < data_rows and row[group_index] != current:
            current = row[group_index]
            heading = headings.get(current)
            if heading is not None:
                if rows:
                    doc.table(header, rows, widths, numeric, max_lines=block.max_lines)
                    rows = []
                _qr_heading(doc, heading)
            else:
                rows.append(Section(str(plain(current))))
        rows.append([_pdf_value(row[i], block.columns[i]) for i in shown])
    if rows or not block.rows:
        doc.table(header, rows, widths, numeric, total_rows=block.total_rows, empty_text=block.empty_text,
                  max_lines=block.max_lines)  # fmt: skip


def write_csv_text(report: ReportData) -> str:
    """Every table, one after the other: a line with the table's name, its header of keys, its rows, and
    an empty line. The first table is the report's main one."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for block in report.tables():
        writer.writerow([f"# {block.name}"])
        writer.writerow([c.key for c in block.columns])
        for row in block.rows:
            writer.writerow([text_value(v) for v in row])
        writer.writerow([])
    return out.getvalue()


def read_csv_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """The tables of a CSV written by :func:`write_csv_text`, by name (for tests and re-imports)."""
    tables: dict[str, list[dict[str, str]]] = {}
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    i = 0
    while i < len(lines):
        line = lines[i]
        if line and line[0].startswith("# "):
            name = line[0][2:]
            header = lines[i + 1]
            rows = []
            i += 2
            while i < len(lines) and lines[i]:
                rows.append(dict(zip(header, lines[i], strict=False)))
                i += 1
            tables[name] = rows
        i += 1
    return tables


def report_json(report: ReportData) -> dict[str, Any]:
    return {
        "report": report.kind,
        "title": report.title,
        "subtitle": report.subtitle,
        "reference": report.reference,
        "depot": report.depot_name,
        "generated_at": json_value(report.generated_at),
        "generated_by": report.generated_by,
        "ledger_checkpoint": report.checkpoint,
        "parameters": {k: json_value(v) for k, v in report.parameters.items()},
        "facts": {label: value for label, value in report.facts},
        "tables": {
            block.name: [
                {c.key: json_value(v) for c, v in zip(block.columns, row, strict=False)} for row in block.rows
            ]
            for block in report.tables()
        },
        **report.json_extra,
    }


def write_xlsx(report: ReportData, target: str | os.PathLike[str] | BinaryIO) -> int:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    info = workbook.create_sheet(_sheet_name(_("Report"), set()))
    bold = Font(bold=True)
    info.append([report.title])
    for label, value in (
        (_("Depot"), report.depot_name),
        (_("Subtitle"), report.subtitle),
        (_("Generated at (UTC)"), text_value(report.generated_at)),
        (_("Generated by"), report.generated_by),
        (_("Ledger checkpoint"), report.checkpoint),
        *report.facts,
    ):
        info.append([label, value])
    used: set[str] = {info.title}
    rows_written = 0
    for block in report.tables():
        sheet = workbook.create_sheet(_sheet_name(block.title or block.name, used))
        header = []
        for column in block.columns:
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(sheet, value=column.key)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in block.rows:
            sheet.append([_xlsx_value(v) for v in row])
            rows_written += 1
    if isinstance(target, str | os.PathLike):
        workbook.save(str(target))
    else:
        buffer = io.BytesIO()
        workbook.save(buffer)
        target.write(buffer.getvalue())
    return rows_written


def _xlsx_value(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    return value


def _sheet_name(title: str, used: set[str]) -> str:
    cleaned = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"
    name = cleaned
    n = 2
    while name in used:
        suffix = f" {n}"
        name = cleaned[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


# --------------------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Parameter:
    """A parameter a report asks for (a CLI option, a field of the report centre)."""

    name: str  # facility, month, start, end, person, unit, weapon, document, days, register
    label: str
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class ReportSpec:
    """A report the product offers: its command name, title, parameters and the function building it."""

    name: str
    title: str
    description: str
    parameters: Sequence[Parameter]
    build: Callable[[Database, Actor, Mapping[str, Any]], ReportData]
    formats: Sequence[OutputFormat] = (
        OutputFormat.PDF,
        OutputFormat.CSV,
        OutputFormat.XLSX,
        OutputFormat.JSON,
    )


P_FACILITY = Parameter("facility", N_("Facility code"))
P_MONTH = Parameter("month", N_("Month (YYYY-MM)"), required=False)
P_START = Parameter("start", N_("From (YYYY-MM-DD)"), required=False)
P_END = Parameter("end", N_("To, exclusive (YYYY-MM-DD)"), required=False)


def parse_month(text: str) -> tuple[datetime, datetime]:
    """``2026-11`` → [2026-11-01 00:00 UTC, 2026-12-01 00:00 UTC)."""
    try:
        year_text, month_text = text.strip().split("-")
        year, month = int(year_text), int(month_text)
        start = datetime(year, month, 1, tzinfo=UTC)
    except ValueError as exc:
        raise ValidationError(
            _("'{value}' is not a month.").format(value=text),
            _("Give the month as YYYY-MM, for example 2026-11."),
        ) from exc
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def parse_day(text: str) -> datetime:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValidationError(
            _("'{value}' is not a date.").format(value=text),
            _("Give dates as YYYY-MM-DD, for example 2026-11-30."),
        ) from exc
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def period_from(params: Mapping[str, Any], default_now: datetime | None = None) -> tuple[datetime, datetime]:
    """The period named by ``month`` or by ``start``/``end`` (end exclusive); the current month by default."""
    month = params.get("month")
    start_text, end_text = params.get("start"), params.get("end")
    if month:
        return parse_month(str(month))
    if start_text or end_text:
        if not (start_text and end_text):
            raise ValidationError(
                _("A period needs both its first day and the day after its last."),
                _("Give --from and --to, or --month."),
            )
        start, end = parse_day(str(start_text)), parse_day(str(end_text))
        if end <= start:
            raise ValidationError(
                _("The end of the period is not after its start."),
                _("The period runs from --from up to, but not including, --to."),
            )
        return start, end
    now = default_now or datetime.now(UTC)
    return parse_month(f"{now.year:04d}-{now.month:02d}")


def period_text(start: datetime, end: datetime) -> str:
    last = (end - timedelta(microseconds=1)).date()
    return _("{first} to {last} (UTC)").format(first=start.date().isoformat(), last=last.isoformat())


def record_output(db: Database, actor: Actor, report: ReportData, fmt: str, printed: bool = False) -> None:
    """Write "report printed" / "data exported" to the security audit trail, when it exists."""
    try:
        from armoury.services import audit
    except ImportError:  # pragma: no cover - the audit trail is part of the product
        return
    audit.record(
        db,
        actor,
        "report_printed" if printed or fmt == OutputFormat.PDF else "export",
        subject=report.title + (f" — {report.subtitle}" if report.subtitle else ""),
        facility_id=report.facility_id,
        details={"report": report.kind, "format": str(fmt), "checkpoint": report.checkpoint},
    )


__all__ = [
    "Cell",
    "Column",
    "FacilityInfo",
    "OutputFormat",
    "Parameter",
    "ReportData",
    "ReportSpec",
    "SignatureBlock",
    "TableBlock",
    "format_number",
    "write_report",
]
