"""Printing labels: what goes on each label, the print log, label products, corrections and calibration.

Every print and reprint is written to the append-only print log (who, when, which records, which product)
in the same unit of work that accepts the print; :func:`print_history` shows it in a record's history.
Margin and gap corrections are saved per product, calibration offsets per printer ('' for PDFs). Custom
sheet products are stored in the database and listed with the built-in ones.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Whereabouts
from armoury.domain.serials import serial_key
from armoury.errors import ConflictError, NotFoundError, ValidationError
from armoury.i18n import _
from armoury.labels import render
from armoury.labels.payload import LabelKind, encode, looks_like_label
from armoury.labels.products import (
    BUILT_IN,
    BUILT_IN_NAMES,
    Corrections,
    LabelProduct,
    custom_product,
)
from armoury.labels.render import LabelContent
from armoury.labels.resolver import depot_code_in, key_table, resolve_in
from armoury.models import Facility, ItemType, Person, Rack, StorageArea, Weapon
from armoury.models.base import utcnow
from armoury.models.labels import (
    LabelCorrection,
    LabelPrintItem,
    LabelPrintJob,
    LabelProductDefinition,
    PrinterCalibration,
)
from armoury.security.permissions import Actor, Permission
from armoury.services.guard import authorize

Record = tuple[LabelKind, int]
_CHUNK = 500


@dataclass(frozen=True)
class PrintJob:
    """A logged print: its number, when, who, the product, and how many labels of how many records."""

    id: int
    printed_at: datetime
    username: str
    product: str
    start: int
    copies: int
    label_count: int
    record_count: int
    reprints: int
    destination: str


@dataclass(frozen=True)
class PrintRecord:
    """One line of a record's label history."""

    job_id: int
    printed_at: datetime
    username: str
    product: str
    copies: int
    reprint: bool
    destination: str


# --- products, corrections, calibration ------------------------------------------------------------------


def _product_from_row(row: LabelProductDefinition) -> LabelProduct:
    return custom_product(
        row.name,
        row.title,
        (row.page_width, row.page_height),
        (row.columns, row.rows),
        (row.label_width, row.label_height),
        (row.margin_left, row.margin_top),
        (row.pitch_x, row.pitch_y),
    )


def list_products(db: Database, actor: Actor) -> list[LabelProduct]:
    """The built-in products, then the custom ones by name."""
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        rows = session.scalars(select(LabelProductDefinition).order_by(LabelProductDefinition.name)).all()
        return [*BUILT_IN, *(_product_from_row(r) for r in rows)]


def find_product(db: Database, actor: Actor, name: str) -> LabelProduct:
    """The product called ``name`` (built-in or custom), or a NotFoundError listing the known names."""
    wanted = name.strip().lower()
    for product in list_products(db, actor):
        if product.name == wanted:
            return product
    raise NotFoundError(
        _("There is no label product called {name}.").format(name=name),
        _("Known products: {names}. Run 'armoury labels products' to list custom ones too.").format(
            names=", ".join(BUILT_IN_NAMES)
        ),
    )


def define_product(
    db: Database,
    actor: Actor,
    name: str,
    title: str,
    page: tuple[float, float],
    grid: tuple[int, int],
    label: tuple[float, float],
    margins: tuple[float, float],
    pitch: tuple[float, float],
) -> LabelProduct:
    """Save a custom sheet product (mm). Its geometry is checked; a taken name is a conflict."""
    authorize(db, actor, Permission.MANAGE_LABEL_PRODUCTS)
    product = custom_product(name, title, page, grid, label, margins, pitch)

    def work(session: Session) -> None:
        taken = session.scalar(
            select(LabelProductDefinition.id).where(LabelProductDefinition.name == product.name)
        )
        if taken is not None:
            raise ConflictError(
                _("A label product called {name} already exists.").format(name=product.name),
                _("Choose another name."),
            )
        session.add(
            LabelProductDefinition(
                name=product.name,
                title=product.title,
                page_width=product.page_width,
                page_height=product.page_height,
                columns=product.columns,
                rows=product.rows,
                label_width=product.label_width,
                label_height=product.label_height,
                margin_left=product.margin_left,
                margin_top=product.margin_top,
                pitch_x=product.pitch_x,
                pitch_y=product.pitch_y,
            )
        )

    db.run_write(work)
    return product


def corrections_for(db: Database, product: str, printer: str = "") -> Corrections:
    """The saved corrections of ``product`` combined with the calibration offset of ``printer``."""
    with db.read() as session:
        row = session.get(LabelCorrection, product)
        offset = session.get(PrinterCalibration, printer)
        return Corrections(
            margin_x=row.margin_x if row else 0.0,
            margin_y=row.margin_y if row else 0.0,
            gap_x=row.gap_x if row else 0.0,
            gap_y=row.gap_y if row else 0.0,
            offset_x=offset.offset_x if offset else 0.0,
            offset_y=offset.offset_y if offset else 0.0,
        )


def save_corrections(
    db: Database, actor: Actor, product: str, margin_x: float, margin_y: float, gap_x: float, gap_y: float
) -> Corrections:
    """Save the margin and gap corrections of ``product`` (mm, -10 to +10)."""
    authorize(db, actor, Permission.PRINT_LABELS)
    checked = Corrections(margin_x=margin_x, margin_y=margin_y, gap_x=gap_x, gap_y=gap_y)
    find_product(db, actor, product)

    def work(session: Session) -> None:
        row = session.get(LabelCorrection, product) or LabelCorrection(product=product)
        row.margin_x, row.margin_y = checked.margin_x, checked.margin_y
        row.gap_x, row.gap_y = checked.gap_x, checked.gap_y
        session.add(row)

    db.run_write(work)
    return corrections_for(db, product)


def save_printer_offset(db: Database, actor: Actor, printer: str, offset_x: float, offset_y: float) -> None:
    """Save the calibration offset of ``printer`` ('' for PDFs), in mm, -10 to +10."""
    authorize(db, actor, Permission.PRINT_LABELS)
    checked = Corrections(offset_x=offset_x, offset_y=offset_y)

    def work(session: Session) -> None:
        row = session.get(PrinterCalibration, printer) or PrinterCalibration(printer=printer)
        row.offset_x, row.offset_y = checked.offset_x, checked.offset_y
        session.add(row)

    db.run_write(work)


# --- choosing records and building label contents ---------------------------------------------------------


def _facility_by_code(session: Session, code: str) -> Facility:
    facility = session.scalar(select(Facility).where(func.lower(Facility.code) == code.strip().lower()))
    if facility is None:
        raise NotFoundError(
            _("There is no facility with the code {code}.").format(code=code),
            _("Check the code; 'armoury facilities' lists them."),
        )
    return facility


def select_records(
    db: Database,
    actor: Actor,
    facility: str,
    area: str | None = None,
    rack: str | None = None,
    items: Sequence[str] = (),
    people: bool = False,
    locations: bool = False,
) -> list[Record]:
    """The records the command line asks labels for (see ``armoury labels --help`` and docs/labels.md).

    ``items`` are weapon serials or label texts; ``people`` is the roster; ``locations`` the facility, its
    areas and racks (limited by ``area``/``rack``); otherwise the weapons in store in the facility, area or
    rack. Each record comes once, in a stable order.
    """
    with db.read() as session:
        site = _facility_by_code(session, facility)
        site_id = site.id
    authorize(db, actor, Permission.PRINT_LABELS, site_id)
    with db.read() as session:
        area_id = rack_id = None
        if area:
            area_id = session.scalar(
                select(StorageArea.id).where(
                    StorageArea.facility_id == site_id, func.lower(StorageArea.code) == area.strip().lower()
                )
            )
            if area_id is None:
                raise NotFoundError(
                    _("There is no storage area {code} in facility {facility}.").format(
                        code=area, facility=facility
                    ),
                    _("Check the area code."),
                )
        if rack:
            rack_id = session.scalar(
                select(Rack.id).where(
                    Rack.facility_id == site_id, func.lower(Rack.code) == rack.strip().lower()
                )
            )
            if rack_id is None:
                raise NotFoundError(
                    _("There is no rack {code} in facility {facility}.").format(code=rack, facility=facility),
                    _("Check the rack code."),
                )
        records: list[Record] = []
        if items:
            records += [_item(session, site_id, ref) for ref in items]
        if people:
            ids = session.scalars(select(Person.id).where(Person.active.is_(True)).order_by(Person.id)).all()
            records += [(LabelKind.PERSON, i) for i in ids]
        if locations:
            records += _locations(session, site_id, area_id, rack_id)
        if not (items or people or locations):
            query = select(Weapon.id).where(
                Weapon.facility_id == site_id, Weapon.whereabouts == Whereabouts.IN_STORE
            )
            if rack_id is not None:
                query = query.where(Weapon.rack_id == rack_id)
            elif area_id is not None:
                query = query.join(Rack, Rack.id == Weapon.rack_id).where(Rack.area_id == area_id)
            ids = session.scalars(query.order_by(Weapon.rack_id, Weapon.slot, Weapon.id)).all()
            records += [(LabelKind.WEAPON, i) for i in ids]
    unique = list(dict.fromkeys(records))
    if not unique:
        raise ValidationError(
            _("Nothing to print: the selection has no records."),
            _("Check the facility, area and rack codes, or name the weapons with --items."),
        )
    return unique


def _item(session: Session, facility_id: int, ref: str) -> Record:
    if looks_like_label(ref):
        target = resolve_in(session, ref)
        return target.kind, target.record_id
    ids = session.scalars(
        select(Weapon.id).where(Weapon.facility_id == facility_id, Weapon.serial_key == serial_key(ref))
    ).all()
    if not ids:
        raise NotFoundError(
            _("No weapon with the serial {serial} in this facility.").format(serial=ref),
            _("Check the serial as marked on the weapon, or scan its label."),
        )
    if len(ids) > 1:
        raise ConflictError(
            _("{count} weapons have the serial {serial}.").format(count=len(ids), serial=ref),
            _("Scan the label of the one you mean instead of typing the serial."),
        )
    return LabelKind.WEAPON, ids[0]


def _locations(session: Session, facility_id: int, area_id: int | None, rack_id: int | None) -> list[Record]:
    if rack_id is not None:
        return [(LabelKind.RACK, rack_id)]
    out: list[Record] = []
    if area_id is None:
        out.append((LabelKind.FACILITY, facility_id))
        areas = session.scalars(
            select(StorageArea.id).where(StorageArea.facility_id == facility_id).order_by(StorageArea.code)
        ).all()
    else:
        areas = [area_id]
    for a in areas:
        out.append((LabelKind.AREA, a))
        racks = session.scalars(select(Rack.id).where(Rack.area_id == a).order_by(Rack.code)).all()
        out += [(LabelKind.RACK, r) for r in racks]
    return out


def label_contents(db: Database, actor: Actor, records: Sequence[Record]) -> list[LabelContent]:
    """What to print on the label of each record, in the order given. Unknown records are NotFoundError."""
    with db.read() as session:
        depot = depot_code_in(session)
        found: dict[Record, tuple[LabelContent, int | None]] = {}
        for kind in LabelKind:
            ids = [i for k, i in records if k is kind]
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                for record_id, content, facility_id in _BUILDERS[kind](session, chunk, depot):
                    found[(kind, record_id)] = (content, facility_id)
    missing = [r for r in records if r not in found]
    if missing:
        kind, record_id = missing[0]
        raise NotFoundError(
            _("There is no {kind} number {number} to label.").format(
                kind=kind.label.lower(), number=record_id
            ),
            _("It may have been removed; refresh the list and try again."),
        )
    facilities = {found[r][1] for r in records}
    for facility_id in sorted(facilities, key=lambda f: (f is None, f or 0)):
        authorize(db, actor, Permission.PRINT_LABELS, facility_id)
    return [found[r][0] for r in records]


Built = Iterable[tuple[int, LabelContent, int | None]]


def _weapons(session: Session, ids: list[int], depot: str) -> Built:
    rows = session.execute(
        select(
            Weapon.id, Weapon.serial, Weapon.facility_id, ItemType.manufacturer, ItemType.model,
            ItemType.calibre, Facility.code,
        )
        .join(ItemType, ItemType.id == Weapon.item_type_id)
        .join(Facility, Facility.id == Weapon.facility_id)
        .where(Weapon.id.in_(ids))
    )  # fmt: skip
    for wid, serial, fid, make, model, calibre, fcode in rows:
        lines = render.weapon_lines(serial, f"{make} {model}", calibre, f"{fcode} · {depot}")
        yield wid, LabelContent(LabelKind.WEAPON, wid, encode(LabelKind.WEAPON, wid, depot), lines), fid


def _racks(session: Session, ids: list[int], depot: str) -> Built:
    rows = session.execute(
        select(Rack.id, Rack.code, Rack.name, Rack.facility_id, StorageArea.name, Facility.code)
        .join(StorageArea, StorageArea.id == Rack.area_id)
        .join(Facility, Facility.id == Rack.facility_id)
        .where(Rack.id.in_(ids))
    )
    for rid, code, name, fid, area, fcode in rows:
        lines = render.place_lines(code, name, f"{area} · {fcode}")
        yield rid, LabelContent(LabelKind.RACK, rid, encode(LabelKind.RACK, rid, depot), lines), fid


def _areas(session: Session, ids: list[int], depot: str) -> Built:
    rows = session.execute(
        select(StorageArea.id, StorageArea.code, StorageArea.name, StorageArea.facility_id, Facility.name)
        .join(Facility, Facility.id == StorageArea.facility_id)
        .where(StorageArea.id.in_(ids))
    )
    for aid, code, name, fid, fname in rows:
        lines = render.place_lines(code, name, fname)
        yield aid, LabelContent(LabelKind.AREA, aid, encode(LabelKind.AREA, aid, depot), lines), fid


def _facilities(session: Session, ids: list[int], depot: str) -> Built:
    rows = session.execute(
        select(Facility.id, Facility.code, Facility.name, Facility.region, Facility.country).where(
            Facility.id.in_(ids)
        )
    )
    for fid, code, name, region, country in rows:
        place = ", ".join(p for p in (region, country) if p)
        lines = render.place_lines(code, name, place)
        yield fid, LabelContent(LabelKind.FACILITY, fid, encode(LabelKind.FACILITY, fid, depot), lines), fid


def _people(session: Session, ids: list[int], depot: str) -> Built:
    for person in session.scalars(select(Person).where(Person.id.in_(ids))):
        name = " ".join(p for p in (person.surname.upper(), person.given_names) if p)
        lines = render.person_lines(name, person.rank, person.service_number)
        content = LabelContent(LabelKind.PERSON, person.id, encode(LabelKind.PERSON, person.id, depot), lines)
        yield person.id, content, None


def _keys(session: Session, ids: list[int], depot: str) -> Built:
    table = key_table()
    if table is None:
        return
    for row in session.execute(select(table).where(table.c.id.in_(ids))).mappings():
        number = next((str(row[c]) for c in ("number", "code", "name") if row.get(c)), str(row["id"]))
        description = str(row.get("description") or row.get("name") or "")
        lines = render.key_lines(number, description, "")
        kid = int(row["id"])
        facility = row.get("facility_id")
        content = LabelContent(LabelKind.KEY, kid, encode(LabelKind.KEY, kid, depot), lines)
        yield kid, content, int(facility) if facility else None


_BUILDERS: dict[LabelKind, Callable[[Session, list[int], str], Built]] = {
    LabelKind.WEAPON: _weapons,
    LabelKind.RACK: _racks,
    LabelKind.AREA: _areas,
    LabelKind.FACILITY: _facilities,
    LabelKind.PERSON: _people,
    LabelKind.KEY: _keys,
}


# --- the print log -----------------------------------------------------------------------------------------


def record_print(
    db: Database,
    actor: Actor,
    product: LabelProduct,
    contents: Sequence[LabelContent],
    start: int = 1,
    copies: int = 1,
    destination: str = "pdf",
) -> PrintJob:
    """Log a print (or PDF) of ``contents``; a record printed before is marked as a reprint."""
    authorize(db, actor, Permission.PRINT_LABELS)
    if not contents:
        raise ValidationError(
            _("Nothing to print: the selection has no records."), _("Select records first.")
        )
    if destination not in ("pdf", "printer"):
        raise ValueError(destination)

    def work(session: Session) -> PrintJob:
        job = LabelPrintJob(
            printed_at=utcnow(),
            user_id=actor.user_id,
            username=actor.username,
            product=product.name,
            start_position=start,
            copies=copies,
            label_count=len(contents) * copies,
            destination=destination,
        )
        session.add(job)
        session.flush()
        unique = list(dict.fromkeys((c.kind.letter, c.record_id, c.payload) for c in contents))
        printed_before: set[tuple[str, int]] = set()
        for letter in {u[0] for u in unique}:
            ids = [u[1] for u in unique if u[0] == letter]
            for start_at in range(0, len(ids), _CHUNK):
                chunk = ids[start_at : start_at + _CHUNK]
                rows = session.scalars(
                    select(LabelPrintItem.record_id)
                    .where(LabelPrintItem.kind == letter, LabelPrintItem.record_id.in_(chunk))
                    .distinct()
                )
                printed_before.update((letter, r) for r in rows)
        session.execute(
            insert(LabelPrintItem),
            [
                {
                    "job_id": job.id,
                    "kind": letter,
                    "record_id": record_id,
                    "payload": payload,
                    "reprint": (letter, record_id) in printed_before,
                }
                for letter, record_id, payload in unique
            ],
        )
        seen = {(u[0], u[1]) for u in unique}
        reprints = len(printed_before)
        return PrintJob(
            id=job.id,
            printed_at=job.printed_at,
            username=job.username,
            product=job.product,
            start=start,
            copies=copies,
            label_count=job.label_count,
            record_count=len(seen),
            reprints=reprints,
            destination=destination,
        )

    return db.run_write(work)


def print_history(db: Database, actor: Actor, kind: LabelKind, record_id: int) -> tuple[PrintRecord, ...]:
    """Every print of the label of one record, oldest first (for the record's history)."""
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        rows = session.execute(
            select(
                LabelPrintJob.id,
                LabelPrintJob.printed_at,
                LabelPrintJob.username,
                LabelPrintJob.product,
                LabelPrintJob.copies,
                LabelPrintItem.reprint,
                LabelPrintJob.destination,
            )
            .join(LabelPrintJob, LabelPrintJob.id == LabelPrintItem.job_id)
            .where(LabelPrintItem.kind == kind.letter, LabelPrintItem.record_id == record_id)
            .order_by(LabelPrintJob.id)
        ).all()
    return tuple(PrintRecord(*row) for row in rows)


def write_pdf(
    db: Database,
    actor: Actor,
    records: Sequence[Record],
    product: LabelProduct,
    path: Path,
    start: int = 1,
    copies: int = 1,
    printer: str = "",
    progress: Callable[[int, int], bool] | None = None,
) -> PrintJob:
    """Write the labels of ``records`` to the PDF ``path`` and log the print.

    The file appears only when the print is logged: it is written next to ``path`` first, then renamed. A
    cancelled run (``progress`` returned False) raises :class:`armoury.labels.render.LabelRunCancelled`
    and leaves nothing behind.
    """
    authorize(db, actor, Permission.PRINT_LABELS)
    contents = label_contents(db, actor, records)
    corrections = corrections_for(db, product.name, printer)
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=".labels-", suffix=".pdf", dir=path.parent or Path("."))
    os.close(handle)
    try:
        render.render_pdf(temporary, contents, product, start, copies, corrections, progress=progress)
        job = record_print(db, actor, product, contents, start, copies, "pdf")
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return job
