"""The administrator's settings dialog: lockout, idle lock, the two-person rule, automatic backups.

Every field is one setting of armoury.services.settings; Save writes only the changed ones (each change is
checked, needs ``manage_settings`` and goes to the audit trail).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.errors import ArmouryError
from armoury.i18n import _
from armoury.security.permissions import Actor
from armoury.services import settings

INT_SETTINGS = (
    settings.LOCKOUT_ATTEMPTS,
    settings.LOCKOUT_WINDOW,
    settings.LOCKOUT_DURATION,
    settings.IDLE_LOCK,
)


class SecuritySettingsDialog(QDialog):
    saved = Signal(list)  # the keys changed

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.actor = db, actor
        self.setObjectName("securitySettingsDialog")
        self.setWindowTitle(_("Security settings"))
        self.original = {value.key: value.value for value in settings.list_settings(db)}
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.spins: dict[str, QSpinBox] = {}
        for spec in INT_SETTINGS:
            spin = QSpinBox()
            spin.setRange(spec.minimum or 0, spec.maximum or 100_000)
            spin.setValue(int(self.original[spec.key]))
            spin.setToolTip(_(spec.description))
            form.addRow(_(spec.label), spin)
            self.spins[spec.key] = spin
        layout.addLayout(form)
        box = QGroupBox(_(settings.WITNESSED.label))
        box_layout = QVBoxLayout(box)
        self.witness_boxes: dict[str, QCheckBox] = {}
        for name, label in settings.WITNESS_ACTIONS.items():
            check = QCheckBox(_(label))
            check.setChecked(name in self.original[settings.WITNESSED.key])
            box_layout.addWidget(check)
            self.witness_boxes[name] = check
        layout.addWidget(box)
        backup_form = QFormLayout()
        self.automatic = QCheckBox(_(settings.BACKUP_AUTOMATIC.label))
        self.automatic.setChecked(bool(self.original[settings.BACKUP_AUTOMATIC.key]))
        self.folder = QLineEdit(str(self.original[settings.BACKUP_FOLDER.key]))
        self.folder.setPlaceholderText(str(settings.backup_folder(db)))
        backup_form.addRow(self.automatic)
        backup_form.addRow(_(settings.BACKUP_FOLDER.label), self.folder)
        layout.addLayout(backup_form)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def wanted(self) -> dict[str, Any]:
        values: dict[str, Any] = {key: spin.value() for key, spin in self.spins.items()}
        values[settings.WITNESSED.key] = sorted(n for n, box in self.witness_boxes.items() if box.isChecked())
        values[settings.BACKUP_AUTOMATIC.key] = self.automatic.isChecked()
        values[settings.BACKUP_FOLDER.key] = self.folder.text().strip()
        return values

    def save(self) -> None:
        changed = []
        try:
            for key, value in self.wanted().items():
                if value != self.original[key]:
                    settings.set_value(self.db, self.actor, key, value)
                    self.original[key] = value
                    changed.append(key)
        except ArmouryError as error:
            self.error_label.setText(f"{error.message}\n{error.hint}" if error.hint else error.message)
            return
        self.saved.emit(changed)
        self.accept()
