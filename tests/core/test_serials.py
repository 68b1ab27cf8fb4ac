"""Serial numbers: normalization for matching and near-collision skeletons (property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from armoury.domain.serials import is_valid_serial, serial_key, serial_skeleton

serial_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@given(serial_text)
def test_key_is_idempotent(serial: str) -> None:
    assert serial_key(serial_key(serial)) == serial_key(serial)


@given(serial_text)
def test_skeleton_depends_only_on_key(serial: str) -> None:
    assert serial_skeleton(serial) == serial_skeleton(serial_key(serial))


@given(st.from_regex(r"[A-Z0-9]{2,6}", fullmatch=True), st.from_regex(r"[A-Z0-9]{2,6}", fullmatch=True),
       st.sampled_from([" ", "-", ".", "/", "\u200b", "\u2013", "_", "\u00a0", "\ufeff"]))  # fmt: skip
def test_separators_and_invisible_characters_do_not_matter(left: str, right: str, sep: str) -> None:
    assert serial_key(f"{left}{sep}{right}") == serial_key(left + right)


@given(st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True))
def test_case_does_not_matter(serial: str) -> None:
    assert serial_key(serial.upper()) == serial_key(serial.lower())


@given(st.from_regex(r"[A-Z0-9]{1,12}", fullmatch=True))
def test_fullwidth_forms_match_ascii(serial: str) -> None:
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in serial)
    assert serial_key(fullwidth) == serial_key(serial)


@pytest.mark.parametrize(
    ("marked", "same_as"),
    [
        ("АК-47 123", "AK47123"),  # Cyrillic А and К
        ("ΑΒ 1234", "AB1234"),  # Greek capitals
        ("FN.123/45", "fn12345"),
        ("ab\u200d12", "AB12"),
        ("É-12", "E12"),
    ],
)
def test_lookalike_letters_from_other_scripts_map_to_latin(marked: str, same_as: str) -> None:
    assert serial_key(marked) == serial_key(same_as)


@pytest.mark.parametrize(("a", "b"), [("AB0123", "ABO123"), ("1234I", "12341"), ("S58", "5SB"), ("Z2", "2Z")])
def test_confusable_characters_share_a_skeleton_but_not_a_key(a: str, b: str) -> None:
    assert serial_key(a) != serial_key(b)
    assert serial_skeleton(a) == serial_skeleton(b)


def test_empty_or_separator_only_serials_are_invalid() -> None:
    assert not is_valid_serial("")
    assert not is_valid_serial(" - / . ")
    assert not is_valid_serial("AB\x07")
    assert is_valid_serial("AB 123")


def test_marked_serial_is_never_altered() -> None:
    marked = "  Ab-12/Ж "
    key = serial_key(marked)
    assert marked == "  Ab-12/Ж " and key == "ab12ж"
