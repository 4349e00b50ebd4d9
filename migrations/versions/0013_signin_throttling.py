"""sign-in throttling without lock-out; links die when the password changes

Revision ID: 0013
Revises: 0012

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    # Throttle bookkeeping only (a day's failures at most): start the new counting afresh.
    op.execute("DELETE FROM sign_in_failures")
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_failures_key"))
        batch_op.drop_column("key")
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=64), nullable=False))
        batch_op.create_index("ix_sign_in_failures_email_at", ["email", "at"], unique=False)
        batch_op.create_index("ix_sign_in_failures_address_at", ["address", "at"], unique=False)


def downgrade():
    op.execute("DELETE FROM sign_in_failures")
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_sign_in_failures_address_at")
        batch_op.drop_index("ix_sign_in_failures_email_at")
        batch_op.drop_column("address")
        batch_op.drop_column("email")
        batch_op.add_column(sa.Column("key", sa.String(length=300), nullable=False))
        batch_op.create_index(batch_op.f("ix_sign_in_failures_key"), ["key"], unique=False)
