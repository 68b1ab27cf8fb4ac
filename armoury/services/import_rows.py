"""The rows of an import file: columns and their French names, the report, row-level checks.

Shared by the import services (armoury.services.imports, armoury.services.import_items) and the export,
which writes the same columns so that an export imports again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, TypeVar

from armoury.domain.enums import Category, LabelledEnum
from armoury.domain.serials import serial_key, serial_skeleton
from armoury.errors import ValidationError
from armoury.i18n import _
from armoury.services.tabular import fold_header, looks_like_formula, unneutralize

MAX_SLOTS = 10_000
E = TypeVar("E", bound=LabelledEnum)


# --- the report ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportIssue:
    """One problem: ``row`` as numbered in the file (``None`` for the whole file), the column, why."""

    row: int | None
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class ImportReport:
    """What an import found and did. ``written`` is 0 unless rows were really written."""

    kind: str
    source: str
    rows: int
    valid: int
    written: int
    errors: tuple[ImportIssue, ...]
    warnings: tuple[ImportIssue, ...]
    created: Mapping[str, int] = field(default_factory=dict)
    dry_run: bool = False
    skip_invalid: bool = False
    rejected_file: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected(self) -> int:
        return self.rows - self.valid

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "rows": self.rows,
            "valid": self.valid,
            "rejected": self.rejected,
            "written": self.written,
            "created": dict(self.created),
            "dry_run": self.dry_run,
            "skip_invalid": self.skip_invalid,
            "rejected_file": self.rejected_file,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


# --- columns ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


LOCATION_COLUMNS = (
    Column("facility_code", ("code_site", "code_installation", "code_depot", "site"), True),
    Column("facility_name", ("nom_site", "nom_installation", "nom_depot")),
    Column("facility_kind", ("type_site", "type_installation", "nature_site")),
    Column("facility_country", ("country", "pays")),
    Column("facility_region", ("region", "région")),
    Column("area_code", ("code_zone", "code_local", "code_magasin", "zone")),
    Column("area_name", ("nom_zone", "nom_local", "nom_magasin")),
    Column("area_kind", ("type_zone", "type_local")),
    Column("rack_code", ("code_ratelier", "code_râtelier", "ratelier", "râtelier")),
    Column("rack_name", ("nom_ratelier", "nom_râtelier")),
    Column("rack_kind", ("type_ratelier", "type_râtelier")),
    Column("slots", ("emplacements", "nombre_emplacements", "nb_emplacements", "places")),
    Column("lock_ref", ("serrure", "cadenas", "reference_cle", "référence_clé")),
)

PEOPLE_COLUMNS = (
    Column("service_number", ("matricule", "numero_matricule", "numéro_matricule"), True),
    Column("surname", ("nom", "nom_de_famille", "last_name"), True),
    Column("given_names", ("prenoms", "prénoms", "prenom", "prénom", "first_name")),
    Column("rank", ("grade",)),
    Column("unit", ("unite", "unité", "code_unite", "code_unité", "unit_code")),
    Column("unit_name", ("nom_unite", "nom_unité")),
    Column("qualifications", ("qualification", "qualifs", "habilitations")),
)

CATALOGUE_COLUMNS = (
    Column("manufacturer", ("fabricant", "constructeur", "make"), True),
    Column("model", ("modele", "modèle"), True),
    Column("category", ("categorie", "catégorie", "type")),
    Column("calibre", ("caliber", "calibre")),
    Column("country", ("pays", "pays_fabrication", "pays_de_fabrication", "country_of_manufacture")),
)

ITEM_COLUMNS = (
    Column(
        "serial", ("serial_number", "numero_serie", "numéro_de_série", "numero_de_serie", "n_serie"), True
    ),
    Column("manufacturer", ("fabricant", "constructeur", "make"), True),
    Column("model", ("modele", "modèle"), True),
    Column("category", ("categorie", "catégorie", "type")),
    Column("calibre", ("caliber",)),
    Column("country", ("pays", "pays_fabrication", "pays_de_fabrication", "country_of_manufacture")),
    Column("year", ("annee", "année", "annee_fabrication", "année_de_fabrication", "year_of_manufacture")),
    Column("facility_code", ("code_site", "code_installation", "code_depot", "site"), True),
    Column("rack_code", ("code_ratelier", "code_râtelier", "ratelier", "râtelier"), True),
    Column("slot", ("emplacement", "numero_emplacement", "numéro_emplacement")),
    Column("register", ("registre",)),
    Column("condition", ("etat", "état")),
    Column("notes", ("remarques", "observations")),
    Column("contingent_country", ("pays_contingent", "pays_contributeur")),
    Column("contingent_unit", ("unite_contingent", "unité_contingent")),
    Column("recovered_on", ("date_recuperation", "date_récupération", "recupere_le", "récupéré_le")),
    Column("recovered_place", ("lieu_recuperation", "lieu_récupération")),
    Column("recovered_circumstances", ("circonstances",)),
    Column("recovering_unit", ("unite_recuperatrice", "unité_récupératrice")),
    Column("case_reference", ("reference_dossier", "référence_dossier", "numero_dossier", "numéro_dossier")),
)


@dataclass(frozen=True)
class Columns:
    """Where each known column is in a file, and what the file calls it."""

    index: Mapping[str, int]
    header: Mapping[str, str]

    def label(self, name: str) -> str:
        return self.header.get(name, name)


def resolve_columns(headers: Sequence[str], spec: Sequence[Column]) -> tuple[Columns, list[ImportIssue]]:
    """Match a file's headers to ``spec``. Missing required columns are an error for the whole file."""
    lookup: dict[str, str] = {}
    for column in spec:
        for alias in (column.name, *column.aliases):
            lookup.setdefault(fold_header(alias), column.name)
    index: dict[str, int] = {}
    header: dict[str, str] = {}
    warnings: list[ImportIssue] = []
    for position, text in enumerate(headers):
        name = lookup.get(fold_header(text))
        if name is None:
            if text.strip():
                warnings.append(ImportIssue(None, text, _("Unknown column; it is ignored.")))
            continue
        if name in index:
            raise ValidationError(
                _("The columns {first} and {second} both mean {name}.").format(
                    first=header[name], second=text, name=name
                ),
                _("Keep only one of them in the first row."),
            )
        index[name] = position
        header[name] = text
    missing = [c.name for c in spec if c.required and c.name not in index]
    if missing:
        raise ValidationError(
            _("The file lacks the required columns: {columns}.").format(columns=", ".join(missing)),
            _("The first row must name the columns; see docs/import-format.md for their names."),
        )
    return Columns(index, header), warnings


@dataclass
class Plan:
    """What validation found: issues per row, and the work the writer needs (kind-specific)."""

    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    bad_rows: dict[int, list[str]] = field(default_factory=dict)
    valid: int = 0
    data: Any = None

    def error(self, row: int, column: str, reason: str) -> None:
        self.errors.append(ImportIssue(row, column, reason))
        self.bad_rows.setdefault(row, []).append(f"{column}: {reason}")

    def warn(self, row: int | None, column: str, reason: str) -> None:
        self.warnings.append(ImportIssue(row, column, reason))


# --- helpers for validators ---------------------------------------------------------------------------


class RowReader:
    """The cells of one row by column name, with formula cells refused once for the whole row."""

    def __init__(self, columns: Columns) -> None:
        self.columns = columns
        self.positions = list(columns.index.items())

    def read(self, number: int, cells: Sequence[str], plan: Plan) -> dict[str, str] | None:
        values: dict[str, str] = {}
        bad = False
        for name, position in self.positions:
            cell = cells[position].strip()
            if looks_like_formula(cell):
                plan.error(number, self.columns.label(name), _("The cell looks like a spreadsheet formula."))
                bad = True
            values[name] = unneutralize(cell)
        return None if bad else values


def parse_int(text: str) -> int | None:
    try:
        value = float(text) if "." in text else int(text)
    except ValueError:
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    return value


def parse_date(text: str) -> date | None:
    """ISO (2024-03-31) or day first (31/03/2024, 31.03.2024)."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    for separator in ("/", ".", "-"):
        parts = text.split(separator)
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            day, month, year = (int(p) for p in parts)
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def parse_choice(enum_class: type[E], text: str) -> E | None:
    """A member by value or by English or French label, whatever the current language."""
    if not text:
        return None
    return _parse_choice(enum_class, text)  # type: ignore[return-value]


@lru_cache(maxsize=4096)
def _parse_choice(enum_class: type[LabelledEnum], text: str) -> LabelledEnum | None:
    # Cached: a file repeats the same few words on every row.
    found = enum_class.parse(text)
    return None if found is None else enum_class(found)


def code_key(code: str) -> str:
    """Codes (facility, area, rack, unit) are matched without regard to case or surrounding spaces."""
    return code.strip().casefold()


def check_item_type_row(
    row: Mapping[str, str], number: int, columns: Columns, plan: Plan, category_required: bool
) -> dict[str, Any] | None:
    """An item type from a row (catalogue or items import), or None after recording its errors."""
    label = columns.label
    errors_before = len(plan.errors)
    for name in ("manufacturer", "model"):
        value = row.get(name, "")
        if not serial_key(value):
            plan.error(number, label(name), _("The {column} is empty.").format(column=label(name)))
        elif len(value) > 120:
            plan.error(number, label(name), _("This is too long (at most {n} characters).").format(n=120))
    category_text = row.get("category", "")
    category = parse_choice(Category, category_text)
    if category_text and category is None:
        plan.error(number, label("category"), _("Unknown category: {value}.").format(value=category_text))
    elif category is None and category_required:
        plan.error(number, label("category"), _("The category is empty."))
    if len(row.get("calibre", "")) > 60:
        plan.error(number, label("calibre"), _("This is too long (at most {n} characters).").format(n=60))
    if len(plan.errors) != errors_before:
        return None
    return {
        "category": category,
        "manufacturer": row["manufacturer"],
        "model": row["model"],
        "manufacturer_key": serial_key(row["manufacturer"]),
        "model_key": serial_key(row["model"]),
        "calibre": row.get("calibre", ""),
        "country": row.get("country", ""),
    }


# Serial keys for the bulk path. For ASCII text, serial_key and serial_skeleton work character by
# character, so their effect on each ASCII character, probed once through the public functions, gives a
# translation table that computes the same result many times faster. Other text takes the full path.
_ASCII_KEY = str.maketrans(
    {chr(i): serial_key(chr(i)) or None for i in range(128) if serial_key(chr(i)) != chr(i)}
)
_ASCII_SKELETON = str.maketrans(
    {c: serial_skeleton(c) for c in map(chr, range(128)) if serial_key(c) == c and serial_skeleton(c) != c}
)


def fast_serial_key(serial: str) -> str:
    """Exactly :func:`armoury.domain.serials.serial_key`, faster for ASCII serials."""
    return serial.translate(_ASCII_KEY) if serial.isascii() else serial_key(serial)


def fast_skeleton(key: str) -> str:
    """Exactly ``serial_skeleton(key)`` for a key made by :func:`fast_serial_key`."""
    return key.translate(_ASCII_SKELETON) if key.isascii() else serial_skeleton(key)
