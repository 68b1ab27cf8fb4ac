"""Closed lists read back from text in either language, whatever the user's language."""

from __future__ import annotations

import pytest

from armoury.domain.enums import Category, Condition, Register, Whereabouts
from armoury.i18n import set_language


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fusil d'assaut", Category.ASSAULT_RIFLE),
        ("assault rifle", Category.ASSAULT_RIFLE),
        ("ASSAULT_RIFLE", Category.ASSAULT_RIFLE),
        ("Récupéré / saisi", Register.RECOVERED),
        ("recupere saisi", Register.RECOVERED),
        ("En bon état", Condition.SERVICEABLE),
        ("on issue", Whereabouts.ISSUED),
    ],
)
def test_parse_accepts_value_and_both_languages(language: str, text: str, expected: object) -> None:
    set_language(language)
    assert type(expected).parse(text) is expected  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["", "  ", "banana", "rifle"])
def test_parse_refuses_what_is_not_a_member(text: str) -> None:
    assert Category.parse(text) is None


def test_labels_follow_the_current_language() -> None:
    set_language("fr")
    assert Category.MORTAR.label == "Mortier"
    set_language("en")
    assert Category.MORTAR.label == "Mortar"
