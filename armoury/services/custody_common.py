"""What every custody operation shares: results, naming weapons, locking them, witnesses, permissions.

An operation runs in three steps: the acting user's role is checked (``authorize``), the weapons named by
the user (ids, serials or label contents) are resolved in a read, then one write transaction locks the
weapons' rows (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serializes
writers), re-checks every rule against the locked state, appends the ledger entry and updates the weapons.
A refused operation raises and changes nothing; :class:`WeaponsBlocked` carries one result per weapon with
its reason, so a counter screen can colour each scanned weapon.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Condition, Whereabouts
from armoury.domain.serials import serial_key
from armoury.errors import ArmouryError, ConflictError, NotFoundError, PermissionDenied, ValidationError
from armoury.i18n import _
from armoury.models import Facility, ItemType, Person, Rack, Weapon
from armoury.models.ledger import LedgerOperation
from armoury.security.permissions import Actor, Permission
from armoury.services.guard import authorize
from armoury.services.ledger import ItemChange, WeaponState, append_entry

T = TypeVar("T")

Ref = int | str

# Two-person rule when armoury.services.settings does not say (names as in its WITNESS_ACTIONS).
DEFAULT_WITNESSED = frozenset({"issue", "receipt", "transfer", "destruction", "write_off"})


@dataclass(frozen=True)
class WeaponResult:
    """One weapon of an operation: accepted (``ok``) or refused with the ``reason``."""

    ref: str
    weapon_id: int | None
    serial: str
    item_type: str
    ok: bool
    reason: str = ""
    before: str = ""
    after: str = ""


@dataclass(frozen=True)
class OperationResult:
    """A committed operation: its ledger entry, its document and what happened to each weapon."""

    operation: LedgerOperation
    seq: int
    hash: str
    document_ref: str
    recorded_at: datetime
    weapons: tuple[WeaponResult, ...]

    @property
    def checkpoint(self) -> str:
        return f"{self.seq}:{self.hash}"


class WeaponsBlocked(ConflictError):
    """Some weapons cannot take part in the operation; nothing was changed. ``results`` says why, each."""

    def __init__(self, results: Sequence[WeaponResult]) -> None:
        refused = [r for r in results if not r.ok]
        first = refused[0].reason if refused else ""
        message = (
            _("{count} weapon cannot take part: {reason}")
            if len(refused) == 1
            else _("{count} weapons cannot take part; the first: {reason}")
        ).format(count=len(refused), reason=first)
        super().__init__(message, _("Remove them from the list or resolve what is said, then try again."))
        self.results = tuple(results)

    def __str__(self) -> str:
        lines = [self.message, *(f"  {r.ref}: {r.reason}" for r in self.results if not r.ok)]
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


@dataclass(frozen=True)
class Row:
    """A locked weapon's current state and the names shown in messages."""

    id: int
    serial: str
    item_type: str
    state: WeaponState
    holder: str
    ref: str

    @property
    def label(self) -> str:
        return f"{self.item_type} {self.serial}"


class FacilityDenied(Exception):
    """Raised inside a transaction; the caller leaves it and lets ``authorize`` record and refuse."""

    def __init__(self, permission: Permission, facility_id: int) -> None:
        super().__init__(facility_id)
        self.permission = permission
        self.facility_id = facility_id


def run(db: Database, actor: Actor, work: Callable[[Session], T]) -> T:
    """Run one write unit of work; turn a facility refusal and a lost race into domain errors."""
    try:
        return db.run_write(work)
    except FacilityDenied as denied:
        authorize(db, actor, denied.permission, denied.facility_id)
        raise PermissionDenied(_("Not allowed at this facility.")) from None  # pragma: no cover
    except IntegrityError as exc:
        raise ConflictError(
            _("Another workstation changed these weapons at the same moment."),
            _("Look at the weapons again and repeat the action if it is still needed."),
        ) from exc


def check_facility(actor: Actor, permission: Permission, facility_id: int) -> None:
    if not actor.can(permission, facility_id):
        raise FacilityDenied(permission, facility_id)


# ------------------------------------------------------------------------------------------ witnesses


def witness_required(db: Database, action: str) -> bool:
    """The two-person rule for ``action`` (settings when the security module provides it)."""
    try:
        settings = importlib.import_module("armoury.services.settings")
    except ImportError:
        return action in DEFAULT_WITNESSED
    requires = getattr(settings, "requires_witness", None)
    if requires is None:
        return action in DEFAULT_WITNESSED
    try:
        return bool(requires(db, action))
    except ValueError:
        return action in DEFAULT_WITNESSED


def check_witnesses(
    db: Database, actor: Actor, witnesses: Sequence[Actor], action: str, needed: int | None = None
) -> None:
    """Refuse a missing, repeated or unsuitable witness. ``needed`` forces a number (destruction: 2)."""
    count = needed if needed is not None else (1 if witness_required(db, action) else 0)
    ids = [w.user_id for w in witnesses]
    if actor.user_id is not None and actor.user_id in ids:
        raise ValidationError(
            _("The witness must be a different person from the user doing the action."),
            _("Ask a second user to confirm with their own password."),
        )
    if len(set(ids)) != len(ids):
        raise ValidationError(
            _("The same witness was given twice."), _("Each witness must be a different person.")
        )
    for witness in witnesses:
        if witness.user_id is None or not witness.can(Permission.WITNESS):
            raise ValidationError(
                _("{user} may not witness actions.").format(user=witness.username),
                _("Ask a storekeeper, commander or inspector to confirm."),
            )
    if len(witnesses) < count:
        raise ValidationError(
            (
                _("This action needs {count} witness (two-person rule).")
                if count == 1
                else _("This action needs {count} witnesses (two-person rule).")
            ).format(count=count),
            _("A second user confirms with their own password (--witness NAME on the command line)."),
        )


# ------------------------------------------------------------------------------------ naming weapons


def _label_resolver_in() -> Callable[[Session, str], Any] | None:
    try:
        module = importlib.import_module("armoury.labels.resolver")
    except ImportError:
        return None
    found = getattr(module, "resolve_in", None)
    return found if callable(found) else None


def _weapon_id_from_label(
    session: Session, resolver: Callable[[Session, str], Any], text: str
) -> tuple[int | None, str]:
    """The weapon a label's content stands for, or the reason it does not name one ("" when the text is
    not a label at all, so that it is tried as a serial number)."""
    try:
        found = resolver(session, text)
    except NotFoundError as exc:
        not_a_label = type(exc).__name__ == "NotALabelError"
        return None, "" if not_a_label else exc.message
    except ArmouryError as exc:
        return None, exc.message
    if isinstance(found, int) and not isinstance(found, bool):
        return found, ""
    kind = getattr(found, "kind", None)
    record_id = getattr(found, "record_id", getattr(found, "weapon_id", None))
    if kind is not None and str(getattr(kind, "name", kind)).lower() != "weapon":
        return None, _("This label is not a weapon's: {what}.").format(what=getattr(found, "display", kind))
    return (record_id, "") if isinstance(record_id, int) else (None, "")


def resolve_in(session: Session, ref: Ref) -> tuple[int | None, str]:
    """A weapon id for ``ref`` (an id, ``SERIAL``, ``MODEL:SERIAL`` or ``MANUFACTURER:MODEL:SERIAL``),
    or ``None`` and the reason."""
    if isinstance(ref, int):
        found = session.scalar(select(Weapon.id).where(Weapon.id == ref))
        return (found, "") if found is not None else (None, _("No weapon has the id {id}.").format(id=ref))
    text = ref.strip()
    if text.startswith("#") and text[1:].isdigit():
        return resolve_in(session, int(text[1:]))
    candidates = _by_serial(session, text, None, None)
    if not candidates and ":" in text:
        parts = [p.strip() for p in text.split(":")]
        if len(parts) == 2:
            candidates = _by_serial(session, parts[1], None, parts[0])
        elif len(parts) >= 3:
            candidates = _by_serial(session, ":".join(parts[2:]), parts[0], parts[1])
    if len(candidates) == 1:
        return candidates[0][0], ""
    if not candidates:
        return None, _("No weapon has the serial number {serial}.").format(serial=text)
    names = ", ".join(f"{m} {mo}" for _i, m, mo in candidates)
    return None, _(
        "Several weapons have the serial number {serial} ({types}): name it as MODEL:SERIAL."
    ).format(serial=text, types=names)


def _by_serial(
    session: Session, serial: str, manufacturer: str | None, model: str | None
) -> list[tuple[int, str, str]]:
    key = serial_key(serial)
    if not key:
        return []
    query = (
        select(Weapon.id, ItemType.manufacturer, ItemType.model)
        .join(ItemType, ItemType.id == Weapon.item_type_id)
        .where(Weapon.serial_key == key)
    )
    if model is not None:
        query = query.where(ItemType.model_key == serial_key(model))
    if manufacturer is not None:
        query = query.where(ItemType.manufacturer_key == serial_key(manufacturer))
    return [(r[0], r[1], r[2]) for r in session.execute(query.order_by(Weapon.id))]


def resolve_weapons(db: Database, refs: Sequence[Ref]) -> list[tuple[str, int | None, str]]:
    """Each ref with its weapon id (or ``None``) and the reason it was not found.

    Plain serials are looked up together in one query; label contents, ids and qualified names one by one.
    """
    out: list[tuple[str, int | None, str]] = []
    label_in = _label_resolver_in()
    with db.read() as session:
        plain = {
            serial_key(r): r
            for r in refs
            if isinstance(r, str) and r.strip() and not r.strip().startswith("#")
        }
        by_key: dict[str, list[tuple[int, str, str]]] = {}
        keys = [k for k in plain if k]
        for start in range(0, len(keys), 500):
            for found_id, key, manufacturer, model in session.execute(
                select(Weapon.id, Weapon.serial_key, ItemType.manufacturer, ItemType.model)
                .join(ItemType, ItemType.id == Weapon.item_type_id)
                .where(Weapon.serial_key.in_(keys[start : start + 500]))
                .order_by(Weapon.id)
            ):
                by_key.setdefault(key, []).append((found_id, manufacturer, model))
        for ref in refs:
            weapon_id: int | None = None
            reason = ""
            if isinstance(ref, str) and not ref.strip():
                reason = _("An empty reference was given.")
            else:
                if isinstance(ref, str) and label_in is not None:
                    weapon_id, reason = _weapon_id_from_label(session, label_in, ref)
                if weapon_id is None and not reason:
                    found = by_key.get(serial_key(ref)) if isinstance(ref, str) else None
                    if found and len(found) == 1:
                        weapon_id = found[0][0]
                    else:
                        weapon_id, reason = resolve_in(session, ref)
            out.append((str(ref), weapon_id, reason))
    return out


def resolve_or_block(db: Database, refs: Sequence[Ref]) -> list[tuple[str, int]]:
    """Resolve every ref or raise :class:`WeaponsBlocked`; a weapon named twice is refused too."""
    if not refs:
        raise ValidationError(_("No weapon was given."), _("Scan or name at least one weapon."))
    resolved = resolve_weapons(db, refs)
    seen: set[int] = set()
    results: list[WeaponResult] = []
    for ref, weapon_id, reason in resolved:
        if weapon_id is not None and weapon_id in seen:
            reason = _("This weapon is already in the list.")
        if weapon_id is not None:
            seen.add(weapon_id)
        results.append(WeaponResult(ref, weapon_id, "", "", not reason, reason))
    if any(not r.ok for r in results):
        raise WeaponsBlocked(results)
    return [(r.ref, r.weapon_id) for r in results if r.weapon_id is not None]


def lock_rows(session: Session, named: Sequence[tuple[str, int]], lock: bool = True) -> list[Row]:
    """Lock the weapons' rows (PostgreSQL, in id order) and read their state, in the order given.
    ``lock=False`` only reads (for checks that change nothing)."""
    ids = [weapon_id for _ref, weapon_id in named]
    query = (
        select(
            Weapon.id,
            Weapon.serial,
            ItemType.manufacturer,
            ItemType.model,
            Weapon.facility_id,
            Weapon.whereabouts,
            Weapon.rack_id,
            Weapon.slot,
            Weapon.holder_id,
            Weapon.condition,
            Weapon.register,
        )
        .join(ItemType, ItemType.id == Weapon.item_type_id)
        .where(Weapon.id.in_(ids))
        .order_by(Weapon.id)
    )
    if lock:
        query = query.with_for_update(of=Weapon)
    found = {r[0]: r for r in session.execute(query)}
    holders = {
        p.id: f"{p.display_name} ({p.service_number})"
        for p in session.scalars(
            select(Person).where(Person.id.in_([r[8] for r in found.values() if r[8] is not None]))
        )
    }
    rows = []
    for ref, weapon_id in named:
        r = found[weapon_id]
        state = WeaponState(r[4], r[5], r[6], r[7], r[8], r[9], r[10])
        shown = r[1] if ref == str(weapon_id) else ref
        rows.append(Row(r[0], r[1], f"{r[2]} {r[3]}", state, holders.get(r[8], "") if r[8] else "", shown))
    return rows


# ---------------------------------------------------------------------------------- state and places


def _rack_code(session: Session, rack_id: int) -> str:
    codes: dict[int, str] = session.info.setdefault("armoury_rack_codes", {})
    if rack_id not in codes:
        codes.update(session.execute(select(Rack.id, Rack.code)).tuples().all())
    return codes.get(rack_id, "")


def _person_names(session: Session, person_ids: Sequence[int]) -> dict[int, str]:
    names: dict[int, str] = session.info.setdefault("armoury_person_names", {})
    missing = [p for p in set(person_ids) if p not in names]
    if missing:
        for person in session.scalars(select(Person).where(Person.id.in_(missing))):
            names[person.id] = person.display_name
    return names


def describe(session: Session, state: WeaponState | None) -> str:
    """A short description of a state for results and messages (names cached in the session)."""
    if state is None:
        return ""
    place = state.whereabouts.label
    if state.rack_id is not None:
        code = _rack_code(session, state.rack_id)
        place += " " + (
            _("{rack} slot {slot}").format(rack=code, slot=state.slot) if state.slot is not None else code
        )
    if state.holder_id is not None:
        name = _person_names(session, [state.holder_id]).get(state.holder_id)
        if name:
            place += " " + _("to {holder}").format(holder=name)
    return f"{place}, {state.condition.label}"


def not_available_reason(row: Row) -> str:
    """Why a weapon that should be in store is not."""
    w = row.state.whereabouts
    if w is Whereabouts.ISSUED:
        return _("{weapon} is already issued to {holder}.").format(weapon=row.label, holder=row.holder)
    if w is Whereabouts.IN_TRANSIT:
        return _("{weapon} is in transit on a transfer voucher.").format(weapon=row.label)
    if w is Whereabouts.AT_REPAIR:
        return _("{weapon} is at repair.").format(weapon=row.label)
    if w.is_terminal:
        return _("{weapon} is {state}: it is no longer on the books.").format(
            weapon=row.label, state=w.label.lower()
        )
    return ""


def blocked_or_ok(session: Session, rows: Sequence[Row], reasons: Sequence[str]) -> None:
    """Raise :class:`WeaponsBlocked` when any weapon has a reason."""
    if any(reasons):
        raise WeaponsBlocked(
            [
                WeaponResult(
                    r.ref, r.id, r.serial, r.item_type, not reason, reason, describe(session, r.state)
                )
                for r, reason in zip(rows, reasons, strict=True)
            ]
        )


def results(session: Session, rows: Sequence[Row], afters: Sequence[WeaponState]) -> tuple[WeaponResult, ...]:
    holders = [s.holder_id for s in (*(r.state for r in rows), *afters) if s.holder_id is not None]
    _person_names(session, holders)
    return tuple(
        WeaponResult(
            r.ref, r.id, r.serial, r.item_type, True, "", describe(session, r.state), describe(session, after)
        )
        for r, after in zip(rows, afters, strict=True)
    )


def find_rack(session: Session, facility_id: int | None, rack: int | str) -> Rack:
    """A rack by id or by code (codes are unique within a facility)."""
    if isinstance(rack, int):
        found = session.get(Rack, rack)
    else:
        query = select(Rack).where(Rack.code == rack.strip())
        if facility_id is not None:
            query = query.where(Rack.facility_id == facility_id)
        matches = list(session.scalars(query))
        found = matches[0] if len(matches) == 1 else None
        if len(matches) > 1:
            raise ValidationError(
                _("Several facilities have a rack {rack}.").format(rack=rack),
                _("Name the facility too (--facility CODE)."),
            )
    if found is None:
        raise NotFoundError(
            _("No rack {rack} here.").format(rack=rack), _("Check the rack code on its label.")
        )
    if not found.active:
        raise ValidationError(
            _("Rack {rack} is not in use.").format(rack=found.code), _("Choose a rack that is in use.")
        )
    return found


def find_facility(session: Session, facility: int | str) -> Facility:
    found = (
        session.get(Facility, facility)
        if isinstance(facility, int)
        else session.scalar(select(Facility).where(Facility.code == facility.strip()))
    )
    if found is None:
        raise NotFoundError(
            _("No facility {facility}.").format(facility=facility), _("Check the facility code.")
        )
    if not found.active:
        raise ValidationError(
            _("Facility {facility} is closed.").format(facility=found.code), _("Choose an open facility.")
        )
    return found


def place_on_rack(
    session: Session, rack: Rack, slot: int | None, weapon_ids: Sequence[int]
) -> list[int | None]:
    """Slots for weapons put on ``rack`` from ``slot`` on (consecutive), checked free; None when no slot."""
    if slot is None:
        return [None] * len(weapon_ids)
    slots = list(range(slot, slot + len(weapon_ids)))
    if slot < 1 or (rack.slots and slots[-1] > rack.slots):
        raise ValidationError(
            _("Rack {rack} has slots 1 to {count}.").format(rack=rack.code, count=rack.slots),
            _("Choose a slot within the rack."),
        )
    taken = session.execute(
        select(Weapon.slot, Weapon.serial).where(
            Weapon.rack_id == rack.id, Weapon.slot.in_(slots), Weapon.id.not_in(list(weapon_ids))
        )
    ).first()
    if taken is not None:
        raise ConflictError(
            _("Slot {slot} of rack {rack} already holds {serial}.").format(
                slot=taken[0], rack=rack.code, serial=taken[1]
            ),
            _("Choose a free slot, or leave the slot empty."),
        )
    return list(slots)


def free_home_slots(session: Session, homes: Sequence[tuple[int, int, int | None]]) -> dict[int, int | None]:
    """For (weapon, rack, slot) homes, the slot when it is still free (else None), in one query.

    Two weapons of the same batch going home to one slot: the first keeps it."""
    racks = {rack for _w, rack, slot in homes if slot is not None}
    moving = {w for w, _r, _s in homes}
    taken: set[tuple[int, int]] = set()
    if racks:
        taken = {
            (rack, slot)
            for rack, slot, weapon_id in session.execute(
                select(Weapon.rack_id, Weapon.slot, Weapon.id).where(
                    Weapon.rack_id.in_(racks), Weapon.slot.is_not(None)
                )
            )
            if weapon_id not in moving and rack is not None and slot is not None
        }
    out: dict[int, int | None] = {}
    for weapon_id, rack, slot in homes:
        if slot is None or (rack, slot) in taken:
            out[weapon_id] = None
        else:
            out[weapon_id] = slot
            taken.add((rack, slot))
    return out


def same_facility(rows: Sequence[Row]) -> int:
    facilities = {r.state.facility_id for r in rows}
    if len(facilities) != 1:
        raise ValidationError(
            _("The weapons belong to several facilities."),
            _("Do the action once per facility."),
        )
    return facilities.pop()


def parse_condition(value: Condition | str | None) -> Condition | None:
    if value is None or isinstance(value, Condition):
        return value
    found = Condition.parse(value)
    if found is None:
        raise ValidationError(
            _("Unknown condition '{value}'.").format(value=value),
            _("Use one of: {choices}.").format(choices=", ".join(c.value for c in Condition)),
        )
    assert isinstance(found, Condition)
    return found


def entry_results(
    session: Session,
    actor: Actor,
    operation: LedgerOperation,
    facility_id: int,
    rows: Sequence[Row],
    afters: Sequence[WeaponState],
    **kwargs: object,
) -> tuple[OperationResult, int]:
    changes = [ItemChange(r.id, r.state, a) for r, a in zip(rows, afters, strict=True)]
    described = results(session, rows, afters)
    entry = append_entry(session, actor, operation, facility_id, changes, **kwargs)  # type: ignore[arg-type]
    return (
        OperationResult(operation, entry.seq, entry.hash, entry.document_ref, entry.recorded_at, described),
        entry.seq,
    )


def in_store_state(
    state: WeaponState, rack_id: int, slot: int | None, condition: Condition | None
) -> WeaponState:
    return replace(
        state,
        whereabouts=Whereabouts.IN_STORE,
        rack_id=rack_id,
        slot=slot,
        holder_id=None,
        condition=condition or state.condition,
    )
