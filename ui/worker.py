"""Long work off the GUI thread, with a progress dialog that can be cancelled.

``run_task(parent, title, work, on_done)`` runs ``work(progress)`` in a QThread; ``progress(done, total)``
updates the dialog and returns False once the user has pressed Cancel (the work should then stop and
return). ``on_done(result)`` or ``on_error(exception)`` is called on the GUI thread. Tests set
``Task.inline = True``: the work then runs at once on the calling thread, with no dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from armoury.i18n import _

Progress = Callable[[int, int], bool]


class _Runner(QObject):
    progressed = Signal(int, int)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, work: Callable[[Progress], Any]) -> None:
        super().__init__()
        self._work = work
        self.cancelled = False

    def progress(self, done: int, total: int) -> bool:
        self.progressed.emit(done, total)
        return not self.cancelled

    @Slot()
    def run(self) -> None:
        try:
            result = self._work(self.progress)
        except BaseException as exc:  # handed to the GUI thread, shown there
            self.failed.emit(exc)
        else:
            self.finished.emit(result)


class Task(QObject):
    """One piece of long work and its progress dialog."""

    inline: ClassVar[bool] = False
    running: ClassVar[set[Task]] = set()
    done = Signal(object)
    error = Signal(object)

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        work: Callable[[Progress], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        quiet: bool = False,
    ) -> None:
        super().__init__(parent)
        self._quiet = quiet
        self._parent = parent
        self._title = title
        self._runner = _Runner(work)
        self._on_done = on_done
        self._on_error = on_error
        self._thread: QThread | None = None
        self._dialog: QProgressDialog | None = None

    @classmethod
    def wait_all(cls) -> None:
        """Cancel and wait for every running task (the window is closing: no thread may outlive it)."""
        for task in list(cls.running):
            task.cancel()
            if task._thread is not None:
                task._thread.quit()
                task._thread.wait()
            cls.running.discard(task)

    @property
    def cancelled(self) -> bool:
        return self._runner.cancelled

    def cancel(self) -> None:
        self._runner.cancelled = True

    def start(self) -> Task:
        if Task.inline:
            self._runner.finished.connect(self._finish)
            self._runner.failed.connect(self._fail)
            self._runner.run()
            return self
        Task.running.add(self)
        if not self._quiet:
            dialog = QProgressDialog(self._title, _("Cancel"), 0, 0, self._parent)
            dialog.setWindowTitle(_("Armoury"))
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(400)
            dialog.canceled.connect(self.cancel)
            self._dialog = dialog
        thread = QThread()
        self._thread = thread
        self._runner.moveToThread(thread)
        thread.started.connect(self._runner.run)
        self._runner.progressed.connect(self._show_progress)
        self._runner.finished.connect(self._finish)
        self._runner.failed.connect(self._fail)
        thread.start()
        return self

    @Slot(int, int)
    def _show_progress(self, done: int, total: int) -> None:
        if self._dialog is not None:
            self._dialog.setMaximum(max(total, 0))
            self._dialog.setValue(min(done, total) if total else 0)

    def _stop(self) -> None:
        if self._dialog is not None:
            self._dialog.reset()
            self._dialog.deleteLater()
            self._dialog = None
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = None
        Task.running.discard(self)

    @Slot(object)
    def _finish(self, result: object) -> None:
        self._stop()
        if self._on_done is not None:
            self._on_done(result)
        self.done.emit(result)

    @Slot(object)
    def _fail(self, error: object) -> None:
        self._stop()
        assert isinstance(error, BaseException)
        if self._on_error is not None:
            self._on_error(error)
        else:
            from ui.errors import show_error

            show_error(self._parent, error)
        self.error.emit(error)


def run_task(
    parent: QWidget | None,
    title: str,
    work: Callable[[Progress], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    quiet: bool = False,
) -> Task:
    """Start ``work`` in the background (inline in tests) and return its :class:`Task`.

    ``quiet`` work (e.g. refreshing counts) shows no progress dialog."""
    return Task(parent, title, work, on_done, on_error, quiet).start()
