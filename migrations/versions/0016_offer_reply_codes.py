"""offers answered by text: each open offer's reply code

Revision ID: 0016
Revises: 0015

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PENDING_WITH_CODE = "state = 'pending' AND reply_code IS NOT NULL"


def upgrade():
    # A plain ADD COLUMN (no batch "move and copy" of a table other rows point at).
    op.add_column("offers", sa.Column("reply_code", sa.String(length=4), nullable=True))
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(
            "uq_offers_pending_reply_code",
            ["volunteer_id", "reply_code"],
            unique=True,
            sqlite_where=sa.text(PENDING_WITH_CODE),
            postgresql_where=sa.text(PENDING_WITH_CODE),
        )


def downgrade():
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_offers_pending_reply_code",
            sqlite_where=sa.text(PENDING_WITH_CODE),
            postgresql_where=sa.text(PENDING_WITH_CODE),
        )
    op.drop_column("offers", "reply_code")
