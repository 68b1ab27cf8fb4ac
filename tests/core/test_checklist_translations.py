"""Every text of every built-in checklist template has a French translation."""

from __future__ import annotations

import string

from armoury.inspections.templates import all_texts, builtin_templates


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


def test_every_builtin_template_text_has_french() -> None:
    templates = builtin_templates()
    assert len(templates) >= 5
    missing = [
        f"{t.code}: {where}" for t in templates for where, text in all_texts(t) if not text.en or not text.fr
    ]
    assert missing == []


def test_french_differs_from_english_where_it_should() -> None:
    # A French text identical to the English one is usually an untranslated copy.
    same = [
        f"{t.code}: {where}"
        for t in builtin_templates()
        for where, text in all_texts(t)
        if text.en == text.fr and len(text.en) > 12
    ]
    assert same == []


def test_question_and_section_ids_are_unique_across_builtin_templates() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for t in builtin_templates():
        for _section, q in t.questions():
            if q.id in seen:
                clashes.append(f"{q.id} in {seen[q.id]} and {t.code}")
            seen[q.id] = t.code
    assert clashes == []
