"""check and training kinds the service defines; supervision records

Revision ID: 0026
Revises: 0025

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('dbs', 'training', 'references', 'lone_working', 'code_of_conduct')"
NEW_KINDS = (
    "kind IN ('dbs', 'training', 'references', 'lone_working', 'code_of_conduct', 'service')"
)
SERVICE_NAMED = (
    "(kind = 'service' AND check_kind_id IS NOT NULL) "
    "OR (kind <> 'service' AND check_kind_id IS NULL)"
)


def upgrade():
    op.create_table(
        "check_kinds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("folded", sa.String(length=80), nullable=False),
        sa.Column("valid_months", sa.SmallInteger(), nullable=True),
        sa.Column("needed_to_escort", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("retired_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("updated_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "valid_months IS NULL OR valid_months BETWEEN 1 AND 120",
            name=op.f("ck_check_kinds_months"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_check_kinds_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_kinds")),
        sa.UniqueConstraint("folded", name=op.f("uq_check_kinds_folded")),
    )
    with op.batch_alter_table("check_kinds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_kinds_active"), ["active"], unique=False)

    op.create_table(
        "supervisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("held_by_id", sa.Integer(), nullable=True),
        sa.Column("held_by_name", sa.String(length=100), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('one_to_one', 'group', 'reflective')",
            name=op.f("ck_supervisions_kind_known"),
        ),
        sa.CheckConstraint("next_due_on > held_on", name=op.f("ck_supervisions_due_after_held")),
        sa.ForeignKeyConstraint(
            ["held_by_id"],
            ["users.id"],
            name=op.f("fk_supervisions_held_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_supervisions_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_supervisions_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisions")),
    )
    with op.batch_alter_table("supervisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supervisions_volunteer_held", ["volunteer_id", "held_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supervisions_volunteer_id"), ["volunteer_id"], unique=False
        )

    with op.batch_alter_table("safeguarding_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("check_kind_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_safeguarding_items_check_kind_id"), ["check_kind_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_safeguarding_items_check_kind_id_check_kinds"),
            "check_kinds",
            ["check_kind_id"],
            ["id"],
        )
        batch_op.drop_constraint(op.f("ck_safeguarding_items_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", sa.text(NEW_KINDS))
        batch_op.create_check_constraint("service_kind_named", sa.text(SERVICE_NAMED))


def downgrade():
    op.execute("DELETE FROM safeguarding_items WHERE kind = 'service'")
    with op.batch_alter_table("safeguarding_items", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_safeguarding_items_service_kind_named"), type_="check")
        batch_op.drop_constraint(op.f("ck_safeguarding_items_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", sa.text(OLD_KINDS))
        batch_op.drop_constraint(
            batch_op.f("fk_safeguarding_items_check_kind_id_check_kinds"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_safeguarding_items_check_kind_id"))
        batch_op.drop_column("check_kind_id")
    with op.batch_alter_table("supervisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervisions_volunteer_id"))
        batch_op.drop_index("ix_supervisions_volunteer_held")
    op.drop_table("supervisions")
    with op.batch_alter_table("check_kinds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_kinds_active"))
    op.drop_table("check_kinds")
