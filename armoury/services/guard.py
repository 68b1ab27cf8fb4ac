"""The one place services check permissions."""

from __future__ import annotations

from armoury.db import Database
from armoury.errors import PermissionDenied
from armoury.i18n import _
from armoury.security.permissions import ROLE_PERMISSIONS, Actor, Permission


def authorize(db: Database, actor: Actor, permission: Permission, facility_id: int | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may do ``permission`` (at ``facility_id``).

    A denial is written to the security audit trail in its own transaction, so it stays recorded even
    though the refused unit of work changes nothing. Call this before opening the unit of work.
    """
    if actor.can(permission, facility_id):
        return
    from armoury.services.audit import record_denial

    record_denial(db, actor, permission, facility_id)
    if permission in ROLE_PERMISSIONS[actor.role]:
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
