"""Start the desktop application.

Order of work, chosen so the window shows quickly: the database layer is imported before Qt (see below),
then Qt and the translations; then the database is checked and, only if needed, created or upgraded (in a
worker, with a progress dialog; only then is Alembic loaded) and given the demo depot; then the user signs
in; then the main window shows and loads its first rows, and the capabilities' menus follow.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import Any

# isort: off
# The core modules the window needs before its first rows are imported before Qt, on purpose: once PySide6
# is loaded, its import hook reads the source of every module imported after it (for SQLAlchemy alone,
# about 260 files and a tenth of a second at start-up). See docs/performance.md.
import armoury.db
import armoury.services.browse  # noqa: F401

# isort: on
from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QDialog, QStyleFactory

from armoury.i18n import _, set_language

log = logging.getLogger(__name__)

# The main window of the signed-in user (replaced when another user signs in at the lock screen).
_current: list[Any] = []


def make_application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setOrganizationName("Armoury")
    app.setApplicationName("Armoury")
    app.setStyle(QStyleFactory.create("Fusion"))
    return app


def load_language(app: QApplication, language: str | None = None) -> str:
    """Choose the language for our strings and load Qt's own translations (standard buttons, dialogs)."""
    chosen = set_language(language)
    QLocale.setDefault(QLocale(QLocale.Language.French if chosen == "fr" else QLocale.Language.English))
    if chosen != "en":
        translator = QTranslator(app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if translator.load(f"qtbase_{chosen}", folder):
            app.installTranslator(translator)
    return chosen


def prepare_database(url: str, demo_if_new: bool) -> Any:
    """Open the database, creating or upgrading its schema (and loading the demo depot) when needed."""
    from armoury.db import Database

    db = Database(url)
    if _is_current(db):
        return db  # the usual case: Alembic is loaded only to create or upgrade a schema
    from armoury.db.schema import SchemaState, init_database, schema_state
    from ui.worker import run_task

    state, _revision = schema_state(db.engine)
    if state is SchemaState.CURRENT:
        return db

    def work(progress: Any) -> None:
        progress(0, 2)
        init_database(db.engine)
        progress(1, 2)
        if demo_if_new and state is SchemaState.EMPTY:
            try:
                demo = importlib.import_module("armoury.services.demo")
            except ImportError:
                return
            demo.build_demo_depot(db, seed=1)
        progress(2, 2)

    failure: list[BaseException] = []
    title = _("Creating the database…") if state is SchemaState.EMPTY else _("Upgrading the database…")
    task = run_task(None, title, work, on_error=failure.append)
    _wait(task)
    if failure:
        raise failure[0]
    return db


def _is_current(db: Any) -> bool:
    from armoury.db.revision import is_current

    return is_current(db.engine)


def _wait(task: Any) -> None:
    """Let the event loop run (the progress dialog paints) until the task has finished."""
    from PySide6.QtCore import QEventLoop

    from ui.worker import Task

    if task not in Task.running:
        return
    loop = QEventLoop()
    task.done.connect(loop.quit)
    task.error.connect(loop.quit)
    if task in Task.running:
        loop.exec()


def default_actor(db: Any) -> Any:
    """Without a sign-in dialog: the first active administrator, else the built-in system actor."""
    from armoury.security.permissions import SYSTEM_ACTOR, Actor

    try:
        from armoury.services.users import list_users
    except ImportError:
        return SYSTEM_ACTOR
    for user in list_users(db, SYSTEM_ACTOR, include_disabled=False):
        if user.role.value == "administrator":
            return Actor(user.id, user.username, user.role, None, user.full_name)
    return SYSTEM_ACTOR


def sign_in(db: Any) -> Any:
    """The signed-in user, through ui/signin.py when it exists; None if the user gave up."""
    try:
        signin = importlib.import_module("ui.signin")
    except ImportError:
        return default_actor(db)
    if hasattr(signin, "sign_in"):
        return signin.sign_in(db)
    dialog_class = getattr(signin, "SignInDialog", None)
    if dialog_class is None:
        return default_actor(db)
    dialog = dialog_class(db)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.actor


def build_window(db: Any, actor: Any, defer_capabilities: bool = False) -> Any:
    """The main window for ``actor``, with every capability's menus, the idle lock and the Today panel.

    ``defer_capabilities`` adds the capabilities' menus a moment after the window has shown its first rows
    (their modules cost about 0.6 s to import), as the application does at start-up."""
    from ui.context import AppContext
    from ui.extensions import install_capabilities
    from ui.idle_lock import IdleLock
    from ui.main_window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window = MainWindow(AppContext(db, actor))
    app.installEventFilter(window.scanner)
    lock = IdleLock(window, db, actor)
    # While locked the window shows nothing and takes no scans.
    lock.locked.connect(lambda: app.removeEventFilter(window.scanner))
    lock.unlocked.connect(lambda _actor: app.installEventFilter(window.scanner))
    lock.user_switched.connect(lambda new_actor: _switch_user(window, db, new_actor))
    window.idle_lock = lock
    if defer_capabilities:

        def install_later() -> None:
            install_capabilities(window, lock)
            window.restore_docks()  # again: the Today dock exists now (not the geometry or columns)

        timer = QTimer(window)  # owned by the window: never fires for a window already closed
        timer.setSingleShot(True)
        timer.timeout.connect(install_later)
        timer.start(300)
    else:
        install_capabilities(window, lock)
    window.restore_state()
    lock.start()
    return window


def _switch_user(old: Any, db: Any, actor: Any) -> None:
    """Another user signed in at the lock screen: the first session has ended; open a fresh window."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.removeEventFilter(old.scanner)
    window = build_window(db, actor)
    window.show()
    window.load()
    _current[:] = [window]
    old.idle_lock.stop()
    old.close()


def _smoke_test_close() -> None:
    """Close whatever shows: a modal dialog (sign-in) is rejected, the main window's loop is quit."""
    dialog = QApplication.activeModalWidget()
    if isinstance(dialog, QDialog):
        dialog.reject()
    else:
        QApplication.quit()


def run(url: str, demo_if_new: bool = False) -> int:
    app = make_application()
    if os.environ.get("ARMOURY_SMOKE_TEST") == "1":
        # Packaging smoke test (installer/build.sh): everything up to the first screen (sign-in or the
        # window) must start, then the application closes itself.
        timer = QTimer(app)
        timer.timeout.connect(_smoke_test_close)
        timer.start(5000)
    load_language(app)
    from armoury.errors import ArmouryError
    from ui.errors import error_box

    try:
        db = prepare_database(url, demo_if_new)
        actor = sign_in(db)
    except ArmouryError as error:
        error_box(None, error).exec()  # before any window: nothing else to block
        return error.exit_code
    if actor is None:
        return 0
    from ui.backup_dialogs import backup_on_close

    window = build_window(db, actor, defer_capabilities=True)
    _current[:] = [window]
    window.show()
    window.load()
    app.aboutToQuit.connect(lambda: backup_on_close(db, _current[0].context.actor))
    code = int(app.exec())
    db.dispose()
    return code
