"""The custody ledger and the open records that hang off it.

``ledger_entries`` and ``ledger_items`` are append-only (database triggers refuse UPDATE and DELETE) and
chained by SHA-256 (see :mod:`armoury.services.ledger`). Every change of a weapon's whereabouts, rack,
holder, condition or facility is one item row recording the state before (``from_*``) and after (``to_*``),
so the monthly stock return and every weapon's history can be computed from the ledger alone.

The other tables are *working* records that change as business goes on (a hand-receipt line is closed when
the weapon comes back, a transfer voucher is accepted, an investigation is concluded); each change of them
happens in the same transaction as the ledger entry that explains it, and points at that entry.
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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from armoury.domain.enums import TERMINAL_WHEREABOUTS, Condition, LabelledEnum, Register, Whereabouts
from armoury.i18n import N_
from armoury.models.base import Base, UTCDateTime, str_enum, utcnow


class LedgerOperation(LabelledEnum):
    """What a ledger entry records. The value is stored and hashed: never rename one."""

    TAKE_ON_CHARGE = "take_on_charge", N_("Taken on charge")
    RECEIVE = "receive", N_("Received")
    ISSUE = "issue", N_("Issued")
    RETURN = "return", N_("Returned")
    MOVE = "move", N_("Moved")
    TRANSFER_DISPATCH = "transfer_dispatch", N_("Dispatched on transfer")
    TRANSFER_ACCEPT = "transfer_accept", N_("Transfer accepted")
    TRANSFER_REJECT = "transfer_reject", N_("Transfer rejected")
    REPAIR_SEND = "repair_send", N_("Sent to repair")
    REPAIR_BACK = "repair_back", N_("Back from repair")
    CONDITION_CHANGE = "condition_change", N_("Condition changed")
    LOSS_REPORT = "loss_report", N_("Reported lost or stolen")
    INVESTIGATION_CONCLUDE = "investigation_conclude", N_("Investigation concluded")
    RECOVER = "recover", N_("Recovered")
    REGISTER_RECOVERED = "register_recovered", N_("Registered as recovered / seized")
    DESTROY = "destroy", N_("Destroyed")
    CORRECTION = "correction", N_("Correction")


class IncidentKind(LabelledEnum):
    LOST = "lost", N_("Lost")
    STOLEN = "stolen", N_("Stolen")


class InvestigationStatus(LabelledEnum):
    OPEN = "open", N_("Open")
    CONCLUDED = "concluded", N_("Concluded")


class Conclusion(LabelledEnum):
    THEFT = "theft", N_("Theft")
    LOSS = "loss", N_("Loss")
    ACCOUNTING_ERROR = "accounting_error", N_("Accounting error")


class VoucherStatus(LabelledEnum):
    IN_TRANSIT = "in_transit", N_("In transit")
    CLOSED = "closed", N_("Closed")


class VoucherLineStatus(LabelledEnum):
    IN_TRANSIT = "in_transit", N_("In transit")
    ACCEPTED = "accepted", N_("Accepted")
    REJECTED = "rejected", N_("Rejected")


GENESIS_HASH = "0" * 64

#: The operations that can count in a movement column of the monthly stock return.
BOOKS_MOVEMENT_OPERATIONS = ("take_on_charge", "receive", "recover", "register_recovered", "transfer_accept",
                             "loss_report", "destroy")  # fmt: skip
#: The whereabouts of a weapon on its facility's books: every one but the terminal ones.
ON_BOOKS_WHEREABOUTS = tuple(w.value for w in Whereabouts if w not in TERMINAL_WHEREABOUTS)


def sql_list(values: tuple[str, ...]) -> str:
    """``values`` as the inside of an SQL ``IN (...)``: quoted literals (enum values, never user text)."""
    return ", ".join(f"'{value}'" for value in values)


#: An item that may change a facility's balance in the monthly stock return: an operation that counts as a
#: movement, an item that enters the books or changes facility, or one whose whereabouts goes on or off
#: the books. Every other item (an issue, a return, a move, a repair...) leaves its weapon on the books of
#: the same facility. The partial index below holds only these items (a few in a hundred), so the return
#: reads them, not the whole month; its query repeats this text (with ``i.`` before the columns) so that
#: both SQLite and PostgreSQL can use the index. Migration 0009 holds a frozen copy (a test compares them).
BOOKS_CHANGE_WHERE = (
    f"{{p}}operation IN ({sql_list(BOOKS_MOVEMENT_OPERATIONS)}) "
    "OR {p}from_facility_id IS NULL OR {p}from_facility_id <> {p}to_facility_id "
    f"OR CASE WHEN {{p}}from_whereabouts IN ({sql_list(ON_BOOKS_WHEREABOUTS)}) THEN 1 ELSE 0 END "
    f"<> CASE WHEN {{p}}to_whereabouts IN ({sql_list(ON_BOOKS_WHEREABOUTS)}) THEN 1 ELSE 0 END"
)


class LedgerEntry(Base):
    """One operation: who did it, who witnessed it, under which document, chained to the entry before."""

    __tablename__ = "ledger_entries"

    # Gapless: the next entry is max(seq) + 1, taken under the ledger's write lock.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    operation: Mapped[LedgerOperation] = mapped_column(str_enum(LedgerOperation, "ledger_operation"))
    # The facility whose books the operation is recorded in (the sender's for a transfer).
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    actor_username: Mapped[str] = mapped_column(String(64))
    # Canonical JSON list of the witnesses' user ids, e.g. "[3]" ("[]" when none).
    witness_ids: Mapped[str] = mapped_column(String(200), default="[]")
    # Hand receipt, transfer voucher, destruction certificate, incident number, supplier voucher...
    document_ref: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    corrects_seq: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.seq", ondelete="RESTRICT"))
    # Canonical JSON object with the operation's own details (incident, destruction method, source...).
    payload: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint("length(hash) = 64 AND length(prev_hash) = 64", name="hash_length"),
        CheckConstraint(
            "(operation = 'correction') = (corrects_seq IS NOT NULL)", name="correction_has_target"
        ),
        CheckConstraint("corrects_seq IS NULL OR corrects_seq < seq", name="corrects_earlier"),
        Index("ix_ledger_entries_facility_time", "facility_id", "recorded_at"),
        Index("ix_ledger_entries_recorded_at", "recorded_at"),
        Index("ix_ledger_entries_document_ref", "document_ref"),
    )


class LedgerItem(Base):
    """One weapon's change in an entry: its state before (``from_*``, NULL when it enters the books) and
    after (``to_*``). ``operation`` repeats the entry's, so counts per operation need no join."""

    __tablename__ = "ledger_items"

    entry_seq: Mapped[int] = mapped_column(
        ForeignKey("ledger_entries.seq", ondelete="RESTRICT"), primary_key=True
    )
    line: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    operation: Mapped[LedgerOperation] = mapped_column(str_enum(LedgerOperation, "item_operation"))
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapons.id", ondelete="RESTRICT"))
    register: Mapped[Register] = mapped_column(str_enum(Register, "item_register"))
    from_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"))
    to_facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"))
    from_whereabouts: Mapped[Whereabouts | None] = mapped_column(str_enum(Whereabouts, "from_whereabouts"))
    to_whereabouts: Mapped[Whereabouts] = mapped_column(str_enum(Whereabouts, "to_whereabouts"))
    from_rack_id: Mapped[int | None] = mapped_column(ForeignKey("racks.id", ondelete="RESTRICT"))
    to_rack_id: Mapped[int | None] = mapped_column(ForeignKey("racks.id", ondelete="RESTRICT"))
    from_slot: Mapped[int | None] = mapped_column(Integer)
    to_slot: Mapped[int | None] = mapped_column(Integer)
    from_holder_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    to_holder_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    from_condition: Mapped[Condition | None] = mapped_column(str_enum(Condition, "from_condition"))
    to_condition: Mapped[Condition] = mapped_column(str_enum(Condition, "to_condition"))

    __table_args__ = (
        CheckConstraint("line >= 1", name="line_positive"),
        UniqueConstraint("entry_seq", "weapon_id"),
        CheckConstraint("to_whereabouts <> 'issued' OR to_holder_id IS NOT NULL", name="issued_has_holder"),
        CheckConstraint("to_whereabouts <> 'in_store' OR to_rack_id IS NOT NULL", name="in_store_on_rack"),
        # A weapon's history, and the replay, in ledger order.
        Index("ix_ledger_items_weapon_seq", "weapon_id", "entry_seq"),
        # The monthly stock return: movements per facility and operation.
        Index("ix_ledger_items_to_facility_op", "to_facility_id", "operation", "entry_seq"),
        Index("ix_ledger_items_from_facility_op", "from_facility_id", "operation", "entry_seq"),
        Index(
            "ix_ledger_items_books_changes",
            "entry_seq",
            sqlite_where=text(BOOKS_CHANGE_WHERE.format(p="")),
            postgresql_where=text(BOOKS_CHANGE_WHERE.format(p="")),
        ),
    )


class CustodyLoan(Base):
    """A hand-receipt line: one weapon issued to one person, open until it comes back (or is lost)."""

    __tablename__ = "custody_loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapons.id", ondelete="RESTRICT"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"))
    hand_receipt: Mapped[str] = mapped_column(String(40), index=True)
    issue_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq", ondelete="RESTRICT"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_back: Mapped[datetime | None] = mapped_column(UTCDateTime)
    long_term: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where it came from, so the return screen can suggest its rack.
    home_rack_id: Mapped[int | None] = mapped_column(ForeignKey("racks.id", ondelete="RESTRICT"))
    home_slot: Mapped[int | None] = mapped_column(Integer)
    closed_seq: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.seq", ondelete="RESTRICT"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("long_term OR due_back IS NOT NULL", name="due_back_or_long_term"),
        CheckConstraint("(closed_seq IS NULL) = (closed_at IS NULL)", name="closed_together"),
        # Two workstations can never both hold a weapon open on a hand receipt.
        Index(
            "uq_custody_loans_open_weapon",
            "weapon_id",
            unique=True,
            sqlite_where=text("closed_seq IS NULL"),
            postgresql_where=text("closed_seq IS NULL"),
        ),
        Index("ix_custody_loans_weapon_id", "weapon_id"),
        Index("ix_custody_loans_due_back", "closed_seq", "due_back"),
    )


class TransferVoucher(Base):
    """Weapons on their way from one facility to another until the receiving side accepts or rejects."""

    __tablename__ = "transfer_vouchers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    from_facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"))
    to_facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"))
    dispatch_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[VoucherStatus] = mapped_column(
        str_enum(VoucherStatus, "voucher_status"), default=VoucherStatus.IN_TRANSIT
    )

    __table_args__ = (CheckConstraint("from_facility_id <> to_facility_id", name="different_facilities"),)


class TransferVoucherLine(Base):
    __tablename__ = "transfer_voucher_lines"

    voucher_id: Mapped[int] = mapped_column(
        ForeignKey("transfer_vouchers.id", ondelete="RESTRICT"), primary_key=True
    )
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapons.id", ondelete="RESTRICT"), primary_key=True)
    home_rack_id: Mapped[int | None] = mapped_column(ForeignKey("racks.id", ondelete="RESTRICT"))
    home_slot: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[VoucherLineStatus] = mapped_column(
        str_enum(VoucherLineStatus, "voucher_line_status"), default=VoucherLineStatus.IN_TRANSIT
    )
    settled_seq: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.seq", ondelete="RESTRICT"))

    __table_args__ = (
        CheckConstraint("(status = 'in_transit') = (settled_seq IS NULL)", name="settled_when_closed"),
        Index(
            "uq_transfer_voucher_lines_open_weapon",
            "weapon_id",
            unique=True,
            sqlite_where=text("status = 'in_transit'"),
            postgresql_where=text("status = 'in_transit'"),
        ),
    )


class Incident(Base):
    """A loss or theft report and its investigation, open until a commander concludes it."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[IncidentKind] = mapped_column(str_enum(IncidentKind, "incident_kind"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    circumstances: Mapped[str] = mapped_column(Text)
    reported_to: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(80), default="")
    report_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq", ondelete="RESTRICT"))
    status: Mapped[InvestigationStatus] = mapped_column(
        str_enum(InvestigationStatus, "investigation_status"), default=InvestigationStatus.OPEN
    )
    conclusion: Mapped[Conclusion | None] = mapped_column(str_enum(Conclusion, "conclusion"))
    findings: Mapped[str] = mapped_column(Text, default="")
    concluded_seq: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.seq", ondelete="RESTRICT"))

    __table_args__ = (
        CheckConstraint("circumstances <> ''", name="circumstances_not_empty"),
        CheckConstraint(
            "(status = 'concluded') = (conclusion IS NOT NULL AND concluded_seq IS NOT NULL)",
            name="concluded_has_conclusion",
        ),
    )


class IncidentWeapon(Base):
    __tablename__ = "incident_weapons"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), primary_key=True
    )
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapons.id", ondelete="RESTRICT"), primary_key=True)
    recovered_seq: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.seq", ondelete="RESTRICT"))

    __table_args__ = (Index("ix_incident_weapons_weapon_id", "weapon_id"),)
