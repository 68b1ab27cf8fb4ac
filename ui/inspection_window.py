"""The inspections window: inspections, the inspecting screen, corrective actions, trend, checklists.

``InspectionWindow(db, actor)`` is what the main window opens from its Inspections menu. Tabs:

* Inspections — the list (newest first); New inspection…, Open, Report PDF….
* Corrective actions — open and overdue actions; Close action….
* Trend — the scores of a facility's signed inspections over time.
* Checklists — the templates; Edit…, Import…, Export….

An inspection opens in its own tab (:class:`ui.inspection_form.InspectionForm`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QMainWindow,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.errors import ArmouryError, ValidationError
from armoury.i18n import _
from armoury.inspections.records import InspectionSummary
from armoury.security.permissions import Actor, Permission
from armoury.services import checklists, inspections, locations
from ui.errors import show_error, show_message
from ui.inspection_form import InspectionForm
from ui.inspection_trend import TrendChart

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _table(name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[tuple[int, list[str]]], alert_rows: set[int] | None = None) -> None:
    table.setRowCount(0)
    table.setRowCount(len(rows))
    for r, (ident, values) in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setData(ID_ROLE, ident)
            if alert_rows and r in alert_rows:
                item.setForeground(QBrush(QColor("#b00020")))
            table.setItem(r, c, item)


def _selected_id(table: QTableWidget) -> int | None:
    row = table.currentRow()
    item = table.item(row, 0) if row >= 0 else None
    return int(item.data(ID_ROLE)) if item is not None else None


def _cell_text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


def choose_save_file(parent: QWidget, title: str, suggested: str, filters: str) -> str:
    """Ask where to write a file (tests replace this function)."""
    path, _filter = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path


def choose_open_file(parent: QWidget, title: str, filters: str) -> str:
    path, _filter = QFileDialog.getOpenFileName(parent, title, "", filters)
    return path


class InspectionWindow(QMainWindow):
    changed = Signal()

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspectionWindow")
        self.setWindowTitle(_("Inspections"))
        self.db, self.actor = db, actor
        self.tabs = QTabWidget()
        self.tabs.setObjectName("inspectionTabs")
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.tabs.addTab(self._inspections_page(), _("Inspections"))
        self.tabs.addTab(self._actions_page(), _("Corrective actions"))
        self.tabs.addTab(self._trend_page(), _("Trend"))
        self.tabs.addTab(self._checklists_page(), _("Checklists"))
        for index in range(4):
            self.tabs.tabBar().setTabButton(index, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.setCentralWidget(self.tabs)
        self.forms: dict[int, InspectionForm] = {}
        self.resize(1200, 800)
        self.refresh()

    # ------------------------------------------------------------------------------------------ pages

    def _inspections_page(self) -> QWidget:
        page = QWidget()
        self.inspection_table = _table(
            "inspectionTable",
            [_("No."), _("Started"), _("Facility"), _("Area"), _("Checklist"), _("Status"), _("Score"), _("Level"),
             _("Inspector")],
        )  # fmt: skip
        self.inspection_table.doubleClicked.connect(lambda _i: self.open_selected())
        new = QPushButton(_("New inspection…"))
        new.setObjectName("newInspectionButton")
        new.clicked.connect(self.new_inspection)
        new.setEnabled(self.actor.can(Permission.INSPECT))
        open_button = QPushButton(_("Open"))
        open_button.clicked.connect(self.open_selected)
        report = QPushButton(_("Report PDF…"))
        report.setObjectName("reportButton")
        report.clicked.connect(self.report_selected)
        buttons = QHBoxLayout()
        for button in (new, open_button, report):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addLayout(buttons)
        layout.addWidget(self.inspection_table)
        return page

    def _actions_page(self) -> QWidget:
        page = QWidget()
        self.action_table = _table(
            "actionTable",
            [
                _("No."),
                _("Due"),
                _("Facility"),
                _("Question"),
                _("Action"),
                _("Who"),
                _("Status"),
                _("Evidence of closure"),
            ],
        )
        self.open_only = QCheckBox(_("Open actions only"))
        self.open_only.setChecked(True)
        self.open_only.toggled.connect(lambda _c: self.refresh_actions())
        close = QPushButton(_("Close action…"))
        close.setObjectName("closeActionButton")
        close.clicked.connect(self.close_selected_action)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_only)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(page)
        layout.addLayout(buttons)
        layout.addWidget(self.action_table)
        return page

    def _trend_page(self) -> QWidget:
        page = QWidget()
        self.trend_facility = QComboBox()
        self.trend_facility.setObjectName("trendFacility")
        self.trend_template = QComboBox()
        self.trend_template.setObjectName("trendTemplate")
        self.trend_facility.currentIndexChanged.connect(lambda _i: self.refresh_trend())
        self.trend_template.currentIndexChanged.connect(lambda _i: self.refresh_trend())
        self.trend_chart = TrendChart()
        row = QHBoxLayout()
        row.addWidget(self.trend_facility)
        row.addWidget(self.trend_template)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.trend_chart, 1)
        return page

    def _checklists_page(self) -> QWidget:
        page = QWidget()
        self.template_table = _table(
            "templateTable", [_("Id"), _("Version"), _("Title"), _("Questions"), _("Built in"), _("Used")]
        )
        self.template_table.doubleClicked.connect(lambda _i: self.edit_selected_template())
        self.all_versions = QCheckBox(_("All versions"))
        self.all_versions.toggled.connect(lambda _c: self.refresh_templates())
        can_manage = self.actor.can(Permission.MANAGE_CHECKLISTS)
        edit = QPushButton(_("Edit…"))
        edit.setObjectName("editTemplateButton")
        edit.clicked.connect(self.edit_selected_template)
        imp = QPushButton(_("Import…"))
        imp.clicked.connect(self.import_template)
        exp = QPushButton(_("Export…"))
        exp.clicked.connect(self.export_selected_template)
        edit.setEnabled(can_manage)
        imp.setEnabled(can_manage)
        buttons = QHBoxLayout()
        buttons.addWidget(self.all_versions)
        buttons.addStretch(1)
        for button in (edit, imp, exp):
            buttons.addWidget(button)
        layout = QVBoxLayout(page)
        layout.addLayout(buttons)
        layout.addWidget(self.template_table)
        return page

    # ---------------------------------------------------------------------------------------- refresh

    def refresh(self) -> None:
        try:
            self.refresh_inspections()
            self.refresh_actions()
            self.refresh_templates()
            self._fill_trend_choices()
        except ArmouryError as error:
            show_error(self, error)

    def refresh_inspections(self) -> None:
        rows = []
        for s in inspections.list_inspections(self.db, self.actor):
            rows.append(
                (
                    s.id,
                    [
                        str(s.id), s.started_at.strftime("%Y-%m-%d"), s.facility_code, s.area_name,
                        f"{s.template_title} v{s.template_version}", s.status.label,
                        "" if s.score is None else f"{s.score:.1f} %", "" if s.level is None else str(s.level),
                        s.inspector_name,
                    ],
                )
            )  # fmt: skip
        _fill(self.inspection_table, rows)

    def refresh_actions(self) -> None:
        today = date.today()
        actions = inspections.list_corrective_actions(
            self.db, self.actor, open_only=self.open_only.isChecked()
        )
        rows = [
            (
                a.id,
                [
                    str(a.id), a.due_on.isoformat(), a.facility_name, a.question_id, a.what, a.who, a.status.label,
                    a.closure_evidence,
                ],
            )
            for a in actions
        ]  # fmt: skip
        _fill(self.action_table, rows, {i for i, a in enumerate(actions) if a.overdue(today)})

    def refresh_templates(self) -> None:
        rows = [
            (
                t.id,
                [t.code, str(t.version), t.title, str(t.question_count), _("yes") if t.builtin else "",
                 _("yes") if t.used else ""],
            )
            for t in checklists.list_templates(self.db, self.actor, all_versions=self.all_versions.isChecked())
        ]  # fmt: skip
        _fill(self.template_table, rows)

    def _fill_trend_choices(self) -> None:
        self.trend_facility.blockSignals(True)
        self.trend_template.blockSignals(True)
        keep_f, keep_t = self.trend_facility.currentData(), self.trend_template.currentData()
        self.trend_facility.clear()
        for f in locations.list_facilities(self.db, self.actor):
            self.trend_facility.addItem(f"{f.code} — {f.name}", f.id)
        self.trend_template.clear()
        self.trend_template.addItem(_("All checklists"), None)
        for t in checklists.list_templates(self.db, self.actor):
            self.trend_template.addItem(t.title, t.code)
        if keep_f is not None:
            self.trend_facility.setCurrentIndex(max(0, self.trend_facility.findData(keep_f)))
        if keep_t is not None:
            self.trend_template.setCurrentIndex(max(0, self.trend_template.findData(keep_t)))
        self.trend_facility.blockSignals(False)
        self.trend_template.blockSignals(False)
        self.refresh_trend()

    def refresh_trend(self) -> None:
        facility_id = self.trend_facility.currentData()
        if facility_id is None:
            self.trend_chart.set_points([])
            return
        self.trend_chart.set_points(
            inspections.score_trend(self.db, self.actor, int(facility_id), self.trend_template.currentData())
        )

    # ---------------------------------------------------------------------------------------- actions

    def new_inspection(self) -> QWidget:
        from ui.inspection_dialogs import NewInspectionDialog

        dialog = NewInspectionDialog(self.db, self.actor, self)
        dialog.saved.connect(self._after_start)
        dialog.open()
        return dialog

    def _after_start(self, summary: InspectionSummary) -> None:
        self.refresh_inspections()
        self.open_inspection(summary.id)

    def open_selected(self) -> None:
        ident = _selected_id(self.inspection_table)
        if ident is not None:
            self.open_inspection(ident)

    def open_inspection(self, inspection_id: int) -> InspectionForm | None:
        form = self.forms.get(inspection_id)
        if form is None:
            try:
                form = InspectionForm(self.db, self.actor, inspection_id)
            except ArmouryError as error:
                show_error(self, error)
                return None
            form.changed.connect(self._on_form_changed)
            self.forms[inspection_id] = form
            self.tabs.addTab(form, _("Inspection {id}").format(id=inspection_id))
        self.tabs.setCurrentWidget(form)
        form.questions.setFocus()
        return form

    def _on_form_changed(self) -> None:
        self.refresh_inspections()
        self.refresh_actions()
        self.refresh_trend()
        self.changed.emit()

    def _close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if isinstance(widget, InspectionForm):
            widget.save_note()
            self.forms.pop(widget.inspection_id, None)
            self.tabs.removeTab(index)
            widget.deleteLater()

    def report_selected(self) -> None:
        ident = _selected_id(self.inspection_table)
        if ident is None:
            return
        path = choose_save_file(
            self, _("Save the inspection report"), f"inspection-{ident}.pdf", _("PDF (*.pdf)")
        )
        if path:
            self.write_report(ident, Path(path))

    def write_report(self, inspection_id: int, path: Path) -> bool:
        from ui.worker import run_task

        def work(_progress: object) -> int:
            return inspections.write_inspection_report(self.db, self.actor, inspection_id, path)

        def done(pages: object) -> None:
            show_message(self, _("Wrote {path} ({pages} pages).").format(path=path, pages=pages))

        run_task(self, _("Inspection report"), work, done)
        return True

    def close_selected_action(self) -> QWidget | None:
        from ui.inspection_dialogs import CloseActionDialog

        ident = _selected_id(self.action_table)
        if ident is None:
            return None
        what = _cell_text(self.action_table, self.action_table.currentRow(), 4)
        dialog = CloseActionDialog(self.db, self.actor, ident, what, self)
        dialog.saved.connect(lambda _info: self.refresh_actions())
        dialog.open()
        return dialog

    def edit_selected_template(self) -> QWidget | None:
        from ui.checklist_editor import ChecklistEditor

        ident = _selected_id(self.template_table)
        if ident is None:
            return None
        editor = ChecklistEditor(self.db, self.actor, ident, self)
        editor.saved.connect(lambda _s: self.refresh_templates())
        editor.open()
        return editor

    def import_template(self) -> None:
        path = choose_open_file(self, _("Import a checklist"), _("Checklists (*.json)"))
        if not path:
            return
        try:
            result = checklists.import_template_file(self.db, self.actor, Path(path))
        except ArmouryError as error:
            show_error(self, error)
            return
        self.refresh_templates()
        show_message(
            self,
            _("Imported {code} as version {version} ({count} questions).").format(
                code=result.template.code,
                version=result.template.version,
                count=result.template.question_count,
            )
            if result.created
            else _("{code} version {version} already holds these questions; nothing was changed.").format(
                code=result.template.code, version=result.template.version
            ),
        )

    def export_selected_template(self) -> None:
        ident = _selected_id(self.template_table)
        if ident is None:
            return
        row = self.template_table.currentRow()
        code, version = _cell_text(self.template_table, row, 0), _cell_text(self.template_table, row, 1)
        path = choose_save_file(
            self, _("Export the checklist"), f"{code}-v{version}.json", _("Checklists (*.json)")
        )
        if not path:
            return
        try:
            Path(path).write_text(checklists.export_template(self.db, self.actor, ident), encoding="utf-8")
        except ArmouryError as error:
            show_error(self, error)
        except OSError as error:
            show_error(
                self,
                ValidationError(
                    _("The file {path} cannot be written: {reason}").format(path=path, reason=error.strerror),
                    _("Check the folder exists and that you may write there."),
                ),
            )
