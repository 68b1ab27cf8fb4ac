"""Tracing requests for recovered and seized weapons (International Tracing Instrument).

A depot that recovers an illicit weapon asks the manufacturing or importing State, INTERPOL iARMS or a UN
panel to trace it, and records the answer. Requests are kept: a weapon with a request cannot be deleted.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from armoury.models.base import Base, UTCDateTime, utcnow


class TracingRequest(Base):
    """One tracing request sent about a weapon, and the answer once it comes."""

    __tablename__ = "tracing_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapons.id", ondelete="RESTRICT"), index=True)
    sent_on: Mapped[date] = mapped_column(Date)
    sent_to: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(80), default="")
    details: Mapped[str] = mapped_column(Text, default="")
    answered_on: Mapped[date | None] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    __table_args__ = (
        CheckConstraint("sent_to <> ''", name="sent_to_not_empty"),
        CheckConstraint("answered_on IS NULL OR answered_on >= sent_on", name="answer_after_request"),
        CheckConstraint("answered_on IS NULL OR answer <> ''", name="answer_not_empty"),
    )
