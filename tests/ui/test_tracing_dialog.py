"""Tracing requests in the window: the two dialogs (validating as you type) and the detail panel's list."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from armoury.domain.enums import Register, Role
from armoury.services import tracing, weapons
from armoury.services.tracing import TracingRequestData
from armoury.services.weapons import WeaponData
from tests.helpers import create_user
from ui.context import AppContext
from ui.detail_panel import DetailPanel
from ui.dialogs.tracing_dialog import TracingAnswerDialog, TracingRequestDialog

SENT = date.today() - timedelta(days=20)


def _recovered(context: AppContext, ids: dict[str, int]) -> int:
    data = WeaponData(
        ids["ak"],
        "SZ-0001",
        rack_id=ids["r2"],
        register=Register.RECOVERED,
        recovered_on=SENT - timedelta(days=5),
        recovered_place="Checkpoint 4",
        recovered_circumstances="Found in a truck",
    )
    return weapons.create_weapon(context.db, context.actor, data).id


def test_request_dialog_validates_as_you_type(qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]) -> None:
    context, ids = depot
    weapon_id = _recovered(context, ids)
    dialog = TracingRequestDialog(context, weapon_id, "Kalashnikov AK-47 SZ-0001")
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.message("sent_to") == ""  # untouched
    dialog.save_button.click()
    assert dialog.isVisible() and dialog.message("sent_to") == "Say to whom the request was sent."
    assert not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.sent_to, "Belgium")
    assert dialog.message("sent_to") == "" and dialog.save_button.isEnabled()
    dialog.sent_on.setDate(QDate(date.today() + timedelta(days=3)))
    assert dialog.message("sent_on") == "The request date is in the future."
    assert not dialog.save_button.isEnabled()
    dialog.sent_on.setDate(QDate(SENT))
    qtbot.keyClicks(dialog.reference, "BE-17")
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_button.click()
    assert (saved.args[0].sent_to, saved.args[0].reference, saved.args[0].sent_on) == (
        "Belgium",
        "BE-17",
        SENT,
    )
    assert [r.sent_to for r in tracing.requests_for(context.db, context.actor, weapon_id)] == ["Belgium"]


def test_answer_dialog_refuses_an_early_or_empty_answer(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]
) -> None:
    context, ids = depot
    weapon_id = _recovered(context, ids)
    request = tracing.record_request(context.db, context.actor, weapon_id, TracingRequestData(SENT, "iARMS"))
    dialog = TracingAnswerDialog(context, request)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.answered_on.setDate(QDate(SENT - timedelta(days=1)))
    assert (
        dialog.message("answered_on")
        == f"The answer cannot be dated before the request ({SENT.isoformat()})."
    )
    dialog.answered_on.setDate(QDate(SENT + timedelta(days=2)))
    assert dialog.message("answered_on") == ""
    dialog.save_button.click()  # the answer is still empty
    assert dialog.isVisible() and dialog.message("answer") == "The answer is empty."
    assert tracing.open_requests(context.db, context.actor) == [request]
    qtbot.keyClicks(dialog.answer, "No record of this weapon")
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_button.click()
    assert saved.args[0].answered_on == SENT + timedelta(days=2)
    assert tracing.open_requests(context.db, context.actor) == []


def test_detail_panel_lists_requests_and_opens_the_dialogs(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]
) -> None:
    context, ids = depot
    weapon_id = _recovered(context, ids)
    panel = DetailPanel(context)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_weapon_id(ids["KX-0001"])  # national stock: no tracing
    assert not panel.tracing_box.isVisible()
    panel.show_weapon_id(weapon_id)
    assert panel.tracing_box.isVisible() and panel.new_request_button.isVisible()
    assert panel.tracing.topLevelItemCount() == 0 and not panel.answer_button.isEnabled()

    panel.new_request_button.click()
    dialog = panel.current_dialog
    assert isinstance(dialog, TracingRequestDialog) and dialog.isVisible()
    dialog.sent_on.setDate(QDate(SENT))
    qtbot.keyClicks(dialog.sent_to, "Belgium")
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: panel.tracing.topLevelItemCount() == 1)
    item = panel.tracing.topLevelItem(0)
    assert item is not None and (item.text(1), item.text(3)) == ("Belgium", "no answer yet")
    assert panel.answer_button.isEnabled()  # the open request is selected

    panel.answer_button.click()
    answer = panel.current_dialog
    assert isinstance(answer, TracingAnswerDialog)
    qtbot.keyClicks(answer.answer, "Exported in 1998")
    with qtbot.waitSignal(answer.saved):
        answer.save_button.click()
    qtbot.waitUntil(lambda: "Exported in 1998" in (panel.tracing.topLevelItem(0) or item).text(3))
    assert not panel.answer_button.isEnabled()


def test_buttons_are_hidden_from_a_user_who_may_not_record(
    qtbot: QtBot, depot: tuple[AppContext, dict[str, int]]
) -> None:
    context, ids = depot
    weapon_id = _recovered(context, ids)
    tracing.record_request(context.db, context.actor, weapon_id, TracingRequestData(SENT, "UN panel"))
    auditor = replace(context, actor=create_user(context.db, "auditor", Role.AUDITOR))
    panel = DetailPanel(auditor)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_weapon_id(weapon_id)
    assert panel.tracing_box.isVisible() and panel.tracing.topLevelItemCount() == 1
    assert not panel.new_request_button.isVisible() and not panel.answer_button.isVisible()
