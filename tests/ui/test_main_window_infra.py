"""The worker (threaded and inline), the one error dialog, and the application start-up helpers."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from armoury.errors import ConflictError
from ui.errors import error_box, show_error
from ui.worker import Task, run_task


def test_work_runs_in_a_thread_and_returns_on_the_gui_thread(qtbot: QtBot) -> None:
    Task.inline = False
    seen: dict[str, Any] = {}

    def work(progress: Any) -> int:
        seen["thread"] = threading.current_thread()
        progress(1, 2)
        return 42

    def done(value: int) -> None:
        seen["value"] = value
        seen["done_thread"] = threading.current_thread()

    task = Task(None, "Working", work, on_done=done)
    with qtbot.waitSignal(task.done, timeout=5000):
        task.start()
    assert seen["value"] == 42
    assert seen["thread"] is not threading.main_thread()
    assert seen["done_thread"] is threading.main_thread()
    assert task not in Task.running


def test_cancel_stops_the_work(qtbot: QtBot) -> None:
    Task.inline = False
    started = threading.Event()

    def work(progress: Any) -> str:
        started.set()
        for i in range(10_000):
            if not progress(i, 10_000):
                return "stopped"
            threading.Event().wait(0.001)
        return "finished"

    task = Task(None, "Long work", work)
    with qtbot.waitSignal(task.done, timeout=10_000) as result:
        task.start()
        started.wait(5)
        task.cancel()
    assert result.args == ["stopped"]


def test_errors_come_back_and_inline_mode(qtbot: QtBot) -> None:
    Task.inline = True
    failures: list[BaseException] = []

    def work(_progress: Any) -> None:
        raise ConflictError("Already there.", "Open it instead.")

    task = run_task(None, "Failing", work, on_error=failures.append)
    assert isinstance(failures[0], ConflictError) and task.cancelled is False


def test_one_error_dialog_for_domain_errors_and_bugs(qtbot: QtBot) -> None:
    box = error_box(
        None, ConflictError("Serial already on the books.", "Open the existing record.", "line 1\nline 2")
    )
    qtbot.addWidget(box)
    assert box.text() == "Serial already on the books."
    assert box.informativeText() == "Open the existing record."
    assert box.detailedText() == "line 1\nline 2"
    assert box.icon() == QMessageBox.Icon.Warning
    field_only = error_box(None, ConflictError("Code used.", "", "code"))
    qtbot.addWidget(field_only)
    assert field_only.detailedText() == ""  # a field name is not worth showing
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        bug = show_error(None, exc)
    qtbot.addWidget(bug)
    assert "boom" in bug.text() and "RuntimeError" in bug.detailedText()
    assert bug.isVisible()  # opened without blocking
    bug.close()


def test_quick_schema_check(depot: Any) -> None:
    from ui.app import _is_current

    context, _ids = depot
    assert _is_current(context.db)
    with context.db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0006_inspections'")
    assert not _is_current(context.db)


def test_prepare_database_creates_a_new_schema(tmp_path: Any) -> None:
    from ui.app import _is_current, prepare_database

    Task.inline = True
    db = prepare_database(f"sqlite:///{tmp_path / 'new.sqlite3'}", demo_if_new=False)
    try:
        assert _is_current(db)
    finally:
        db.dispose()
