"""Item-type dialog (a make and model of the catalogue)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QLineEdit, QWidget

from armoury.domain.enums import Category
from armoury.i18n import _
from armoury.services import catalogue
from armoury.services.catalogue import ItemTypeData, ItemTypeInfo
from armoury.services.fields import FieldProblem
from ui.context import AppContext
from ui.dialogs.base import FormDialog, enum_combo


class ItemTypeDialog(FormDialog):
    def __init__(
        self, context: AppContext, existing: ItemTypeInfo | None = None, parent: QWidget | None = None
    ):
        title = _("New item type") if existing is None else existing.display_name
        super().__init__(context, title, parent)
        self.existing = existing
        self.category = enum_combo(list(Category), existing.category if existing else Category.ASSAULT_RIFLE)
        self.manufacturer = QLineEdit(existing.manufacturer if existing else "")
        self.model = QLineEdit(existing.model if existing else "")
        self.calibre = QLineEdit(existing.calibre if existing else "")
        self.country = QLineEdit(existing.country if existing else "")
        self.add_field("category", _("C&ategory"), self.category)
        self.add_field("manufacturer", _("&Manufacturer"), self.manufacturer)
        self.add_field("model", _("M&odel"), self.model)
        self.add_field("calibre", _("&Calibre"), self.calibre, _("e.g. 7.62x39 mm"))
        self.add_field("country", _("Country of &manufacture"), self.country)
        self.finish()

    def collect(self) -> tuple[ItemTypeData, list[FieldProblem]]:
        data = ItemTypeData(
            Category(self.category.currentData()),
            self.manufacturer.text(),
            self.model.text(),
            self.calibre.text(),
            self.country.text(),
        )
        return data, []

    def check(self, data: ItemTypeData) -> Sequence[FieldProblem]:
        return catalogue.check_item_type(data)

    def save(self, data: ItemTypeData) -> ItemTypeInfo:
        if self.existing is None:
            return catalogue.create_item_type(self.context.db, self.context.actor, data)
        return catalogue.update_item_type(self.context.db, self.context.actor, self.existing.id, data)
