"""The sign-in dialog: first administrator on an empty database, demo passwords on a demo database only,
and the must-change-password step after an administrator's reset.

``SignInDialog(db)`` emits ``signed_in(actor)`` and accepts; ``dialog.actor`` is then the signed-in user.
``sign_in(db)`` runs it (blocking) for ui/app.py. Errors show inside the dialog (``errorLabel``), so the
user can try again at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.errors import ArmouryError, ValidationError
from armoury.i18n import _
from armoury.security.passwords import MIN_LENGTH
from armoury.security.permissions import Actor
from armoury.services import auth, users
from armoury.services.demo_users import demo_credentials

PAGE_SIGN_IN, PAGE_FIRST_ADMIN, PAGE_CHANGE = 0, 1, 2


def password_field(object_name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(object_name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(256)
    return field


class SignInDialog(QDialog):
    signed_in = Signal(object)  # Actor

    def __init__(
        self, db: Database, parent: QWidget | None = None, now: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.now = now
        self.actor: Actor | None = None
        self._pending: Actor | None = None
        self._old_password = ""
        self.setObjectName("signInDialog")
        self.setWindowTitle(_("Armoury — sign in"))

        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_sign_in())
        self.pages.addWidget(self._build_first_admin())
        self.pages.addWidget(self._build_change())

        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("okButton")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.show_page(PAGE_SIGN_IN if auth.has_users(db) else PAGE_FIRST_ADMIN)

    # --- pages ---------------------------------------------------------------------------------------

    def _build_sign_in(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = password_field("password")
        form.addRow(_("User name"), self.username)
        form.addRow(_("Password"), self.password)
        self.demo_list = QListWidget()
        self.demo_list.setObjectName("demoCredentials")
        self.demo_list.itemClicked.connect(self._use_demo)
        self.demo_label = QLabel(_("Demo database — click a user to fill in the fields:"))
        credentials = demo_credentials(self.db)
        for cred in credentials:
            item = QListWidgetItem(
                _("{user} ({role}) — password: {password}").format(
                    user=cred.username, role=cred.role.label, password=cred.password
                )
            )
            item.setData(Qt.ItemDataRole.UserRole, (cred.username, cred.password))
            self.demo_list.addItem(item)
        if credentials:
            form.addRow(self.demo_label)
            form.addRow(self.demo_list)
        else:
            self.demo_label.hide()
            self.demo_list.hide()
        return page

    def _build_first_admin(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        intro = QLabel(
            _(
                "This database has no users yet. Create the first administrator: they will add the other users."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.admin_username = QLineEdit()
        self.admin_username.setObjectName("adminUsername")
        self.admin_full_name = QLineEdit()
        self.admin_full_name.setObjectName("adminFullName")
        self.admin_password = password_field("adminPassword")
        self.admin_confirm = password_field("adminConfirm")
        form.addRow(_("User name"), self.admin_username)
        form.addRow(_("Full name"), self.admin_full_name)
        form.addRow(_("Password"), self.admin_password)
        form.addRow(_("Password again"), self.admin_confirm)
        layout.addLayout(form)
        layout.addWidget(QLabel(_rules_text()))
        return page

    def _build_change(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.change_intro = QLabel(_("Your password was reset by an administrator. Choose a new password."))
        self.change_intro.setWordWrap(True)
        layout.addWidget(self.change_intro)
        form = QFormLayout()
        self.new_password = password_field("newPassword")
        self.new_confirm = password_field("newConfirm")
        form.addRow(_("New password"), self.new_password)
        form.addRow(_("New password again"), self.new_confirm)
        layout.addLayout(form)
        layout.addWidget(QLabel(_rules_text()))
        return page

    def show_page(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        labels = {
            PAGE_SIGN_IN: _("Sign in"),
            PAGE_FIRST_ADMIN: _("Create administrator"),
            PAGE_CHANGE: _("Change password"),
        }
        self.ok_button.setText(labels[page])
        self.error_label.hide()
        focus = {
            PAGE_SIGN_IN: self.username,
            PAGE_FIRST_ADMIN: self.admin_username,
            PAGE_CHANGE: self.new_password,
        }
        focus[page].setFocus()

    @property
    def page(self) -> int:
        return self.pages.currentIndex()

    # --- actions -------------------------------------------------------------------------------------

    def _use_demo(self, item: QListWidgetItem) -> None:
        username, password = item.data(Qt.ItemDataRole.UserRole)
        self.username.setText(username)
        self.password.setText(password)

    def show_error(self, error: ArmouryError) -> None:
        self.error_label.setText(f"{error.message}\n{error.hint}" if error.hint else error.message)
        self.error_label.show()

    def submit(self) -> None:
        """The OK button: sign in, create the first administrator, or change the password."""
        try:
            if self.page == PAGE_SIGN_IN:
                self._sign_in()
            elif self.page == PAGE_FIRST_ADMIN:
                self._create_first_admin()
            else:
                self._change_password()
        except ArmouryError as error:
            self.show_error(error)

    def _sign_in(self) -> None:
        password = self.password.text()
        self.password.clear()
        result = auth.sign_in(self.db, self.username.text(), password, now=self.now)
        if result.must_change_password:
            self._pending = result.actor
            self._old_password = password
            self.show_page(PAGE_CHANGE)
            return
        self._finish(result.actor)

    def _create_first_admin(self) -> None:
        password, again = self.admin_password.text(), self.admin_confirm.text()
        if password != again:
            self.admin_confirm.clear()
            raise ValidationError(_("The two passwords differ."), _("Type the same password twice."))
        info = users.create_first_administrator(
            self.db, self.admin_username.text(), password, self.admin_full_name.text()
        )
        self.admin_password.clear()
        self.admin_confirm.clear()
        result = auth.sign_in(self.db, info.username, password, now=self.now)
        self._finish(result.actor)

    def _change_password(self) -> None:
        assert self._pending is not None
        new, again = self.new_password.text(), self.new_confirm.text()
        if new != again:
            self.new_confirm.clear()
            raise ValidationError(_("The two passwords differ."), _("Type the same password twice."))
        auth.change_password(self.db, self._pending, self._old_password, new, now=self.now)
        self.new_password.clear()
        self.new_confirm.clear()
        self._old_password = ""
        self._finish(self._pending)

    def _finish(self, actor: Actor) -> None:
        self.actor = actor
        self.signed_in.emit(actor)
        self.accept()


def _rules_text() -> str:
    return _("At least {count} characters, not containing the user name, and not a common password.").format(
        count=MIN_LENGTH
    )


def sign_in(db: Database, parent: QWidget | None = None) -> Actor | None:
    """Ask for the user (blocking; for ui/app.py before the main window exists). None if cancelled."""
    dialog = SignInDialog(db, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.actor
