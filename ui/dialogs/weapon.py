"""Weapon dialog: description, register details, markings and photos.

A new weapon is put in store on a rack (and optionally a slot) with its condition; later changes of place
or condition go through the custody ledger, so the dialog only edits the description of an existing
weapon. The serial is checked as it is typed: a duplicate blocks Save; a look-alike (O/0, I/1 ...) shows a
warning under the field and asks once more before saving.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, QSize, QTimer
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from armoury.domain.enums import Condition, MarkingKind, Register
from armoury.i18n import _
from armoury.services import catalogue, locations, weapons
from armoury.services.fields import FieldProblem
from armoury.services.weapons import MarkingData, PhotoData, SerialCheck, WeaponData, WeaponDetail
from ui.context import AppContext
from ui.dialogs.base import FormDialog, enum_combo, optional_int

WARNING_STYLE = "color: #9a5b00;"
_NO_DATE = QDate(1900, 1, 1)


class WeaponDialog(FormDialog):
    def __init__(
        self,
        context: AppContext,
        existing: WeaponDetail | None = None,
        parent: QWidget | None = None,
        rack_id: int | None = None,
    ):
        title = _("New weapon") if existing is None else _("Weapon {serial}").format(serial=existing.serial)
        super().__init__(context, title, parent)
        self.existing = existing
        self.serial_check: SerialCheck | None = None
        self.lookalike_box: QMessageBox | None = None
        self._confirmed_lookalike = False
        self._photos: list[PhotoData] = []

        self.item_type = QComboBox()
        for item in catalogue.list_item_types(context.db, context.actor):
            self.item_type.addItem(
                f"{item.display_name}  ({item.calibre})" if item.calibre else item.display_name, item.id
            )
        self.serial = QLineEdit(existing.serial if existing else "")
        self.serial_warning = QLabel()
        self.serial_warning.setObjectName("serial_warning")
        self.serial_warning.setStyleSheet(WARNING_STYLE)
        self.serial_warning.setWordWrap(True)
        self.serial_warning.hide()
        self.year = QLineEdit(
            "" if not existing or existing.year_of_manufacture is None else str(existing.year_of_manufacture)
        )
        self.register = enum_combo(list(Register), existing.register if existing else Register.NATIONAL)
        self.contingent_country = QLineEdit(existing.contingent_country if existing else "")
        self.contingent_unit = QLineEdit(existing.contingent_unit if existing else "")
        self.recovered_on = QDateEdit()
        self.recovered_on.setCalendarPopup(True)
        self.recovered_on.setDisplayFormat("yyyy-MM-dd")
        self.recovered_on.setMinimumDate(_NO_DATE)
        self.recovered_on.setSpecialValueText(_("(not given)"))
        self.recovered_on.setDate(
            QDate(existing.recovered_on) if existing and existing.recovered_on else _NO_DATE
        )
        self.recovered_place = QLineEdit(existing.recovered_place if existing else "")
        self.recovering_unit = QLineEdit(existing.recovering_unit if existing else "")
        self.case_reference = QLineEdit(existing.case_reference if existing else "")
        self.circumstances = QPlainTextEdit(existing.recovered_circumstances if existing else "")
        self.circumstances.setTabChangesFocus(True)
        self.circumstances.setFixedHeight(50)
        self.rack = QComboBox()
        self.slot = QLineEdit("" if not existing or existing.slot is None else str(existing.slot))
        self.condition = enum_combo(
            list(Condition), existing.condition if existing else Condition.SERVICEABLE
        )
        self.notes = QPlainTextEdit(existing.notes if existing else "")
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(50)

        self.add_field("item_type", _("&Make and model"), self.item_type)
        self.add_field("serial", _("&Serial number"), self.serial, _("Exactly as marked on the weapon"))
        self.form.addRow("", self.serial_warning)
        self.add_field("year", _("&Year of manufacture"), self.year)
        self.add_field("register", _("&Register"), self.register)
        self.add_field("contingent_country", _("Contributing c&ountry"), self.contingent_country)
        self.add_field("contingent_unit", _("Contingent &unit"), self.contingent_unit)
        self.add_field("recovered_on", _("Recovered &on"), self.recovered_on)
        self.add_field("recovered_place", _("Recovered &at"), self.recovered_place)
        self.add_field("recovering_unit", _("Recovering unit"), self.recovering_unit)
        self.add_field("case_reference", _("Case &reference"), self.case_reference)
        self.add_field("recovered_circumstances", _("Circumstances"), self.circumstances)
        if existing is None:
            self._fill_racks(rack_id)
            self.add_field("rack", _("Put on rac&k"), self.rack)
            self.add_field("slot", _("S&lot"), self.slot, _("Leave empty for a rack without numbered slots"))
            self.add_field("condition", _("Con&dition"), self.condition)
        self.add_field("notes", _("No&tes"), self.notes)
        if existing is not None:
            self.item_type.setCurrentIndex(max(0, self.item_type.findData(existing.item_type_id)))

        tabs = QTabWidget()
        tabs.addTab(self._markings_tab(), _("Markings"))
        tabs.addTab(self._photos_tab(), _("Photos"))
        self.tabs = tabs
        self.body.insertWidget(self.body.count() - 1, tabs)
        self.messages["markings"] = self._markings_message
        self.messages["photos"] = self._photos_message

        self._serial_timer = QTimer(self)
        self._serial_timer.setSingleShot(True)
        self._serial_timer.setInterval(200)
        self._serial_timer.timeout.connect(self.check_serial_now)
        self.serial.textChanged.connect(self._serial_timer.start)
        self.item_type.currentIndexChanged.connect(self._serial_timer.start)
        self.register.currentIndexChanged.connect(self._show_register_fields)
        if existing is not None:
            for marking in existing.markings:
                self.add_marking(
                    MarkingData(
                        marking.kind,
                        marking.transcription,
                        marking.position,
                        marking.import_country,
                        marking.import_year,
                    )
                )
            for photo in existing.photos:
                self.add_photo(weapons.get_photo(context.db, context.actor, photo.id))
        self._show_register_fields()
        self.resize(640, 760)
        self.finish()

    # --- racks, register ------------------------------------------------------------------------------

    def _fill_racks(self, wanted: int | None) -> None:
        ctx = self.context
        for facility in locations.list_facilities(ctx.db, ctx.actor):
            for rack in locations.list_racks(ctx.db, ctx.actor, facility.id):
                label = f"{facility.code} · {rack.code}" + (f" — {rack.name}" if rack.name else "")
                self.rack.addItem(label, rack.id)
        if wanted is not None:
            self.rack.setCurrentIndex(max(0, self.rack.findData(wanted)))

    def _show_register_fields(self) -> None:
        register = Register(self.register.currentData())
        for name in ("contingent_country", "contingent_unit"):
            self.set_field_visible(name, register is Register.CONTINGENT)
        recovered = register in (Register.RECOVERED, Register.EVIDENCE)
        for name in (
            "recovered_on",
            "recovered_place",
            "recovering_unit",
            "case_reference",
            "recovered_circumstances",
        ):
            self.set_field_visible(name, recovered)

    # --- markings -------------------------------------------------------------------------------------

    def _markings_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.markings = QTableWidget(0, 5)
        self.markings.setObjectName("markings")
        self.markings.setHorizontalHeaderLabels(
            [_("Kind"), _("Where on the weapon"), _("Transcription"), _("Import country"), _("Import year")]
        )
        self.markings.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.markings.cellChanged.connect(lambda *_a: self._touch("markings"))
        layout.addWidget(self.markings)
        row = QHBoxLayout()
        add = QPushButton(_("Add marking"))
        add.clicked.connect(lambda: self.add_marking(MarkingData(MarkingKind.MANUFACTURER, "")))
        remove = QPushButton(_("Remove marking"))
        remove.clicked.connect(self._remove_marking)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch()
        layout.addLayout(row)
        self._markings_message = QLabel()
        self._markings_message.setStyleSheet("color: #b02020;")
        self._markings_message.hide()
        layout.addWidget(self._markings_message)
        return page

    def _touch(self, name: str) -> None:
        self._touched.add(name)
        self.validate()

    def add_marking(self, marking: MarkingData) -> None:
        row = self.markings.rowCount()
        self.markings.blockSignals(True)
        self.markings.insertRow(row)
        kind = QComboBox()
        for member in MarkingKind:
            kind.addItem(member.label, member.value)
        kind.setCurrentIndex(max(0, kind.findData(marking.kind.value)))
        kind.currentIndexChanged.connect(lambda *_a: self._touch("markings"))
        self.markings.setCellWidget(row, 0, kind)
        values = [
            marking.position,
            marking.transcription,
            marking.import_country,
            "" if marking.import_year is None else str(marking.import_year),
        ]
        for column, value in enumerate(values, start=1):
            self.markings.setItem(row, column, QTableWidgetItem(value))
        self.markings.blockSignals(False)
        if marking.transcription:
            self._touch("markings")
        else:
            self.validate()

    def _remove_marking(self) -> None:
        row = self.markings.currentRow()
        if row >= 0:
            self.markings.removeRow(row)
            self._touch("markings")

    def _cell(self, row: int, column: int) -> str:
        item = self.markings.item(row, column)
        return item.text() if item is not None else ""

    def _collect_markings(self, problems: list[FieldProblem]) -> tuple[MarkingData, ...]:
        out: list[MarkingData] = []
        for row in range(self.markings.rowCount()):
            combo = self.markings.cellWidget(row, 0)
            assert isinstance(combo, QComboBox)
            year = optional_int(
                self._cell(row, 4),
                "markings",
                _("Marking {n}: the import year must be a number.").format(n=row + 1),
                problems,
            )
            out.append(
                MarkingData(
                    MarkingKind(combo.currentData()),
                    self._cell(row, 2),
                    self._cell(row, 1),
                    self._cell(row, 3),
                    year,
                )
            )
        return tuple(out)

    # --- photos ---------------------------------------------------------------------------------------

    def _photos_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.photo_list = QListWidget()
        self.photo_list.setObjectName("photos")
        self.photo_list.setViewMode(QListWidget.ViewMode.IconMode)
        self.photo_list.setIconSize(QSize(120, 90))
        self.photo_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        layout.addWidget(self.photo_list)
        row = QHBoxLayout()
        add = QPushButton(_("Add photo…"))
        add.clicked.connect(self._choose_photo)
        remove = QPushButton(_("Remove photo"))
        remove.clicked.connect(self._remove_photo)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch()
        layout.addLayout(row)
        self._photos_message = QLabel()
        self._photos_message.setStyleSheet("color: #b02020;")
        self._photos_message.hide()
        layout.addWidget(self._photos_message)
        return page

    def _choose_photo(self) -> None:
        chooser = QFileDialog(self, _("Add photos"), "", _("Pictures (*.jpg *.jpeg *.png)"))
        chooser.setFileMode(QFileDialog.FileMode.ExistingFiles)
        chooser.filesSelected.connect(self._add_files)
        chooser.open()

    def _add_files(self, paths: Sequence[str]) -> None:
        for path in paths:
            with open(path, "rb") as handle:
                data = handle.read()
            self.add_photo(PhotoData(data, caption=path.rsplit("/", 1)[-1]))

    def add_photo(self, photo: PhotoData) -> None:
        if any(p.sha256 == photo.sha256 for p in self._photos):
            return
        self._photos.append(photo)
        pixmap = QPixmap()
        pixmap.loadFromData(photo.data)
        item = QListWidgetItem(QIcon(pixmap), photo.caption or photo.sha256[:12])
        item.setToolTip(_("SHA-256 {hash}").format(hash=photo.sha256))
        self.photo_list.addItem(item)
        self._touch("photos")

    def _remove_photo(self) -> None:
        row = self.photo_list.currentRow()
        if row >= 0:
            self.photo_list.takeItem(row)
            del self._photos[row]
            self._touch("photos")

    # --- serial check ---------------------------------------------------------------------------------

    def check_serial_now(self) -> SerialCheck | None:
        """Ask the database about the typed serial; show a duplicate as an error, a look-alike as a warning."""
        self._serial_timer.stop()
        self._confirmed_lookalike = False
        item_type_id = self.item_type.currentData()
        serial = self.serial.text()
        self._server_problems.pop("serial", None)
        if item_type_id is None or not serial.strip():
            self.serial_check = None
        else:
            exclude = self.existing.id if self.existing else None
            self.serial_check = weapons.check_serial(
                self.context.db, self.context.actor, int(item_type_id), serial, exclude
            )
            if self.serial_check.duplicate is not None:
                self._server_problems["serial"] = _("{weapon} is already on the books.").format(
                    weapon=self.serial_check.duplicate.label
                )
                self._touched.add("serial")
        warning = self.serial_check.warning if self.serial_check else ""
        self.serial_warning.setText(warning)
        self.serial_warning.setVisible(bool(warning))
        self.validate()
        return self.serial_check

    # --- saving ---------------------------------------------------------------------------------------

    def collect(self) -> tuple[WeaponData, list[FieldProblem]]:
        problems: list[FieldProblem] = []
        item_type_id = self.item_type.currentData()
        if item_type_id is None:
            problems.append(FieldProblem("item_type", _("Add the make and model to the catalogue first.")))
        year = optional_int(self.year.text(), "year", _("Type the year as four digits, e.g. 1985."), problems)
        slot = optional_int(self.slot.text(), "slot", _("The slot is a number, e.g. 12."), problems)
        recovered: date | None = None
        if self.recovered_on.date() != _NO_DATE:
            recovered = self.recovered_on.date().toPython()  # type: ignore[assignment]
        register = Register(self.register.currentData())
        rack = self.rack.currentData() if self.existing is None else None
        data = WeaponData(
            item_type_id=int(item_type_id) if item_type_id is not None else 0,
            serial=self.serial.text(),
            rack_id=int(rack) if rack is not None else None,
            slot=slot if self.existing is None else None,
            condition=Condition(self.condition.currentData()),
            year_of_manufacture=year,
            register=register,
            contingent_country=self.contingent_country.text() if register is Register.CONTINGENT else "",
            contingent_unit=self.contingent_unit.text() if register is Register.CONTINGENT else "",
            recovered_on=recovered if register in (Register.RECOVERED, Register.EVIDENCE) else None,
            recovered_place=self.recovered_place.text(),
            recovered_circumstances=self.circumstances.toPlainText(),
            recovering_unit=self.recovering_unit.text(),
            case_reference=self.case_reference.text(),
            notes=self.notes.toPlainText(),
            markings=self._collect_markings(problems),
            photos=tuple(self._photos),
        )
        return data, problems

    def check(self, data: WeaponData) -> Sequence[FieldProblem]:
        return weapons.check_weapon(data, creating=self.existing is None)

    def before_save(self, data: WeaponData) -> bool:
        check = self.check_serial_now()
        if check is not None and check.duplicate is not None:
            return False
        if check is None or not check.lookalikes or self._confirmed_lookalike:
            return True
        box = QMessageBox(self)
        box.setObjectName("lookalikeBox")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(_("Look-alike serial"))
        box.setText(check.warning)
        box.setInformativeText(
            _(
                "Two serials that differ only by easily confused characters (O/0, I/1, S/5...) are often the "
                "same weapon read twice. Save anyway?"
            )
        )
        save = box.addButton(_("Save anyway"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(button: object) -> None:
            if button is save:
                self._confirmed_lookalike = True
                self.do_save(data)

        box.buttonClicked.connect(answered)
        self.lookalike_box = box
        box.open()
        return False

    def save(self, data: WeaponData) -> WeaponDetail:
        if self.existing is None:
            return weapons.create_weapon(self.context.db, self.context.actor, data)
        return weapons.update_weapon(self.context.db, self.context.actor, self.existing.id, data)
