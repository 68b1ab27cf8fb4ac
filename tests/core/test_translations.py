"""Every user-visible string has a French translation with the same placeholders.

Strings are found by reading the source of armoury/ and ui/ for calls to ``_``, ``N_`` and ``ngettext``
with literal arguments. When this test fails it prints the missing entries in .po syntax, ready to be
translated into the area's catalogue in resources/locale/fr/.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from armoury.i18n import catalogue_files, parse_po

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "armoury", ROOT / "ui"]


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def source_strings() -> tuple[dict[str, str], list[str]]:
    """msgid -> first place it is used; and the calls that translate a non-literal built from parts."""
    found: dict[str, str] = {}
    bad: list[str] = []
    for folder in SOURCES:
        for path in sorted(folder.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                    continue
                name = node.func.id
                if name not in ("_", "N_", "ngettext") or not node.args:
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                # An ngettext pair is one catalogue entry, keyed by its singular.
                for arg in node.args[:1]:
                    text = _literal(arg)
                    if text is not None:
                        found.setdefault(text, where)
                    elif isinstance(arg, (ast.JoinedStr, ast.BinOp)):
                        bad.append(where)
                if name == "ngettext" and len(node.args) > 1 and _literal(node.args[1]) is None:
                    bad.append(where)
    return found, bad


def french_catalogue() -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    plural: dict[str, list[str]] = {}
    for path in catalogue_files("fr"):
        s, p = parse_po(path)
        single.update(s)
        plural.update(p)
    return single, plural


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _po_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def test_no_translated_string_is_built_before_translation() -> None:
    _, bad = source_strings()
    assert bad == [], "translate the template, then .format() it: " + ", ".join(bad)


def test_every_string_has_a_french_translation() -> None:
    strings, _ = source_strings()
    single, plural = french_catalogue()
    missing = [
        (msgid, where)
        for msgid, where in strings.items()
        if not (single.get(msgid) or (plural.get(msgid) and all(plural[msgid])))
    ]
    report = "\n".join(f'#: {where}\nmsgid "{_po_escape(m)}"\nmsgstr ""\n' for m, where in missing)
    assert not missing, f"{len(missing)} strings have no French translation:\n\n{report}"


def test_french_placeholders_match_english() -> None:
    single, plural = french_catalogue()
    wrong = [m for m, t in single.items() if t and placeholders(t) != placeholders(m)]
    wrong += [m for m, forms in plural.items() if any(placeholders(f) - placeholders(m) for f in forms)]
    assert wrong == []


def test_catalogues_parse_and_have_no_duplicate_ids_across_files() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for path in catalogue_files("fr"):
        text = path.read_text(encoding="utf-8")
        for msgid in re.findall(r'^msgid "(.+)"$', text, flags=re.M):
            if msgid in seen and seen[msgid] != path.name:
                clashes.append(f"{msgid!r} in {seen[msgid]} and {path.name}")
            seen.setdefault(msgid, path.name)
        parse_po(path)
    # The same English string may be translated in two areas, but then both must agree.
    single_by_file = {p.name: parse_po(p)[0] for p in catalogue_files("fr")}
    disagree = [
        c
        for c in clashes
        if len(
            {
                single_by_file[f].get(c.split("'")[1])
                for f in single_by_file
                if c.split("'")[1] in single_by_file[f]
            }
        )
        > 1
    ]
    assert disagree == []
