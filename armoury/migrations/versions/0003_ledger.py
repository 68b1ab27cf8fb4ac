"""custody ledger (issue 5)

Revision ID: 0003_ledger
Revises: 0002_security
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import armoury.models.base

revision = "0003_ledger"
down_revision = "0002_security"
branch_labels = None
depends_on = None

# The ledger is append-only: UPDATE and DELETE are refused by the database itself.
LEDGER_TABLES = ("ledger_entries", "ledger_items")

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only: {action} refused'); END"""
    for table in LEDGER_TABLES
    for action in ("UPDATE", "DELETE")
]

PG_FUNCTION = """CREATE OR REPLACE FUNCTION armoury_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the custody ledger is append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql"""

PG_TRIGGERS = [
    f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION armoury_ledger_append_only()"""
    for table in LEDGER_TABLES
] + [
    f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION armoury_ledger_append_only()"""
    for table in LEDGER_TABLES
]


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column(
            "operation",
            sa.Enum(
                "take_on_charge",
                "receive",
                "issue",
                "return",
                "move",
                "transfer_dispatch",
                "transfer_accept",
                "transfer_reject",
                "repair_send",
                "repair_back",
                "condition_change",
                "loss_report",
                "investigation_conclude",
                "recover",
                "register_recovered",
                "destroy",
                "correction",
                name="ledger_operation",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_username", sa.String(length=64), nullable=False),
        sa.Column("witness_ids", sa.String(length=200), nullable=False),
        sa.Column("document_ref", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrects_seq", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "(operation = 'correction') = (corrects_seq IS NOT NULL)",
            name=op.f("ck_ledger_entries_correction_has_target"),
        ),
        sa.CheckConstraint(
            "corrects_seq IS NULL OR corrects_seq < seq", name=op.f("ck_ledger_entries_corrects_earlier")
        ),
        sa.CheckConstraint(
            "length(hash) = 64 AND length(prev_hash) = 64", name=op.f("ck_ledger_entries_hash_length")
        ),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_ledger_entries_seq_positive")),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_ledger_entries_actor_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["corrects_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_ledger_entries_corrects_seq_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_ledger_entries_facility_id_facilities"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("hash", name=op.f("uq_ledger_entries_hash")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_document_ref", ["document_ref"], unique=False)
        batch_op.create_index("ix_ledger_entries_facility_time", ["facility_id", "recorded_at"], unique=False)
        batch_op.create_index("ix_ledger_entries_recorded_at", ["recorded_at"], unique=False)

    op.create_table(
        "custody_loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weapon_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("hand_receipt", sa.String(length=40), nullable=False),
        sa.Column("issue_seq", sa.Integer(), nullable=False),
        sa.Column("issued_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column("due_back", armoury.models.base.UTCDateTime(), nullable=True),
        sa.Column("long_term", sa.Boolean(), nullable=False),
        sa.Column("home_rack_id", sa.Integer(), nullable=True),
        sa.Column("home_slot", sa.Integer(), nullable=True),
        sa.Column("closed_seq", sa.Integer(), nullable=True),
        sa.Column("closed_at", armoury.models.base.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "(closed_seq IS NULL) = (closed_at IS NULL)", name=op.f("ck_custody_loans_closed_together")
        ),
        sa.CheckConstraint(
            "long_term OR due_back IS NOT NULL", name=op.f("ck_custody_loans_due_back_or_long_term")
        ),
        sa.ForeignKeyConstraint(
            ["closed_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_custody_loans_closed_seq_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_custody_loans_facility_id_facilities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["home_rack_id"],
            ["racks.id"],
            name=op.f("fk_custody_loans_home_rack_id_racks"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["issue_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_custody_loans_issue_seq_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_custody_loans_person_id_people"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["weapon_id"],
            ["weapons.id"],
            name=op.f("fk_custody_loans_weapon_id_weapons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_loans")),
    )
    with op.batch_alter_table("custody_loans", schema=None) as batch_op:
        batch_op.create_index("ix_custody_loans_due_back", ["closed_seq", "due_back"], unique=False)
        batch_op.create_index(batch_op.f("ix_custody_loans_hand_receipt"), ["hand_receipt"], unique=False)
        batch_op.create_index(batch_op.f("ix_custody_loans_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_custody_loans_weapon_id", ["weapon_id"], unique=False)
        batch_op.create_index(
            "uq_custody_loans_open_weapon",
            ["weapon_id"],
            unique=True,
            sqlite_where=sa.text("closed_seq IS NULL"),
            postgresql_where=sa.text("closed_seq IS NULL"),
        )

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "lost", "stolen", name="incident_kind", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("circumstances", sa.Text(), nullable=False),
        sa.Column("reported_to", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("report_seq", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "concluded",
                name="investigation_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "conclusion",
            sa.Enum(
                "theft",
                "loss",
                "accounting_error",
                name="conclusion",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("concluded_seq", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(status = 'concluded') = (conclusion IS NOT NULL AND concluded_seq IS NOT NULL)",
            name=op.f("ck_incidents_concluded_has_conclusion"),
        ),
        sa.CheckConstraint("circumstances <> ''", name=op.f("ck_incidents_circumstances_not_empty")),
        sa.ForeignKeyConstraint(
            ["concluded_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_incidents_concluded_seq_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_incidents_facility_id_facilities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["report_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_incidents_report_seq_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("number", name=op.f("uq_incidents_number")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_facility_id"), ["facility_id"], unique=False)

    op.create_table(
        "ledger_items",
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "operation",
            sa.Enum(
                "take_on_charge",
                "receive",
                "issue",
                "return",
                "move",
                "transfer_dispatch",
                "transfer_accept",
                "transfer_reject",
                "repair_send",
                "repair_back",
                "condition_change",
                "loss_report",
                "investigation_conclude",
                "recover",
                "register_recovered",
                "destroy",
                "correction",
                name="item_operation",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("weapon_id", sa.Integer(), nullable=False),
        sa.Column(
            "register",
            sa.Enum(
                "national",
                "contingent",
                "recovered",
                "evidence",
                name="item_register",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("from_facility_id", sa.Integer(), nullable=True),
        sa.Column("to_facility_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_whereabouts",
            sa.Enum(
                "in_store",
                "issued",
                "in_transit",
                "at_repair",
                "lost",
                "stolen",
                "destroyed",
                "transferred_out",
                name="from_whereabouts",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_whereabouts",
            sa.Enum(
                "in_store",
                "issued",
                "in_transit",
                "at_repair",
                "lost",
                "stolen",
                "destroyed",
                "transferred_out",
                name="to_whereabouts",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("from_rack_id", sa.Integer(), nullable=True),
        sa.Column("to_rack_id", sa.Integer(), nullable=True),
        sa.Column("from_slot", sa.Integer(), nullable=True),
        sa.Column("to_slot", sa.Integer(), nullable=True),
        sa.Column("from_holder_id", sa.Integer(), nullable=True),
        sa.Column("to_holder_id", sa.Integer(), nullable=True),
        sa.Column(
            "from_condition",
            sa.Enum(
                "serviceable",
                "unserviceable",
                "awaiting_repair",
                "quarantined",
                "for_disposal",
                name="from_condition",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_condition",
            sa.Enum(
                "serviceable",
                "unserviceable",
                "awaiting_repair",
                "quarantined",
                "for_disposal",
                name="to_condition",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "to_whereabouts <> 'in_store' OR to_rack_id IS NOT NULL",
            name=op.f("ck_ledger_items_in_store_on_rack"),
        ),
        sa.CheckConstraint(
            "to_whereabouts <> 'issued' OR to_holder_id IS NOT NULL",
            name=op.f("ck_ledger_items_issued_has_holder"),
        ),
        sa.CheckConstraint("line >= 1", name=op.f("ck_ledger_items_line_positive")),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_ledger_items_entry_seq_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["from_facility_id"],
            ["facilities.id"],
            name=op.f("fk_ledger_items_from_facility_id_facilities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["from_holder_id"],
            ["people.id"],
            name=op.f("fk_ledger_items_from_holder_id_people"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["from_rack_id"],
            ["racks.id"],
            name=op.f("fk_ledger_items_from_rack_id_racks"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["to_facility_id"],
            ["facilities.id"],
            name=op.f("fk_ledger_items_to_facility_id_facilities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["to_holder_id"],
            ["people.id"],
            name=op.f("fk_ledger_items_to_holder_id_people"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["to_rack_id"], ["racks.id"], name=op.f("fk_ledger_items_to_rack_id_racks"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["weapon_id"], ["weapons.id"], name=op.f("fk_ledger_items_weapon_id_weapons"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("entry_seq", "line", name=op.f("pk_ledger_items")),
        sa.UniqueConstraint("entry_seq", "weapon_id", name=op.f("uq_ledger_items_entry_seq_weapon_id")),
    )
    with op.batch_alter_table("ledger_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_items_from_facility_op", ["from_facility_id", "operation", "entry_seq"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_items_to_facility_op", ["to_facility_id", "operation", "entry_seq"], unique=False
        )
        batch_op.create_index("ix_ledger_items_weapon_seq", ["weapon_id", "entry_seq"], unique=False)

    op.create_table(
        "transfer_vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("from_facility_id", sa.Integer(), nullable=False),
        sa.Column("to_facility_id", sa.Integer(), nullable=False),
        sa.Column("dispatch_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "in_transit",
                "closed",
                name="voucher_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "from_facility_id <> to_facility_id", name=op.f("ck_transfer_vouchers_different_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["dispatch_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_transfer_vouchers_dispatch_seq_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["from_facility_id"],
            ["facilities.id"],
            name=op.f("fk_transfer_vouchers_from_facility_id_facilities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["to_facility_id"],
            ["facilities.id"],
            name=op.f("fk_transfer_vouchers_to_facility_id_facilities"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_vouchers")),
        sa.UniqueConstraint("number", name=op.f("uq_transfer_vouchers_number")),
    )
    op.create_table(
        "incident_weapons",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("weapon_id", sa.Integer(), nullable=False),
        sa.Column("recovered_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_weapons_incident_id_incidents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recovered_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_incident_weapons_recovered_seq_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["weapon_id"],
            ["weapons.id"],
            name=op.f("fk_incident_weapons_weapon_id_weapons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("incident_id", "weapon_id", name=op.f("pk_incident_weapons")),
    )
    with op.batch_alter_table("incident_weapons", schema=None) as batch_op:
        batch_op.create_index("ix_incident_weapons_weapon_id", ["weapon_id"], unique=False)

    op.create_table(
        "transfer_voucher_lines",
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("weapon_id", sa.Integer(), nullable=False),
        sa.Column("home_rack_id", sa.Integer(), nullable=True),
        sa.Column("home_slot", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "in_transit",
                "accepted",
                "rejected",
                name="voucher_line_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("settled_seq", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(status = 'in_transit') = (settled_seq IS NULL)",
            name=op.f("ck_transfer_voucher_lines_settled_when_closed"),
        ),
        sa.ForeignKeyConstraint(
            ["home_rack_id"],
            ["racks.id"],
            name=op.f("fk_transfer_voucher_lines_home_rack_id_racks"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["settled_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_transfer_voucher_lines_settled_seq_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["transfer_vouchers.id"],
            name=op.f("fk_transfer_voucher_lines_voucher_id_transfer_vouchers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["weapon_id"],
            ["weapons.id"],
            name=op.f("fk_transfer_voucher_lines_weapon_id_weapons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("voucher_id", "weapon_id", name=op.f("pk_transfer_voucher_lines")),
    )
    with op.batch_alter_table("transfer_voucher_lines", schema=None) as batch_op:
        batch_op.create_index(
            "uq_transfer_voucher_lines_open_weapon",
            ["weapon_id"],
            unique=True,
            sqlite_where=sa.text("status = 'in_transit'"),
            postgresql_where=sa.text("status = 'in_transit'"),
        )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in LEDGER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS armoury_ledger_append_only()")
    else:
        for table in LEDGER_TABLES:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    for table in (
        "transfer_voucher_lines",
        "incident_weapons",
        "transfer_vouchers",
        "ledger_items",
        "incidents",
        "custody_loans",
        "ledger_entries",
    ):
        op.drop_table(table)
