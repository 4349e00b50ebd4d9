"""the hand-out library: a service's own wording of each hand-out, with earlier versions

Revision ID: 0023
Revises: 0022

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    # Version 1 of every hand-out is the portal's standard wording, kept in the code
    # (portal/clients/handout_text.py); each save by an admin adds the next number here.
    op.create_table(
        "handout_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("saved_by_id", sa.Integer(), nullable=False),
        sa.Column("saved_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("version >= 2", name=op.f("ck_handout_versions_after_standard")),
        sa.ForeignKeyConstraint(
            ["saved_by_id"], ["users.id"], name=op.f("fk_handout_versions_saved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handout_versions")),
        sa.UniqueConstraint("key", "version", name="uq_handout_versions_key_version"),
    )
    # The wording of each hand-out a session gave ({"3": 2}); sessions before this have none.
    with op.batch_alter_table("fama_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handout_versions", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("fama_sessions", schema=None) as batch_op:
        batch_op.drop_column("handout_versions")
    op.drop_table("handout_versions")
