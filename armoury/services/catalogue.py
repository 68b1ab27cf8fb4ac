"""The item-type catalogue: makes and models of weapons, unique per manufacturer and model.

Manufacturer and model are compared through normalized keys (case, spaces, dashes and look-alike
characters folded, as serial numbers are), so "Kalashnikov AK-47" and "KALASHNIKOV ak47" are the same
type. Item types are never deleted: weapons refer to them for ever.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Category
from armoury.domain.serials import serial_key
from armoury.errors import NotFoundError
from armoury.i18n import _
from armoury.models import ItemType, Weapon
from armoury.security.permissions import Actor, Permission
from armoury.services.fields import FieldConflictError, FieldProblem, clean, raise_first
from armoury.services.guard import authorize

NAME_MAX = 120


@dataclass(frozen=True)
class ItemTypeData:
    category: Category
    manufacturer: str
    model: str
    calibre: str = ""
    country: str = ""


@dataclass(frozen=True)
class ItemTypeInfo:
    id: int
    category: Category
    manufacturer: str
    model: str
    calibre: str
    country: str
    weapons: int = 0

    @property
    def display_name(self) -> str:
        return f"{self.manufacturer} {self.model}"


def _info(item: ItemType, weapons: int = 0) -> ItemTypeInfo:
    return ItemTypeInfo(
        item.id, item.category, item.manufacturer, item.model, item.calibre, item.country, weapons
    )


def check_item_type(data: ItemTypeData) -> list[FieldProblem]:
    """Problems of an item-type form, field by field (no database needed)."""
    problems: list[FieldProblem] = []
    for field, value, message in (
        ("manufacturer", data.manufacturer, _("The manufacturer is required.")),
        ("model", data.model, _("The model is required.")),
    ):
        if not serial_key(clean(value)):
            problems.append(FieldProblem(field, message, _("Write it as marked on the weapon.")))
        elif len(clean(value)) > NAME_MAX:
            problems.append(
                FieldProblem(field, _("This is too long (at most {n} characters).").format(n=NAME_MAX))
            )
    if len(clean(data.calibre)) > 60:
        problems.append(FieldProblem("calibre", _("This is too long (at most {n} characters).").format(n=60)))
    return problems


def _duplicate(session: Session, data: ItemTypeData, exclude: int | None) -> None:
    query = select(ItemType).where(
        ItemType.manufacturer_key == serial_key(data.manufacturer),
        ItemType.model_key == serial_key(data.model),
    )
    if exclude is not None:
        query = query.where(ItemType.id != exclude)
    existing = session.scalar(query)
    if existing is not None:
        raise FieldConflictError(
            "model",
            _("The catalogue already has {name}.").format(name=existing.display_name),
            _("Use the existing item type instead of creating a second one."),
        )


def _fill(item: ItemType, data: ItemTypeData) -> None:
    item.category = data.category
    item.manufacturer = clean(data.manufacturer)
    item.model = clean(data.model)
    item.manufacturer_key = serial_key(data.manufacturer)
    item.model_key = serial_key(data.model)
    item.calibre = clean(data.calibre)
    item.country = clean(data.country)


def create_item_type(db: Database, actor: Actor, data: ItemTypeData) -> ItemTypeInfo:
    """Add a make and model to the catalogue."""
    authorize(db, actor, Permission.MANAGE_CATALOGUE)
    raise_first(check_item_type(data))

    def work(session: Session) -> ItemTypeInfo:
        _duplicate(session, data, None)
        item = ItemType()
        _fill(item, data)
        session.add(item)
        session.flush()
        return _info(item)

    return db.run_write(work)


def update_item_type(db: Database, actor: Actor, item_type_id: int, data: ItemTypeData) -> ItemTypeInfo:
    """Correct an item type (spelling, calibre, category). Its weapons follow."""
    authorize(db, actor, Permission.MANAGE_CATALOGUE)
    raise_first(check_item_type(data))

    def work(session: Session) -> ItemTypeInfo:
        item = _item(session, item_type_id)
        _duplicate(session, data, item_type_id)
        _fill(item, data)
        session.flush()
        return _info(item)

    return db.run_write(work)


def _item(session: Session, item_type_id: int) -> ItemType:
    item = session.get(ItemType, item_type_id)
    if item is None:
        raise NotFoundError(
            _("There is no item type with number {id}.").format(id=item_type_id),
            _("It may have been changed by another workstation; refresh the view."),
        )
    return item


def get_item_type(db: Database, actor: Actor, item_type_id: int) -> ItemTypeInfo:
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        return _info(_item(session, item_type_id))


def list_item_types(db: Database, actor: Actor, with_counts: bool = False) -> list[ItemTypeInfo]:
    """The whole catalogue by manufacturer and model (a catalogue has hundreds of entries, not millions)."""
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        counts: dict[int, int] = {}
        if with_counts:
            rows = session.execute(select(Weapon.item_type_id, func.count()).group_by(Weapon.item_type_id))
            counts = {int(r[0]): int(r[1]) for r in rows}
        items = session.scalars(select(ItemType).order_by(ItemType.manufacturer_key, ItemType.model_key))
        return [_info(i, counts.get(i.id, 0)) for i in items]
