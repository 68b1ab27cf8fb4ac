"""What an answer means, and the weighted score and risk-reduction level of an inspection.

Rules (docs/inspections.md explains the choices):

* A scored question earns its weight when satisfied and nothing when it is a finding. Not-applicable
  answers leave the denominator. An unanswered question counts as not satisfied, so skipping a question
  never raises a score (a signed inspection has every question answered).
* Levels are cumulative (IATG 01.20 risk-reduction process levels). The score of level L is the weighted
  score over the questions of levels 1..L. Level L is reached when level L-1 is reached, that score meets
  the template's threshold for L, and every critical question of levels 1..L is satisfied or not
  applicable (the UN SaferGuard rule: a high score never hides a critical failure).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from armoury.errors import ValidationError
from armoury.i18n import N_, _
from armoury.inspections.enums import COMPLIANT, NOT_APPLICABLE, NOT_COMPLIANT, AnswerKind, Outcome
from armoury.inspections.templates import LEVELS, Question, Template

COMPLIANCE_VALUES = (COMPLIANT, NOT_COMPLIANT, NOT_APPLICABLE)


def normalize_answer(question: Question, raw: str) -> str:
    """Check an answer typed or clicked for ``question``; return the value to store."""
    value = raw.strip()
    if question.allow_na and value == NOT_APPLICABLE:
        return value
    if question.kind is AnswerKind.COMPLIANCE:
        if value not in COMPLIANCE_VALUES:
            raise ValidationError(
                _("{value} is not an answer to question {id}.").format(value=value, id=question.id),
                _("Answer compliant, not compliant or not applicable."),
            )
        return value
    if question.kind is AnswerKind.NUMBER:
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ValidationError(
                _("{value} is not a number (question {id}).").format(value=value, id=question.id),
                _("Type a number, for example 21.5."),
            )
        if (question.minimum is not None and number < question.minimum) or (
            question.maximum is not None and number > question.maximum
        ):
            raise ValidationError(
                _("{value} is outside the limits of question {id} ({low} to {high}).").format(
                    value=value,
                    id=question.id,
                    low=_fmt(question.minimum),
                    high=_fmt(question.maximum),
                ),
                _("Check the reading and type it again."),
            )
        return _fmt(number)
    if question.kind is AnswerKind.CHOICE:
        if question.option(value) is None:
            raise ValidationError(
                _("{value} is not one of the choices of question {id}.").format(value=value, id=question.id),
                _("Pick one of the choices shown."),
            )
        return value
    if not value:
        raise ValidationError(
            _("The answer to question {id} is empty.").format(id=question.id), _("Type the answer.")
        )
    return value


def _fmt(number: float | None) -> str:
    if number is None:
        return "…"
    return str(int(number)) if float(number).is_integer() else repr(number)


def outcome(question: Question, value: str | None) -> Outcome | None:
    """What the stored answer ``value`` means; ``None`` when the question is unanswered."""
    if value is None:
        return None
    if value == NOT_APPLICABLE and question.kind is not AnswerKind.TEXT:
        return Outcome.NOT_APPLICABLE
    if question.kind is AnswerKind.COMPLIANCE:
        return Outcome.FAIL if value == NOT_COMPLIANT else Outcome.PASS
    if question.kind is AnswerKind.NUMBER:
        number = float(value)
        if (question.fail_below is not None and number < question.fail_below) or (
            question.fail_above is not None and number > question.fail_above
        ):
            return Outcome.FAIL
        return Outcome.PASS
    if question.kind is AnswerKind.CHOICE:
        return Outcome.FAIL if value in question.fail_values else Outcome.PASS
    return Outcome.INFO


@dataclass(frozen=True)
class SectionScore:
    section_id: str
    title: str
    earned: float
    possible: float
    answered: int
    total: int
    findings: int

    @property
    def percent(self) -> float | None:
        return None if self.possible == 0 else 100.0 * self.earned / self.possible


@dataclass(frozen=True)
class LevelResult:
    level: int
    threshold: float
    percent: float | None
    critical_failed: tuple[str, ...]
    reached: bool

    @property
    def score_met(self) -> bool:
        return self.percent is None or self.percent >= self.threshold


@dataclass(frozen=True)
class ScoreCard:
    sections: tuple[SectionScore, ...]
    earned: float
    possible: float
    answered: int
    total: int
    findings: int
    levels: tuple[LevelResult, ...]

    @property
    def percent(self) -> float | None:
        return None if self.possible == 0 else 100.0 * self.earned / self.possible

    @property
    def level_reached(self) -> int:
        reached = [r.level for r in self.levels if r.reached]
        return max(reached, default=0)

    @property
    def complete(self) -> bool:
        return self.answered == self.total


def score(template: Template, answers: Mapping[str, str]) -> ScoreCard:
    """Score ``answers`` (question id -> stored value) against ``template``."""
    outcomes = {q.id: outcome(q, answers.get(q.id)) for _s, q in template.questions()}
    sections = []
    for section in template.sections:
        earned = possible = 0.0
        answered = findings = 0
        for q in section.questions:
            result = outcomes[q.id]
            answered += result is not None
            findings += result is Outcome.FAIL
            if not q.scored or result is Outcome.NOT_APPLICABLE:
                continue
            possible += q.weight
            earned += q.weight if result is Outcome.PASS else 0.0
        sections.append(
            SectionScore(
                section.id, section.title.text(), earned, possible, answered, len(section.questions), findings
            )
        )
    levels = []
    previous_reached = True
    for level in LEVELS:
        earned = possible = 0.0
        critical_failed = []
        for _s, q in template.questions():
            if q.level > level:
                continue
            result = outcomes[q.id]
            if q.critical and result not in (Outcome.PASS, Outcome.NOT_APPLICABLE):
                critical_failed.append(q.id)
            if not q.scored or result is Outcome.NOT_APPLICABLE:
                continue
            possible += q.weight
            earned += q.weight if result is Outcome.PASS else 0.0
        percent = None if possible == 0 else 100.0 * earned / possible
        threshold = float(template.thresholds.get(level, 100.0))
        met = percent is None or percent >= threshold
        reached = previous_reached and met and not critical_failed
        levels.append(LevelResult(level, threshold, percent, tuple(critical_failed), reached))
        previous_reached = reached
    return ScoreCard(
        sections=tuple(sections),
        earned=sum(s.earned for s in sections),
        possible=sum(s.possible for s in sections),
        answered=sum(s.answered for s in sections),
        total=sum(s.total for s in sections),
        findings=sum(s.findings for s in sections),
        levels=tuple(levels),
    )


_COMPLIANCE_LABELS = {
    COMPLIANT: N_("Compliant"),
    NOT_COMPLIANT: N_("Not compliant"),
    NOT_APPLICABLE: N_("Not applicable"),
}


def answer_label(question: Question, value: str | None) -> str:
    """How a stored answer reads in the current language (for the window and the report)."""
    if value is None:
        return ""
    if value == NOT_APPLICABLE or question.kind is AnswerKind.COMPLIANCE:
        return _(_COMPLIANCE_LABELS.get(value, value))
    if question.kind is AnswerKind.CHOICE:
        option = question.option(value)
        return option.label.text() if option else value
    if question.kind is AnswerKind.NUMBER and question.unit:
        return f"{value} {question.unit}"
    return value
