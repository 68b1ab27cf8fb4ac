"""Administration of users in the window: the users table and its actions, and the administrator's menu.

``UsersDialog(db, actor)`` lists users (add, disable, enable, unlock, reset password, change role).
``install_admin_actions(window, idle_lock=None)`` puts Users…, Audit trail…, Back up…, Restore… and
Lock screen into the main window's "admin" menu, each enabled only for a role that may use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.errors import ArmouryError, ValidationError
from armoury.i18n import N_, _
from armoury.security.permissions import Actor, Permission
from armoury.services import users
from armoury.services.users import UserInfo
from ui.errors import show_error
from ui.signin import password_field

_Index = QModelIndex | QPersistentModelIndex


class UserColumn(IntEnum):
    USERNAME = 0
    FULL_NAME = 1
    ROLE = 2
    STATE = 3
    LAST_SIGN_IN = 4


USER_HEADERS = {
    UserColumn.USERNAME: N_("User name"),
    UserColumn.FULL_NAME: N_("Full name"),
    UserColumn.ROLE: N_("Role"),
    UserColumn.STATE: N_("State"),
    UserColumn.LAST_SIGN_IN: N_("Last sign-in"),
}


def user_state(info: UserInfo) -> str:
    parts = [_("active") if info.active else _("disabled")]
    if info.is_locked():
        parts.append(_("locked"))
    if info.must_change_password:
        parts.append(_("must change password"))
    return ", ".join(parts)


class UsersModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[UserInfo] = []

    def set_rows(self, rows: Sequence[UserInfo]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(UserColumn)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        info = self.rows[index.row()]
        column = UserColumn(index.column())
        if column is UserColumn.USERNAME:
            return info.username
        if column is UserColumn.FULL_NAME:
            return info.full_name
        if column is UserColumn.ROLE:
            return info.role.label
        if column is UserColumn.STATE:
            return user_state(info)
        return info.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if info.last_sign_in_at else ""

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(UserColumn)
        ):
            return _(USER_HEADERS[UserColumn(section)])
        return None


class AddUserDialog(QDialog):
    """Add a user; they must choose a new password at their first sign-in."""

    saved = Signal(object)  # UserInfo

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.actor = db, actor
        self.setObjectName("addUserDialog")
        self.setWindowTitle(_("Add a user"))
        form = QFormLayout(self)
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.full_name = QLineEdit()
        self.full_name.setObjectName("fullName")
        self.role = QComboBox()
        self.role.setObjectName("role")
        for role in Role:
            self.role.addItem(role.label, role.value)
        self.password = password_field("password")
        self.confirm = password_field("confirm")
        form.addRow(_("User name"), self.username)
        form.addRow(_("Full name"), self.full_name)
        form.addRow(_("Role"), self.role)
        form.addRow(_("First password"), self.password)
        form.addRow(_("Password again"), self.confirm)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        form.addRow(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Add"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def submit(self) -> None:
        try:
            if self.password.text() != self.confirm.text():
                raise ValidationError(_("The two passwords differ."), _("Type the same password twice."))
            info = users.add_user(
                self.db, self.actor, self.username.text(), Role(self.role.currentData()), self.password.text(),
                full_name=self.full_name.text(),
            )  # fmt: skip
        except ArmouryError as error:
            self.error_label.setText(f"{error.message}\n{error.hint}" if error.hint else error.message)
            return
        finally:
            self.confirm.clear()
        self.password.clear()
        self.saved.emit(info)
        self.accept()


class ResetPasswordDialog(QDialog):
    saved = Signal(object)  # UserInfo

    def __init__(self, db: Database, actor: Actor, username: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.actor, self.username = db, actor, username
        self.setWindowTitle(_("New password for {user}").format(user=username))
        form = QFormLayout(self)
        form.addRow(QLabel(_("{user} must change it at their next sign-in.").format(user=username)))
        self.password = password_field("password")
        self.confirm = password_field("confirm")
        form.addRow(_("New password"), self.password)
        form.addRow(_("New password again"), self.confirm)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        form.addRow(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def submit(self) -> None:
        try:
            if self.password.text() != self.confirm.text():
                raise ValidationError(_("The two passwords differ."), _("Type the same password twice."))
            info = users.reset_password(self.db, self.actor, self.username, self.password.text())
        except ArmouryError as error:
            self.error_label.setText(f"{error.message}\n{error.hint}" if error.hint else error.message)
            return
        finally:
            self.confirm.clear()
        self.password.clear()
        self.saved.emit(info)
        self.accept()


class UsersDialog(QDialog):
    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.actor = db, actor
        self.setObjectName("usersDialog")
        self.setWindowTitle(_("Users"))
        self.resize(760, 420)
        self.model = UsersModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.role_box = QComboBox()
        for role in Role:
            self.role_box.addItem(role.label, role.value)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(_("Add…"))
        self.disable_button = QPushButton(_("Disable"))
        self.enable_button = QPushButton(_("Enable"))
        self.unlock_button = QPushButton(_("Unlock"))
        self.reset_button = QPushButton(_("Reset password…"))
        self.role_button = QPushButton(_("Set role"))
        for button in (self.add_button, self.disable_button, self.enable_button, self.unlock_button,
                       self.reset_button, self.role_box, self.role_button):  # fmt: skip
            buttons.addWidget(button)
        self.add_button.clicked.connect(self.add_user)
        self.disable_button.clicked.connect(lambda: self._apply(users.disable_user))
        self.enable_button.clicked.connect(lambda: self._apply(users.enable_user))
        self.unlock_button.clicked.connect(lambda: self._apply(users.unlock_user))
        self.reset_button.clicked.connect(self.reset_password)
        self.role_button.clicked.connect(self.set_role)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        layout.addWidget(close)
        self.view.selectionModel().selectionChanged.connect(lambda *_args: self._update_buttons())
        self.reload()

    def reload(self) -> None:
        try:
            self.model.set_rows(users.list_users(self.db, self.actor))
        except ArmouryError as error:
            show_error(self, error)
        self._update_buttons()

    def selected(self) -> UserInfo | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def select(self, username: str) -> None:
        for row, info in enumerate(self.model.rows):
            if info.username == username:
                self.view.selectRow(row)

    def _update_buttons(self) -> None:
        info = self.selected()
        for button in (
            self.disable_button,
            self.enable_button,
            self.unlock_button,
            self.reset_button,
            self.role_button,
        ):
            button.setEnabled(info is not None)
        if info is not None:
            self.disable_button.setEnabled(info.active)
            self.enable_button.setEnabled(not info.active)
            self.unlock_button.setEnabled(info.is_locked() or info.failed_attempts > 0)

    def _apply(self, change: Any) -> None:
        info = self.selected()
        if info is None:
            return
        try:
            change(self.db, self.actor, info.username)
        except ArmouryError as error:
            show_error(self, error)
        self.reload()
        self.select(info.username)

    def set_role(self) -> None:
        info = self.selected()
        if info is None:
            return
        try:
            users.change_user(self.db, self.actor, info.username, role=Role(self.role_box.currentData()))
        except ArmouryError as error:
            show_error(self, error)
        self.reload()
        self.select(info.username)

    def add_user(self) -> AddUserDialog:
        dialog = AddUserDialog(self.db, self.actor, self)
        dialog.saved.connect(self._added)
        dialog.open()
        return dialog

    def _added(self, info: UserInfo) -> None:
        self.reload()
        self.select(info.username)

    def reset_password(self) -> ResetPasswordDialog | None:
        info = self.selected()
        if info is None:
            return None
        dialog = ResetPasswordDialog(self.db, self.actor, info.username, self)
        dialog.saved.connect(lambda _info: self.reload())
        dialog.open()
        return dialog


def install_admin_actions(window: Any, idle_lock: Any = None) -> dict[str, QAction]:
    """Add the security actions to ``window`` (a MainWindow: ``add_action(menu, action)``, ``context``)."""
    from ui.audit_viewer import AuditViewer
    from ui.backup_dialogs import BackupDialog, RestoreDialog
    from ui.security_settings import SecuritySettingsDialog

    context = window.context
    made: dict[str, QAction] = {}

    def add(key: str, text: str, permission: Permission | None, opener: Any) -> None:
        action = QAction(text, window)
        action.setObjectName(f"action_{key}")
        action.setEnabled(permission is None or context.actor.can(permission))
        action.triggered.connect(opener)
        window.add_action("admin", action)
        made[key] = action

    def open_dialog(factory: Any) -> Any:
        def opener() -> None:
            dialog = factory(context.db, window.context.actor, window)
            dialog.open()

        return opener

    add("users", _("Users…"), Permission.MANAGE_USERS, open_dialog(UsersDialog))
    add("audit", _("Audit trail…"), Permission.VIEW_AUDIT, open_dialog(AuditViewer))
    add("settings", _("Security settings…"), Permission.MANAGE_SETTINGS, open_dialog(SecuritySettingsDialog))
    add("backup", _("Back up…"), Permission.BACKUP, open_dialog(BackupDialog))
    add("restore", _("Restore…"), Permission.RESTORE, open_dialog(RestoreDialog))
    if idle_lock is not None:
        add("lock", _("Lock screen"), None, idle_lock.lock_now)
    return made
