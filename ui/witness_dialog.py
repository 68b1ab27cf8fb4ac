"""The two-person rule in the window: a second user confirms with their own password, in the same dialog.

* ``WitnessPanel(db, actor)`` — a group box to put inside an action's own dialog; call ``panel.confirm()``
  when the user presses OK: it returns the witness ``Actor`` or raises AuthenticationError (show it, keep
  the dialog open). ``panel.witness`` keeps the last confirmed witness.
* ``WitnessDialog(db, actor, action_label)`` — the same panel alone in a dialog; emits ``confirmed(actor)``
  and accepts. ``ask_witness(parent, db, actor, action)`` runs it only when the setting asks for a witness.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.errors import ArmouryError
from armoury.i18n import _
from armoury.security.permissions import Actor
from armoury.services import auth, settings


class WitnessPanel(QGroupBox):
    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(_("Witness (second person)"), parent)
        self.setObjectName("witnessPanel")
        self.db = db
        self.actor = actor
        self.now = now
        self.witness: Actor | None = None
        form = QFormLayout(self)
        explanation = QLabel(
            _("A second user, not {user}, confirms this action with their own password.").format(
                user=actor.username
            )
        )
        explanation.setWordWrap(True)
        form.addRow(explanation)
        self.username = QLineEdit()
        self.username.setObjectName("witnessUsername")
        self.password = QLineEdit()
        self.password.setObjectName("witnessPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("Witness user name"), self.username)
        form.addRow(_("Witness password"), self.password)

    def confirm(self) -> Actor:
        """Check the witness; the password field is cleared whatever the outcome."""
        password = self.password.text()
        self.password.clear()
        self.witness = auth.confirm_witness(self.db, self.actor, self.username.text(), password, now=self.now)
        return self.witness


class WitnessDialog(QDialog):
    confirmed = Signal(object)  # Actor

    def __init__(
        self,
        db: Database,
        actor: Actor,
        action_label: str,
        parent: QWidget | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("witnessDialog")
        self.setWindowTitle(_("Two-person rule: {action}").format(action=action_label))
        self.panel = WitnessPanel(db, actor, self, now)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Confirm"))
        self.ok_button.setObjectName("okButton")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    @property
    def witness(self) -> Actor | None:
        return self.panel.witness

    def submit(self) -> None:
        try:
            witness = self.panel.confirm()
        except ArmouryError as error:
            self.error_label.setText(f"{error.message}\n{error.hint}" if error.hint else error.message)
            self.error_label.show()
            return
        self.confirmed.emit(witness)
        self.accept()


def needs_witness(db: Database, action: str) -> bool:
    return settings.requires_witness(db, action)


def ask_witness(parent: QWidget | None, db: Database, actor: Actor, action: str) -> Actor | bool | None:
    """Blocking helper: ``True`` when no witness is needed, the witness when confirmed, ``None`` if cancelled."""
    if not needs_witness(db, action):
        return True
    label = _(settings.WITNESS_ACTIONS[settings.witness_action_name(action)])
    dialog = WitnessDialog(db, actor, label, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.witness
