"""Back up and restore from the administrator's menu, and the automatic backup when the window closes.

``BackupDialog(db, actor)`` writes a checked copy to a chosen file. ``RestoreDialog(db, actor)`` checks a
backup first (integrity, schema version, audit chain) and only then offers to restore it; ``restored``
tells the main window to reload everything. ``backup_on_close(db, actor)`` is for the window's close.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from armoury.db import Database
from armoury.errors import ArmouryError
from armoury.i18n import _
from armoury.models.base import utcnow
from armoury.security.permissions import Actor
from armoury.services import backup, settings
from armoury.services.backup import BackupCheck, BackupResult

log = logging.getLogger(__name__)


def _error_text(error: ArmouryError) -> str:
    return f"{error.message}\n{error.hint}" if error.hint else error.message


class _FileDialogBase(QDialog):
    def __init__(self, db: Database, actor: Actor, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.db, self.actor = db, actor
        self.setWindowTitle(title)
        self.resize(620, 200)
        self.path = QLineEdit()
        self.path.setObjectName("path")
        self.browse = QPushButton(_("Choose…"))
        self.browse.clicked.connect(self.choose)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.status)

    def choose(self) -> None:  # pragma: no cover - a native file dialog
        raise NotImplementedError

    def show_status(self, text: str, ok: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("" if ok else "color: #b00020;")


class BackupDialog(_FileDialogBase):
    backed_up = Signal(object)  # BackupResult

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(db, actor, _("Back up the database"), parent)
        self.setObjectName("backupDialog")
        extension = "sqlite3" if db.is_sqlite else "dump"
        default = (
            settings.backup_folder(db) / f"armoury-manual-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.{extension}"
        )
        self.path.setText(str(default))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.run_button = buttons.addButton(_("Back up"), QDialogButtonBox.ButtonRole.ActionRole)
        self.run_button.setObjectName("runButton")
        self.run_button.clicked.connect(self.run)
        buttons.rejected.connect(self.reject)
        self.layout_.addWidget(buttons)

    def choose(self) -> None:  # pragma: no cover - a native file dialog
        name, _filter = QFileDialog.getSaveFileName(self, _("Back up to"), self.path.text())
        if name:
            self.path.setText(name)

    def run(self) -> BackupResult | None:
        try:
            result = backup.backup_database(self.db, self.actor, Path(self.path.text()))
        except ArmouryError as error:
            self.show_status(_error_text(error), False)
            return None
        self.show_status(
            _("Backup written to {path} ({size} bytes).").format(path=result.path, size=result.size), True
        )
        self.backed_up.emit(result)
        return result


class RestoreDialog(_FileDialogBase):
    restored = Signal(object)  # RestoreResult

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(db, actor, _("Restore the database from a backup"), parent)
        self.setObjectName("restoreDialog")
        self.check_result: BackupCheck | None = None
        self.other_depot = QCheckBox(_("Accept a backup of another depot"))
        self.layout_.addWidget(self.other_depot)
        warning = QLabel(
            _("Restoring replaces all the data with the backup's. The current database is kept next to it.")
        )
        warning.setWordWrap(True)
        self.layout_.addWidget(warning)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.check_button = buttons.addButton(_("Check"), QDialogButtonBox.ButtonRole.ActionRole)
        self.restore_button = buttons.addButton(_("Restore"), QDialogButtonBox.ButtonRole.ActionRole)
        self.check_button.clicked.connect(self.check)
        self.restore_button.clicked.connect(self.restore)
        self.restore_button.setEnabled(False)
        self.path.textChanged.connect(lambda _text: self.restore_button.setEnabled(False))
        buttons.rejected.connect(self.reject)
        self.layout_.addWidget(buttons)

    def choose(self) -> None:  # pragma: no cover - a native file dialog
        name, _filter = QFileDialog.getOpenFileName(
            self, _("Restore from"), str(settings.backup_folder(self.db))
        )
        if name:
            self.path.setText(name)

    def check(self) -> BackupCheck | None:
        self.check_result = None
        try:
            self.check_result = backup.inspect_backup(Path(self.path.text()))
        except ArmouryError as error:
            self.show_status(_error_text(error), False)
            self.restore_button.setEnabled(False)
            return None
        self.show_status(
            _("The backup is sound: schema {revision}, {count} audit entries verified.").format(
                revision=self.check_result.revision, count=self.check_result.audit.entries_checked
            ),
            True,
        )
        self.restore_button.setEnabled(True)
        return self.check_result

    def restore(self) -> None:
        try:
            result = backup.restore_database(
                self.db, self.actor, Path(self.path.text()), allow_other_depot=self.other_depot.isChecked()
            )
        except ArmouryError as error:
            self.show_status(_error_text(error), False)
            self.restore_button.setEnabled(False)
            return
        self.show_status(
            _("The database was restored. The replaced one was kept as {path}.").format(path=result.kept),
            True,
        )
        self.restore_button.setEnabled(False)
        self.restored.emit(result)


def backup_on_close(db: Database, actor: Actor | None) -> BackupResult | None:
    """The automatic backup when the application closes (at most daily; never stops the closing)."""
    try:
        return backup.automatic_backup(db, actor)
    except Exception:
        log.exception("the automatic backup failed")
        return None
