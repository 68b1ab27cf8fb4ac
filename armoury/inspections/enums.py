"""Closed lists of the inspections capability."""

from __future__ import annotations

from armoury.domain.enums import LabelledEnum
from armoury.i18n import N_


class InspectionStatus(LabelledEnum):
    IN_PROGRESS = "in_progress", N_("In progress")
    SIGNED = "signed", N_("Signed")


class Outcome(LabelledEnum):
    """What an answer means for the score."""

    PASS = "pass", N_("Satisfied")
    FAIL = "fail", N_("Finding")
    NOT_APPLICABLE = "not_applicable", N_("Not applicable")
    INFO = "info", N_("Recorded")  # text answers: kept, never scored


class ActionStatus(LabelledEnum):
    OPEN = "open", N_("Open")
    IN_PROGRESS = "in_progress", N_("In progress")
    CLOSED = "closed", N_("Closed")


class AnswerKind(LabelledEnum):
    COMPLIANCE = "compliance", N_("Compliant / not compliant / not applicable")
    NUMBER = "number", N_("Number")
    CHOICE = "choice", N_("Choice")
    TEXT = "text", N_("Text")


# The values a compliance answer takes, and the key that gives each in the inspection form.
COMPLIANT = "compliant"
NOT_COMPLIANT = "not_compliant"
NOT_APPLICABLE = "not_applicable"
