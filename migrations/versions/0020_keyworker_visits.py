"""keyworkers' visits to open meetings

Revision ID: 0020
Revises: 0019

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "keyworker_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_keyworker_visits_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["users.id"],
            name=op.f("fk_keyworker_visits_visitor_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyworker_visits")),
        sa.UniqueConstraint(
            "visitor_id", "visited_on", "meeting_id", name="uq_keyworker_visits_visitor_day"
        ),
    )
    # The latest visits to one meeting, and how many in the last year, for its page.
    with op.batch_alter_table("keyworker_visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_keyworker_visits_meeting_visited", ["meeting_id", "visited_on"], unique=False
        )


def downgrade():
    with op.batch_alter_table("keyworker_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_keyworker_visits_meeting_visited")
    op.drop_table("keyworker_visits")
