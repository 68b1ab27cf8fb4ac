"""PSSM inspections (issue 8): checklist templates, inspections, answers, photos, corrective actions.

Signed inspections are immutable: triggers refuse any change to a signed inspection, its answers, its
photos and the racks and areas its answers point to (corrective actions stay open to follow-up).

Revision ID: 0006_inspections
Revises: 0005_counts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import armoury.models.base

revision = "0006_inspections"
down_revision = "0005_counts"
branch_labels = None
depends_on = None

_LOCKED = "signed inspections cannot be changed; record a new inspection instead"

# Children of an answer, checked through the answer's inspection.
_ANSWER_CHILDREN = ("inspection_photos", "inspection_answer_racks", "inspection_answer_areas")


def _sqlite_triggers() -> list[str]:
    statements = []
    for event in ("UPDATE", "DELETE"):
        statements.append(
            f"CREATE TRIGGER trg_inspections_locked_{event.lower()} BEFORE {event} ON inspections "
            f"WHEN OLD.status = 'signed' BEGIN SELECT RAISE(ABORT, '{_LOCKED}'); END"
        )
    for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
        statements.append(
            f"CREATE TRIGGER trg_inspection_answers_locked_{event.lower()} BEFORE {event} ON inspection_answers "
            f"WHEN (SELECT status FROM inspections WHERE id = {row}.inspection_id) = 'signed' "
            f"BEGIN SELECT RAISE(ABORT, '{_LOCKED}'); END"
        )
    for table in _ANSWER_CHILDREN:
        for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            statements.append(
                f"CREATE TRIGGER trg_{table}_locked_{event.lower()} BEFORE {event} ON {table} "
                f"WHEN (SELECT i.status FROM inspections i JOIN inspection_answers a ON a.inspection_id = i.id "
                f"WHERE a.id = {row}.answer_id) = 'signed' BEGIN SELECT RAISE(ABORT, '{_LOCKED}'); END"
            )
    return statements


def _sqlite_trigger_names() -> list[str]:
    names = [f"trg_inspections_locked_{e}" for e in ("update", "delete")]
    names += [f"trg_inspection_answers_locked_{e}" for e in ("insert", "update", "delete")]
    names += [f"trg_{t}_locked_{e}" for t in _ANSWER_CHILDREN for e in ("insert", "update", "delete")]
    return names


_PG_FUNCTIONS = [
    f"""CREATE FUNCTION armoury_inspection_locked() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION '{_LOCKED}';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql""",
    f"""CREATE FUNCTION armoury_inspection_answer_locked() RETURNS trigger AS $$
DECLARE
    wanted integer;
BEGIN
    IF TG_OP = 'INSERT' THEN wanted := NEW.inspection_id; ELSE wanted := OLD.inspection_id; END IF;
    IF EXISTS (SELECT 1 FROM inspections WHERE id = wanted AND status = 'signed') THEN
        RAISE EXCEPTION '{_LOCKED}';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql""",
    f"""CREATE FUNCTION armoury_inspection_answer_child_locked() RETURNS trigger AS $$
DECLARE
    wanted integer;
BEGIN
    IF TG_OP = 'INSERT' THEN wanted := NEW.answer_id; ELSE wanted := OLD.answer_id; END IF;
    IF EXISTS (SELECT 1 FROM inspections i JOIN inspection_answers a ON a.inspection_id = i.id
               WHERE a.id = wanted AND i.status = 'signed') THEN
        RAISE EXCEPTION '{_LOCKED}';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql""",
]


def _pg_triggers() -> list[str]:
    statements = list(_PG_FUNCTIONS)
    statements.append(
        "CREATE TRIGGER trg_inspections_locked BEFORE UPDATE OR DELETE ON inspections "
        "FOR EACH ROW EXECUTE FUNCTION armoury_inspection_locked()"
    )
    statements.append(
        "CREATE TRIGGER trg_inspection_answers_locked BEFORE INSERT OR UPDATE OR DELETE ON inspection_answers "
        "FOR EACH ROW EXECUTE FUNCTION armoury_inspection_answer_locked()"
    )
    for table in _ANSWER_CHILDREN:
        statements.append(
            f"CREATE TRIGGER trg_{table}_locked BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION armoury_inspection_answer_child_locked()"
        )
    return statements


def upgrade() -> None:
    op.create_table(
        "checklist_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("code <> ''", name=op.f("ck_checklist_templates_code_not_empty")),
        sa.CheckConstraint("length(content_sha256) = 64", name=op.f("ck_checklist_templates_sha256_length")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_checklist_templates_version_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_checklist_templates_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_templates")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_checklist_templates_code_version")),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=400), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "in_progress",
                "signed",
                name="inspection_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("started_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column("signed_at", armoury.models.base.UTCDateTime(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "(status = 'signed') = (signed_at IS NOT NULL)", name=op.f("ck_inspections_signed_has_time")
        ),
        sa.CheckConstraint(
            "status <> 'signed' OR (score IS NOT NULL AND level IS NOT NULL)",
            name=op.f("ck_inspections_signed_scored"),
        ),
        sa.CheckConstraint("level IS NULL OR level BETWEEN 0 AND 3", name=op.f("ck_inspections_level_range")),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= 100)", name=op.f("ck_inspections_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["area_id", "facility_id"],
            ["storage_areas.id", "storage_areas.facility_id"],
            name="fk_inspections_area_facility",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_inspections_facility_id_facilities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"],
            ["users.id"],
            name=op.f("fk_inspections_inspector_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["checklist_templates.id"],
            name=op.f("fk_inspections_template_id_checklist_templates"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index("ix_inspections_facility_started", ["facility_id", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspections_template_id"), ["template_id"], unique=False)

    op.create_table(
        "inspection_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "pass",
                "fail",
                "not_applicable",
                "info",
                name="answer_outcome",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("answered_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(value IS NULL) = (outcome IS NULL)", name=op.f("ck_inspection_answers_value_has_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_inspection_answers_answered_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_inspection_answers_inspection_id_inspections"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_answers")),
        sa.UniqueConstraint(
            "inspection_id", "question_id", name=op.f("uq_inspection_answers_inspection_id_question_id")
        ),
    )
    op.create_table(
        "corrective_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "closed",
                name="action_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("closure_evidence", sa.Text(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_on IS NOT NULL) AND (status <> 'closed' OR closure_evidence <> '')",
            name=op.f("ck_corrective_actions_closed_has_evidence"),
        ),
        sa.CheckConstraint("what <> '' AND who <> ''", name=op.f("ck_corrective_actions_what_who_not_empty")),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["inspection_answers.id"],
            name=op.f("fk_corrective_actions_answer_id_inspection_answers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["users.id"],
            name=op.f("fk_corrective_actions_closed_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_corrective_actions_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_corrective_actions_facility_id_facilities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_corrective_actions_inspection_id_inspections"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_actions")),
    )
    with op.batch_alter_table("corrective_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_corrective_actions_answer_id"), ["answer_id"], unique=False)
        batch_op.create_index("ix_corrective_actions_inspection_id", ["inspection_id"], unique=False)
        batch_op.create_index("ix_corrective_actions_status_due", ["status", "due_on"], unique=False)

    op.create_table(
        "inspection_answer_areas",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["inspection_answers.id"],
            name=op.f("fk_inspection_answer_areas_answer_id_inspection_answers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["storage_areas.id"],
            name=op.f("fk_inspection_answer_areas_area_id_storage_areas"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("answer_id", "area_id", name=op.f("pk_inspection_answer_areas")),
    )
    op.create_table(
        "inspection_answer_racks",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("rack_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["inspection_answers.id"],
            name=op.f("fk_inspection_answer_racks_answer_id_inspection_answers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rack_id"],
            ["racks.id"],
            name=op.f("fk_inspection_answer_racks_rack_id_racks"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("answer_id", "rack_id", name=op.f("pk_inspection_answer_racks")),
    )
    op.create_table(
        "inspection_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_inspection_photos_sha256_length")),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["inspection_answers.id"],
            name=op.f("fk_inspection_photos_answer_id_inspection_answers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_photos")),
        sa.UniqueConstraint("answer_id", "sha256", name=op.f("uq_inspection_photos_answer_id_sha256")),
    )
    with op.batch_alter_table("inspection_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_photos_answer_id"), ["answer_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in _pg_triggers():
            op.execute(statement)
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("inspections", "inspection_answers", *_ANSWER_CHILDREN):
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_locked ON {table}")
        for function in (
            "armoury_inspection_locked",
            "armoury_inspection_answer_locked",
            "armoury_inspection_answer_child_locked",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for name in _sqlite_trigger_names():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("inspection_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_photos_answer_id"))

    op.drop_table("inspection_photos")
    op.drop_table("inspection_answer_racks")
    op.drop_table("inspection_answer_areas")
    with op.batch_alter_table("corrective_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_corrective_actions_status_due")
        batch_op.drop_index("ix_corrective_actions_inspection_id")
        batch_op.drop_index(batch_op.f("ix_corrective_actions_answer_id"))

    op.drop_table("corrective_actions")
    op.drop_table("inspection_answers")
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspections_template_id"))
        batch_op.drop_index("ix_inspections_facility_started")

    op.drop_table("inspections")
    op.drop_table("checklist_templates")
