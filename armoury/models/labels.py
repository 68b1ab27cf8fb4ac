"""Models of the labels capability: the print log, custom label products, saved corrections and offsets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from armoury.models.base import Base, UTCDateTime, utcnow

LABEL_KIND_LETTERS = ("G", "R", "S", "F", "P", "K")


class LabelPrintJob(Base):
    """One print or PDF of labels: who, when, on which product. Append-only, like every log."""

    __tablename__ = "label_print_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    username: Mapped[str] = mapped_column(String(64))
    product: Mapped[str] = mapped_column(String(64))
    start_position: Mapped[int] = mapped_column(Integer)
    copies: Mapped[int] = mapped_column(Integer)
    label_count: Mapped[int] = mapped_column(Integer)
    destination: Mapped[str] = mapped_column(String(16))

    items: Mapped[list[LabelPrintItem]] = relationship(order_by="LabelPrintItem.id")

    __table_args__ = (
        CheckConstraint("start_position >= 1", name="start_positive"),
        CheckConstraint("copies BETWEEN 1 AND 100", name="copies_range"),
        CheckConstraint("label_count >= 1", name="label_count_positive"),
        CheckConstraint("destination IN ('pdf', 'printer')", name="destination_known"),
    )


class LabelPrintItem(Base):
    """A record whose label was in a print job; ``reprint`` when it had been printed before."""

    __tablename__ = "label_print_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("label_print_jobs.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(1))
    record_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(String(32))
    reprint: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        CheckConstraint("kind IN ('G', 'R', 'S', 'F', 'P', 'K')", name="kind_known"),
        CheckConstraint("record_id >= 1", name="record_positive"),
        Index("ix_label_print_items_kind_record", "kind", "record_id"),
    )


class LabelProductDefinition(Base):
    """A custom sheet product defined in the app (millimetres)."""

    __tablename__ = "label_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    page_width: Mapped[float] = mapped_column(Float)
    page_height: Mapped[float] = mapped_column(Float)
    columns: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    label_width: Mapped[float] = mapped_column(Float)
    label_height: Mapped[float] = mapped_column(Float)
    margin_left: Mapped[float] = mapped_column(Float)
    margin_top: Mapped[float] = mapped_column(Float)
    pitch_x: Mapped[float] = mapped_column(Float)
    pitch_y: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("name <> ''", name="name_not_empty"),
        CheckConstraint("columns BETWEEN 1 AND 50 AND rows BETWEEN 1 AND 100", name="grid_range"),
        CheckConstraint("label_width >= 10 AND label_height >= 10", name="label_size"),
        CheckConstraint("page_width > 0 AND page_height > 0", name="page_size"),
        CheckConstraint("margin_left >= 0 AND margin_top >= 0", name="margins_positive"),
    )


class LabelCorrection(Base):
    """Saved margin and gap corrections for one product (mm)."""

    __tablename__ = "label_corrections"

    product: Mapped[str] = mapped_column(String(64), primary_key=True)
    margin_x: Mapped[float] = mapped_column(Float, default=0.0)
    margin_y: Mapped[float] = mapped_column(Float, default=0.0)
    gap_x: Mapped[float] = mapped_column(Float, default=0.0)
    gap_y: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            "margin_x BETWEEN -10 AND 10 AND margin_y BETWEEN -10 AND 10 "
            "AND gap_x BETWEEN -10 AND 10 AND gap_y BETWEEN -10 AND 10",
            name="range",
        ),
    )


class PrinterCalibration(Base):
    """A printer's calibration offset (mm); printer '' is the default used for PDFs."""

    __tablename__ = "label_printer_calibrations"

    printer: Mapped[str] = mapped_column(String(200), primary_key=True)
    offset_x: Mapped[float] = mapped_column(Float, default=0.0)
    offset_y: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("offset_x BETWEEN -10 AND 10 AND offset_y BETWEEN -10 AND 10", name="range"),
    )
