"""Each dialog with valid and invalid input: messages next to the fields, nothing saved on cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from armoury.domain.enums import MarkingKind, Register
from armoury.models import Facility, Weapon
from armoury.services import locations, weapons
from armoury.services.weapons import MarkingData, PhotoData
from ui.context import AppContext
from ui.dialogs.item_type import ItemTypeDialog
from ui.dialogs.locations import AreaDialog, FacilityDialog, RackDialog
from ui.dialogs.person import PersonDialog
from ui.dialogs.weapon import WeaponDialog

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _count(context: AppContext, model: type) -> int:
    with context.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_facility_dialog_validates_as_you_type(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]
) -> None:
    context, _ids = depot
    dialog = FacilityDialog(context)
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.message("code") == ""  # untouched fields are not shouted at
    dialog.save_button.click()  # ... until Save is pressed
    assert dialog.isVisible() and dialog.message("code") == "The code is required."
    assert dialog.message("name") == "The name is required."
    assert not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.code, "DEP-02")
    qtbot.keyClicks(dialog.name, "North depot")
    qtbot.keyClicks(dialog.latitude, "abc")
    assert "decimal degrees" in dialog.message("latitude")
    dialog.latitude.clear()
    qtbot.keyClicks(dialog.latitude, "95")
    qtbot.keyClicks(dialog.longitude, "2")
    assert dialog.message("latitude") == "The latitude must be between -90 and 90."
    dialog.latitude.setText("12.5")
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_button.click()
    assert saved.args[0].code == "DEP-02" and saved.args[0].latitude == 12.5


def test_duplicate_code_is_shown_next_to_the_field(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]
) -> None:
    context, _ids = depot
    dialog = FacilityDialog(context)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.code.setText("DEP-01")
    dialog.name.setText("Again")
    dialog.save_button.click()
    assert dialog.isVisible()
    assert dialog.message("code") == "The code DEP-01 is already used."
    assert not dialog.save_button.isEnabled()
    dialog.code.setText("DEP-09")  # typing clears the refusal
    assert dialog.message("code") == "" and dialog.save_button.isEnabled()


def test_cancel_saves_nothing(qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]) -> None:
    context, _ids = depot
    before = _count(context, Facility)
    dialog = FacilityDialog(context)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.code.setText("NEW")
    dialog.name.setText("Never saved")
    dialog.reject()
    assert _count(context, Facility) == before


def test_area_and_rack_dialogs(qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]) -> None:
    context, ids = depot
    area = AreaDialog(context, ids["f1"])
    qtbot.addWidget(area)
    area.open()
    area.code.setText("B2")
    area.name.setText("")
    area.name.setText("Building 2")
    with qtbot.waitSignal(area.saved):
        area.save_button.click()
    rack = RackDialog(context, ids["a1"])
    qtbot.addWidget(rack)
    rack.open()
    rack.code.setText("R01")
    rack.slots.setValue(-1)
    assert "between 0 and" in rack.message("slots")
    rack.slots.setValue(12)
    rack.save_button.click()
    assert rack.message("code") == "The code R01 is already used."
    rack.code.setText("R03")
    with qtbot.waitSignal(rack.saved) as saved:
        rack.save_button.click()
    assert saved.args[0].slots == 12
    existing = locations.get_rack(context.db, context.actor, ids["r1"])
    edit = RackDialog(context, existing.area_id, existing)
    qtbot.addWidget(edit)
    edit.open()
    edit.slots.setValue(0)
    edit.slots.setValue(5)
    with qtbot.waitSignal(edit.saved):
        edit.save_button.click()


def test_item_type_dialog(qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]) -> None:
    context, _ids = depot
    dialog = ItemTypeDialog(context)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.keyClicks(dialog.manufacturer, "KALASHNIKOV")
    qtbot.keyClicks(dialog.model, "ak 47")
    dialog.save_button.click()
    assert dialog.message("model") == "The catalogue already has Kalashnikov AK-47."
    dialog.model.setText("AKM")
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()


def test_person_dialog(qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]) -> None:
    context, _ids = depot
    dialog = PersonDialog(context)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.keyClicks(dialog.service_number, "ML-1001")
    qtbot.keyClicks(dialog.surname, "x")
    dialog.surname.clear()
    assert dialog.message("surname") == "The surname is required."
    qtbot.keyClicks(dialog.surname, "Sissoko")
    dialog.save_button.click()
    assert "already on the roster" in dialog.message("service_number")
    dialog.service_number.setText("ML-2000")
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_button.click()
    assert saved.args[0].surname == "Sissoko"


def test_weapon_dialog_creates_with_marking_and_photo(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]
) -> None:
    context, ids = depot
    dialog = WeaponDialog(context, rack_id=ids["r1"])
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.item_type.setCurrentIndex(dialog.item_type.findData(ids["ak"]))
    qtbot.keyClicks(dialog.serial, "NEW-777")
    qtbot.keyClicks(dialog.year, "19x5")
    assert dialog.message("year") == "Type the year as four digits, e.g. 1985."
    dialog.year.setText("1985")
    dialog.slot.setText("21")
    dialog.add_marking(MarkingData(MarkingKind.IMPORT, "IMP 2004", "left side"))
    dialog.add_photo(PhotoData(PNG, "left"))
    assert dialog.rack.currentData() == ids["r1"]
    dialog.save_button.click()
    assert dialog.isVisible() and dialog.message("slot") == "Rack R01 has only 20 slots."
    dialog.slot.setText("20")
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_button.click()
    weapon = saved.args[0]
    assert weapon.serial == "NEW-777" and weapon.slot == 20 and weapon.year_of_manufacture == 1985
    assert [m.transcription for m in weapon.markings] == ["IMP 2004"] and len(weapon.photos) == 1


def test_weapon_dialog_register_fields(qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]) -> None:
    context, ids = depot
    dialog = WeaponDialog(context, rack_id=ids["r2"])
    qtbot.addWidget(dialog)
    dialog.open()
    assert not dialog.contingent_country.isVisibleTo(dialog)
    dialog.register.setCurrentIndex(dialog.register.findData(Register.CONTINGENT.value))
    assert dialog.contingent_country.isVisibleTo(dialog)
    dialog.serial.setText("C-1")
    dialog.save_button.click()
    assert dialog.message("contingent_country") == "A contingent-owned weapon needs its contributing country."
    dialog.contingent_country.setText("Senegal")
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()


def test_weapon_dialog_duplicate_and_lookalike(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]
) -> None:
    context, ids = depot
    before = _count(context, Weapon)
    dialog = WeaponDialog(context, rack_id=ids["r2"])
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.item_type.setCurrentIndex(dialog.item_type.findData(ids["ak"]))
    qtbot.keyClicks(dialog.serial, "kx 0001")
    qtbot.waitUntil(lambda: "already on the books" in dialog.message("serial"), timeout=2000)
    assert not dialog.save_button.isEnabled()
    dialog.serial.setText("KX-OOO1")  # letters O for zeros: a look-alike of KX-0001
    qtbot.waitUntil(lambda: dialog.serial_warning.isVisibleTo(dialog), timeout=2000)
    assert "KX-0001" in dialog.serial_warning.text()
    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    box = dialog.lookalike_box
    assert box is not None and box.isVisible() and "KX-0001" in box.text()
    assert _count(context, Weapon) == before  # asked before saving
    save_anyway = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)
    with qtbot.waitSignal(dialog.saved):
        save_anyway.click()
    assert _count(context, Weapon) == before + 1


def test_weapon_dialog_edits_description_only(qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]) -> None:
    context, ids = depot
    existing = weapons.get_weapon(context.db, context.actor, ids["KX-0003"])
    dialog = WeaponDialog(context, existing)
    qtbot.addWidget(dialog)
    dialog.open()
    assert "rack" not in dialog.widgets
    dialog.notes.setPlainText("Sling missing")
    dialog.check_serial_now()
    assert dialog.message("serial") == ""  # its own serial is not a duplicate
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_button.click()
    assert saved.args[0].notes == "Sling missing" and saved.args[0].rack_id == ids["r1"]
