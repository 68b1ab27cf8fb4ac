"""pytest-qt drives a full inspection with the keyboard, a photo, a corrective action and the sign-off."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from armoury.db import Database
from armoury.inspections.enums import InspectionStatus, Outcome
from armoury.services import checklists, inspections
from tests.core.test_inspection_support import PNG_PIXEL, make_depot
from ui import inspection_form
from ui.checklist_editor import ChecklistEditor
from ui.inspection_dialogs import CorrectiveActionDialog, NewInspectionDialog
from ui.inspection_form import InspectionForm
from ui.inspection_window import InspectionWindow


def _key(qtbot: QtBot, form: InspectionForm, key: Qt.Key) -> None:
    qtbot.keyClick(form.questions, key)


def test_full_inspection_with_keyboard_photo_and_sign_off(
    sqlite_db: Database, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    depot = make_depot(sqlite_db)
    window = InspectionWindow(sqlite_db, depot.inspector)
    qtbot.addWidget(window)
    window.show()

    dialog = window.new_inspection()
    assert isinstance(dialog, NewInspectionDialog)
    dialog.select_template("daily-armoury-check")
    dialog.area.setCurrentIndex(dialog.area.findData(depot.area_id))
    dialog.team.setText("Sgt. B. Keita")
    dialog.accept()
    qtbot.waitUntil(lambda: len(window.forms) == 1)
    form = next(iter(window.forms.values()))
    assert window.tabs.currentWidget() is form
    assert form.progress.value() == 0 and form.progress.maximum() == 8

    # DC-01, DC-02 compliant with one key each; the form moves on by itself.
    _key(qtbot, form, Qt.Key.Key_C)
    _key(qtbot, form, Qt.Key.Key_C)
    assert form._current is not None and form._current.id == "DC-03"
    # DC-03 "racks secured": not compliant. The finding stays on screen for the evidence.
    _key(qtbot, form, Qt.Key.Key_N)
    assert form._current.id == "DC-03"
    assert form.detail.answers["DC-03"].outcome is Outcome.FAIL
    # Autosave: the answers are in the database already (a crash now loses nothing).
    stored = inspections.get_inspection(sqlite_db, depot.inspector, form.inspection_id)
    assert stored.card.answered == 3

    qtbot.keyClicks(form.note_edit, "Rack R1 is not bolted to the wall.")
    qtbot.waitUntil(
        lambda: (
            inspections.get_inspection(sqlite_db, depot.inspector, form.inspection_id).answers["DC-03"].note
            == "Rack R1 is not bolted to the wall."
        ),
        timeout=3000,
    )
    photo = tmp_path / "rack-r1.png"
    photo.write_bytes(PNG_PIXEL)
    monkeypatch.setattr(inspection_form, "choose_photo_file", lambda parent: str(photo))
    qtbot.mouseClick(form.photo_button, Qt.MouseButton.LeftButton)
    assert form.photo_list.count() == 1
    assert form.detail.answers["DC-03"].photos[0].filename == "rack-r1.png"

    rack_item = next(
        form.target_list.item(i)
        for i in range(form.target_list.count())
        if form.target_list.item(i).text() == "R1"
    )
    rack_item.setCheckState(Qt.CheckState.Checked)
    assert [r.code for r in form.detail.answers["DC-03"].racks] == ["R1"]

    action_dialog = form.open_action_dialog()
    assert isinstance(action_dialog, CorrectiveActionDialog)
    action_dialog.what.setText("Bolt rack R1 to the wall")
    action_dialog.who.setText("Armourer")
    action_dialog.due.setDate(QDate(2026, 12, 15))
    action_dialog.accept()
    assert form.action_list.count() == 1

    # Back to the list and on through the rest: C, C, C, A (not applicable), then a text answer.
    form.questions.setFocus()
    form.next_question()
    for key in (Qt.Key.Key_C, Qt.Key.Key_C, Qt.Key.Key_C, Qt.Key.Key_A):
        _key(qtbot, form, key)
    assert form._current.id == "DC-08"
    _key(qtbot, form, Qt.Key.Key_Return)
    qtbot.keyClicks(form.text_edit, "Clean and tidy.")
    qtbot.keyClick(form.text_edit, Qt.Key.Key_Return)
    assert form.progress.value() == 8
    assert form.missing_label.text() == "Ready to sign."

    box = form.ask_sign_off()
    assert box.objectName() == "signOffConfirm"
    with qtbot.waitSignal(form.signed, timeout=3000):
        box.button(QMessageBox.StandardButton.Yes).click()
    signed = inspections.get_inspection(sqlite_db, depot.inspector, form.inspection_id)
    assert signed.summary.status is InspectionStatus.SIGNED
    assert signed.summary.level == 0  # the critical rack finding blocks every level
    assert signed.summary.score == pytest.approx(81.25)
    assert not form.sign_button.isEnabled() and not form.answer_stack.isEnabled()
    assert "can no longer change" in form.missing_label.text()

    # The list shows it; the report is written from the window.
    window.refresh_inspections()
    assert window.inspection_table.item(0, 5).text() == "Signed"
    pdf = tmp_path / "report.pdf"
    window.write_report(form.inspection_id, pdf)
    text = "".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)
    assert "Score: 81.2 %" in text and "Bolt rack R1 to the wall" in text and "rack-r1.png" in text

    # Corrective actions page: the open action is listed; the trend shows one point.
    window.refresh_actions()
    assert window.action_table.rowCount() == 1
    window.trend_facility.setCurrentIndex(window.trend_facility.findData(depot.facility_id))
    window.refresh_trend()
    assert len(window.trend_chart.points) == 1
    assert not window.trend_chart.grab().isNull()


def test_choice_and_number_answers_by_keyboard(sqlite_db: Database, qtbot: QtBot) -> None:
    depot = make_depot(sqlite_db)
    template = checklists.find_template(sqlite_db, depot.inspector, "physical-security")
    started = inspections.start_inspection(sqlite_db, depot.inspector, depot.facility_id, template.id)
    form = InspectionForm(sqlite_db, depot.inspector, started.id)
    qtbot.addWidget(form)
    form.questions.setCurrentRow(form._row_of("PS-GRD-06"))
    _key(qtbot, form, Qt.Key.Key_4)  # "Not watched": a failing choice
    assert form.detail.answers["PS-GRD-06"].value == "none"
    assert form.detail.answers["PS-GRD-06"].outcome is Outcome.FAIL
    form.questions.setCurrentRow(form._row_of("PS-ALM-03"))
    form.number_edit.setText("45")
    qtbot.keyClick(form.number_edit, Qt.Key.Key_Return)
    assert form.detail.answers["PS-ALM-03"].outcome is Outcome.FAIL


def test_checklist_editor_reorders_and_saves_a_new_version_when_used(
    sqlite_db: Database, qtbot: QtBot
) -> None:
    depot = make_depot(sqlite_db)
    template = checklists.find_template(sqlite_db, depot.inspector, "daily-armoury-check")
    inspections.start_inspection(sqlite_db, depot.inspector, depot.facility_id, template.id)
    editor = ChecklistEditor(sqlite_db, depot.inspector, template.id)
    qtbot.addWidget(editor)
    editor.select((0, 1))
    editor.move_current(-1)
    assert editor.current_path() == (0, 0)
    assert [q["id"] for q in editor.data["sections"][0]["questions"][:2]] == ["DC-02", "DC-01"]
    editor.add_question()
    editor.q_text_en.setPlainText("Is the fire extinguisher in place?")
    editor.q_text_fr.setPlainText("L'extincteur est-il en place ?")
    editor.q_critical.setChecked(True)
    with qtbot.waitSignal(editor.saved) as saved:
        assert editor.save()
    summary = saved.args[0]
    assert summary.version == 2 and summary.question_count == 9
    _s, stored = checklists.load_template(sqlite_db, depot.inspector, summary.id)
    # The new question went in after the selected one.
    assert [q.id for _sec, q in stored.questions()][:3] == ["DC-02", "Q-01", "DC-01"]
    assert stored.question("Q-01") is not None and stored.question("Q-01").critical  # type: ignore[union-attr]


def test_window_lists_templates_for_an_auditor_without_editing(sqlite_db: Database, qtbot: QtBot) -> None:
    depot = make_depot(sqlite_db)
    window = InspectionWindow(sqlite_db, depot.auditor)
    qtbot.addWidget(window)
    assert window.template_table.rowCount() == 5
    assert not window.findChild(QPushButton, "editTemplateButton").isEnabled()
    assert not window.findChild(QPushButton, "newInspectionButton").isEnabled()
    assert window.findChild(QPushButton, "reportButton").isEnabled()


def test_overdue_panel_for_the_start_screen(sqlite_db: Database, qtbot: QtBot) -> None:
    from datetime import date

    from ui.inspection_overdue import OverdueActionsPanel

    depot = make_depot(sqlite_db)
    template = checklists.find_template(sqlite_db, depot.inspector, "daily-armoury-check")
    started = inspections.start_inspection(sqlite_db, depot.inspector, depot.facility_id, template.id)
    inspections.record_answer(sqlite_db, depot.inspector, started.id, "DC-05", "not_compliant")
    inspections.add_corrective_action(
        sqlite_db, depot.inspector, started.id, "DC-05", "Repair the alarm", "Signals", date(2026, 1, 10)
    )
    panel = OverdueActionsPanel(sqlite_db, depot.commander)
    qtbot.addWidget(panel)
    assert panel.refresh(date(2026, 1, 9)) == 0 and panel.isHidden()
    assert panel.refresh(date(2026, 1, 20)) == 1
    assert "Repair the alarm" in panel.list.item(0).text() and "10 days late" in panel.list.item(0).text()
    with qtbot.waitSignal(panel.open_requested):
        panel.findChild(QPushButton).click()
