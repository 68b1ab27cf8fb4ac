"""The main window's editing commands: open the dialogs that create and change records, deactivate.

A mixin of :class:`ui.main_window.MainWindow` (kept apart to keep each file about one thing); it uses the
window's tree, pages, models and ``refresh()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from armoury.errors import ArmouryError
from armoury.i18n import _
from armoury.services.browse import NodeKind
from ui.errors import show_error, show_message
from ui.models.locations import NODE_ROLE, parse_node_key

PAGE_WEAPONS, PAGE_PEOPLE, PAGE_CATALOGUE = 0, 1, 2


class EditingMixin:
    """Needs from the window: context, tree, tree_model, pages, people_page, catalogue_page,
    selected_weapon_id(), refresh(), open_weapon(), last_message."""

    # --- dialogs --------------------------------------------------------------------------------------

    def _open_dialog(self, dialog: Any, after: Callable[[Any], None] | None = None) -> Any:
        def saved(result: Any) -> None:
            self.refresh()
            if after is not None:
                after(result)

        dialog.saved.connect(saved)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.current_dialog = dialog
        return dialog

    def _tree_node(self) -> tuple[str, int] | None:
        return parse_node_key(self.tree.currentIndex().siblingAtColumn(0).data(NODE_ROLE))

    def new_weapon(self) -> Any:
        from ui.dialogs.weapon import WeaponDialog

        node = self._tree_node()
        rack_id = node[1] if node is not None and node[0] == "rack" else None
        return self._open_dialog(
            WeaponDialog(self.context, None, self, rack_id=rack_id), lambda w: self.open_weapon(w.id)
        )

    def new_facility(self) -> Any:
        from ui.dialogs.locations import FacilityDialog

        return self._open_dialog(FacilityDialog(self.context, None, self))

    def _facility_of_node(self) -> int | None:
        from armoury.services import locations

        node = self._tree_node()
        if node is None or node[0] == "all":
            return None
        if node[0] == "facility":
            return node[1]
        tree_node = self.tree_model.nodes.get((NodeKind(node[0]), node[1]))
        if node[0] == "area" and tree_node is not None:
            return tree_node.parent_id
        if node[0] == "rack":
            return locations.get_rack(self.context.db, self.context.actor, node[1]).facility_id
        return None

    def new_area(self) -> Any:
        from ui.dialogs.locations import AreaDialog

        facility_id = self._facility_of_node()
        if facility_id is None:
            self.last_message = show_message(
                self, _("Select the facility of the new storage area in the tree first.")
            )
            return None
        return self._open_dialog(AreaDialog(self.context, facility_id, None, self))

    def new_rack(self) -> Any:
        from armoury.services import locations
        from ui.dialogs.locations import RackDialog

        node = self._tree_node()
        area_id: int | None = None
        if node is not None and node[0] == "area":
            area_id = node[1]
        elif node is not None and node[0] == "rack":
            area_id = locations.get_rack(self.context.db, self.context.actor, node[1]).area_id
        if area_id is None:
            self.last_message = show_message(
                self, _("Select the storage area of the new rack in the tree first.")
            )
            return None
        return self._open_dialog(RackDialog(self.context, area_id, None, self))

    def new_item_type(self) -> Any:
        from ui.dialogs.item_type import ItemTypeDialog

        return self._open_dialog(ItemTypeDialog(self.context, None, self))

    def new_person(self) -> Any:
        from ui.dialogs.person import PersonDialog

        return self._open_dialog(PersonDialog(self.context, None, self))

    def edit_selected(self) -> Any:
        """Edit what has the focus: a weapon, a person, an item type, or the selected tree node."""
        try:
            return self._edit_selected()
        except ArmouryError as error:
            self.last_message = show_error(self, error)
            return None

    def _edit_selected(self) -> Any:
        from armoury.services import catalogue, people, weapons

        ctx = self.context
        if self.tree.hasFocus():
            return self.edit_location()
        page = self.pages.currentIndex()
        if page == PAGE_PEOPLE:
            from ui.dialogs.person import PersonDialog

            person_id = self.people_page.selected_id()
            if person_id is not None:
                return self._open_dialog(
                    PersonDialog(ctx, people.get_person(ctx.db, ctx.actor, person_id), self)
                )
            return None
        if page == PAGE_CATALOGUE:
            from ui.dialogs.item_type import ItemTypeDialog

            item_id = self.catalogue_page.selected_id()
            if item_id is not None:
                return self._open_dialog(
                    ItemTypeDialog(ctx, catalogue.get_item_type(ctx.db, ctx.actor, item_id), self)
                )
            return None
        weapon_id = self.selected_weapon_id()
        if weapon_id is None:
            return None
        from ui.dialogs.weapon import WeaponDialog

        return self._open_dialog(WeaponDialog(ctx, weapons.get_weapon(ctx.db, ctx.actor, weapon_id), self))

    def edit_location(self) -> Any:
        from armoury.services import locations
        from ui.dialogs.locations import AreaDialog, FacilityDialog, RackDialog

        ctx = self.context
        node = self._tree_node()
        if node is None or node[0] == "all":
            return None
        kind, ident = node
        if kind == "facility":
            return self._open_dialog(
                FacilityDialog(ctx, locations.get_facility(ctx.db, ctx.actor, ident), self)
            )
        if kind == "area":
            area = locations.get_area(ctx.db, ctx.actor, ident)
            return self._open_dialog(AreaDialog(ctx, area.facility_id, area, self))
        rack = locations.get_rack(ctx.db, ctx.actor, ident)
        return self._open_dialog(RackDialog(ctx, rack.area_id, rack, self))

    def deactivate_selected(self) -> None:
        from armoury.services import locations, people

        ctx = self.context
        if self.pages.currentIndex() == PAGE_PEOPLE and not self.tree.hasFocus():
            person_id = self.people_page.selected_id()
            if person_id is None:
                return
            work: Callable[[], Any] = lambda: people.deactivate_person(ctx.db, ctx.actor, person_id)  # noqa: E731
        else:
            node = self._tree_node()
            if node is None or node[0] == "all":
                return
            kind, ident = node
            functions = {
                "facility": locations.deactivate_facility,
                "area": locations.deactivate_area,
                "rack": locations.deactivate_rack,
            }
            work = lambda: functions[kind](ctx.db, ctx.actor, ident)  # noqa: E731
        box = QMessageBox(
            QMessageBox.Icon.Question, _("Armoury"), _("Deactivate the selected record?"), parent=self
        )
        box.setInformativeText(_("Its history stays; it is no longer offered for new entries."))
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)

        def answered(button: Any) -> None:
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                try:
                    work()
                except ArmouryError as error:
                    self.last_message = show_error(self, error)
                    return
                self.refresh()

        box.buttonClicked.connect(answered)
        box.open()
        self.last_message = box
