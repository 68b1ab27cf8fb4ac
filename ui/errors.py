"""The one place where errors become dialogs.

A domain error (:class:`armoury.errors.ArmouryError`) shows its message, what to do (the hint), and its
details folded away. Anything else is a bug: it is logged with its traceback and shown as such. The
dialogs are opened with ``open()`` (window-modal, never a blocking ``exec()``), so tests can read them.
"""

from __future__ import annotations

import logging
import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from armoury.errors import ArmouryError, ConflictError, PermissionDenied, ValidationError
from armoury.i18n import _

log = logging.getLogger(__name__)


def error_box(parent: QWidget | None, error: BaseException) -> QMessageBox:
    """Build (but do not show) the dialog for ``error``."""
    box = QMessageBox(parent)
    box.setObjectName("errorBox")
    box.setWindowTitle(_("Armoury"))
    if isinstance(error, ArmouryError):
        warning = isinstance(error, ValidationError | ConflictError | PermissionDenied)
        box.setIcon(QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Critical)
        box.setText(error.message)
        if error.hint:
            box.setInformativeText(error.hint)
        # A bare identifier in ``details`` names the form field at fault: not worth showing.
        if error.details and not error.details.isidentifier():
            box.setDetailedText(error.details)
    else:
        log.error("unexpected error", exc_info=(type(error), error, error.__traceback__))
        box.setIcon(QMessageBox.Icon.Critical)
        box.setText(
            _("Something went wrong inside Armoury: {error}").format(error=str(error) or type(error).__name__)
        )
        box.setInformativeText(_("Nothing was saved. Please report this with the details below."))
        box.setDetailedText("".join(traceback.format_exception(error)))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box


def show_error(parent: QWidget | None, error: BaseException) -> QMessageBox:
    """Show ``error`` in a window-modal dialog and return it (it deletes itself when closed)."""
    box = error_box(parent, error)
    box.open()
    return box


def show_message(
    parent: QWidget | None, text: str, informative: str = "", warning: bool = False
) -> QMessageBox:
    """A plain information (or warning) message, opened without blocking."""
    box = QMessageBox(parent)
    box.setObjectName("messageBox")
    box.setWindowTitle(_("Armoury"))
    box.setIcon(QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    box.open()
    return box
