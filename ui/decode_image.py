"""Decode from image: read the labels in a photo or scan (zxing-cpp) on a workstation without a scanner.

Every QR code found is read as a QR Model 2 code only (Micro QR gives false reads at low resolution) and
resolved through armoury.labels.resolver, so a photo can never name another record than a scanner would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from armoury.errors import ArmouryError, ValidationError
from armoury.i18n import _
from armoury.labels.resolver import LabelTarget, resolve
from ui.context import AppContext

IMAGE_FILTER = "*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp"


@dataclass(frozen=True)
class DecodedLabel:
    """One code found in the image: its text, and the record it names or why it names none."""

    text: str
    target: LabelTarget | None
    problem: str = ""


def read_codes(path: Path) -> list[str]:
    """The texts of the QR codes in the image file ``path`` (ValidationError if it is not an image)."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            image = opened.convert("L")
    except (OSError, UnidentifiedImageError) as exc:
        raise ValidationError(
            _("{file} cannot be read as an image.").format(file=Path(path).name),
            _("Choose a photo or scan saved as PNG, JPEG, BMP, TIFF or WebP."),
        ) from exc
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCodeModel2)  # type: ignore[arg-type]
    return list(dict.fromkeys(r.text for r in found if r.valid))


def decode_image(context: AppContext, path: Path) -> list[DecodedLabel]:
    """Every label in the image, resolved; codes that are not this depot's labels say why."""
    out = []
    for text in read_codes(path):
        try:
            out.append(DecodedLabel(text, resolve(context.db, text)))
        except ArmouryError as exc:
            out.append(DecodedLabel(text, None, exc.message))
    return out


class DecodeImageDialog(QDialog):
    """Shows what was found in an image; double-click (or Open) a label to go to its record."""

    targetChosen = Signal(object)  # LabelTarget

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("decodeImageDialog")
        self.setWindowTitle(_("Decode from image"))
        self.context = context
        self.results: list[DecodedLabel] = []
        #: Asks for the image; replaced in tests (a file dialog would block).
        self.choose_image: Callable[[], str] = self._ask_image
        self.message = QLabel(_("Choose a photo or a scan of one or more labels."))
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.found = QListWidget()
        self.found.setObjectName("found")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.choose_button = self.buttons.addButton(
            _("Choose image…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.open_button = self.buttons.addButton(_("Open record"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button.setEnabled(False)
        self.choose_button.clicked.connect(self.choose)
        self.open_button.clicked.connect(self.open_selected)
        self.buttons.rejected.connect(self.reject)
        self.found.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.found.currentRowChanged.connect(self._selection_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.found, 1)
        layout.addWidget(self.buttons)
        self.resize(520, 360)

    def _ask_image(self) -> str:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Decode from image"), "", _("Images ({patterns})").format(patterns=IMAGE_FILTER)
        )
        return path

    def choose(self) -> None:
        path = self.choose_image()
        if path:
            self.load(Path(path))

    def load(self, path: Path) -> None:
        """Decode ``path`` and list what it holds."""
        self.found.clear()
        try:
            self.results = decode_image(self.context, path)
        except ArmouryError as exc:
            self.results = []
            self.message.setText(exc.message)
            return
        if not self.results:
            self.message.setText(
                _("No label was found in {file}. Take the photo closer, square on, in good light.").format(
                    file=path.name
                )
            )
            return
        self.message.setText(
            _("{count} codes found in {file}.").format(count=len(self.results), file=path.name)
        )
        for result in self.results:
            text = result.target.display if result.target else f"{result.text} — {result.problem}"
            item = QListWidgetItem(text)
            if result.target is None:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.found.addItem(item)
        first = next((i for i, r in enumerate(self.results) if r.target), -1)
        self.found.setCurrentRow(first)

    def _selection_changed(self, row: int) -> None:
        self.open_button.setEnabled(0 <= row < len(self.results) and self.results[row].target is not None)

    def open_selected(self) -> None:
        row = self.found.currentRow()
        if 0 <= row < len(self.results) and self.results[row].target is not None:
            self.targetChosen.emit(self.results[row].target)
            self.accept()
