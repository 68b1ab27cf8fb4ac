"""Translation of every user-visible string, in the core and in the UI, through gettext.

English is the source language. French catalogues live in ``resources/locale/fr/*.po`` — one file per area
of the product, merged at load — and are read directly (no compiled ``.mo`` to keep in step). The language
is chosen by :func:`set_language`; by default it follows ``ARMOURY_LANG`` and then the system locale.

Mark strings with ``_("...")``; use ``N_("...")`` for strings defined at import time and translated later
with ``_(value)``. Placeholders are ``{name}`` fields filled with ``str.format`` after translation.
"""

from __future__ import annotations

import ast
import gettext
import locale
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from armoury.paths import resources_dir

SUPPORTED_LANGUAGES = ("en", "fr")


class _PoTranslations(gettext.NullTranslations):
    """A catalogue read from ``.po`` files; French plural rule (n > 1)."""

    def __init__(self, catalog: dict[str, str], plurals: dict[str, list[str]]) -> None:
        super().__init__()
        self._catalog = catalog
        self._plurals = plurals

    def gettext(self, message: str) -> str:
        return self._catalog.get(message) or message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        forms = self._plurals.get(msgid1)
        if forms and all(forms):
            return forms[1 if n > 1 else 0] if len(forms) > 1 else forms[0]
        return msgid1 if n == 1 else msgid2

    def pgettext(self, context: str, message: str) -> str:
        return self.gettext(message)


def _unquote(text: str) -> str:
    value = ast.literal_eval(text)
    assert isinstance(value, str)
    return value


def parse_po(path: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Read a ``.po`` file into (singular catalogue, plural catalogue). Fuzzy entries are skipped."""
    catalog: dict[str, str] = {}
    plurals: dict[str, list[str]] = {}
    entry: dict[str, str] = {}
    forms: dict[int, str] = {}
    fuzzy = False
    current: str | None = None

    def flush() -> None:
        nonlocal entry, forms, fuzzy, current
        msgid = entry.get("msgid")
        if msgid and not fuzzy:
            if "msgid_plural" in entry:
                plurals[msgid] = [forms[i] for i in sorted(forms)]
            else:
                catalog[msgid] = entry.get("msgstr", "")
        entry, forms, fuzzy, current = {}, {}, False, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if current is None:
                continue
            if current.startswith("msgstr["):
                index = int(current[7:-1])
                forms[index] += _unquote(line)
            else:
                entry[current] = entry.get(current, "") + _unquote(line)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgid" and "msgid" in entry and ("msgstr" in entry or forms):
            flush()
        current = keyword
        if keyword.startswith("msgstr["):
            forms[int(keyword[7:-1])] = _unquote(rest)
        else:
            entry[keyword] = _unquote(rest)
    flush()
    return catalog, plurals


def catalogue_files(language: str) -> list[Path]:
    folder = resources_dir() / "locale" / language
    return sorted(folder.glob("*.po")) if folder.is_dir() else []


def load_catalogue(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    catalog: dict[str, str] = {}
    plurals: dict[str, list[str]] = {}
    for path in catalogue_files(language):
        single, plural = parse_po(path)
        catalog.update({k: v for k, v in single.items() if v})
        plurals.update(plural)
    return _PoTranslations(catalog, plurals)


def system_language(environ: dict[str, str] | None = None) -> str:
    """``ARMOURY_LANG`` if set, otherwise the system locale's language if supported, otherwise English."""
    env = os.environ if environ is None else environ
    wanted = env.get("ARMOURY_LANG", "").strip().lower()
    if wanted:
        return normalize_language(wanted)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(name, "")
        if value:
            return normalize_language(value)
    try:
        code = locale.getlocale()[0] or ""
    except ValueError:
        code = ""
    return normalize_language(code)


def normalize_language(code: str) -> str:
    short = code.replace("-", "_").split("_")[0].split(".")[0].lower()
    return short if short in SUPPORTED_LANGUAGES else "en"


_current_language = "en"
_translations: gettext.NullTranslations = gettext.NullTranslations()


def set_language(language: str | None = None) -> str:
    """Switch every later translation to ``language`` (``None``: the system's). Returns the language used."""
    global _current_language, _translations
    chosen = normalize_language(language) if language else system_language()
    _translations = load_catalogue(chosen)
    _current_language = chosen
    return chosen


def current_language() -> str:
    return _current_language


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for translation without translating it now."""
    return message


@cache
def _catalogue_for(language: str) -> gettext.NullTranslations:
    return load_catalogue(language)


def translate_to(language: str, message: str) -> str:
    """``message`` in ``language`` whatever the current language (for reading input in any language)."""
    return _catalogue_for(normalize_language(language)).gettext(message)


def translate_all(messages: Iterable[str]) -> list[str]:
    return [_(m) for m in messages]
