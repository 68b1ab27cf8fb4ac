"""What a scanned or typed code names: a weapon, a rack or a person of this depot.

Labels printed by Armoury are decoded by armoury.labels.resolver when it is installed (it also refuses
labels of another depot with a clear message). Anything else is tried as a serial number, then a rack
code, then a service number.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from armoury.errors import ArmouryError, NotFoundError
from armoury.i18n import _
from armoury.services import locations, people, weapons
from ui.context import AppContext

KINDS = {"weapon": "weapon", "g": "weapon", "rack": "rack", "r": "rack", "person": "person", "p": "person"}


@dataclass(frozen=True)
class ScanTarget:
    kind: str  # "weapon", "rack" or "person"
    id: int


def _from_resolver(result: Any) -> ScanTarget | None:
    if result is None:
        return None
    if isinstance(result, list | tuple):
        return _from_resolver(result[0]) if result else None
    kind = getattr(result, "kind", None)
    ident = getattr(result, "record_id", None) or getattr(result, "id", None)
    if kind is None or ident is None:
        return None
    name = str(getattr(kind, "name", None) or getattr(kind, "value", None) or kind).lower()
    mapped = KINDS.get(name)
    if mapped is None:
        raise NotFoundError(
            _("This label is for a {kind}, which this window cannot open.").format(kind=name),
            _("Scan the label of a weapon, a rack or a person."),
        )
    return ScanTarget(mapped, int(ident))


def resolve_scan(context: AppContext, text: str) -> ScanTarget:
    """The record named by ``text``, or a NotFoundError (ValidationError for a foreign/unreadable label)."""
    code = text.strip()
    try:
        resolver = importlib.import_module("armoury.labels.resolver")
    except ImportError:
        resolver = None
    if resolver is not None and hasattr(resolver, "resolve"):
        try:
            target = _from_resolver(resolver.resolve(context.db, code))
        except NotFoundError:
            target = None
        except ArmouryError:
            raise  # a foreign or damaged label: say so, do nothing else
        if target is not None:
            return target
    found = weapons.find_weapons_by_serial(context.db, context.actor, code)
    if found:
        return ScanTarget("weapon", found[0].id)
    for facility in locations.list_facilities(context.db, context.actor):
        for rack in locations.list_racks(context.db, context.actor, facility.id):
            if rack.code.casefold() == code.casefold():
                return ScanTarget("rack", rack.id)
    person = people.find_person(context.db, context.actor, code)
    if person is not None:
        return ScanTarget("person", person.id)
    raise NotFoundError(
        _("Nothing in this depot has the code {code}.").format(code=code),
        _("Check that the label belongs to this depot, or type the serial number in the search box."),
    )
