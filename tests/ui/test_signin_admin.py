"""The administrator's dialogs: users, audit trail viewer, backup and restore; their models pass
qtmodeltester; the admin menu enables only what the role may use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.services import audit, auth
from tests.helpers import TEST_PASSWORD, create_user
from ui.admin_users import UsersDialog, install_admin_actions
from ui.audit_viewer import AuditViewer
from ui.backup_dialogs import BackupDialog, RestoreDialog
from ui.context import AppContext


def test_users_dialog_adds_disables_and_unlocks(
    qtbot: QtBot, qtmodeltester: Any, sqlite_db: Database
) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    create_user(sqlite_db, "sam", Role.STOREKEEPER)
    dialog = UsersDialog(sqlite_db, admin)
    qtbot.addWidget(dialog)
    dialog.open()
    qtmodeltester.check(dialog.model)
    assert [u.username for u in dialog.model.rows] == ["root", "sam"]
    add = dialog.add_user()
    add.username.setText("nina")
    add.role.setCurrentIndex(add.role.findData(Role.INSPECTOR.value))
    add.password.setText(TEST_PASSWORD)
    add.confirm.setText(TEST_PASSWORD)
    with qtbot.waitSignal(add.saved, timeout=5000):
        qtbot.mouseClick(add.ok_button, Qt.MouseButton.LeftButton)
    assert [u.username for u in dialog.model.rows] == ["nina", "root", "sam"]
    dialog.select("sam")
    qtbot.mouseClick(dialog.disable_button, Qt.MouseButton.LeftButton)
    sam = next(u for u in dialog.model.rows if u.username == "sam")
    assert not sam.active and dialog.enable_button.isEnabled()
    assert dialog.model.index(2, 3).data() == "disabled"


def test_audit_viewer_filters_and_verifies(qtbot: QtBot, qtmodeltester: Any, sqlite_db: Database) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    auth.authenticate(sqlite_db, "root", TEST_PASSWORD)
    audit.record(sqlite_db, admin, "export", subject="weapons.xlsx")
    viewer = AuditViewer(sqlite_db, admin)
    qtbot.addWidget(viewer)
    viewer.open()
    qtmodeltester.check(viewer.model)
    assert viewer.model.rowCount() == 2 and viewer.model.index(0, 4).data() == "weapons.xlsx"
    viewer.action.setCurrentIndex(viewer.action.findData("sign_in"))
    qtbot.mouseClick(viewer.apply_button, Qt.MouseButton.LeftButton)
    assert [e.action for e in viewer.model.rows] == ["sign_in"]
    qtbot.mouseClick(viewer.verify_button, Qt.MouseButton.LeftButton)
    assert "intact" in viewer.status.text()


def test_backup_then_restore_from_the_dialogs(qtbot: QtBot, sqlite_db: Database, tmp_path: Path) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    dialog = BackupDialog(sqlite_db, admin)
    qtbot.addWidget(dialog)
    target = tmp_path / "gui.sqlite3"
    dialog.path.setText(str(target))
    with qtbot.waitSignal(dialog.backed_up, timeout=5000):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert target.exists() and "Backup written" in dialog.status.text()
    restore = RestoreDialog(sqlite_db, admin)
    qtbot.addWidget(restore)
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("junk")
    restore.path.setText(str(junk))
    qtbot.mouseClick(restore.check_button, Qt.MouseButton.LeftButton)
    assert "not an SQLite database" in restore.status.text() and not restore.restore_button.isEnabled()
    restore.path.setText(str(target))
    qtbot.mouseClick(restore.check_button, Qt.MouseButton.LeftButton)
    assert restore.restore_button.isEnabled()
    with qtbot.waitSignal(restore.restored, timeout=10000) as restored:
        qtbot.mouseClick(restore.restore_button, Qt.MouseButton.LeftButton)
    assert restored.args[0].kept.exists()


class _Window(QMainWindow):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.menu = self.menuBar().addMenu("Administration")

    def add_action(self, menu_name: str, action: QAction, toolbar: bool = False) -> QAction:
        assert menu_name == "admin"
        self.menu.addAction(action)
        return action


def test_admin_menu_follows_the_role(qtbot: QtBot, sqlite_db: Database) -> None:
    auditor = create_user(sqlite_db, "aud", Role.AUDITOR)
    window = _Window(AppContext(sqlite_db, auditor))
    qtbot.addWidget(window)
    actions = install_admin_actions(window)
    enabled = {key for key, action in actions.items() if action.isEnabled()}
    assert enabled == {"audit"} and "settings" in actions


def test_security_settings_dialog_saves_only_changes_and_checks_permission(
    qtbot: QtBot, sqlite_db: Database
) -> None:
    from armoury.services import settings
    from ui.security_settings import SecuritySettingsDialog

    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    dialog = SecuritySettingsDialog(sqlite_db, admin)
    qtbot.addWidget(dialog)
    assert dialog.spins["security.idle_lock_minutes"].maximum() == 15
    dialog.spins["security.idle_lock_minutes"].setValue(5)
    dialog.witness_boxes["return"].setChecked(True)
    with qtbot.waitSignal(dialog.saved, timeout=5000) as saved:
        dialog.save()
    assert sorted(saved.args[0]) == ["security.idle_lock_minutes", "security.witness_actions"]
    assert settings.idle_lock_minutes(sqlite_db) == 5 and settings.requires_witness(sqlite_db, "return")
    keeper = create_user(sqlite_db, "sam", Role.STOREKEEPER)
    refused = SecuritySettingsDialog(sqlite_db, keeper)
    qtbot.addWidget(refused)
    refused.automatic.setChecked(False)
    refused.save()
    assert "does not allow this action" in refused.error_label.text()
    assert settings.get(sqlite_db, "backup.automatic") is True
