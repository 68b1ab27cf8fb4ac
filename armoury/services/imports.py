"""Importing the spreadsheets depots keep today: locations, people, the catalogue and weapons.

Every import is validated first, in full: each bad row is reported with its row number (as the
spreadsheet shows it, the header being row 1), its column and the reason. Then, in the same write
transaction that validated it:

* by default the import is all-or-nothing: any error and nothing is written;
* ``dry_run`` only validates (in a read-only unit of work) and writes nothing;
* ``skip_invalid`` writes the good rows and saves the rejected ones to ``<file>.rejected.csv`` next to
  the input, with an extra ``error`` column.

Rows are written with bulk inserts (weapons: see armoury/services/import_weapons.py); existing codes and
serials are loaded into sets once per import, so validation makes no query per row. The columns, their French names and the rules are
documented in docs/import-format.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import AreaKind, FacilityKind, RackKind
from armoury.errors import ValidationError
from armoury.i18n import _
from armoury.models import Facility, ItemType, Person, Rack, StorageArea, Unit
from armoury.security.permissions import Actor, Permission
from armoury.services.bulk import bulk_work
from armoury.services.guard import authorize
from armoury.services.import_rows import (
    CATALOGUE_COLUMNS,
    ITEM_COLUMNS,
    LOCATION_COLUMNS,
    MAX_SLOTS,
    PEOPLE_COLUMNS,
    Column,
    Columns,
    ImportIssue,
    ImportReport,
    Plan,
    RowReader,
    check_item_type_row,
    code_key,
    parse_choice,
    parse_int,
    resolve_columns,
)
from armoury.services.import_weapons import validate_items, write_items
from armoury.services.tabular import Table, read_table, write_csv

__all__ = ["IMPORT_KINDS", "ImportIssue", "ImportReport", "import_file", "run_import"]

# --- the shared runner --------------------------------------------------------------------------------


Validator = Callable[[Session, Actor, Table, Columns, Plan], None]
Writer = Callable[[Session, Actor, Plan, str], tuple[int, dict[str, int]]]


def run_import(
    db: Database,
    actor: Actor,
    kind: str,
    table: Table,
    source: str,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejected_path: Path | None = None,
) -> ImportReport:
    """Validate ``table`` as ``kind`` rows and (unless refused or a dry run) write it in one transaction."""
    authorize(db, actor, Permission.IMPORT_DATA)
    spec, validate, write = _KINDS[kind]
    columns, column_warnings = resolve_columns(table.headers, spec)

    def work(session: Session) -> tuple[Plan, int, dict[str, int]]:
        plan = Plan(warnings=list(column_warnings))
        validate(session, actor, table, columns, plan)
        if dry_run or (plan.errors and not skip_invalid) or plan.valid == 0:
            return plan, 0, {}
        written, created = write(session, actor, plan, source)
        return plan, written, created

    if dry_run:
        with db.read() as session:
            plan, written, created = work(session)
    else:
        plan, written, created = db.run_write(work)
    rejected_file: str | None = None
    if skip_invalid and not dry_run and plan.bad_rows and rejected_path is not None:
        _write_rejected(rejected_path, table, plan.bad_rows)
        rejected_file = str(rejected_path)
    return ImportReport(
        kind=kind,
        source=source,
        rows=len(table.rows),
        valid=plan.valid,
        written=written,
        errors=tuple(plan.errors),
        warnings=tuple(plan.warnings),
        created=created,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        rejected_file=rejected_file,
    )


def import_file(
    db: Database, actor: Actor, kind: str, path: Path, *, dry_run: bool = False, skip_invalid: bool = False
) -> ImportReport:
    """Import the CSV or XLSX file ``path`` as ``kind`` (locations, people, catalogue or items)."""
    if kind not in _KINDS:
        raise ValidationError(_("Unknown kind of import: {kind}.").format(kind=kind))
    authorize(db, actor, Permission.IMPORT_DATA)
    rejected = path.with_name(f"{path.stem}.rejected.csv")
    with bulk_work():
        table = read_table(path)
        return run_import(
            db,
            actor,
            kind,
            table,
            path.name,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            rejected_path=rejected,
        )


def import_locations(
    db: Database, actor: Actor, path: Path, *, dry_run: bool = False, skip_invalid: bool = False
) -> ImportReport:
    return import_file(db, actor, "locations", path, dry_run=dry_run, skip_invalid=skip_invalid)


def import_people(
    db: Database, actor: Actor, path: Path, *, dry_run: bool = False, skip_invalid: bool = False
) -> ImportReport:
    return import_file(db, actor, "people", path, dry_run=dry_run, skip_invalid=skip_invalid)


def import_catalogue(
    db: Database, actor: Actor, path: Path, *, dry_run: bool = False, skip_invalid: bool = False
) -> ImportReport:
    return import_file(db, actor, "catalogue", path, dry_run=dry_run, skip_invalid=skip_invalid)


def import_items(
    db: Database, actor: Actor, path: Path, *, dry_run: bool = False, skip_invalid: bool = False
) -> ImportReport:
    return import_file(db, actor, "items", path, dry_run=dry_run, skip_invalid=skip_invalid)


def _write_rejected(path: Path, table: Table, bad_rows: Mapping[int, list[str]]) -> None:
    headers = [*table.headers, "error"]
    rows = [[*cells, "; ".join(bad_rows[number])] for number, cells in table.rows if number in bad_rows]
    write_csv(path, headers, rows, delimiter=table.delimiter)


# --- locations ----------------------------------------------------------------------------------------


@dataclass
class _NewFacility:
    row: int
    code: str
    name: str
    kind: FacilityKind
    country: str
    region: str
    id: int | None = None


@dataclass
class _LocationData:
    facilities: dict[str, int] = field(default_factory=dict)  # code key -> existing id
    new_facilities: dict[str, _NewFacility] = field(default_factory=dict)
    areas: dict[tuple[str, str], int] = field(default_factory=dict)  # existing (facility, area) -> id
    new_areas: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    new_racks: list[dict[str, Any]] = field(default_factory=list)


def _validate_locations(session: Session, actor: Actor, table: Table, columns: Columns, plan: Plan) -> None:
    data = _LocationData()
    facility_ids = {code_key(c): i for i, c in session.execute(select(Facility.id, Facility.code))}
    data.facilities = facility_ids
    id_to_code = {i: k for k, i in facility_ids.items()}
    for fid, code, aid in session.execute(select(StorageArea.facility_id, StorageArea.code, StorageArea.id)):
        data.areas[(id_to_code[fid], code_key(code))] = aid
    existing_racks = {
        (id_to_code[fid], code_key(code))
        for fid, code in session.execute(select(Rack.facility_id, Rack.code))
    }
    seen_racks: dict[tuple[str, str], int] = {}
    reader = RowReader(columns)
    for number, cells in table.rows:
        row = reader.read(number, cells, plan)
        if row is None:
            continue
        errors_before = len(plan.errors)
        fkey = code_key(row["facility_code"])
        if not fkey:
            plan.error(number, columns.label("facility_code"), _("The facility code is empty."))
            continue
        new_facility = _check_facility(row, number, fkey, data, actor, columns, plan)
        akey = code_key(row.get("area_code", ""))
        new_area = None
        if akey and (fkey, akey) not in data.areas and (fkey, akey) not in data.new_areas:
            new_area = _check_area(row, number, columns, plan)
        rkey = code_key(row.get("rack_code", ""))
        new_rack = None
        if rkey and (fkey, rkey) in seen_racks:
            plan.error(
                number,
                columns.label("rack_code"),
                _("The same rack is already on row {row}.").format(row=seen_racks[(fkey, rkey)]),
            )
        elif rkey and (fkey, rkey) in existing_racks:
            plan.warn(
                number, columns.label("rack_code"), _("This rack already exists; the row is left unchanged.")
            )
        elif rkey:
            new_rack = _check_rack(row, number, akey, columns, plan)
        if rkey:
            seen_racks.setdefault((fkey, rkey), number)
        if len(plan.errors) != errors_before:
            continue
        # Only rows without any error add anything, so --skip-invalid never creates half a row.
        plan.valid += 1
        if new_facility is not None:
            data.new_facilities[fkey] = new_facility
        if new_area is not None:
            data.new_areas[(fkey, akey)] = new_area
        if new_rack is not None:
            data.new_racks.append({"facility": fkey, "area": akey, **new_rack})
    plan.data = data


def _check_facility(
    row: dict[str, str],
    number: int,
    fkey: str,
    data: _LocationData,
    actor: Actor,
    columns: Columns,
    plan: Plan,
) -> _NewFacility | None:
    label = columns.label
    name = row.get("facility_name", "")
    if fkey in data.facilities:
        if not actor.can(Permission.IMPORT_DATA, data.facilities[fkey]):
            plan.error(number, label("facility_code"), _("You may not import into this facility."))
        return None
    if fkey in data.new_facilities:
        first = data.new_facilities[fkey]
        if name and name != first.name:
            plan.error(
                number,
                label("facility_name"),
                _("This facility is named differently on row {row}.").format(row=first.row),
            )
        return None
    errors_before = len(plan.errors)
    if len(row["facility_code"]) > 32:
        plan.error(number, label("facility_code"), _("The code is too long (at most 32 characters)."))
    if not name:
        plan.error(number, label("facility_name"), _("A new facility needs a name."))
    kind = parse_choice(FacilityKind, row.get("facility_kind", ""))
    if kind is None:
        plan.error(
            number,
            label("facility_kind"),
            _("A new facility needs a kind: national depot, unit armoury, police armoury, mission armoury "
              "or temporary storage."),
        )  # fmt: skip
    if len(plan.errors) != errors_before or kind is None:
        return None
    return _NewFacility(
        number,
        row["facility_code"],
        name,
        kind,
        row.get("facility_country", ""),
        row.get("facility_region", ""),
    )


def _check_area(row: dict[str, str], number: int, columns: Columns, plan: Plan) -> dict[str, Any] | None:
    kind_text = row.get("area_kind", "")
    area_kind = parse_choice(AreaKind, kind_text) if kind_text else AreaKind.ROOM
    if area_kind is None:
        plan.error(
            number,
            columns.label("area_kind"),
            _("Unknown kind of storage area: {value}.").format(value=kind_text),
        )
        return None
    if len(row["area_code"]) > 32:
        plan.error(number, columns.label("area_code"), _("The code is too long (at most 32 characters)."))
        return None
    return {
        "code": row["area_code"],
        "name": row.get("area_name", "") or row["area_code"],
        "kind": area_kind,
        "active": True,
    }


def _check_rack(
    row: dict[str, str], number: int, akey: str, columns: Columns, plan: Plan
) -> dict[str, Any] | None:
    label = columns.label
    errors_before = len(plan.errors)
    if not akey:
        plan.error(number, label("area_code"), _("A rack needs the storage area it stands in."))
    slots_text = row.get("slots", "")
    slots = parse_int(slots_text) if slots_text else 0
    if slots is None or not 0 <= slots <= MAX_SLOTS:
        plan.error(
            number,
            label("slots"),
            _("The number of slots must be a whole number from 0 to {max}.").format(max=MAX_SLOTS),
        )
    kind_text = row.get("rack_kind", "")
    rack_kind = parse_choice(RackKind, kind_text) if kind_text else RackKind.RIFLE_RACK
    if rack_kind is None:
        plan.error(number, label("rack_kind"), _("Unknown kind of rack: {value}.").format(value=kind_text))
    if len(row["rack_code"]) > 32:
        plan.error(number, label("rack_code"), _("The code is too long (at most 32 characters)."))
    if len(plan.errors) != errors_before:
        return None
    return {
        "code": row["rack_code"],
        "name": row.get("rack_name", ""),
        "kind": rack_kind,
        "slots": slots,
        "lock_ref": row.get("lock_ref", ""),
        "active": True,
    }


def _write_locations(session: Session, actor: Actor, plan: Plan, source: str) -> tuple[int, dict[str, int]]:
    data: _LocationData = plan.data
    connection = session.connection()
    facility_ids = dict(data.facilities)
    for fkey, new in data.new_facilities.items():
        facility_ids[fkey] = connection.execute(
            insert(Facility).returning(Facility.id),
            [{"code": new.code, "name": new.name, "kind": new.kind, "country": new.country,
              "region": new.region, "active": True}],
        ).scalar_one()  # fmt: skip
    area_ids = dict(data.areas)
    for (fkey, akey), values in data.new_areas.items():
        area_ids[(fkey, akey)] = connection.execute(
            insert(StorageArea).returning(StorageArea.id), [{**values, "facility_id": facility_ids[fkey]}]
        ).scalar_one()
    rack_rows = [
        {
            "facility_id": facility_ids[r["facility"]],
            "area_id": area_ids[(r["facility"], r["area"])],
            **{k: v for k, v in r.items() if k not in ("facility", "area")},
        }
        for r in data.new_racks
    ]
    if rack_rows:
        connection.execute(insert(Rack), rack_rows)
    created = {
        "facilities": len(data.new_facilities),
        "areas": len(data.new_areas),
        "racks": len(rack_rows),
    }
    return sum(created.values()), created


# --- people -------------------------------------------------------------------------------------------


def _validate_people(session: Session, actor: Actor, table: Table, columns: Columns, plan: Plan) -> None:
    existing = {code_key(n) for n in session.scalars(select(Person.service_number))}
    units = {code_key(c): i for i, c in session.execute(select(Unit.id, Unit.code))}
    new_units: dict[str, dict[str, str]] = {}
    seen: dict[str, int] = {}
    people: list[dict[str, Any]] = []
    reader = RowReader(columns)
    label = columns.label
    for number, cells in table.rows:
        row = reader.read(number, cells, plan)
        if row is None:
            continue
        errors_before = len(plan.errors)
        number_text = row["service_number"]
        key = code_key(number_text)
        if not key:
            plan.error(number, label("service_number"), _("The service number is empty."))
        elif key in seen:
            plan.error(
                number,
                label("service_number"),
                _("The same service number is already on row {row}.").format(row=seen[key]),
            )
        elif key in existing:
            plan.error(number, label("service_number"), _("This service number is already on the roster."))
        elif len(number_text) > 40:
            plan.error(
                number, label("service_number"), _("This is too long (at most {n} characters).").format(n=40)
            )
        if key:
            seen.setdefault(key, number)
        if not row["surname"]:
            plan.error(number, label("surname"), _("The surname is empty."))
        unit = row.get("unit", "")
        ukey = code_key(unit)
        if len(unit) > 40:
            plan.error(number, label("unit"), _("This is too long (at most {n} characters).").format(n=40))
        if len(plan.errors) != errors_before:
            continue
        if ukey and ukey not in units and ukey not in new_units:
            new_units[ukey] = {"code": unit, "name": row.get("unit_name", "") or unit, "country": ""}
        people.append(
            {
                "service_number": number_text,
                "surname": row["surname"],
                "given_names": row.get("given_names", ""),
                "rank": row.get("rank", ""),
                "unit": ukey,
                "qualifications": row.get("qualifications", ""),
                "active": True,
            }
        )
        plan.valid += 1
    plan.data = (units, new_units, people)


def _write_people(session: Session, actor: Actor, plan: Plan, source: str) -> tuple[int, dict[str, int]]:
    units, new_units, people = plan.data
    connection = session.connection()
    unit_ids = dict(units)
    for ukey, values in new_units.items():
        unit_ids[ukey] = connection.execute(insert(Unit).returning(Unit.id), [values]).scalar_one()
    rows = [
        {**{k: v for k, v in p.items() if k != "unit"}, "unit_id": unit_ids.get(p["unit"])} for p in people
    ]
    if rows:
        connection.execute(insert(Person), rows)
    return len(rows), {"people": len(rows), "units": len(new_units)}


# --- catalogue ----------------------------------------------------------------------------------------


def _validate_catalogue(session: Session, actor: Actor, table: Table, columns: Columns, plan: Plan) -> None:
    existing = set(session.execute(select(ItemType.manufacturer_key, ItemType.model_key)).tuples())
    seen: dict[tuple[str, str], int] = {}
    new: list[dict[str, Any]] = []
    reader = RowReader(columns)
    for number, cells in table.rows:
        row = reader.read(number, cells, plan)
        if row is None:
            continue
        values = check_item_type_row(row, number, columns, plan, category_required=True)
        if values is None:
            continue
        key = (values["manufacturer_key"], values["model_key"])
        if key in seen:
            plan.error(
                number,
                columns.label("model"),
                _("The same make and model is already on row {row}.").format(row=seen[key]),
            )
            continue
        seen[key] = number
        plan.valid += 1
        if key in existing:
            plan.warn(
                number, columns.label("model"), _("Already in the catalogue; the row is left unchanged.")
            )
        else:
            new.append(values)
    plan.data = new


def _write_catalogue(session: Session, actor: Actor, plan: Plan, source: str) -> tuple[int, dict[str, int]]:
    if plan.data:
        session.connection().execute(insert(ItemType), plan.data)
    return len(plan.data), {"item_types": len(plan.data)}


_KINDS: dict[str, tuple[Sequence[Column], Validator, Writer]] = {
    "locations": (LOCATION_COLUMNS, _validate_locations, _write_locations),
    "people": (PEOPLE_COLUMNS, _validate_people, _write_people),
    "catalogue": (CATALOGUE_COLUMNS, _validate_catalogue, _write_catalogue),
    "items": (ITEM_COLUMNS, validate_items, write_items),
}
IMPORT_KINDS = tuple(_KINDS)
