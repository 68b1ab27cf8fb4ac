"""What every window and dialog needs: the database and the signed-in user (no global singleton)."""

from __future__ import annotations

from dataclasses import dataclass

from armoury.db import Database
from armoury.security.permissions import Actor, Permission


@dataclass(frozen=True)
class AppContext:
    db: Database
    actor: Actor

    def can(self, permission: Permission, facility_id: int | None = None) -> bool:
        return self.actor.can(permission, facility_id)
