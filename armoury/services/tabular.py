"""Reading and writing the tables depots keep today: CSV (UTF-8, comma or semicolon) and XLSX.

A :class:`Table` is the header row and the data rows as strings, each with its row number as a spreadsheet
shows it (the header is row 1). Headers are matched to columns by a folded form (case, accents, spaces,
dashes and underscores ignored), so ``Numéro de série``, ``numero_serie`` and ``NUMERO SERIE`` are one.
Cells that a spreadsheet would run as a formula (starting with ``= + - @``) are neutralized on the way out
by a leading single quote. On the way in, such a quoted cell is text again (the quote is removed), while
an unquoted formula-looking cell is refused by the importer.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from armoury.errors import ValidationError
from armoury.i18n import _

FORMULA_PREFIXES = ("=", "+", "-", "@")
CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Table:
    """Rows of a file: ``headers`` as written, ``rows`` as (row number in the file, cells)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    delimiter: str = ","


def fold_header(text: str) -> str:
    """The form headers are compared in: no case, accents, spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def looks_like_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_PREFIXES)


def neutralize(cell: str) -> str:
    """Prefix a quote to a cell a spreadsheet would run as a formula."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def unneutralize(cell: str) -> str:
    """Undo :func:`neutralize` (a quote followed by a formula character)."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@":
        return cell[1:]
    return cell


def read_table(path: Path) -> Table:
    """Read a CSV or XLSX file. Raises :class:`ValidationError` for a file that cannot be read at all."""
    if not path.is_file():
        raise ValidationError(
            _("The file {path} does not exist.").format(path=path), _("Check the file name and folder.")
        )
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(path)
    if suffix in CSV_SUFFIXES:
        return read_csv(path)
    raise ValidationError(
        _("Unsupported file type: {name}.").format(name=path.name),
        _("Save the sheet as CSV (UTF-8) or as an Excel workbook (.xlsx)."),
    )


def read_csv(path: Path) -> Table:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(
            _("The file {name} is not UTF-8 text (first bad byte on line {line}).").format(
                name=path.name, line=line
            ),
            _("Save it again as 'CSV UTF-8 (comma delimited)' from the spreadsheet program."),
        ) from exc
    return parse_csv_text(text)


def parse_csv_text(text: str) -> Table:
    # The first non-blank line, without splitting the whole text (any line ending: \n, \r\n or \r).
    first_line = next((line for line in io.StringIO(text, newline=None) if line.strip()), "")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = list(reader)
    return _table_from_records(records, delimiter)


def _table_from_records(records: Sequence[Sequence[str]], delimiter: str) -> Table:
    header_index = next((i for i, rec in enumerate(records) if any(c.strip() for c in rec)), None)
    if header_index is None:
        raise ValidationError(_("The file is empty."), _("The first row must name the columns."))
    headers = tuple(c.strip() for c in records[header_index])
    width = len(headers)
    rows: list[tuple[int, tuple[str, ...]]] = []
    for index in range(header_index + 1, len(records)):
        record = records[index]
        if not "".join(record).strip():  # a blank line, or only blank cells
            continue
        cells = tuple(record[:width]) if len(record) >= width else (*record, *([""] * (width - len(record))))
        rows.append((index + 1, cells))
    return Table(headers=headers, rows=tuple(rows), delimiter=delimiter)


def read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula comes back as its text ("=..."), so the importer can refuse it.
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds (zip, xml, key errors) for a bad file
        raise ValidationError(
            _("The file {name} is not a readable Excel workbook.").format(name=path.name),
            _("Open it in the spreadsheet program and save it again as .xlsx, or save it as CSV UTF-8."),
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        records = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return _table_from_records(records, ",")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(
    path: Path, headers: Sequence[str], rows: Iterable[Sequence[str]], delimiter: str = ","
) -> None:
    """Write UTF-8 CSV with a byte-order mark (spreadsheet programs then read accents right)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow([neutralize(h) for h in headers])
        for row in rows:
            writer.writerow([neutralize(c) for c in row])


def write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Sequence[str]], title: str) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([neutralize(h) for h in headers])
    for row in rows:
        # Written as text cells: a neutralized cell stays text, serials keep leading zeros.
        sheet.append([neutralize(c) for c in row])
    workbook.save(path)
