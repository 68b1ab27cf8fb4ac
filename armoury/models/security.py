"""Login users (separate from the people roster), the facilities they are limited to, and the security
audit trail (append-only, hash-chained; database triggers refuse UPDATE and DELETE on it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from armoury.domain.enums import Role
from armoury.models.base import Base, UTCDateTime, str_enum, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Failed sign-ins counted since ``failures_since`` (the start of the current lockout window).
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    failures_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facilities: Mapped[list[UserFacility]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("username <> ''", name="username_not_empty"),
        CheckConstraint("username = lower(username)", name="username_lowercase"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts_not_negative"),
    )


class UserFacility(Base):
    """Limits a user to some facilities. A user with no rows here may act on every facility."""

    __tablename__ = "user_facilities"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True
    )


class AuditEvent(Base):
    """One entry of the security audit trail.

    Entries are numbered 1, 2, 3, ... without gaps (``id`` is given by armoury.services.audit, not by the
    database) and each carries the hash of the previous one, so an edited, deleted, inserted or reordered
    entry is found by :func:`armoury.services.audit.verify_audit_chain`. There are no foreign keys on
    purpose: the trail records names as they were and must be writable even for an unknown user name.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    witness_user_id: Mapped[int | None] = mapped_column(Integer)
    witness_name: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    facility_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (
        CheckConstraint("id >= 1", name="id_positive"),
        CheckConstraint("action <> ''", name="action_not_empty"),
        CheckConstraint("length(entry_hash) = 64 AND length(prev_hash) = 64", name="hash_lengths"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_action", "action"),
        Index("ix_audit_events_actor_name", "actor_name"),
    )
