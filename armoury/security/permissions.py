"""The permission matrix, enforced in the services (docs/security.md is its written form).

Every service that reads or changes data takes the acting user (:class:`Actor`) and calls
:func:`armoury.services.guard.authorize` before it touches anything.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from armoury.domain.enums import Role


class Permission(enum.StrEnum):
    VIEW = "view"
    MANAGE_LOCATIONS = "manage_locations"
    MANAGE_CATALOGUE = "manage_catalogue"
    MANAGE_WEAPONS = "manage_weapons"
    MANAGE_PEOPLE = "manage_people"
    IMPORT_DATA = "import_data"
    EXPORT_DATA = "export_data"
    # custody ledger
    RECEIVE = "receive"
    ISSUE = "issue"
    RETURN = "return"
    MOVE = "move"
    TRANSFER = "transfer"
    REPAIR = "repair"
    CHANGE_CONDITION = "change_condition"
    REPORT_LOSS = "report_loss"
    CONCLUDE_INVESTIGATION = "conclude_investigation"
    RECOVER = "recover"
    DESTROY = "destroy"
    CORRECT = "correct"
    WITNESS = "witness"
    # labels
    PRINT_LABELS = "print_labels"
    MANAGE_LABEL_PRODUCTS = "manage_label_products"
    # counts
    PLAN_COUNT = "plan_count"
    COUNT = "count"
    RESOLVE_DISCREPANCY = "resolve_discrepancy"
    CLOSE_COUNT = "close_count"
    # inspections
    INSPECT = "inspect"
    MANAGE_CHECKLISTS = "manage_checklists"
    MANAGE_CORRECTIVE_ACTIONS = "manage_corrective_actions"
    # reports
    RUN_REPORTS = "run_reports"
    # administration
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_AUDIT = "view_audit"
    BACKUP = "backup"
    RESTORE = "restore"
    VERIFY = "verify"


P = Permission

_CUSTODY = {
    P.RECEIVE, P.ISSUE, P.RETURN, P.MOVE, P.TRANSFER, P.REPAIR, P.CHANGE_CONDITION, P.REPORT_LOSS, P.RECOVER,
}  # fmt: skip

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: frozenset(Permission),
    Role.STOREKEEPER: frozenset(
        {
            P.VIEW,
            P.MANAGE_LOCATIONS,
            P.MANAGE_CATALOGUE,
            P.MANAGE_WEAPONS,
            P.MANAGE_PEOPLE,
            P.IMPORT_DATA,
            P.EXPORT_DATA,
            P.WITNESS,
            P.PRINT_LABELS,
            P.COUNT,
            P.RUN_REPORTS,
            P.VERIFY,
            P.BACKUP,
            *_CUSTODY,
        }
    ),
    Role.COMMANDER: frozenset(
        {
            P.VIEW,
            P.EXPORT_DATA,
            P.WITNESS,
            P.CONCLUDE_INVESTIGATION,
            P.DESTROY,
            P.CORRECT,
            P.PLAN_COUNT,
            P.COUNT,
            P.RESOLVE_DISCREPANCY,
            P.CLOSE_COUNT,
            P.INSPECT,
            P.MANAGE_CORRECTIVE_ACTIONS,
            P.RUN_REPORTS,
            P.VIEW_AUDIT,
            P.VERIFY,
            P.PRINT_LABELS,
            P.BACKUP,
            *_CUSTODY,
        }
    ),
    Role.INSPECTOR: frozenset(
        {
            P.VIEW,
            P.EXPORT_DATA,
            P.WITNESS,
            P.PLAN_COUNT,
            P.COUNT,
            P.CLOSE_COUNT,
            P.INSPECT,
            P.MANAGE_CHECKLISTS,
            P.MANAGE_CORRECTIVE_ACTIONS,
            P.RUN_REPORTS,
            P.VERIFY,
        }
    ),
    Role.AUDITOR: frozenset({P.VIEW, P.EXPORT_DATA, P.RUN_REPORTS, P.VIEW_AUDIT, P.VERIFY}),
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user on whose behalf a service runs.

    ``facility_ids`` is ``None`` when the user may act on every facility. ``user_id`` is ``None`` only for
    the built-in system actor used by ``armoury init`` and the demo depot before any user exists.
    """

    user_id: int | None
    username: str
    role: Role
    facility_ids: frozenset[int] | None = None
    full_name: str = ""

    def can(self, permission: Permission, facility_id: int | None = None) -> bool:
        if permission not in ROLE_PERMISSIONS[self.role]:
            return False
        return facility_id is None or self.facility_ids is None or facility_id in self.facility_ids

    @property
    def is_system(self) -> bool:
        return self.user_id is None


SYSTEM_ACTOR = Actor(user_id=None, username="system", role=Role.ADMINISTRATOR, full_name="Armoury")
