"""indexes found by the reports and page benchmarks at large scale

Revision ID: 0010
Revises: 0009

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("fama_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_fama_sessions_commitment_at", ["commitment_at"], unique=False)
    with op.batch_alter_table("accompaniment_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accompaniment_requests_session_id"), ["session_id"], unique=False
        )
    # Matching's facts read offers by volunteer and state (issue 9's page benchmark).
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index("ix_offers_volunteer_state", ["volunteer_id", "state"], unique=False)
    # Matching's SQL filter: who is free on a weekday at a time (the champion's queue).
    with op.batch_alter_table("availability_windows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_availability_windows_weekday_start", ["weekday", "start_time"], unique=False
        )


def downgrade():
    with op.batch_alter_table("availability_windows", schema=None) as batch_op:
        batch_op.drop_index("ix_availability_windows_weekday_start")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index("ix_offers_volunteer_state")
    with op.batch_alter_table("accompaniment_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accompaniment_requests_session_id"))
    with op.batch_alter_table("fama_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_fama_sessions_commitment_at")
