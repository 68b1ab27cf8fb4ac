"""Label payloads: round trips, keyboard re-typing, other depots, and a fuzz test of the pure parser."""

from __future__ import annotations

import os
import random
import string

import pytest

from armoury.errors import ValidationError
from armoury.labels.payload import (
    ALPHABET,
    AZERTY_DIGITS,
    LENGTH,
    MAX_RECORD_ID,
    ForeignLabelError,
    LabelCode,
    LabelKind,
    UnreadableLabelError,
    decode,
    decode_for_depot,
    depot_code_from_identity,
    encode,
    looks_like_label,
)

US_TO_AZERTY = str.maketrans("1234567890", "&é\"'(-è_çà")
BELGIAN = str.maketrans("1234567890", "&é\"'(§è!çà")
AZERTY_SCANNER_ON_US = str.maketrans("1234567890", "!@#$%^&*()")
#: Letters that move between QWERTY and AZERTY: a US scanner types the other one of each pair.
LETTER_SWAP = str.maketrans("AQWZaqwz", "QAZWqazw")


def test_round_trip_every_kind() -> None:
    for kind in LabelKind:
        for record_id in (1, 29, 12345, MAX_RECORD_ID):
            text = encode(kind, record_id, "K3XB")
            assert len(text) == LENGTH
            assert text.startswith("LB1" + kind.letter)
            assert decode(text) == LabelCode(kind, record_id, "K3XB")


def test_payload_uses_only_qr_alphanumeric_characters_that_do_not_move_on_azerty() -> None:
    qr_alphanumeric = set(string.digits + string.ascii_uppercase + " $%*+-./:")
    assert set(ALPHABET) <= qr_alphanumeric
    assert not set(ALPHABET) & set("AQWZM")
    assert len(ALPHABET) == 29


def test_record_ids_out_of_range_are_refused() -> None:
    for bad in (0, -1, MAX_RECORD_ID + 1):
        with pytest.raises(ValidationError):
            encode(LabelKind.WEAPON, bad, "K3XB")
    with pytest.raises(ValidationError):
        encode(LabelKind.WEAPON, 1, "AAAA")


def test_depot_code_comes_from_the_identity() -> None:
    code = depot_code_from_identity("0f" * 16)
    assert len(code) == 4 and set(code) <= set(ALPHABET)
    assert depot_code_from_identity('"' + "0f" * 16 + '"') == code
    assert depot_code_from_identity("1f" * 16) != code
    with pytest.raises(ValidationError):
        depot_code_from_identity("not hex")


def test_scanner_typing_through_keyboard_layouts_still_resolves() -> None:
    text = encode(LabelKind.RACK, 987654, "7KX3")
    expected = decode(text)
    assert decode(text.translate(US_TO_AZERTY)) == expected
    assert decode(text.translate(BELGIAN)) == expected
    assert decode(text.translate(AZERTY_SCANNER_ON_US)) == expected
    assert decode(text.lower()) == expected  # caps lock
    assert decode(f"  {text}\r\n") == expected  # the scanner's Enter
    assert decode(text.translate(LETTER_SWAP)) == expected  # no letter of the alphabet moves


def test_another_depots_label_says_so() -> None:
    text = encode(LabelKind.WEAPON, 42, "B9C2")
    with pytest.raises(ForeignLabelError, match="another depot"):
        decode_for_depot(text, "K3XB")
    assert decode_for_depot(text, "B9C2").record_id == 42


def test_damaged_codes_are_refused_as_unreadable() -> None:
    text = encode(LabelKind.WEAPON, 42, "K3XB")
    for bad in ("", "LB1", text[:-1], text + "0", text[1:], "X" + text[1:], text.replace("G", "R", 1),
                text[:5] + " " + text[6:], "KA-000123"):  # fmt: skip
        with pytest.raises(UnreadableLabelError, match="cannot be read"):
            decode(bad)
    assert looks_like_label(text) and looks_like_label(text.translate(US_TO_AZERTY))
    assert not looks_like_label("KA-000123")
    assert not looks_like_label("LB-2231-77")  # a serial that starts like a label is not one
    assert looks_like_label(text[:-3])  # a mistyped label is still meant as one


def test_newer_version_is_named() -> None:
    text = encode(LabelKind.WEAPON, 42, "K3XB")
    with pytest.raises(UnreadableLabelError, match="newer version"):
        decode(text[:2] + "2" + text[3:])


def _mutations(rng: random.Random, text: str) -> list[tuple[str, str]]:
    """(family, mutated text) pairs derived from one genuine code."""
    n = len(text)
    chars = list(text)
    out: list[tuple[str, str]] = []
    noise = ALPHABET + "AQWZMIO" + string.punctuation + "éèçà§ "
    for count in (1, 2, 3, 4, 5):  # substitutions: up to five are always caught
        mutated = chars[:]
        for i in rng.sample(range(n), count):
            mutated[i] = rng.choice(noise)
        out.append((f"substitute{count}", "".join(mutated)))
    i = rng.randrange(n - 1)
    swapped = chars[:]
    swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    out.append(("adjacent-transpose", "".join(swapped)))
    i, j = rng.sample(range(n), 2)
    swapped = chars[:]
    swapped[i], swapped[j] = swapped[j], swapped[i]
    out.append(("transpose", "".join(swapped)))
    out.append(("truncate", text[: rng.randrange(n)]))
    out.append(("extend", text + "".join(rng.choice(noise) for _ in range(rng.randint(1, 4)))))
    cut = rng.randrange(n)
    out.append(("delete", text[:cut] + text[cut + 1 :]))
    out.append(("insert", text[:cut] + rng.choice(noise) + text[cut:]))
    out.append(("azerty", text.translate(US_TO_AZERTY)))
    out.append(("azerty-belgian", text.translate(BELGIAN)))
    out.append(("qwerty", text.translate(AZERTY_SCANNER_ON_US)))
    out.append(("azerty-letters", text.translate(US_TO_AZERTY).translate(LETTER_SWAP)))
    out.append(("lower", text.lower()))
    # A re-typed code that is then damaged as well.
    typed = list(text.translate(US_TO_AZERTY))
    typed[rng.randrange(n)] = rng.choice(noise)
    out.append(("azerty-damaged", "".join(typed)))
    return out


def test_fuzz_never_resolves_to_a_wrong_record_and_never_crashes() -> None:
    """At least 100,000 mutated, re-typed, random and forged codes through the pure parser."""
    size = max(100_000, int(os.environ.get("ARMOURY_TEST_SIZE", "0") or 0))
    rng = random.Random(20261122)
    home = "K3XB"
    fed = accepted_same = 0
    retyped = {"azerty", "azerty-belgian", "qwerty", "azerty-letters", "lower"}
    while fed < size:
        kind = rng.choice(list(LabelKind))
        record_id = rng.choice((rng.randint(1, 2000), rng.randint(1, MAX_RECORD_ID)))
        original = LabelCode(kind, record_id, home)
        text = encode(kind, record_id, home)
        for family, mutated in _mutations(rng, text):
            fed += 1
            try:
                got = decode_for_depot(mutated, home)
            except (UnreadableLabelError, ForeignLabelError):
                assert family not in retyped, (family, mutated)
                continue
            assert got == original, (family, text, mutated, got)
            accepted_same += 1
        # Random strings, with and without the right prefix.
        for candidate in (
            "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 20))),
            "LB1" + "".join(rng.choice(ALPHABET) for _ in range(LENGTH - 3)),
            "".join(chr(rng.randint(0, 0x2FF)) for _ in range(LENGTH)),
        ):
            fed += 1
            try:
                got = decode(candidate)
            except UnreadableLabelError:
                continue
            # A random string that happens to be a well-formed payload names the record it encodes.
            assert encode(got.kind, got.record_id, got.depot) == candidate
        # Forged: a genuine code of another depot, and another record's id pasted into a genuine code.
        fed += 2
        with pytest.raises(ForeignLabelError):
            decode_for_depot(encode(kind, record_id, "B9C2"), home)
        forged = text[:8] + encode(kind, record_id % 1000 + 1, home)[8:14] + text[14:]
        if forged != text:
            with pytest.raises(UnreadableLabelError):
                decode_for_depot(forged, home)
    assert fed >= 100_000
    assert accepted_same > fed // 20  # the re-typed families are accepted


def test_azerty_digit_map_is_unambiguous() -> None:
    assert not set(AZERTY_DIGITS) & set(ALPHABET)
