"""Start the desktop application (first version: the full main window is its own issue)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from armoury.db import Database
from armoury.db.schema import init_database
from armoury.i18n import _, set_language


def run(url: str, demo_if_new: bool = False) -> int:
    set_language(None)
    app = QApplication.instance() or QApplication(sys.argv)
    database = Database(url)
    init_database(database.engine)
    window = QMainWindow()
    window.setWindowTitle(_("Armoury"))
    window.setCentralWidget(QLabel(database.describe()))
    window.resize(1200, 800)
    window.show()
    return int(app.exec())
