"""Counts (stocktakes): count types, planned counts, the books snapshotted at start, every scan, and the
resolution of every difference.

* ``count_types`` is data seeded by migration 0005; a depot edits the frequencies.
* ``count_expected`` is the books at the start of a count (one row per weapon in scope and where it should
  be); it never changes afterwards.
* ``count_scans`` is append-only: one committed row per scan (triggers refuse UPDATE and DELETE, and refuse a
  new scan once counting has finished).
* A closed count is immutable (a trigger refuses UPDATE of a closed ``counts`` row) and carries the ledger
  checkpoint ``SEQ:HASH`` at close.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from armoury.domain.enums import LabelledEnum
from armoury.i18n import N_
from armoury.models.base import Base, UTCDateTime, str_enum, utcnow


class CountStatus(LabelledEnum):
    COUNTING = "counting", N_("Counting")
    RECONCILING = "reconciling", N_("Reconciling")
    CLOSED = "closed", N_("Closed")


class SampleUnit(LabelledEnum):
    WEAPONS = "weapons", N_("Weapons")
    RACKS = "racks", N_("Racks")


class ScanKind(LabelledEnum):
    """What a scanned text turned out to be."""

    RACK = "rack", N_("Rack")
    PERSON = "person", N_("Person")
    WEAPON = "weapon", N_("Weapon")
    UNKNOWN = "unknown", N_("Unknown serial")
    FOREIGN = "foreign", N_("Foreign label")
    UNREADABLE = "unreadable", N_("Unreadable label")
    REFUSED = "refused", N_("Refused")


class ScanMethod(LabelledEnum):
    SCAN = "scan", N_("Scanned")
    TICK = "tick", N_("Ticked on the list")
    SEEN_WITH_HOLDER = "seen_with_holder", N_("Seen with holder")


class ResolutionAction(LabelledEnum):
    MOVED = "moved", N_("Moved to where it was found")
    RETURNED = "returned", N_("Returned to store where it was found")
    LOSS_REPORTED = "loss_reported", N_("Loss report opened")
    RECOVERED = "recovered", N_("Recovery registered")
    LEFT_OPEN = "left_open", N_("Left open")


class CountType(Base):
    """A kind of count and how often a depot does it (``frequency_days`` NULL: only on an event)."""

    __tablename__ = "count_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    frequency_days: Mapped[int | None] = mapped_column(Integer)
    # The counter must not be one of the facility's storekeepers.
    independent_counter: Mapped[bool] = mapped_column(Boolean, default=False)
    sampled: Mapped[bool] = mapped_column(Boolean, default=False)
    sample_percent: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        CheckConstraint("code <> '' AND name <> ''", name="names_not_empty"),
        CheckConstraint(
            "frequency_days IS NULL OR frequency_days BETWEEN 1 AND 3660", name="frequency_range"
        ),
        CheckConstraint("sample_percent IS NULL OR sample_percent BETWEEN 1 AND 100", name="percent_range"),
        CheckConstraint("NOT sampled OR sample_percent IS NOT NULL", name="sampled_has_percent"),
    )


class Count(Base):
    """One count of one facility: its scope, its counters, and its state (counting → reconciling → closed)."""

    __tablename__ = "counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"), index=True)
    count_type_id: Mapped[int] = mapped_column(ForeignKey("count_types.id", ondelete="RESTRICT"))
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[CountStatus] = mapped_column(
        str_enum(CountStatus, "count_status"), default=CountStatus.COUNTING
    )
    # Canonical JSON lists describing the scope as planned (codes of areas, categories, registers).
    scope: Mapped[str] = mapped_column(Text, default="{}")
    sample_percent: Mapped[int | None] = mapped_column(Integer)
    sample_unit: Mapped[SampleUnit | None] = mapped_column(str_enum(SampleUnit, "sample_unit"))
    sample_seed: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The last ledger entry when the books were snapshotted (NULL: the ledger was empty).
    start_seq: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    close_checkpoint: Mapped[str | None] = mapped_column(String(80))

    __table_args__ = (
        CheckConstraint("number <> ''", name="number_not_empty"),
        CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL AND close_checkpoint IS NOT NULL)",
            name="closed_has_checkpoint",
        ),
        CheckConstraint("status = 'counting' OR finished_at IS NOT NULL", name="finished_has_time"),
        CheckConstraint(
            "(sample_percent IS NULL) = (sample_unit IS NULL) AND (sample_percent IS NULL) = (sample_seed IS NULL)",
            name="sample_complete",
        ),
        CheckConstraint("sample_percent IS NULL OR sample_percent BETWEEN 1 AND 100", name="percent_range"),
        Index("ix_counts_facility_type_status", "facility_id", "count_type_id", "status"),
    )


class CountCounter(Base):
    """A user who counts in a count."""

    __tablename__ = "count_counters"

    count_id: Mapped[int] = mapped_column(ForeignKey("counts.id", ondelete="RESTRICT"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True)


class CountRack(Base):
    """A rack in the scope of a count (the racks whose labels may be scanned)."""

    __tablename__ = "count_racks"

    count_id: Mapped[int] = mapped_column(ForeignKey("counts.id", ondelete="RESTRICT"), primary_key=True)
    rack_id: Mapped[int] = mapped_column(ForeignKey("racks.id", ondelete="RESTRICT"), primary_key=True)


class CountExpected(Base):
    """The books at the start: a weapon in scope and where it should be (a rack and slot, or a holder)."""

    __tablename__ = "count_expected"

    count_id: Mapped[int] = mapped_column(ForeignKey("counts.id", ondelete="RESTRICT"), primary_key=True)
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapons.id", ondelete="RESTRICT"), primary_key=True)
    rack_id: Mapped[int | None] = mapped_column(ForeignKey("racks.id", ondelete="RESTRICT"))
    slot: Mapped[int | None] = mapped_column(Integer)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))

    __table_args__ = (
        CheckConstraint("(rack_id IS NULL) <> (holder_id IS NULL)", name="one_place"),
        CheckConstraint("slot IS NULL OR rack_id IS NOT NULL", name="slot_needs_rack"),
    )


class CountScan(Base):
    """One scan (or tick) by one counter, committed the moment it is made. Append-only.

    ``place_*`` is where the counter was (the last rack or person label scanned) when a weapon was scanned.
    Only a weapon's first scan in a count has ``duplicate`` false (a partial unique index keeps it so, even
    with two counters scanning the same weapon at the same instant).
    """

    __tablename__ = "count_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("counts.id", ondelete="RESTRICT"))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ScanKind] = mapped_column(str_enum(ScanKind, "scan_kind"))
    method: Mapped[ScanMethod] = mapped_column(str_enum(ScanMethod, "scan_method"), default=ScanMethod.SCAN)
    weapon_id: Mapped[int | None] = mapped_column(ForeignKey("weapons.id", ondelete="RESTRICT"))
    rack_id: Mapped[int | None] = mapped_column(ForeignKey("racks.id", ondelete="RESTRICT"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        CheckConstraint("kind <> 'weapon' OR weapon_id IS NOT NULL", name="weapon_scan_has_weapon"),
        CheckConstraint("kind <> 'rack' OR rack_id IS NOT NULL", name="rack_scan_has_rack"),
        CheckConstraint("kind <> 'person' OR person_id IS NOT NULL", name="person_scan_has_person"),
        CheckConstraint("NOT duplicate OR weapon_id IS NOT NULL", name="duplicate_of_weapon"),
        Index("ix_count_scans_count_id", "count_id", "id"),
        Index(
            "uq_count_scans_first",
            "count_id",
            "weapon_id",
            unique=True,
            sqlite_where=sql_text("weapon_id IS NOT NULL AND NOT duplicate"),
            postgresql_where=sql_text("weapon_id IS NOT NULL AND NOT duplicate"),
        ),
    )


class CountResolution(Base):
    """How a difference was settled: by a ledger entry (``ledger_seq``) or left open with a reason."""

    __tablename__ = "count_resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("counts.id", ondelete="RESTRICT"))
    # The weapon concerned; NULL for a serial that is on no record (then ``scan_id`` names the scan).
    weapon_id: Mapped[int | None] = mapped_column(ForeignKey("weapons.id", ondelete="RESTRICT"))
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("count_scans.id", ondelete="RESTRICT"))
    result: Mapped[str] = mapped_column(String(24))
    action: Mapped[ResolutionAction] = mapped_column(str_enum(ResolutionAction, "resolution_action"))
    ledger_seq: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.seq", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("(weapon_id IS NULL) <> (scan_id IS NULL)", name="one_subject"),
        CheckConstraint("action <> 'left_open' OR reason <> ''", name="left_open_has_reason"),
        CheckConstraint("action = 'left_open' OR ledger_seq IS NOT NULL", name="resolved_has_entry"),
        UniqueConstraint("count_id", "weapon_id"),
        UniqueConstraint("count_id", "scan_id"),
    )
