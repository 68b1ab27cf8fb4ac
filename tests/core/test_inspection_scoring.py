"""Scoring and the risk-reduction level rule on constructed templates (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from armoury.errors import ValidationError
from armoury.inspections.enums import Outcome
from armoury.inspections.scoring import normalize_answer, outcome, score
from armoury.inspections.templates import Template, parse_template


def q(qid: str, level: int = 1, weight: float = 1, critical: bool = False, **answer: Any) -> dict[str, Any]:
    return {
        "id": qid,
        "text": {"en": f"Question {qid}", "fr": f"Question {qid}"},
        "level": level,
        "weight": weight,
        "critical": critical,
        "answer": answer or {"kind": "compliance"},
    }


def make(*sections: list[dict[str, Any]], thresholds: dict[str, float] | None = None) -> Template:
    data: dict[str, Any] = {
        "format": "armoury-checklist",
        "format_version": 1,
        "id": "test",
        "version": 1,
        "title": {"en": "Test", "fr": "Essai"},
        "sections": [
            {"id": f"s{i}", "title": {"en": f"S{i}", "fr": f"S{i}"}, "questions": qs}
            for i, qs in enumerate(sections, start=1)
        ],
    }
    if thresholds:
        data["thresholds"] = thresholds
    return parse_template(data)


C, N, NA = "compliant", "not_compliant", "not_applicable"


def test_weighted_score_per_section_and_overall() -> None:
    t = make([q("a", weight=3), q("b", weight=1)], [q("c", weight=2), q("d", weight=2)])
    card = score(t, {"a": C, "b": N, "c": C, "d": C})
    assert card.sections[0].percent == pytest.approx(75.0)
    assert card.sections[1].percent == pytest.approx(100.0)
    assert card.percent == pytest.approx(100 * 7 / 8)
    assert card.findings == 1 and card.complete


def test_not_applicable_leaves_the_denominator() -> None:
    t = make([q("a", weight=3), q("b", weight=1)])
    assert score(t, {"a": NA, "b": C}).percent == pytest.approx(100.0)
    assert score(t, {"a": NA, "b": N}).percent == pytest.approx(0.0)
    assert score(t, {"a": NA, "b": NA}).percent is None


def test_unanswered_questions_count_as_not_satisfied() -> None:
    t = make([q("a"), q("b")])
    card = score(t, {"a": C})
    assert card.percent == pytest.approx(50.0)
    assert not card.complete


def test_high_score_with_a_failed_critical_question_does_not_reach_the_level() -> None:
    questions = [q(f"q{i}", weight=1) for i in range(19)] + [q("crit", weight=1, critical=True)]
    t = make(questions, thresholds={"1": 60, "2": 75, "3": 90})
    answers = {f"q{i}": C for i in range(19)} | {"crit": N}
    card = score(t, answers)
    assert card.percent == pytest.approx(95.0)
    assert card.levels[0].score_met
    assert card.levels[0].critical_failed == ("crit",)
    assert card.level_reached == 0
    answers["crit"] = C
    assert score(t, answers).level_reached == 3


def test_levels_are_cumulative_and_use_their_own_thresholds() -> None:
    t = make(
        [q("l1a", 1, 4), q("l1b", 1, 4), q("l2", 2, 2), q("l3", 3, 2, critical=True)],
        thresholds={"1": 50, "2": 80, "3": 90},
    )
    card = score(t, {"l1a": C, "l1b": N, "l2": C, "l3": C})
    # level 1: 4/8 = 50 % meets 50; level 2: 6/10 = 60 % misses 80; level 3 cannot follow a missed level 2.
    assert [lvl.reached for lvl in card.levels] == [True, False, False]
    assert card.levels[1].percent == pytest.approx(60.0)
    assert card.level_reached == 1
    full = score(t, {"l1a": C, "l1b": C, "l2": C, "l3": C})
    assert full.level_reached == 3


def test_critical_question_of_a_higher_level_only_blocks_that_level() -> None:
    t = make([q("a", 1, 5), q("b", 2, 1), q("c", 3, 1, critical=True)], thresholds={"1": 0, "2": 0, "3": 0})
    card = score(t, {"a": C, "b": C, "c": N})
    assert card.level_reached == 2
    assert card.levels[2].critical_failed == ("c",)


def test_critical_not_applicable_is_satisfied() -> None:
    t = make([q("a", critical=True), q("b")])
    assert score(t, {"a": NA, "b": C}).level_reached == 3


def test_thresholds_are_configurable_per_template() -> None:
    questions = [q("a"), q("b"), q("c"), q("d")]
    answers = {"a": C, "b": C, "c": C, "d": N}  # 75 %
    assert score(make(questions, thresholds={"1": 70, "2": 80, "3": 90}), answers).level_reached == 1
    assert score(make(questions, thresholds={"1": 70, "2": 75, "3": 75}), answers).level_reached == 3


def test_number_answers_fail_outside_their_pass_range() -> None:
    t = make([q("temp", kind="number", minimum=-40, maximum=80, fail_above=40)])
    question = t.question("temp")
    assert question is not None
    assert outcome(question, normalize_answer(question, "21,5")) is Outcome.PASS
    assert outcome(question, normalize_answer(question, "41")) is Outcome.FAIL
    with pytest.raises(ValidationError, match="outside the limits"):
        normalize_answer(question, "120")
    with pytest.raises(ValidationError, match="not a number"):
        normalize_answer(question, "hot")


def test_choice_and_text_answers() -> None:
    options = [
        {"id": "daily", "label": {"en": "Daily", "fr": "Quotidien"}},
        {"id": "never", "label": "Never"},
    ]
    t = make([q("freq", kind="choice", options=options, fail=["never"]), q("rem", kind="text")])
    freq, rem = t.question("freq"), t.question("rem")
    assert freq is not None and rem is not None
    assert outcome(freq, "daily") is Outcome.PASS and outcome(freq, "never") is Outcome.FAIL
    with pytest.raises(ValidationError):
        normalize_answer(freq, "weekly")
    assert outcome(rem, "all good") is Outcome.INFO
    assert not rem.scored
    assert score(t, {"freq": "daily", "rem": "x"}).percent == pytest.approx(100.0)
