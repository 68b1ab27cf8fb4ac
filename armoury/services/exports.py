"""Exporting the weapons on the books, in the columns of the items import (so an export imports again).

CSV (UTF-8 with a byte-order mark) and XLSX cells that a spreadsheet would run as a formula (starting with
``= + - @``) get a leading single quote; the importer removes it again. JSON is written as it is.
Weapons that have left the books (lost, stolen, destroyed, transferred out) are not exported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import TERMINAL_WHEREABOUTS
from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import _
from armoury.models import Facility, ItemType, Rack, Weapon
from armoury.security.permissions import Actor, Permission
from armoury.services.guard import authorize
from armoury.services.import_rows import ITEM_COLUMNS
from armoury.services.tabular import write_csv, write_xlsx

EXPORT_FORMATS = ("csv", "xlsx", "json")
ITEM_EXPORT_COLUMNS = tuple(c.name for c in ITEM_COLUMNS)
_BATCH = 5_000


@dataclass(frozen=True)
class ExportReport:
    path: str
    format: str
    rows: int


def export_items(
    db: Database, actor: Actor, path: Path, fmt: str, facility_code: str | None = None
) -> ExportReport:
    """Write the weapons on the books (of one facility, or of every facility the user may see)."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(
            _("Unknown export format: {format}.").format(format=fmt),
            _("Choose csv, xlsx or json."),
        )
    authorize(db, actor, Permission.EXPORT_DATA)
    facility_ids: list[int] | None = None
    if facility_code:
        with db.read() as session:
            facility_id = session.scalar(select(Facility.id).where(Facility.code == facility_code))
        if facility_id is None:
            raise NotFoundError(
                _("Unknown facility {code}.").format(code=facility_code),
                _("Check the facility code (armoury lookup lists codes with each weapon)."),
            )
        # Outside any unit of work: a refusal is audited in its own write transaction.
        authorize(db, actor, Permission.EXPORT_DATA, facility_id)
        facility_ids = [facility_id]
    elif actor.facility_ids is not None:
        facility_ids = sorted(actor.facility_ids)
    with db.read() as session:
        count = _write(path, fmt, _rows(session, facility_ids))
    return ExportReport(str(path), fmt, count)


def _query(facility_ids: list[int] | None) -> Select[Any]:
    query = (
        select(
            Weapon.serial,
            ItemType.manufacturer,
            ItemType.model,
            ItemType.category,
            ItemType.calibre,
            ItemType.country,
            Weapon.year_of_manufacture,
            Facility.code,
            Rack.code,
            Weapon.slot,
            Weapon.register,
            Weapon.condition,
            Weapon.notes,
            Weapon.contingent_country,
            Weapon.contingent_unit,
            Weapon.recovered_on,
            Weapon.recovered_place,
            Weapon.recovered_circumstances,
            Weapon.recovering_unit,
            Weapon.case_reference,
        )
        .join(ItemType, ItemType.id == Weapon.item_type_id)
        .join(Facility, Facility.id == Weapon.facility_id)
        .outerjoin(Rack, Rack.id == Weapon.rack_id)
        .where(Weapon.whereabouts.not_in(list(TERMINAL_WHEREABOUTS)))
        .order_by(Facility.code, Rack.code, Weapon.slot, Weapon.id)
    )
    if facility_ids is not None:
        query = query.where(Weapon.facility_id.in_(facility_ids))
    return query


def _rows(session: Session, facility_ids: list[int] | None) -> Iterator[dict[str, Any]]:
    result = session.execute(_query(facility_ids).execution_options(yield_per=_BATCH))
    for values in result:
        yield {
            name: (value.value if hasattr(value, "value") else value)
            for name, value in zip(ITEM_EXPORT_COLUMNS, values, strict=True)
        }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _write(path: Path, fmt: str, rows: Iterator[dict[str, Any]]) -> int:
    count = 0

    def counted_texts() -> Iterator[list[str]]:
        nonlocal count
        for row in rows:
            count += 1
            yield [_text(row[name]) for name in ITEM_EXPORT_COLUMNS]

    if fmt == "csv":
        write_csv(path, ITEM_EXPORT_COLUMNS, counted_texts())
    elif fmt == "xlsx":
        write_xlsx(path, ITEM_EXPORT_COLUMNS, counted_texts(), title="items")
    else:
        with path.open("w", encoding="utf-8") as handle:
            handle.write("[")
            for row in rows:
                handle.write(",\n " if count else "\n ")
                json.dump({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}, handle,
                          ensure_ascii=False)  # fmt: skip
                count += 1
            handle.write("\n]\n")
    return count
