"""Receiving weapons onto the books: from a supplier, back from outside, or seized and recovered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Condition, Register, Whereabouts
from armoury.domain.serials import is_valid_serial, serial_key, serial_skeleton
from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import _
from armoury.models import ItemType, Weapon
from armoury.models.ledger import LedgerOperation
from armoury.security.permissions import Actor, Permission
from armoury.services.custody_common import (
    OperationResult,
    Row,
    WeaponResult,
    WeaponsBlocked,
    check_facility,
    check_witnesses,
    describe,
    find_facility,
    find_rack,
    parse_condition,
    place_on_rack,
    run,
)
from armoury.services.guard import authorize
from armoury.services.ledger import ItemChange, WeaponState, append_entry

# ---------------------------------------------------------------------------------------------- receive


@dataclass(frozen=True)
class NewWeapon:
    """A weapon entering the books: its make and model (catalogue id or ``MANUFACTURER:MODEL``), serial."""

    item_type: int | str
    serial: str
    year_of_manufacture: int | None = None
    notes: str = ""


def find_item_type(session: Session, item_type: int | str) -> ItemType:
    if isinstance(item_type, int):
        found = session.get(ItemType, item_type)
    else:
        manufacturer, _sep, model = item_type.partition(":")
        query = select(ItemType).where(ItemType.model_key == serial_key(model or manufacturer))
        if model:
            query = query.where(ItemType.manufacturer_key == serial_key(manufacturer))
        matches = list(session.scalars(query))
        found = matches[0] if len(matches) == 1 else None
        if len(matches) > 1:
            raise ValidationError(
                _("Several makes have the model {model}.").format(model=item_type),
                _("Name it as MANUFACTURER:MODEL."),
            )
    if found is None:
        raise NotFoundError(
            _("The model {model} is not in the catalogue.").format(model=item_type),
            _("Add it to the catalogue first, or check the spelling (MANUFACTURER:MODEL)."),
        )
    return found


def new_weapon_rows(
    session: Session,
    items: Sequence[NewWeapon],
    *,
    facility_id: int,
    rack_id: int,
    slots: Sequence[int | None],
    condition: Condition,
    register: Register,
    extra: dict[str, object] | None = None,
    refusal: LedgerOperation = LedgerOperation.RECEIVE,
) -> tuple[list[Row], list[WeaponState | None], list[WeaponState]]:
    """Create (or, for a weapon that once left the books by transfer, take back) weapons in store.

    Returns the rows, their states before (None for a new weapon) and after."""
    rows: list[Row] = []
    befores: list[WeaponState | None] = []
    afters: list[WeaponState] = []
    problems: list[WeaponResult] = []
    seen: set[tuple[int, str]] = set()
    for item, slot in zip(items, slots, strict=True):
        kind = find_item_type(session, item.item_type)
        key = serial_key(item.serial)
        ref = f"{kind.model}:{item.serial}"
        if not is_valid_serial(item.serial):
            problems.append(
                WeaponResult(
                    ref,
                    None,
                    item.serial,
                    kind.display_name,
                    False,
                    _("The serial number is empty or unreadable."),
                )
            )
            continue
        if (kind.id, key) in seen:
            problems.append(
                WeaponResult(
                    ref, None, item.serial, kind.display_name, False, _("This weapon is already in the list.")
                )
            )
            continue
        seen.add((kind.id, key))
        existing = session.scalar(
            select(Weapon).where(Weapon.item_type_id == kind.id, Weapon.serial_key == key).with_for_update()
        )
        after = WeaponState(facility_id, Whereabouts.IN_STORE, rack_id, slot, None, condition, register)
        if existing is None:
            weapon = Weapon(
                item_type_id=kind.id,
                serial=item.serial.strip(),
                serial_key=key,
                serial_skeleton=serial_skeleton(key),
                year_of_manufacture=item.year_of_manufacture,
                register=register,
                facility_id=facility_id,
                whereabouts=Whereabouts.IN_STORE,
                rack_id=rack_id,
                slot=slot,
                condition=condition,
                notes=item.notes,
                **(extra or {}),
            )
            session.add(weapon)
            session.flush()
            rows.append(Row(weapon.id, weapon.serial, kind.display_name, after, "", ref))
            befores.append(None)
            afters.append(after)
            continue
        before = WeaponState(
            existing.facility_id,
            existing.whereabouts,
            existing.rack_id,
            existing.slot,
            existing.holder_id,
            existing.condition,
            existing.register,
        )
        reason = ""
        if existing.whereabouts in (Whereabouts.LOST, Whereabouts.STOLEN):
            reason = _("{weapon} is ours and was reported {state}: record its recovery instead.").format(
                weapon=f"{kind.display_name} {existing.serial}", state=existing.whereabouts.label.lower()
            )
        elif (
            existing.whereabouts is not Whereabouts.TRANSFERRED_OUT or refusal is not LedgerOperation.RECEIVE
        ):
            reason = _("{weapon} is already on the books ({state}).").format(
                weapon=f"{kind.display_name} {existing.serial}", state=existing.whereabouts.label.lower()
            )
        if reason:
            problems.append(WeaponResult(ref, existing.id, existing.serial, kind.display_name, False, reason))
            continue
        rows.append(Row(existing.id, existing.serial, kind.display_name, before, "", ref))
        befores.append(before)
        afters.append(replace(after, register=existing.register))
    if problems:
        raise WeaponsBlocked(
            problems + [WeaponResult(r.ref, r.id, r.serial, r.item_type, True) for r in rows]
        )
    return rows, befores, afters


def receive(
    db: Database,
    actor: Actor,
    items: Sequence[NewWeapon],
    rack: int | str,
    *,
    facility: int | str | None = None,
    slot: int | None = None,
    supplier: str = "",
    voucher: str = "",
    condition: Condition | str = Condition.SERVICEABLE,
    register: Register = Register.NATIONAL,
    contingent_country: str = "",
    contingent_unit: str = "",
    witnesses: Sequence[Actor] = (),
    reason: str = "",
) -> OperationResult:
    """Receive weapons into a rack: new to the books (from a supplier) or coming back from outside."""
    authorize(db, actor, Permission.RECEIVE)
    new_condition = parse_condition(condition) or Condition.SERVICEABLE
    check_witnesses(db, actor, witnesses, "receipt")
    if not items:
        raise ValidationError(_("No weapon was given."), _("Scan or name at least one weapon."))
    if register is Register.RECOVERED:
        raise ValidationError(
            _("Recovered or seized weapons are registered with 'recover', not received."),
            _("Use the recovery screen (armoury recover --seized)."),
        )

    def work(session: Session) -> OperationResult:
        facility_id = find_facility(session, facility).id if facility is not None else None
        target = find_rack(session, facility_id, rack)
        check_facility(actor, Permission.RECEIVE, target.facility_id)
        slots = place_on_rack(session, target, slot, [0] * len(items))
        extra: dict[str, object] = {}
        if register is Register.CONTINGENT:
            extra = {"contingent_country": contingent_country, "contingent_unit": contingent_unit}
        rows, befores, afters = new_weapon_rows(
            session,
            items,
            facility_id=target.facility_id,
            rack_id=target.id,
            slots=slots,
            condition=new_condition,
            register=register,
            extra=extra,
        )
        changes = [ItemChange(r.id, b, a) for r, b, a in zip(rows, befores, afters, strict=True)]
        entry = append_entry(
            session,
            actor,
            LedgerOperation.RECEIVE,
            target.facility_id,
            changes,
            witnesses=witnesses,
            document_ref=voucher,
            reason=reason,
            payload={"supplier": supplier},
        )
        return OperationResult(
            LedgerOperation.RECEIVE,
            entry.seq,
            entry.hash,
            entry.document_ref,
            entry.recorded_at,
            tuple(
                WeaponResult(r.ref, r.id, r.serial, r.item_type, True, "", "", describe(session, a))
                for r, a in zip(rows, afters, strict=True)
            ),
        )

    return run(db, actor, work)
