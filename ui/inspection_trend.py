"""The trend of a facility's inspection scores, drawn with QPainter.

QtCharts ships in PySide6-Addons, not in PySide6-Essentials, so the chart is drawn by hand: the score of
each signed inspection (0–100 %) in date order, joined by a line, each point labelled with the level
reached, over faint lines at 25, 50 and 75 %.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from armoury.i18n import _
from armoury.inspections.records import TrendPoint

LEVEL_COLOURS = {0: "#b00020", 1: "#d08000", 2: "#4a7fb0", 3: "#2e7d32"}


class TrendChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trendChart")
        self.points: list[TrendPoint] = []
        self.setMinimumSize(320, 200)

    def sizeHint(self) -> QSize:
        return QSize(640, 280)

    def set_points(self, points: Sequence[TrendPoint]) -> None:
        self.points = list(points)
        self.update()

    def point_positions(self) -> list[QPointF]:
        """Where each point is drawn (also used by the tests)."""
        plot = self._plot_rect()
        count = len(self.points)
        positions = []
        for index, point in enumerate(self.points):
            x = plot.left() + (plot.width() * (index + 0.5) / count if count else 0)
            y = plot.bottom() - plot.height() * max(0.0, min(point.score, 100.0)) / 100.0
            positions.append(QPointF(x, y))
        return positions

    def _plot_rect(self) -> QRectF:
        return QRectF(48, 16, max(10, self.width() - 64), max(10, self.height() - 52))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        plot = self._plot_rect()
        text_pen = QPen(self.palette().text().color())
        grid_pen = QPen(QColor("#c8c8c8"))
        grid_pen.setStyle(Qt.PenStyle.DotLine)
        for percent in (0, 25, 50, 75, 100):
            y = plot.bottom() - plot.height() * percent / 100
            painter.setPen(grid_pen if percent not in (0, 100) else text_pen)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text_pen)
            painter.drawText(QRectF(0, y - 8, 42, 16), Qt.AlignmentFlag.AlignRight, f"{percent} %")
        if not self.points:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, _("No signed inspection yet."))
            painter.end()
            return
        positions = self.point_positions()
        line = QPen(QColor("#1a1a1a"))
        line.setWidthF(2)
        painter.setPen(line)
        for start, end in itertools.pairwise(positions):
            painter.drawLine(start, end)
        for point, position in zip(self.points, positions, strict=True):
            colour = QColor(LEVEL_COLOURS.get(point.level, "#1a1a1a"))
            painter.setPen(QPen(colour))
            painter.setBrush(colour)
            painter.drawEllipse(position, 5, 5)
            painter.setPen(text_pen)
            painter.drawText(
                QRectF(position.x() - 40, position.y() - 24, 80, 16),
                Qt.AlignmentFlag.AlignCenter,
                _("{score} % · L{level}").format(score=f"{point.score:.0f}", level=point.level),
            )
            painter.drawText(
                QRectF(position.x() - 40, plot.bottom() + 4, 80, 16),
                Qt.AlignmentFlag.AlignCenter,
                point.signed_at.strftime("%Y-%m-%d"),
            )
        painter.end()
