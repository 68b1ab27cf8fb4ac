"""PSSM inspections: checklist templates (versioned), inspections, answers, photos, corrective actions.

A template row is one version of a checklist; its questions live in ``content`` (the JSON format of
armoury.inspections.templates). An inspection keeps the id of the version it was made with, so editing a
template never changes a past inspection. A signed inspection is immutable: the services refuse changes and
database triggers refuse them too (migration 0006).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from armoury.inspections.enums import ActionStatus, InspectionStatus, Outcome
from armoury.models.base import Base, UTCDateTime, str_enum, utcnow


class ChecklistTemplate(Base):
    """One version of a checklist template."""

    __tablename__ = "checklist_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("code <> ''", name="code_not_empty"),
        CheckConstraint("length(content_sha256) = 64", name="sha256_length"),
    )


class Inspection(Base):
    """One visit of a facility (optionally one storage area) against one template version."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"))
    area_id: Mapped[int | None] = mapped_column(Integer)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_templates.id", ondelete="RESTRICT"), index=True
    )
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    team: Mapped[str] = mapped_column(String(400), default="")
    status: Mapped[InspectionStatus] = mapped_column(
        str_enum(InspectionStatus, "inspection_status"), default=InspectionStatus.IN_PROGRESS
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    level: Mapped[int | None] = mapped_column(Integer)
    remarks: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        ForeignKeyConstraint(
            ["area_id", "facility_id"],
            ["storage_areas.id", "storage_areas.facility_id"],
            name="fk_inspections_area_facility",
            ondelete="RESTRICT",
        ),
        CheckConstraint("(status = 'signed') = (signed_at IS NOT NULL)", name="signed_has_time"),
        CheckConstraint(
            "status <> 'signed' OR (score IS NOT NULL AND level IS NOT NULL)", name="signed_scored"
        ),
        CheckConstraint("level IS NULL OR level BETWEEN 0 AND 3", name="level_range"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        Index("ix_inspections_facility_started", "facility_id", "started_at"),
    )


class InspectionAnswer(Base):
    """The answer to one question of an inspection; saved as soon as it is given."""

    __tablename__ = "inspection_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="RESTRICT"))
    question_id: Mapped[str] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome, "answer_outcome"))
    note: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    __table_args__ = (
        UniqueConstraint("inspection_id", "question_id"),
        CheckConstraint("(value IS NULL) = (outcome IS NULL)", name="value_has_outcome"),
    )


class InspectionAnswerRack(Base):
    """A rack an answer points to (for a failed "racks secured" answer: the racks concerned)."""

    __tablename__ = "inspection_answer_racks"

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_answers.id", ondelete="RESTRICT"), primary_key=True
    )
    rack_id: Mapped[int] = mapped_column(ForeignKey("racks.id", ondelete="RESTRICT"), primary_key=True)


class InspectionAnswerArea(Base):
    """A storage area an answer points to."""

    __tablename__ = "inspection_answer_areas"

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_answers.id", ondelete="RESTRICT"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(
        ForeignKey("storage_areas.id", ondelete="RESTRICT"), primary_key=True
    )


class InspectionPhoto(Base):
    """A photo attached to an answer, identified by the SHA-256 of its bytes."""

    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_answers.id", ondelete="RESTRICT"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("answer_id", "sha256"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )


class CorrectiveAction(Base):
    """What must be done about a finding, by whom and when; closed with evidence."""

    __tablename__ = "corrective_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="RESTRICT"))
    answer_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_answers.id", ondelete="RESTRICT"), index=True
    )
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"))
    what: Mapped[str] = mapped_column(Text)
    who: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(
        str_enum(ActionStatus, "action_status"), default=ActionStatus.OPEN
    )
    closure_evidence: Mapped[str] = mapped_column(Text, default="")
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    __table_args__ = (
        CheckConstraint("what <> '' AND who <> ''", name="what_who_not_empty"),
        CheckConstraint(
            "(status = 'closed') = (closed_on IS NOT NULL) AND (status <> 'closed' OR closure_evidence <> '')",
            name="closed_has_evidence",
        ),
        Index("ix_corrective_actions_status_due", "status", "due_on"),
        Index("ix_corrective_actions_inspection_id", "inspection_id"),
    )
