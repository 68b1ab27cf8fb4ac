"""The sign-in dialog (first administrator, demo passwords only on a demo database, must-change flow)
and the two-person-rule dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.services import auth, users
from armoury.services.demo_users import create_demo_users
from tests.helpers import TEST_PASSWORD, create_user
from ui.signin import PAGE_CHANGE, PAGE_FIRST_ADMIN, PAGE_SIGN_IN, SignInDialog
from ui.witness_dialog import WitnessDialog, WitnessPanel


def _click_ok(qtbot: QtBot, dialog: SignInDialog | WitnessDialog) -> None:
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_first_start_creates_the_first_administrator(qtbot: QtBot, sqlite_db: Database) -> None:
    dialog = SignInDialog(sqlite_db)
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.page == PAGE_FIRST_ADMIN
    dialog.admin_username.setText("boss")
    dialog.admin_password.setText(TEST_PASSWORD)
    dialog.admin_confirm.setText(TEST_PASSWORD + "x")
    _click_ok(qtbot, dialog)
    assert "differ" in dialog.error_label.text() and not auth.has_users(sqlite_db)
    dialog.admin_password.setText("short")
    dialog.admin_confirm.setText("short")
    _click_ok(qtbot, dialog)
    assert "at least 10" in dialog.error_label.text()
    dialog.admin_password.setText(TEST_PASSWORD)
    dialog.admin_confirm.setText(TEST_PASSWORD)
    with qtbot.waitSignal(dialog.signed_in, timeout=5000) as signed:
        _click_ok(qtbot, dialog)
    assert signed.args[0].username == "boss" and signed.args[0].role is Role.ADMINISTRATOR
    assert dialog.result() == SignInDialog.DialogCode.Accepted
    assert dialog.admin_password.text() == ""


def test_sign_in_shows_errors_and_no_demo_passwords_on_a_real_database(
    qtbot: QtBot, sqlite_db: Database
) -> None:
    create_user(sqlite_db, "sam", Role.STOREKEEPER)
    dialog = SignInDialog(sqlite_db)
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.page == PAGE_SIGN_IN
    assert dialog.demo_list.count() == 0 and not dialog.demo_list.isVisible()
    dialog.username.setText("sam")
    dialog.password.setText("not-the-password")
    _click_ok(qtbot, dialog)
    assert "Wrong user name or password" in dialog.error_label.text()
    assert dialog.password.text() == "" and dialog.isVisible()
    dialog.password.setText(TEST_PASSWORD)
    with qtbot.waitSignal(dialog.signed_in, timeout=5000):
        _click_ok(qtbot, dialog)
    assert dialog.actor is not None and dialog.actor.username == "sam"


def test_demo_database_shows_demo_passwords_that_sign_in(qtbot: QtBot, sqlite_db: Database) -> None:
    create_demo_users(sqlite_db)
    dialog = SignInDialog(sqlite_db)
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.demo_list.count() == len(Role) and dialog.demo_list.isVisible()
    item = dialog.demo_list.item(1)
    assert "password:" in item.text()
    dialog._use_demo(item)
    with qtbot.waitSignal(dialog.signed_in, timeout=5000) as signed:
        _click_ok(qtbot, dialog)
    assert signed.args[0].username == dialog.username.text()


def test_reset_password_must_be_changed_at_sign_in(qtbot: QtBot, sqlite_db: Database) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    create_user(sqlite_db, "sam", Role.STOREKEEPER)
    users.reset_password(sqlite_db, admin, "sam", "Temporary-pass-93")
    dialog = SignInDialog(sqlite_db)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.username.setText("sam")
    dialog.password.setText("Temporary-pass-93")
    _click_ok(qtbot, dialog)
    assert dialog.page == PAGE_CHANGE and dialog.actor is None
    dialog.new_password.setText("qwertyuiop")
    dialog.new_confirm.setText("qwertyuiop")
    _click_ok(qtbot, dialog)
    assert "common" in dialog.error_label.text() and dialog.page == PAGE_CHANGE
    dialog.new_password.setText(TEST_PASSWORD)
    dialog.new_confirm.setText(TEST_PASSWORD)
    with qtbot.waitSignal(dialog.signed_in, timeout=5000):
        _click_ok(qtbot, dialog)
    assert auth.authenticate(sqlite_db, "sam", TEST_PASSWORD).username == "sam"


def test_witness_dialog_refuses_same_user_and_auditor_then_confirms(
    qtbot: QtBot, sqlite_db: Database
) -> None:
    keeper = create_user(sqlite_db, "sam", Role.STOREKEEPER)
    create_user(sqlite_db, "aud", Role.AUDITOR)
    create_user(sqlite_db, "cdt", Role.COMMANDER)
    dialog = WitnessDialog(sqlite_db, keeper, "Issue")
    qtbot.addWidget(dialog)
    dialog.open()
    panel: WitnessPanel = dialog.panel
    for name, message in (("sam", "different person"), ("aud", "may not witness")):
        panel.username.setText(name)
        panel.password.setText(TEST_PASSWORD)
        _click_ok(qtbot, dialog)
        assert message in dialog.error_label.text() and dialog.isVisible()
        assert panel.password.text() == ""
    panel.username.setText("cdt")
    panel.password.setText(TEST_PASSWORD)
    with qtbot.waitSignal(dialog.confirmed, timeout=5000) as confirmed:
        _click_ok(qtbot, dialog)
    assert confirmed.args[0].username == "cdt" and dialog.witness is not None
