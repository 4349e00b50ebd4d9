"""the champion's tasks, and how the volunteer is after an escort

Revision ID: 0025
Revises: 0024

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


DEBRIEF = "kind = 'debrief'"


def upgrade():
    with op.batch_alter_table("escort_outcomes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wellbeing", sa.String(length=8), nullable=True))
        batch_op.create_check_constraint(
            "wellbeing_kind", sa.text("wellbeing IS NULL OR wellbeing IN ('fine', 'chat')")
        )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("done_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('debrief', 'other')", name=op.f("ck_tasks_kind_kind")),
        sa.CheckConstraint("state IN ('open', 'done')", name=op.f("ck_tasks_state_kind")),
        sa.CheckConstraint(
            "state = 'open' OR done_at IS NOT NULL", name=op.f("ck_tasks_done_has_time")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_tasks_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["accompaniment_requests.id"],
            name=op.f("fk_tasks_request_id_accompaniment_requests"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to_id"],
            ["users.id"],
            name=op.f("fk_tasks_assigned_to_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"],
            ["users.id"],
            name=op.f("fk_tasks_done_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_tasks_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_assigned_to_id"), ["assigned_to_id"])
        batch_op.create_index(batch_op.f("ix_tasks_volunteer_id"), ["volunteer_id"])
        batch_op.create_index("ix_tasks_state_due_on", ["state", "due_on"])
        batch_op.create_index(
            "uq_tasks_debrief_once",
            ["request_id", "volunteer_id"],
            unique=True,
            sqlite_where=sa.text(DEBRIEF),
            postgresql_where=sa.text(DEBRIEF),
        )


def downgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_tasks_debrief_once",
            sqlite_where=sa.text(DEBRIEF),
            postgresql_where=sa.text(DEBRIEF),
        )
        batch_op.drop_index("ix_tasks_state_due_on")
        batch_op.drop_index(batch_op.f("ix_tasks_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_assigned_to_id"))
    op.drop_table("tasks")
    with op.batch_alter_table("escort_outcomes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_escort_outcomes_wellbeing_kind"), type_="check")
        batch_op.drop_column("wellbeing")
