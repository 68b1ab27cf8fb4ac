"""The one place services check permissions."""

from __future__ import annotations

import importlib

from armoury.db import Database
from armoury.errors import PermissionDenied
from armoury.i18n import _
from armoury.security.permissions import Actor, Permission


def authorize(db: Database, actor: Actor, permission: Permission, facility_id: int | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may do ``permission`` (at ``facility_id``).

    A denial is written to the security audit trail in its own transaction, so it stays recorded even
    though the refused unit of work changes nothing.
    """
    if actor.can(permission, facility_id):
        return
    _record_denial(db, actor, permission, facility_id)
    if permission in _role_permissions(actor):
        raise PermissionDenied(
            _("{user} is not allowed to act on this facility.").format(user=actor.username),
            _("Ask an administrator to give you access to the facility."),
        )
    raise PermissionDenied(
        _("Your role ({role}) does not allow this action: {action}.").format(
            role=actor.role.label, action=permission.value
        ),
        _("Ask a user whose role allows it, or an administrator."),
    )


def _role_permissions(actor: Actor) -> frozenset[Permission]:
    from armoury.security.permissions import ROLE_PERMISSIONS

    return ROLE_PERMISSIONS[actor.role]


def _record_denial(db: Database, actor: Actor, permission: Permission, facility_id: int | None) -> None:
    """Audit hook; the security audit trail (armoury.services.audit) records the denial."""
    try:
        audit = importlib.import_module("armoury.services.audit")
    except ImportError:
        return
    record = getattr(audit, "record_denial", None)
    if record is not None:
        record(db, actor, permission, facility_id)
