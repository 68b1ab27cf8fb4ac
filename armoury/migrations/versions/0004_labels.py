"""label print log and label products (issue 6)

Revision ID: 0004_labels
Revises: 0003_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import armoury.models.base

revision = "0004_labels"
down_revision = "0003_ledger"
branch_labels = None
depends_on = None

# The print log is append-only: UPDATE and DELETE are refused by the database itself.
LOG_TABLES = ("label_print_jobs", "label_print_items")

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
BEGIN SELECT RAISE(ABORT, 'the label print log is append-only: {action} refused'); END"""
    for table in LOG_TABLES
    for action in ("UPDATE", "DELETE")
]

PG_FUNCTION = """CREATE OR REPLACE FUNCTION armoury_label_log_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the label print log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql"""


def upgrade() -> None:
    op.create_table(
        "label_print_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("printed_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("start_position", sa.Integer(), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("label_count", sa.Integer(), nullable=False),
        sa.Column("destination", sa.String(length=16), nullable=False),
        sa.CheckConstraint("start_position >= 1", name=op.f("ck_label_print_jobs_start_positive")),
        sa.CheckConstraint("copies BETWEEN 1 AND 100", name=op.f("ck_label_print_jobs_copies_range")),
        sa.CheckConstraint("label_count >= 1", name=op.f("ck_label_print_jobs_label_count_positive")),
        sa.CheckConstraint(
            "destination IN ('pdf', 'printer')", name=op.f("ck_label_print_jobs_destination_known")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_label_print_jobs_user_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_print_jobs")),
    )
    with op.batch_alter_table("label_print_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_label_print_jobs_printed_at"), ["printed_at"], unique=False)

    op.create_table(
        "label_print_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.String(length=32), nullable=False),
        sa.Column("reprint", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('G', 'R', 'S', 'F', 'P', 'K')", name=op.f("ck_label_print_items_kind_known")
        ),
        sa.CheckConstraint("record_id >= 1", name=op.f("ck_label_print_items_record_positive")),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["label_print_jobs.id"],
            name=op.f("fk_label_print_items_job_id_label_print_jobs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_print_items")),
    )
    with op.batch_alter_table("label_print_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_label_print_items_job_id"), ["job_id"], unique=False)
        batch_op.create_index("ix_label_print_items_kind_record", ["kind", "record_id"], unique=False)

    op.create_table(
        "label_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("page_width", sa.Float(), nullable=False),
        sa.Column("page_height", sa.Float(), nullable=False),
        sa.Column("columns", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("label_width", sa.Float(), nullable=False),
        sa.Column("label_height", sa.Float(), nullable=False),
        sa.Column("margin_left", sa.Float(), nullable=False),
        sa.Column("margin_top", sa.Float(), nullable=False),
        sa.Column("pitch_x", sa.Float(), nullable=False),
        sa.Column("pitch_y", sa.Float(), nullable=False),
        sa.Column("created_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("name <> ''", name=op.f("ck_label_products_name_not_empty")),
        sa.CheckConstraint(
            "columns BETWEEN 1 AND 50 AND rows BETWEEN 1 AND 100", name=op.f("ck_label_products_grid_range")
        ),
        sa.CheckConstraint(
            "label_width >= 10 AND label_height >= 10", name=op.f("ck_label_products_label_size")
        ),
        sa.CheckConstraint("page_width > 0 AND page_height > 0", name=op.f("ck_label_products_page_size")),
        sa.CheckConstraint(
            "margin_left >= 0 AND margin_top >= 0", name=op.f("ck_label_products_margins_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_products")),
        sa.UniqueConstraint("name", name=op.f("uq_label_products_name")),
    )
    op.create_table(
        "label_corrections",
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("margin_x", sa.Float(), nullable=False),
        sa.Column("margin_y", sa.Float(), nullable=False),
        sa.Column("gap_x", sa.Float(), nullable=False),
        sa.Column("gap_y", sa.Float(), nullable=False),
        sa.Column("updated_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "margin_x BETWEEN -10 AND 10 AND margin_y BETWEEN -10 AND 10 "
            "AND gap_x BETWEEN -10 AND 10 AND gap_y BETWEEN -10 AND 10",
            name=op.f("ck_label_corrections_range"),
        ),
        sa.PrimaryKeyConstraint("product", name=op.f("pk_label_corrections")),
    )
    op.create_table(
        "label_printer_calibrations",
        sa.Column("printer", sa.String(length=200), nullable=False),
        sa.Column("offset_x", sa.Float(), nullable=False),
        sa.Column("offset_y", sa.Float(), nullable=False),
        sa.Column("updated_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "offset_x BETWEEN -10 AND 10 AND offset_y BETWEEN -10 AND 10",
            name=op.f("ck_label_printer_calibrations_range"),
        ),
        sa.PrimaryKeyConstraint("printer", name=op.f("pk_label_printer_calibrations")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in LOG_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION armoury_label_log_append_only()"
            )
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in LOG_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS armoury_label_log_append_only()")
    else:
        for table in LOG_TABLES:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    op.drop_table("label_printer_calibrations")
    op.drop_table("label_corrections")
    op.drop_table("label_products")
    with op.batch_alter_table("label_print_items", schema=None) as batch_op:
        batch_op.drop_index("ix_label_print_items_kind_record")
        batch_op.drop_index(batch_op.f("ix_label_print_items_job_id"))
    op.drop_table("label_print_items")
    with op.batch_alter_table("label_print_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_print_jobs_printed_at"))
    op.drop_table("label_print_jobs")
