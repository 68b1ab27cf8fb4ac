"""The text inside a label's QR code: what it is, which record, which depot, and five check characters.

A payload is 19 characters, all from a 29-character alphabet that is safe in QR alphanumeric mode and
types the same on QWERTY and AZERTY keyboards (see docs/labels.md)::

    LB1 G 7KX3 0004C9 T8E2B
    |   | |    |      +-- 5 check characters (Reed-Solomon over GF(29): any 5 wrong characters are caught)
    |   | |    +--------- record id, 6 characters in base 29
    |   | +-------------- depot code, 4 characters derived from the depot's identity (setting depot.id)
    |   +---------------- kind: G weapon, R rack, S storage area, F facility, P person, K key
    +-------------------- prefix "LB" and format version "1"

The length is fixed, so a truncated or extended code is refused rather than read as another record.
Everything here is pure (no database), so it can be fuzzed quickly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import N_, _

#: Digits and the capital letters that sit on the same key on QWERTY and AZERTY keyboards, without the
#: look-alikes I and O. A, Q, W, Z and M move between the two layouts, so they can never be mistyped into
#: another valid character. 29 characters: a prime, so the check works in the field GF(29).
ALPHABET = "0123456789BCDEFGHJKLNPRSTUVXY"
BASE = len(ALPHABET)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}

PREFIX = "LB"
VERSION = "1"
DEPOT_LENGTH = 4
ID_LENGTH = 6
CHECK_LENGTH = 5
LENGTH = len(PREFIX) + len(VERSION) + 1 + DEPOT_LENGTH + ID_LENGTH + CHECK_LENGTH
MAX_RECORD_ID = BASE**ID_LENGTH - 1

#: What a scanner set for a US keyboard types on a French or Belgian AZERTY PC in place of each digit (the
#: unshifted digit row). None of these characters is in the alphabet.
AZERTY_DIGITS = {
    "&": "1",
    "é": "2",
    '"': "3",
    "'": "4",
    "(": "5",
    "-": "6",
    "§": "6",
    "è": "7",
    "_": "8",
    "!": "8",
    "ç": "9",
    "à": "0",
}
#: What a scanner set for AZERTY types on a US (QWERTY) PC: AZERTY digits need Shift, so the US shifted
#: digit row comes out. Two characters ('&', '(') mean another digit in the AZERTY family, so the family is
#: told by the format-version character, always "1": '&' for AZERTY, '!' for this one.
US_SHIFTED_DIGITS = {
    "!": "1",
    "@": "2",
    "#": "3",
    "$": "4",
    "%": "5",
    "^": "6",
    "&": "7",
    "*": "8",
    "(": "9",
    ")": "0",
}
_FROM_AZERTY = str.maketrans(
    {**AZERTY_DIGITS, **{k.upper(): v for k, v in AZERTY_DIGITS.items() if k.isalpha()}}
)
_FROM_US_SHIFTED = str.maketrans(US_SHIFTED_DIGITS)


class LabelKind(enum.Enum):
    """What a label is stuck on. The value is the payload letter; the label is for people."""

    WEAPON = "G", N_("Weapon")
    RACK = "R", N_("Rack")
    AREA = "S", N_("Storage area")
    FACILITY = "F", N_("Facility")
    PERSON = "P", N_("Person")
    KEY = "K", N_("Key")

    def __init__(self, letter: str, label: str) -> None:
        self.letter = letter
        self._label = label

    @property
    def label(self) -> str:
        return _(self._label)

    @classmethod
    def from_letter(cls, letter: str) -> LabelKind | None:
        for kind in cls:
            if kind.letter == letter:
                return kind
        return None


class UnreadableLabelError(ValidationError):
    """The text is not a label this program can trust (damaged, mistyped, not a label at all)."""


class NotALabelError(NotFoundError):
    """The text is not meant as a label at all (a serial number, a rack code...): look it up otherwise."""


class ForeignLabelError(ValidationError):
    """A well-formed label printed by another depot's database."""


@dataclass(frozen=True)
class LabelCode:
    """What a payload says: the kind of record, its id, and the code of the depot that printed it."""

    kind: LabelKind
    record_id: int
    depot: str


# --- GF(29) arithmetic and the Reed-Solomon check --------------------------------------------------------

_ALPHA = 2  # a primitive root modulo 29
_POWERS = [pow(_ALPHA, k, BASE) for k in range(BASE - 1)]


def _poly_mul(a: list[int], b: list[int]) -> list[int]:
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] = (out[i + j] + x * y) % BASE
    return out


def _generator() -> list[int]:
    g = [1]
    for k in range(1, CHECK_LENGTH + 1):
        g = _poly_mul(g, [1, (-_POWERS[k]) % BASE])
    return g


_GENERATOR = _generator()


def _check_symbols(values: list[int]) -> list[int]:
    """Systematic Reed-Solomon parity: minus the remainder of data(x) * x^5 divided by the generator."""
    remainder = [*values, *([0] * CHECK_LENGTH)]
    for i in range(len(values)):
        coef = remainder[i]
        if coef:
            for j in range(1, len(_GENERATOR)):
                remainder[i + j] = (remainder[i + j] - coef * _GENERATOR[j]) % BASE
    return [(-r) % BASE for r in remainder[-CHECK_LENGTH:]]


def _syndromes_are_zero(values: list[int]) -> bool:
    for k in range(1, CHECK_LENGTH + 1):
        root = _POWERS[k]
        acc = 0
        for v in values:
            acc = (acc * root + v) % BASE
        if acc:
            return False
    return True


# --- encoding and decoding --------------------------------------------------------------------------------


def depot_code_from_identity(depot_id: str) -> str:
    """The 4-character depot code derived from the depot's identity (a UUID hex string)."""
    try:
        number = int(depot_id.strip().strip('"').replace("-", ""), 16)
    except ValueError as exc:
        raise ValidationError(
            _("The depot identity is not valid: {value}.").format(value=depot_id),
            _("Run 'armoury init' to repair the database settings."),
        ) from exc
    return _base29(number % BASE**DEPOT_LENGTH, DEPOT_LENGTH)


def _base29(number: int, width: int) -> str:
    chars = []
    for _i in range(width):
        number, digit = divmod(number, BASE)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def encode(kind: LabelKind, record_id: int, depot: str) -> str:
    """The payload for record ``record_id`` of ``kind`` printed by depot ``depot``."""
    if not 1 <= record_id <= MAX_RECORD_ID:
        raise ValidationError(
            _("Record number {number} cannot be put on a label.").format(number=record_id),
            _("Label record numbers go from 1 to {limit}.").format(limit=MAX_RECORD_ID),
        )
    if len(depot) != DEPOT_LENGTH or any(c not in _VALUE for c in depot):
        raise ValidationError(
            _("The depot code {code} is not valid.").format(code=depot),
            _("Run 'armoury init' to repair the database settings."),
        )
    body = PREFIX + VERSION + kind.letter + depot + _base29(record_id, ID_LENGTH)
    checks = _check_symbols([_VALUE[c] for c in body])
    return body + "".join(ALPHABET[v] for v in checks)


def normalize(text: str) -> str:
    """Undo what keyboard layouts do to a scan: shifted digit rows, lower case, surrounding spaces.

    The letters of the alphabet sit on the same keys on QWERTY and AZERTY, so only digits change; which
    layout mix typed them is read from the version character (position 3), so the mapping is never a guess.
    """
    cleaned = text.strip()
    marker = cleaned[len(PREFIX) : len(PREFIX) + 1].upper()
    if marker in ("&", "É"):
        cleaned = cleaned.translate(_FROM_AZERTY)
    elif marker == "!":
        cleaned = cleaned.translate(_FROM_US_SHIFTED)
    return cleaned.upper()


def looks_like_label(text: str) -> bool:
    """True when ``text`` is meant as a label, even a damaged one: "LB", a version digit, about the length.

    Scanner paths send such text to the resolver (and refuse it if damaged) and anything else to the
    serial-number search, so a serial that merely starts with "LB" is still found.
    """
    cleaned = normalize(text)
    return (
        cleaned.startswith(PREFIX)
        and cleaned[len(PREFIX) : len(PREFIX) + 1].isdigit()
        and LENGTH - 6 <= len(cleaned) <= LENGTH + 6
    )


def _unreadable() -> UnreadableLabelError:
    return UnreadableLabelError(
        _("This label cannot be read: the code is damaged, incomplete or mistyped."),
        _("Scan it again; if it still fails, type the serial number or reprint the label."),
    )


def decode(text: str) -> LabelCode:
    """Read a payload, accepting AZERTY-retyped and lower-case scans; raise UnreadableLabelError otherwise.

    Never guesses: a code is either exactly a payload that passes all five checks, or refused.
    """
    cleaned = normalize(text)
    if len(cleaned) != LENGTH or not cleaned.startswith(PREFIX):
        raise _unreadable()
    values: list[int] = []
    for char in cleaned:
        value = _VALUE.get(char)
        if value is None:
            raise _unreadable()
        values.append(value)
    if cleaned[len(PREFIX)] != VERSION and cleaned[len(PREFIX)] in "23456789":
        raise UnreadableLabelError(
            _("This label was printed by a newer version of Armoury."),
            _("Update Armoury on this computer to read it."),
        )
    if not _syndromes_are_zero(values):
        raise _unreadable()
    start = len(PREFIX) + len(VERSION)
    kind = LabelKind.from_letter(cleaned[start])
    if kind is None:
        raise _unreadable()
    depot = cleaned[start + 1 : start + 1 + DEPOT_LENGTH]
    record_id = 0
    for char in cleaned[start + 1 + DEPOT_LENGTH : start + 1 + DEPOT_LENGTH + ID_LENGTH]:
        record_id = record_id * BASE + _VALUE[char]
    if record_id < 1:
        raise _unreadable()
    return LabelCode(kind=kind, record_id=record_id, depot=depot)


def decode_for_depot(text: str, depot: str) -> LabelCode:
    """:func:`decode`, then refuse a label printed by another depot with :class:`ForeignLabelError`."""
    code = decode(text)
    if code.depot != depot:
        raise ForeignLabelError(
            _("This is a label from another depot (depot code {code}).").format(code=code.depot),
            _("Its record is not in this database; use the other depot's records or reprint the label here."),
        )
    return code
