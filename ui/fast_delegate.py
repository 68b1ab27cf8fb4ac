"""A delegate that paints plain text cells from a cache of laid-out text.

The default delegate asks the model for about seven roles of every cell and lays the text out again on
every paint (shaping with HarfBuzz, then eliding); on the weapons table that is most of the time a
keystroke in the search box takes to show its rows. This delegate asks the model once per cell for the
text and its colour (``text_at``), keeps a ``QStaticText`` per string (and per string and width when the
text has to be elided), and draws it where the Fusion style draws the default: left-aligned, vertically
centred, elided on the right with "…", in the highlight colours when selected, with the style's focus
rectangle on the current cell. Cells it cannot draw the same way (right-to-left, several lines) are left
to the default delegate.
"""

from __future__ import annotations

from math import ceil
from typing import Protocol, cast

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QStaticText
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionFocusRect,
    QStyleOptionViewItem,
)

MAX_CACHED = 4000  # laid-out strings kept; a screen of the weapons table needs a few hundred

# Flags and roles as plain values, looked up once: reading a Qt enum member costs more than a comparison.
_SELECTED = QStyle.StateFlag.State_Selected.value
_HAS_FOCUS = QStyle.StateFlag.State_HasFocus.value
_ACTIVE = QStyle.StateFlag.State_Active.value
_ENABLED = QStyle.StateFlag.State_Enabled.value
_LEFT_TO_RIGHT = Qt.LayoutDirection.LeftToRight
_ELIDE_RIGHT = Qt.TextElideMode.ElideRight
_GROUPS = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled)


class TextSource(Protocol):
    """A model that gives the text of a cell and its colour (None: the palette's) in one call."""

    def text_at(self, row: int, column: int) -> tuple[str, QColor | None]: ...


class _Laid:
    """A string laid out once, with the size it takes."""

    __slots__ = ("height", "static", "width")

    def __init__(self, text: str, font: QFont) -> None:
        self.static = QStaticText(text)
        self.static.setTextFormat(Qt.TextFormat.PlainText)
        self.static.prepare(font=font)
        size = self.static.size()
        self.width = size.width()
        self.height = size.height()


class _Colours:
    """Pens and brushes of one palette in one colour group, read once rather than for every cell."""

    __slots__ = ("highlight", "highlighted_text", "text")

    def __init__(self, palette: QPalette, group: QPalette.ColorGroup) -> None:
        self.text = palette.color(group, QPalette.ColorRole.Text)
        self.highlight = palette.brush(group, QPalette.ColorRole.Highlight)
        self.highlighted_text = palette.color(group, QPalette.ColorRole.HighlightedText)


class CachedTextDelegate(QStyledItemDelegate):
    """Paints the cells of a :class:`TextSource` model as the default delegate does under Fusion, faster."""

    def __init__(self, source: TextSource, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self._cache: dict[object, _Laid] = {}
        self._font: QFont | None = None
        self._metrics: QFontMetrics | None = None
        self._line_height = 0
        self._margin = 0
        self._palette_key = -1
        self._colours: tuple[_Colours, _Colours, _Colours] | None = None

    def clear(self) -> None:
        """Forget the laid-out strings (the font or the style changed; a new font also does this)."""
        self._cache.clear()
        self._font = None
        self._palette_key = -1

    def cached_count(self) -> int:
        return len(self._cache)

    def drawn_text(self, text: str, room: int) -> str:
        """The text drawn for ``text`` in ``room`` pixels of text area with the font of the last paint:
        whole, or cut on the right with "…" when it does not fit."""
        return self._laid(text, room).static.text()

    def _use_font(self, option: QStyleOptionViewItem) -> None:
        # Called when the font differs from the one the cache was laid out in.
        font = QFont(option.font)
        self._cache.clear()
        self._font = font
        self._metrics = QFontMetrics(font)
        self._line_height = ceil(self._metrics.ascent() + self._metrics.descent())
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        # Where QCommonStyle puts item view text: one pixel inside the focus frame's margin.
        self._margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1

    def _laid(self, text: str, width: int) -> _Laid:
        cache = self._cache
        laid = cache.get(text)
        if laid is None:
            assert self._font is not None
            laid = self._keep(text, _Laid(text, self._font))
        if laid.width <= width:
            return laid
        key = (text, width)  # resizing a column makes one of these per width: bounded as well
        elided = cache.get(key)
        if elided is None:
            assert self._metrics is not None and self._font is not None
            elided = self._keep(key, _Laid(self._metrics.elidedText(text, _ELIDE_RIGHT, width), self._font))
        return elided

    def _keep(self, key: object, laid: _Laid) -> _Laid:
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[key] = laid
        return laid

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        text, colour = self.source.text_at(index.row(), index.column())
        if option.font != self._font:
            self._use_font(option)
        if "\n" in text or option.direction != _LEFT_TO_RIGHT:
            super().paint(painter, option, index)
            return
        palette = option.palette
        if palette.cacheKey() != self._palette_key:
            self._palette_key = palette.cacheKey()
            self._colours = (
                _Colours(palette, _GROUPS[0]),
                _Colours(palette, _GROUPS[1]),
                _Colours(palette, _GROUPS[2]),
            )
        assert self._colours is not None
        state = option.state.value
        colours = self._colours[(0 if state & _ACTIVE else 1) if state & _ENABLED else 2]
        x, y, width, height = cast(tuple[int, int, int, int], option.rect.getRect())  # typed as object
        if state & _SELECTED:
            painter.fillRect(option.rect, colours.highlight)
            painter.setPen(colours.highlighted_text)
        else:
            painter.setPen(colours.text if colour is None else colour)
        if text:
            margin = self._margin
            room = width - 2 * margin
            laid = self._laid(text, room)
            top = y + (height - self._line_height) // 2
            if laid.width > room or laid.height > height:  # even "…" does not fit: keep to the cell
                painter.save()
                painter.setClipRect(option.rect)
                painter.drawStaticText(x + margin, top, laid.static)
                painter.restore()
            else:
                painter.drawStaticText(x + margin, top, laid.static)
        if state & _HAS_FOCUS:
            self._draw_focus(painter, option, index)

    def _draw_focus(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        # As QCommonStyle does for CE_ItemViewItem: the item's full option (so the style finds the text
        # area), the focus flags it adds and its background colour. One cell per paint: affordable.
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        focus = QStyleOptionFocusRect()
        focus.state = item.state | QStyle.StateFlag.State_KeyboardFocusChange | QStyle.StateFlag.State_Item
        focus.direction = item.direction
        focus.palette = item.palette
        focus.fontMetrics = item.fontMetrics
        focus.rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemFocusRect, item, widget)
        group = (
            QPalette.ColorGroup.Normal
            if item.state & QStyle.StateFlag.State_Enabled
            else QPalette.ColorGroup.Disabled
        )
        role = (
            QPalette.ColorRole.Highlight
            if item.state & QStyle.StateFlag.State_Selected
            else QPalette.ColorRole.Window
        )
        focus.backgroundColor = item.palette.color(group, role)
        style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, focus, painter, widget)
