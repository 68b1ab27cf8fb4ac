"""Put every counter screen in the main window's "Custody" menu, with its shortcut.

``install_custody_actions(window)`` is called once after the main window is built. Each action opens its
screen (one per window, raised again if already open); the screens that act on weapons picked in the
table (loss, condition, repair, destruction, move, transfer) start with the selected weapons listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QAction, QKeySequence

from armoury.i18n import N_, _
from armoury.security.permissions import Permission
from ui.context import AppContext


def _issue() -> type:
    from ui.counter_issue import IssueScreen

    return IssueScreen


def _return() -> type:
    from ui.counter_return import ReturnScreen

    return ReturnScreen


def _move() -> type:
    from ui.counter_move import MoveScreen

    return MoveScreen


def _transfer() -> type:
    from ui.counter_transfer import TransferScreen

    return TransferScreen


def _accept() -> type:
    from ui.counter_transfer import AcceptTransferScreen

    return AcceptTransferScreen


def _incident(name: str) -> Callable[[], type]:
    def load() -> type:
        from ui import counter_incidents

        screen: type = getattr(counter_incidents, name)
        return screen

    return load


def _overdue() -> type:
    from ui.counter_overdue import OverdueList

    return OverdueList


@dataclass(frozen=True)
class Screen:
    name: str  # the action's object name
    text: str  # N_() menu text
    shortcut: str
    permission: Permission
    load: Callable[[], type]
    with_selection: bool = False


SCREENS = (
    Screen("counterIssue", N_("&Issue weapons…"), "F5", Permission.ISSUE, _issue),
    Screen("counterReturn", N_("&Return weapons…"), "F6", Permission.RETURN, _return),
    Screen("counterMove", N_("&Move between racks…"), "F7", Permission.MOVE, _move, True),
    Screen(
        "counterTransfer", N_("&Transfer to another facility…"), "F8", Permission.TRANSFER, _transfer, True
    ),
    Screen("counterAccept", N_("Receive a &transfer…"), "Shift+F8", Permission.TRANSFER, _accept),
    Screen("counterRepair", N_("Re&pair…"), "F9", Permission.REPAIR, _incident("RepairScreen"), True),
    Screen(
        "counterCondition",
        N_("Change &condition…"),
        "Shift+F9",
        Permission.CHANGE_CONDITION,
        _incident("ConditionScreen"),
        True,
    ),
    Screen(
        "counterLoss",
        N_("Report &loss or theft…"),
        "Ctrl+Shift+F5",
        Permission.REPORT_LOSS,
        _incident("LossReportScreen"),
        True,
    ),
    Screen(
        "counterRecovery", N_("Re&cover a lost weapon…"), "", Permission.RECOVER, _incident("RecoveryScreen")
    ),
    Screen(
        "counterDestruction",
        N_("&Destroy weapons…"),
        "",
        Permission.DESTROY,
        _incident("DestructionScreen"),
        True,
    ),
    Screen("counterOverdue", N_("&Overdue returns…"), "Ctrl+F6", Permission.VIEW, _overdue),
)


def open_screen(window: Any, screen: Screen) -> Any:
    """Open (or raise) ``screen`` for ``window``; return the dialog."""
    screens: dict[str, Any] = window.__dict__.setdefault("_counter_screens", {})
    dialog = screens.get(screen.name)
    context: AppContext = window.context
    if dialog is None:
        dialog = screen.load()(context, window)
        screens[screen.name] = dialog
    if screen.with_selection and not dialog.isVisible():
        selected: list[int] = getattr(window, "selected_weapon_ids", list)()
        if selected and hasattr(dialog, "add_weapon_ids"):
            dialog.reset()
            dialog.add_weapon_ids(selected)
    if hasattr(dialog, "load") and not dialog.isVisible():
        dialog.load()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def install_custody_actions(window: Any) -> dict[str, QAction]:
    """Add every counter screen to ``window``'s "custody" menu (``window.add_action``); return the actions."""
    actions: dict[str, QAction] = {}
    for screen in SCREENS:
        action = QAction(_(screen.text), window)
        action.setObjectName(screen.name)
        if screen.shortcut:
            action.setShortcut(QKeySequence(screen.shortcut))
        action.triggered.connect(lambda _checked=False, s=screen: open_screen(window, s))
        if not window.context.can(screen.permission):
            action.setEnabled(False)
            action.setToolTip(_("Your role does not allow this."))
        window.add_action("custody", action, toolbar=screen.name in ("counterIssue", "counterReturn"))
        actions[screen.name] = action
    return actions
