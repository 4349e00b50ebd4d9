"""safety checks on the day and escort outcomes

Revision ID: 0009
Revises: 0008

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "escort_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('checkin', 'checkout', 'help')", name=op.f("ck_escort_checks_kind_kind")
        ),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_escort_checks_by_id_users")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["accompaniment_requests.id"],
            name=op.f("fk_escort_checks_request_id_accompaniment_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_escort_checks_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escort_checks")),
    )
    with op.batch_alter_table("escort_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escort_checks_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_escort_checks_volunteer_id"), ["volunteer_id"], unique=False
        )
        batch_op.create_index(
            "uq_escort_checks_once",
            ["request_id", "kind"],
            unique=True,
            sqlite_where=sa.text("kind IN ('checkin', 'checkout')"),
            postgresql_where=sa.text("kind IN ('checkin', 'checkout')"),
        )

    op.create_table(
        "escort_outcomes",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("went_in_together", sa.Boolean(), nullable=True),
        sa.Column("wants_again", sa.String(length=8), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "wants_again IS NULL OR wants_again IN ('yes', 'no', 'not_sure')",
            name=op.f("ck_escort_outcomes_wants_again_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_escort_outcomes_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["accompaniment_requests.id"],
            name=op.f("fk_escort_outcomes_request_id_accompaniment_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_escort_outcomes")),
    )


def downgrade():
    op.drop_table("escort_outcomes")
    with op.batch_alter_table("escort_checks", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_escort_checks_once",
            sqlite_where=sa.text("kind IN ('checkin', 'checkout')"),
            postgresql_where=sa.text("kind IN ('checkin', 'checkout')"),
        )
        batch_op.drop_index(batch_op.f("ix_escort_checks_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_escort_checks_request_id"))

    op.drop_table("escort_checks")
