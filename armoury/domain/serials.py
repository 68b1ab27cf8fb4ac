"""Serial numbers: kept exactly as marked, matched through a normalized key.

``serial_key`` is what the database's unique index holds (per item type, i.e. per manufacturer and model):
Unicode NFKC, case folding, no spaces, dashes, dots, slashes, underscores or invisible characters, and
letters from other scripts that look like Latin letters mapped to them. ``serial_skeleton`` further folds
characters that are easily confused when reading a worn marking (O/0, I/1/L, S/5, B/8, Z/2, G/6); two
different keys with the same skeleton are a *near collision*, reported as a warning, not refused.
"""

from __future__ import annotations

import unicodedata

# Cyrillic and Greek letters (after case folding) that look like a Latin letter, mapped to it.
_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "һ": "h",
    "ԛ": "q", "ԝ": "w", "ѵ": "v", "ӏ": "l",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "h", "ι": "i", "κ": "k", "μ": "m", "ν": "n", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "y", "χ": "x", "ϲ": "c", "ϳ": "j",
}  # fmt: skip

_SEPARATORS = set(" ./\\_-") | {"\u00ad"}
# Spaces, dashes, invisible formatting and control characters, and combining marks (accents).
_DROPPED_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Pd", "Cf", "Cc", "Mn", "Mc", "Me"})

_CONFUSABLE = str.maketrans({"0": "o", "q": "o", "1": "i", "l": "i", "5": "s", "8": "b", "2": "z", "6": "g"})


def serial_key(serial: str) -> str:
    """The normalized form of ``serial`` used for matching and for the unique index."""
    key = serial
    # Normalizing can expose new characters to fold (a spacing accent becomes a space plus a combining
    # mark), so repeat until nothing changes; two rounds are always enough in practice.
    for _round in range(4):
        folded = _fold_once(key)
        if folded == key:
            break
        key = folded
    return key


def _fold_once(text: str) -> str:
    # Accented Latin letters keep their base letter (É -> e): markings are often read without accents.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    out: list[str] = []
    for char in decomposed:
        category = unicodedata.category(char)
        if char in _SEPARATORS or category in _DROPPED_CATEGORIES:
            continue
        out.append(_LOOKALIKES.get(char, char))
    return unicodedata.normalize("NFKC", "".join(out))


def serial_skeleton(serial_or_key: str) -> str:
    """The key with easily confused characters folded together, for near-collision warnings."""
    return serial_key(serial_or_key).translate(_CONFUSABLE)


def is_valid_serial(serial: str) -> bool:
    """A serial is usable when its key is not empty and it has no control characters."""
    return bool(serial_key(serial)) and not any(unicodedata.category(c) == "Cc" for c in serial)
