"""Puts every capability's screens into the main window: one place that knows them all.

Each capability offers its own ``install_*`` function or window class; this module adds them to the named
menus through ``MainWindow.add_action`` and docks the "Today" panel. ``ui/app.py`` calls
:func:`install_capabilities` once the window exists.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QWidget

from armoury.i18n import _
from armoury.labels.payload import LabelKind
from armoury.security.permissions import Permission


def _action(window: Any, name: str, text: str, slot: Any, shortcut: str | None = None) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    return action


def install_label_actions(window: Any) -> dict[str, QAction]:
    from ui.decode_image import DecodeImageDialog
    from ui.labels_dialog import open_labels_dialog

    context = window.context

    def selected_weapons() -> None:
        open_labels_dialog(context, [(LabelKind.WEAPON, i) for i in window.selected_weapon_ids()], window)

    def selected_location() -> None:
        node = window.current_node()
        kinds = {"facility": LabelKind.FACILITY, "area": LabelKind.AREA, "rack": LabelKind.RACK}
        records = [(kinds[node[0]], node[1])] if node and node[0] in kinds else []
        open_labels_dialog(context, records, window)

    def decode() -> None:
        dialog = DecodeImageDialog(context, window)
        dialog.targetChosen.connect(lambda target: go_to_target(window, target))
        dialog.open()

    made = {
        "weapons": _action(window, "actionLabelsWeapons", _("Print labels for the selected weapons…"),
                           selected_weapons, "Ctrl+P"),
        "location": _action(window, "actionLabelsLocation", _("Print a label for the selected location…"),
                            selected_location),
        "decode": _action(window, "actionDecodeImage", _("Decode a label from an image…"), decode),
    }  # fmt: skip
    allowed = context.actor.can(Permission.PRINT_LABELS)
    for key in ("weapons", "location"):
        made[key].setEnabled(allowed)
        window.add_action("labels", made[key])
    window.add_action("labels", made["decode"])
    return made


def go_to_target(window: Any, target: Any) -> None:
    """Open the record a decoded label names."""
    if target.kind is LabelKind.WEAPON:
        window.open_weapon(target.record_id)
    elif target.kind is LabelKind.RACK:
        window.open_rack(target.record_id)
    elif target.kind is LabelKind.PERSON:
        window.open_person(target.record_id)


def install_inspection_actions(window: Any) -> dict[str, QAction]:
    from ui.inspection_window import InspectionWindow

    context = window.context
    windows: list[QWidget] = []

    def open_inspections() -> QWidget:
        inspection_window = InspectionWindow(context.db, context.actor)
        inspection_window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        windows[:] = [inspection_window]
        inspection_window.show()
        return inspection_window

    action = _action(window, "actionInspections", _("Inspections…"), open_inspections, "Ctrl+I")
    window.add_action("inspections", action)
    window.open_inspections = open_inspections
    return {"inspections": action}


def install_today_panel(window: Any) -> QDockWidget:
    from ui.start_panel import TodayPanel, gather_today
    from ui.worker import run_task

    panel = TodayPanel()
    dock = QDockWidget(_("Today"), window)
    dock.setObjectName("todayDock")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    window.resizeDocks([dock], [130], Qt.Orientation.Vertical)
    panel.weapon_requested.connect(window.open_weapon)
    if hasattr(window, "open_inspections"):
        panel.inspections_requested.connect(window.open_inspections)
    counts_action = window.findChild(QAction, "actionCounts")
    if counts_action is not None:
        panel.counts_requested.connect(counts_action.trigger)

    def refresh() -> None:
        context = window.context
        run_task(window, _("Checking the books…"), lambda _progress: gather_today(context.db, context.actor),
                 on_done=panel.show_facts, quiet=True)  # fmt: skip

    window.add_action("view", dock.toggleViewAction())
    window.refresh_today = refresh
    window.today_panel = panel
    # The integrity check reads the end of the ledger: let the window finish loading its rows first.
    first = QTimer(panel)  # owned by the panel: it never fires for a window already closed
    first.setSingleShot(True)
    first.timeout.connect(refresh)
    first.start(1500)
    return dock


def install_capabilities(window: Any, idle_lock: Any = None) -> None:
    """Every capability's menus and panels, in menu order."""
    from ui.admin_users import install_admin_actions
    from ui.count_window import install_count_actions

    try:
        from ui.counter_actions import install_custody_actions
    except ImportError:  # the counter screens are optional while they are being built
        install_custody_actions = None
    if install_custody_actions is not None:
        install_custody_actions(window)
    install_label_actions(window)
    install_count_actions(window)
    install_inspection_actions(window)
    try:
        from ui.report_centre import install_report_actions
    except ImportError:
        install_report_actions = None
    if install_report_actions is not None:
        install_report_actions(window)
    install_admin_actions(window, idle_lock)
    install_today_panel(window)
