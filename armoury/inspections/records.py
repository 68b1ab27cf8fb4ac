"""The plain, frozen records the inspection services return (never ORM objects, never Qt types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from armoury.inspections.enums import ActionStatus, InspectionStatus, Outcome
from armoury.inspections.scoring import ScoreCard
from armoury.inspections.templates import Template


@dataclass(frozen=True)
class InspectionSummary:
    id: int
    facility_id: int
    facility_code: str
    facility_name: str
    area_id: int | None
    area_name: str
    template_id: int
    template_code: str
    template_version: int
    template_title: str
    inspector_id: int
    inspector_name: str
    team: str
    status: InspectionStatus
    started_at: datetime
    signed_at: datetime | None
    score: float | None
    level: int | None

    @property
    def signed(self) -> bool:
        return self.status is InspectionStatus.SIGNED


@dataclass(frozen=True)
class PhotoInfo:
    id: int
    sha256: str
    media_type: str
    filename: str
    size: int


@dataclass(frozen=True)
class RackRef:
    id: int
    code: str
    area_code: str
    weapons: int


@dataclass(frozen=True)
class AreaRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ActionInfo:
    id: int
    inspection_id: int
    facility_id: int
    facility_name: str
    question_id: str
    question_text: str
    what: str
    who: str
    due_on: date
    status: ActionStatus
    closure_evidence: str
    closed_on: date | None

    def overdue(self, today: date) -> bool:
        return self.status is not ActionStatus.CLOSED and self.due_on < today


@dataclass(frozen=True)
class AnswerInfo:
    question_id: str
    value: str | None
    outcome: Outcome | None
    note: str
    answered_at: datetime
    photos: tuple[PhotoInfo, ...] = ()
    racks: tuple[RackRef, ...] = ()
    areas: tuple[AreaRef, ...] = ()
    actions: tuple[ActionInfo, ...] = ()


@dataclass(frozen=True)
class InspectionDetail:
    summary: InspectionSummary
    template: Template
    answers: dict[str, AnswerInfo]
    card: ScoreCard
    missing: tuple[str, ...] = field(default=())  # what still blocks sign-off, already translated

    @property
    def progress(self) -> tuple[int, int]:
        return self.card.answered, self.card.total


@dataclass(frozen=True)
class PreviousFinding:
    inspection_id: int
    signed_at: datetime | None
    question_id: str
    question_text: str
    note: str
    actions: tuple[ActionInfo, ...]

    @property
    def closed(self) -> bool:
        """A previous finding is closed when it had corrective actions and every one is closed."""
        return bool(self.actions) and all(a.status is ActionStatus.CLOSED for a in self.actions)


@dataclass(frozen=True)
class TrendPoint:
    inspection_id: int
    signed_at: datetime
    template_code: str
    score: float
    level: int


@dataclass(frozen=True)
class WeaponRef:
    id: int
    serial: str
    model: str
    rack_code: str
    slot: int | None
