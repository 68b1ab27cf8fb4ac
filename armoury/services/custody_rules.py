"""Which weapon may take part in which operation, and why not: one function per operation.

The operations call these inside their locked transaction; :func:`armoury.services.custody.check_weapons`
calls them without changing anything, so a counter screen shows the same reason before the action.
"""

from __future__ import annotations

from collections.abc import Callable

from armoury.domain.enums import Condition, Register, Whereabouts
from armoury.i18n import _
from armoury.models.ledger import LedgerOperation
from armoury.security.permissions import Permission
from armoury.services.custody_common import Row, not_available_reason

ISSUABLE_REGISTERS = frozenset({Register.NATIONAL, Register.CONTINGENT})


def issue_reason(row: Row) -> str:
    """Why ``row`` cannot be issued ("" when it can)."""
    reason = not_available_reason(row)
    if reason:
        return reason
    if row.state.condition is not Condition.SERVICEABLE:
        return _("{weapon} is {condition}, not serviceable.").format(
            weapon=row.label, condition=row.state.condition.label.lower()
        )
    if row.state.register not in ISSUABLE_REGISTERS:
        return _("{weapon} is in the register '{register}' and is never issued.").format(
            weapon=row.label, register=row.state.register.label
        )
    return ""


def return_reason(row: Row) -> str:
    if row.state.whereabouts is Whereabouts.ISSUED:
        return ""
    return not_available_reason(row) or _("{weapon} is not on issue.").format(weapon=row.label)


def in_store_reason(row: Row) -> str:
    """For move, transfer and repair: the weapon must be in store."""
    return not_available_reason(row) if row.state.whereabouts is not Whereabouts.IN_STORE else ""


def repair_back_reason(row: Row) -> str:
    if row.state.whereabouts is Whereabouts.AT_REPAIR:
        return ""
    return _("{weapon} is not at repair.").format(weapon=row.label)


def on_books_reason(row: Row) -> str:
    """For a condition change and a loss report: the weapon must still be on the books."""
    return not_available_reason(row) if row.state.whereabouts.is_terminal else ""


def recover_reason(row: Row) -> str:
    if row.state.whereabouts in (Whereabouts.LOST, Whereabouts.STOLEN):
        return ""
    return _("{weapon} was not reported lost or stolen ({state}).").format(
        weapon=row.label, state=row.state.whereabouts.label.lower()
    )


def destroy_reason(row: Row) -> str:
    reason = in_store_reason(row)
    if not reason and row.state.condition is not Condition.FOR_DISPOSAL:
        reason = _("{weapon} is not marked for disposal.").format(weapon=row.label)
    return reason


RULES: dict[LedgerOperation, tuple[Permission, Callable[[Row], str]]] = {
    LedgerOperation.ISSUE: (Permission.ISSUE, issue_reason),
    LedgerOperation.RETURN: (Permission.RETURN, return_reason),
    LedgerOperation.MOVE: (Permission.MOVE, in_store_reason),
    LedgerOperation.TRANSFER_DISPATCH: (Permission.TRANSFER, in_store_reason),
    LedgerOperation.REPAIR_SEND: (Permission.REPAIR, in_store_reason),
    LedgerOperation.REPAIR_BACK: (Permission.REPAIR, repair_back_reason),
    LedgerOperation.CONDITION_CHANGE: (Permission.CHANGE_CONDITION, on_books_reason),
    LedgerOperation.LOSS_REPORT: (Permission.REPORT_LOSS, on_books_reason),
    LedgerOperation.RECOVER: (Permission.RECOVER, recover_reason),
    LedgerOperation.DESTROY: (Permission.DESTROY, destroy_reason),
}
