"""Barcode-scanner input anywhere in the main window.

A USB scanner is a keyboard that types a label's text very fast and presses Enter. :class:`ScanFilter`
watches every key press the application delivers to a widget inside the main window: a burst of at least
``MIN_LENGTH`` characters, each within ``MAX_GAP_MS`` of the previous one, ended by Enter, is a scan.
The Enter is swallowed, whatever the burst typed into the focused field is taken back out, and
``scanned(text)`` is emitted. Typing by hand is slower than the gap and stays in the field.

The clock is injectable so that tests decide what is "fast".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTextEdit, QWidget

MAX_GAP_MS = 30.0
MIN_LENGTH = 4


def monotonic_ms() -> float:
    return time.monotonic() * 1000.0


@dataclass
class _Burst:
    text: str = ""
    last_ms: float = 0.0
    widget: QWidget | None = None
    before: str | None = None  # the field's text before the burst started


class ScanFilter(QObject):
    """Install on the QApplication; ``scope`` is the window whose widgets count."""

    scanned = Signal(str)

    def __init__(
        self,
        scope: QWidget,
        clock: Callable[[], float] = monotonic_ms,
        max_gap_ms: float = MAX_GAP_MS,
        min_length: int = MIN_LENGTH,
    ) -> None:
        super().__init__(scope)
        self.scope = scope
        self.clock = clock
        self.max_gap_ms = max_gap_ms
        self.min_length = min_length
        self._burst = _Burst()
        self._last: tuple[QObject | None, int, str] = (None, 0, "")
        self.enabled = True

    def _in_scope(self, obj: QObject) -> bool:
        if not isinstance(obj, QWidget):
            return False
        window = obj.window()
        return window is self.scope

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not self.enabled or not self._in_scope(obj):
            return False
        assert isinstance(event, QKeyEvent)
        if event.isAutoRepeat():
            return False
        key = event.key()
        last_obj, last_key, last_text = self._last
        if (
            isinstance(last_obj, QWidget)
            and obj is not last_obj
            and (key, event.text()) == (last_key, last_text)
            and isinstance(obj, QWidget)
            and obj.isAncestorOf(last_obj)
        ):
            return False  # the same key press, passed up to a parent because the child ignored it
        self._last = (obj, key, event.text())
        now = self.clock()
        burst = self._burst
        fast = burst.text != "" and now - burst.last_ms <= self.max_gap_ms
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if fast and len(burst.text) >= self.min_length:
                text = burst.text
                self._undo_typing(burst)
                self._burst = _Burst()
                self.scanned.emit(text)
                return True
            self._burst = _Burst()
            return False
        char = event.text()
        if (
            not char
            or not char.isprintable()
            or event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        ):
            self._burst = _Burst()
            return False
        if fast:
            burst.text += char
            burst.last_ms = now
        else:
            widget = obj if isinstance(obj, QWidget) else None
            self._burst = _Burst(char, now, widget, _text_of(widget))
        return False

    def _undo_typing(self, burst: _Burst) -> None:
        """Put the focused field back as it was before the scanner typed into it."""
        widget = burst.widget
        if widget is None or burst.before is None:
            return
        if isinstance(widget, QLineEdit) and widget.text() != burst.before:
            widget.setText(burst.before)
        elif isinstance(widget, QPlainTextEdit | QTextEdit) and widget.toPlainText() != burst.before:
            widget.setPlainText(burst.before)


def _text_of(widget: QWidget | None) -> str | None:
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return widget.toPlainText()
    return None
