"""counts / stocktakes (issue 7)

Revision ID: 0005_counts
Revises: 0004_labels
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import armoury.models.base

revision = "0005_counts"
down_revision = "0004_labels"
branch_labels = None
depends_on = None

# The default count types (a depot edits the frequencies; codes are used by the program and the CLI).
# (code, name, frequency_days or None for "on an event only", independent counter, sampled, percent)
COUNT_TYPES = [
    ("opening", "Opening count of the armoury", None, False, False, None),
    ("closing", "Closing count of the armoury", None, False, False, None),
    ("key_change", "Count on change of key custody", None, False, False, None),
    ("monthly", "Monthly full serial-number count", 30, True, False, None),
    ("sample", "Random sample count", 30, False, True, 8),
    ("annual", "Annual 100 % count", 365, True, False, None),
]

# Scans are append-only and refused once counting has finished; a closed count cannot change.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER count_scans_no_update BEFORE UPDATE ON count_scans
BEGIN SELECT RAISE(ABORT, 'count scans are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER count_scans_no_delete BEFORE DELETE ON count_scans
BEGIN SELECT RAISE(ABORT, 'count scans are append-only: DELETE refused'); END""",
    """CREATE TRIGGER count_scans_only_while_counting BEFORE INSERT ON count_scans
WHEN (SELECT status FROM counts WHERE id = NEW.count_id) <> 'counting'
BEGIN SELECT RAISE(ABORT, 'this count is no longer counting: scan refused'); END""",
    """CREATE TRIGGER counts_closed_no_update BEFORE UPDATE ON counts WHEN OLD.status = 'closed'
BEGIN SELECT RAISE(ABORT, 'a closed count cannot be changed'); END""",
    """CREATE TRIGGER counts_closed_no_delete BEFORE DELETE ON counts WHEN OLD.status = 'closed'
BEGIN SELECT RAISE(ABORT, 'a closed count cannot be deleted'); END""",
    """CREATE TRIGGER count_resolutions_closed BEFORE INSERT ON count_resolutions
WHEN (SELECT status FROM counts WHERE id = NEW.count_id) = 'closed'
BEGIN SELECT RAISE(ABORT, 'a closed count cannot be changed'); END""",
]
SQLITE_TRIGGER_NAMES = [
    "count_scans_no_update",
    "count_scans_no_delete",
    "count_scans_only_while_counting",
    "counts_closed_no_update",
    "counts_closed_no_delete",
    "count_resolutions_closed",
]

PG_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION armoury_count_scans_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'count scans are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (SELECT status FROM counts WHERE id = NEW.count_id) <> 'counting' THEN
        RAISE EXCEPTION 'this count is no longer counting: scan refused' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION armoury_counts_closed_guard() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'a closed count cannot be changed' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION armoury_count_resolutions_guard() RETURNS trigger AS $$
BEGIN
    IF (SELECT status FROM counts WHERE id = NEW.count_id) = 'closed' THEN
        RAISE EXCEPTION 'a closed count cannot be changed' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql""",
]
PG_TRIGGERS = [
    """CREATE TRIGGER count_scans_guard BEFORE INSERT OR UPDATE OR DELETE ON count_scans
FOR EACH ROW EXECUTE FUNCTION armoury_count_scans_guard()""",
    """CREATE TRIGGER counts_closed_guard BEFORE UPDATE OR DELETE ON counts
FOR EACH ROW EXECUTE FUNCTION armoury_counts_closed_guard()""",
    """CREATE TRIGGER count_resolutions_guard BEFORE INSERT ON count_resolutions
FOR EACH ROW EXECUTE FUNCTION armoury_count_resolutions_guard()""",
]


def upgrade() -> None:
    op.create_table(
        "count_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("frequency_days", sa.Integer(), nullable=True),
        sa.Column("independent_counter", sa.Boolean(), nullable=False),
        sa.Column("sampled", sa.Boolean(), nullable=False),
        sa.Column("sample_percent", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("code <> '' AND name <> ''", name=op.f("ck_count_types_names_not_empty")),
        sa.CheckConstraint(
            "NOT sampled OR sample_percent IS NOT NULL", name=op.f("ck_count_types_sampled_has_percent")
        ),
        sa.CheckConstraint(
            "frequency_days IS NULL OR frequency_days BETWEEN 1 AND 3660",
            name=op.f("ck_count_types_frequency_range"),
        ),
        sa.CheckConstraint(
            "sample_percent IS NULL OR sample_percent BETWEEN 1 AND 100",
            name=op.f("ck_count_types_percent_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_types")),
        sa.UniqueConstraint("code", name=op.f("uq_count_types_code")),
    )
    op.create_table(
        "counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("count_type_id", sa.Integer(), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "counting",
                "reconciling",
                "closed",
                name="count_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("sample_percent", sa.Integer(), nullable=True),
        sa.Column(
            "sample_unit",
            sa.Enum(
                "weapons", "racks", name="sample_unit", native_enum=False, create_constraint=True, length=24
            ),
            nullable=True,
        ),
        sa.Column("sample_seed", sa.Integer(), nullable=True),
        sa.Column("started_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("start_seq", sa.Integer(), nullable=True),
        sa.Column("finished_at", armoury.models.base.UTCDateTime(), nullable=True),
        sa.Column("closed_at", armoury.models.base.UTCDateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("close_checkpoint", sa.String(length=80), nullable=True),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL AND close_checkpoint IS NOT NULL)",
            name=op.f("ck_counts_closed_has_checkpoint"),
        ),
        sa.CheckConstraint("number <> ''", name=op.f("ck_counts_number_not_empty")),
        sa.CheckConstraint(
            "status = 'counting' OR finished_at IS NOT NULL", name=op.f("ck_counts_finished_has_time")
        ),
        sa.CheckConstraint(
            "(sample_percent IS NULL) = (sample_unit IS NULL) AND (sample_percent IS NULL) = (sample_seed IS NULL)",
            name=op.f("ck_counts_sample_complete"),
        ),
        sa.CheckConstraint(
            "sample_percent IS NULL OR sample_percent BETWEEN 1 AND 100", name=op.f("ck_counts_percent_range")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_counts_closed_by_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["count_type_id"],
            ["count_types.id"],
            name=op.f("fk_counts_count_type_id_count_types"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_counts_facility_id_facilities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["users.id"], name=op.f("fk_counts_started_by_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counts")),
        sa.UniqueConstraint("number", name=op.f("uq_counts_number")),
    )
    with op.batch_alter_table("counts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_counts_facility_id"), ["facility_id"], unique=False)
        batch_op.create_index(
            "ix_counts_facility_type_status", ["facility_id", "count_type_id", "status"], unique=False
        )

    op.create_table(
        "count_counters",
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["count_id"], ["counts.id"], name=op.f("fk_count_counters_count_id_counts"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_count_counters_user_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("count_id", "user_id", name=op.f("pk_count_counters")),
    )
    op.create_table(
        "count_expected",
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("weapon_id", sa.Integer(), nullable=False),
        sa.Column("rack_id", sa.Integer(), nullable=True),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(rack_id IS NULL) <> (holder_id IS NULL)", name=op.f("ck_count_expected_one_place")
        ),
        sa.CheckConstraint(
            "slot IS NULL OR rack_id IS NOT NULL", name=op.f("ck_count_expected_slot_needs_rack")
        ),
        sa.ForeignKeyConstraint(
            ["count_id"], ["counts.id"], name=op.f("fk_count_expected_count_id_counts"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["people.id"], name=op.f("fk_count_expected_holder_id_people"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["rack_id"], ["racks.id"], name=op.f("fk_count_expected_rack_id_racks"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["weapon_id"],
            ["weapons.id"],
            name=op.f("fk_count_expected_weapon_id_weapons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("count_id", "weapon_id", name=op.f("pk_count_expected")),
    )
    op.create_table(
        "count_racks",
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("rack_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["count_id"], ["counts.id"], name=op.f("fk_count_racks_count_id_counts"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["rack_id"], ["racks.id"], name=op.f("fk_count_racks_rack_id_racks"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("count_id", "rack_id", name=op.f("pk_count_racks")),
    )
    op.create_table(
        "count_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("scanned_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "rack",
                "person",
                "weapon",
                "unknown",
                "foreign",
                "unreadable",
                "refused",
                name="scan_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "method",
            sa.Enum(
                "scan",
                "tick",
                "seen_with_holder",
                name="scan_method",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("weapon_id", sa.Integer(), nullable=True),
        sa.Column("rack_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind <> 'person' OR person_id IS NOT NULL", name=op.f("ck_count_scans_person_scan_has_person")
        ),
        sa.CheckConstraint(
            "kind <> 'rack' OR rack_id IS NOT NULL", name=op.f("ck_count_scans_rack_scan_has_rack")
        ),
        sa.CheckConstraint(
            "kind <> 'weapon' OR weapon_id IS NOT NULL", name=op.f("ck_count_scans_weapon_scan_has_weapon")
        ),
        sa.CheckConstraint(
            "NOT duplicate OR weapon_id IS NOT NULL", name=op.f("ck_count_scans_duplicate_of_weapon")
        ),
        sa.ForeignKeyConstraint(
            ["count_id"], ["counts.id"], name=op.f("fk_count_scans_count_id_counts"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["users.id"], name=op.f("fk_count_scans_counter_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_count_scans_person_id_people"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["rack_id"], ["racks.id"], name=op.f("fk_count_scans_rack_id_racks"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["weapon_id"], ["weapons.id"], name=op.f("fk_count_scans_weapon_id_weapons"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_scans")),
    )
    with op.batch_alter_table("count_scans", schema=None) as batch_op:
        batch_op.create_index("ix_count_scans_count_id", ["count_id", "id"], unique=False)
        batch_op.create_index(
            "uq_count_scans_first",
            ["count_id", "weapon_id"],
            unique=True,
            sqlite_where=sa.text("weapon_id IS NOT NULL AND NOT duplicate"),
            postgresql_where=sa.text("weapon_id IS NOT NULL AND NOT duplicate"),
        )

    op.create_table(
        "count_resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("weapon_id", sa.Integer(), nullable=True),
        sa.Column("scan_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=24), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "moved",
                "returned",
                "loss_reported",
                "recovered",
                "left_open",
                name="resolution_action",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("ledger_seq", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "action <> 'left_open' OR reason <> ''", name=op.f("ck_count_resolutions_left_open_has_reason")
        ),
        sa.CheckConstraint(
            "action = 'left_open' OR ledger_seq IS NOT NULL",
            name=op.f("ck_count_resolutions_resolved_has_entry"),
        ),
        sa.CheckConstraint(
            "(weapon_id IS NULL) <> (scan_id IS NULL)", name=op.f("ck_count_resolutions_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["count_id"],
            ["counts.id"],
            name=op.f("fk_count_resolutions_count_id_counts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_count_resolutions_decided_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ledger_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_count_resolutions_ledger_seq_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["count_scans.id"],
            name=op.f("fk_count_resolutions_scan_id_count_scans"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["weapon_id"],
            ["weapons.id"],
            name=op.f("fk_count_resolutions_weapon_id_weapons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_resolutions")),
        sa.UniqueConstraint("count_id", "scan_id", name=op.f("uq_count_resolutions_count_id_scan_id")),
        sa.UniqueConstraint("count_id", "weapon_id", name=op.f("uq_count_resolutions_count_id_weapon_id")),
    )

    count_types = sa.table(
        "count_types",
        sa.column("code", sa.String()),
        sa.column("name", sa.String()),
        sa.column("frequency_days", sa.Integer()),
        sa.column("independent_counter", sa.Boolean()),
        sa.column("sampled", sa.Boolean()),
        sa.column("sample_percent", sa.Integer()),
        sa.column("active", sa.Boolean()),
    )
    op.bulk_insert(
        count_types,
        [
            {
                "code": code,
                "name": name,
                "frequency_days": days,
                "independent_counter": independent,
                "sampled": sampled,
                "sample_percent": percent,
                "active": True,
            }
            for code, name, days, independent, sampled, percent in COUNT_TYPES
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in [*PG_FUNCTIONS, *PG_TRIGGERS]:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS count_resolutions_guard ON count_resolutions")
        op.execute("DROP TRIGGER IF EXISTS counts_closed_guard ON counts")
        op.execute("DROP TRIGGER IF EXISTS count_scans_guard ON count_scans")
        for name in (
            "armoury_count_scans_guard",
            "armoury_counts_closed_guard",
            "armoury_count_resolutions_guard",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("count_resolutions")
    with op.batch_alter_table("count_scans", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_count_scans_first",
            sqlite_where=sa.text("weapon_id IS NOT NULL AND NOT duplicate"),
            postgresql_where=sa.text("weapon_id IS NOT NULL AND NOT duplicate"),
        )
        batch_op.drop_index("ix_count_scans_count_id")

    op.drop_table("count_scans")
    op.drop_table("count_racks")
    op.drop_table("count_expected")
    op.drop_table("count_counters")
    with op.batch_alter_table("counts", schema=None) as batch_op:
        batch_op.drop_index("ix_counts_facility_type_status")
        batch_op.drop_index(batch_op.f("ix_counts_facility_id"))

    op.drop_table("counts")
    op.drop_table("count_types")
