"""audit of client-data views and refused requests

Revision ID: 0012
Revises: 0011

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    # "change", "view" (a look at client data) or "refusal" (a refused request). Rows already
    # there stay "change": the trail is append-only (the audit page's "views" filter also names
    # the earlier view actions). SQLite adds the column in place, so its append-only triggers
    # stay; the index serves the kind filter and the count of one account's recent refusals.
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=10), server_default="change", nullable=False)
        )
        batch_op.create_index(
            "ix_audit_events_kind_actor_at", ["kind", "actor_id", "at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_kind_actor_at")
        batch_op.drop_column("kind")
