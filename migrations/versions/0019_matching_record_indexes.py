"""covering indexes for matching's record of turning up and its declines (issue 15's ranking)

Revision ID: 0019
Revises: 0018

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


# Each replaces an index it starts with, so no read loses its index and writes keep one each.
def upgrade():
    op.drop_index("ix_accompaniment_requests_volunteer_id", table_name="accompaniment_requests")
    op.create_index(
        "ix_accompaniment_requests_volunteer_record",
        "accompaniment_requests",
        ["volunteer_id", "state", "starts_at", "outcome"],
    )
    op.drop_index("ix_offers_volunteer_state", table_name="offers")
    op.create_index(
        "ix_offers_volunteer_answers",
        "offers",
        ["volunteer_id", "state", "request_id", "withdraw_code", "answered_at"],
    )


def downgrade():
    op.drop_index("ix_offers_volunteer_answers", table_name="offers")
    op.create_index("ix_offers_volunteer_state", "offers", ["volunteer_id", "state"])
    op.drop_index("ix_accompaniment_requests_volunteer_record", table_name="accompaniment_requests")
    op.create_index(
        "ix_accompaniment_requests_volunteer_id", "accompaniment_requests", ["volunteer_id"]
    )
