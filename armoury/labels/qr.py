"""QR matrices from the ``qrcode`` library, shared by the PDF labels and the Qt preview.

The payload is encoded in alphanumeric mode with a fixed mask pattern: choosing the "best" of eight masks
costs nine tenths of the time and any mask is valid for every decoder (the label tests decode every code).
The matrix includes the full quiet zone of four light modules on every side.
"""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
import qrcode.util
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q
from qrcode.exceptions import DataOverflowError

from armoury.errors import ValidationError
from armoury.i18n import _

QUIET_ZONE = 4
MASK_PATTERN = 2
#: Smallest version known to hold a given (length, mode, level, max version): skips failed attempts.
_fitting_version: dict[tuple[int, int, str, int], int] = {}
_LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}


@dataclass(frozen=True)
class QrMatrix:
    """Dark modules of one QR code, quiet zone included: ``rows[y][x]`` is True for dark."""

    text: str
    version: int
    rows: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Modules per side, quiet zone included."""
        return len(self.rows)

    def runs(self) -> list[tuple[int, int, int]]:
        """Horizontal runs of dark modules as (row, first column, length): one rectangle each when drawn."""
        out: list[tuple[int, int, int]] = []
        for y, row in enumerate(self.rows):
            x = 0
            n = len(row)
            while x < n:
                if row[x]:
                    start = x
                    while x < n and row[x]:
                        x += 1
                    out.append((y, start, x - start))
                else:
                    x += 1
        return out


def _is_alphanumeric(text: str) -> bool:
    return all(c in qrcode.util.ALPHA_NUM.decode() for c in text)


def build_matrix(text: str, max_version: int = 2, level: str = "M") -> QrMatrix:
    """The QR matrix of ``text`` in the smallest version up to ``max_version`` at error correction ``level``.

    Raises :class:`ValidationError` when the text does not fit: the label is too small for its content.
    """
    correction = _LEVELS[level]
    mode = qrcode.util.MODE_ALPHA_NUM if _is_alphanumeric(text) else qrcode.util.MODE_8BIT_BYTE
    raw = text.encode("utf-8") if mode == qrcode.util.MODE_8BIT_BYTE else text
    key = (len(raw), mode, level, max_version)
    first = _fitting_version.get(key, 1)
    for version in range(first, max_version + 1):
        code = qrcode.QRCode(
            version=version, error_correction=correction, border=QUIET_ZONE, mask_pattern=MASK_PATTERN
        )
        code.add_data(qrcode.util.QRData(raw, mode=mode), optimize=0)
        try:
            code.make(fit=False)
        except DataOverflowError:
            continue
        _fitting_version[key] = version
        matrix = code.get_matrix()
        return QrMatrix(text=text, version=version, rows=tuple(tuple(bool(v) for v in row) for row in matrix))
    raise ValidationError(
        _("The label content is too long for a QR code of this size ({length} characters).").format(
            length=len(text)
        ),
        _("Choose a larger label product, or a product that allows a bigger QR code."),
    )
