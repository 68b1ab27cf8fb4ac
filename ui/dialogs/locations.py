"""Facility, storage area and rack dialogs."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QLineEdit, QSpinBox, QWidget

from armoury.domain.enums import AreaKind, FacilityKind, RackKind
from armoury.i18n import _
from armoury.services import locations
from armoury.services.fields import FieldProblem
from armoury.services.locations import AreaData, AreaInfo, FacilityData, FacilityInfo, RackData, RackInfo
from ui.context import AppContext
from ui.dialogs.base import FormDialog, enum_combo, optional_float


class FacilityDialog(FormDialog):
    def __init__(
        self, context: AppContext, existing: FacilityInfo | None = None, parent: QWidget | None = None
    ):
        title = _("New facility") if existing is None else _("Facility {code}").format(code=existing.code)
        super().__init__(context, title, parent)
        self.existing = existing
        self.code = QLineEdit(existing.code if existing else "")
        self.name = QLineEdit(existing.name if existing else "")
        self.kind = enum_combo(list(FacilityKind), existing.kind if existing else FacilityKind.UNIT_ARMOURY)
        self.country = QLineEdit(existing.country if existing else "")
        self.region = QLineEdit(existing.region if existing else "")
        self.latitude = QLineEdit(
            "" if existing is None or existing.latitude is None else str(existing.latitude)
        )
        self.longitude = QLineEdit(
            "" if existing is None or existing.longitude is None else str(existing.longitude)
        )
        self.add_field("code", _("&Code"), self.code, _("A short code printed on labels, e.g. DEP-01"))
        self.add_field("name", _("&Name"), self.name)
        self.add_field("kind", _("&Kind"), self.kind)
        self.add_field("country", _("C&ountry"), self.country)
        self.add_field("region", _("&Region"), self.region)
        self.add_field("latitude", _("&Latitude"), self.latitude, _("Decimal degrees, e.g. 12.65"))
        self.add_field("longitude", _("Lon&gitude"), self.longitude, _("Decimal degrees, e.g. -8.00"))
        self.finish()

    def collect(self) -> tuple[FacilityData, list[FieldProblem]]:
        problems: list[FieldProblem] = []
        message = _("Type a number in decimal degrees, e.g. 12.65.")
        data = FacilityData(
            code=self.code.text(),
            name=self.name.text(),
            kind=FacilityKind(self.kind.currentData()),
            country=self.country.text(),
            region=self.region.text(),
            latitude=optional_float(self.latitude.text(), "latitude", message, problems),
            longitude=optional_float(self.longitude.text(), "longitude", message, problems),
        )
        return data, problems

    def check(self, data: FacilityData) -> Sequence[FieldProblem]:
        return locations.check_facility(data)

    def save(self, data: FacilityData) -> FacilityInfo:
        if self.existing is None:
            return locations.create_facility(self.context.db, self.context.actor, data)
        return locations.update_facility(self.context.db, self.context.actor, self.existing.id, data)


class AreaDialog(FormDialog):
    def __init__(
        self,
        context: AppContext,
        facility_id: int,
        existing: AreaInfo | None = None,
        parent: QWidget | None = None,
    ):
        title = (
            _("New storage area") if existing is None else _("Storage area {code}").format(code=existing.code)
        )
        super().__init__(context, title, parent)
        self.existing = existing
        self.facility_id = existing.facility_id if existing else facility_id
        self.code = QLineEdit(existing.code if existing else "")
        self.name = QLineEdit(existing.name if existing else "")
        self.kind = enum_combo(list(AreaKind), existing.kind if existing else AreaKind.ROOM)
        self.add_field("code", _("&Code"), self.code)
        self.add_field("name", _("&Name"), self.name)
        self.add_field("kind", _("&Kind"), self.kind)
        self.finish()

    def collect(self) -> tuple[AreaData, list[FieldProblem]]:
        return AreaData(
            self.facility_id, self.code.text(), self.name.text(), AreaKind(self.kind.currentData())
        ), []

    def check(self, data: AreaData) -> Sequence[FieldProblem]:
        return locations.check_area(data)

    def save(self, data: AreaData) -> AreaInfo:
        if self.existing is None:
            return locations.create_area(self.context.db, self.context.actor, data)
        return locations.update_area(self.context.db, self.context.actor, self.existing.id, data)


class RackDialog(FormDialog):
    def __init__(
        self,
        context: AppContext,
        area_id: int,
        existing: RackInfo | None = None,
        parent: QWidget | None = None,
    ):
        title = _("New rack") if existing is None else _("Rack {code}").format(code=existing.code)
        super().__init__(context, title, parent)
        self.existing = existing
        current_area = existing.area_id if existing else area_id
        area = locations.get_area(context.db, context.actor, current_area)
        self.area = QComboBox()
        for other in locations.list_areas(context.db, context.actor, area.facility_id):
            self.area.addItem(f"{other.code} — {other.name}", other.id)
        self.area.setCurrentIndex(max(0, self.area.findData(current_area)))
        self.code = QLineEdit(existing.code if existing else "")
        self.name = QLineEdit(existing.name if existing else "")
        self.kind = enum_combo(list(RackKind), existing.kind if existing else RackKind.RIFLE_RACK)
        self.slots = QSpinBox()
        self.slots.setRange(-1, 100_000)  # out-of-range values are explained, not silently clipped
        self.slots.setValue(existing.slots if existing else 0)
        self.lock = QLineEdit(existing.lock_ref if existing else "")
        self.add_field("area", _("Storage &area"), self.area)
        self.add_field("code", _("&Code"), self.code)
        self.add_field("name", _("&Name"), self.name)
        self.add_field("kind", _("&Kind"), self.kind)
        self.add_field("slots", _("&Slots"), self.slots, _("Number of numbered slots; 0 for none"))
        self.add_field("lock", _("&Lock or seal"), self.lock)
        self.finish()

    def collect(self) -> tuple[RackData, list[FieldProblem]]:
        data = RackData(
            area_id=int(self.area.currentData()),
            code=self.code.text(),
            name=self.name.text(),
            kind=RackKind(self.kind.currentData()),
            slots=self.slots.value(),
            lock_ref=self.lock.text(),
        )
        return data, []

    def check(self, data: RackData) -> Sequence[FieldProblem]:
        return locations.check_rack(data)

    def save(self, data: RackData) -> RackInfo:
        if self.existing is None:
            return locations.create_rack(self.context.db, self.context.actor, data)
        return locations.update_rack(self.context.db, self.context.actor, self.existing.id, data)
