"""geography: a postcode directory, volunteers' and clients' postcode districts, travel limits

Revision ID: 0018
Revises: 0017

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "postcode_points",
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("district", sa.String(length=4), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("postcode", name=op.f("pk_postcode_points")),
    )
    op.create_table(
        "postcode_districts",
        sa.Column("district", sa.String(length=4), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("postcodes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("district", name=op.f("pk_postcode_districts")),
    )
    op.create_table(
        "postcode_directory_loads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loaded_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("released", sa.String(length=40), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("postcodes", sa.Integer(), nullable=False),
        sa.Column("districts", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postcode_directory_loads")),
    )
    # A plain ADD COLUMN: a batch copy of meetings would trip over its computed columns.
    op.add_column(
        "meetings",
        sa.Column(
            "located_from_directory", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_district", sa.String(length=4), nullable=True))
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_district", sa.String(length=4), nullable=True))


def downgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("home_district")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("home_district")
    op.drop_column("meetings", "located_from_directory")
    op.drop_table("postcode_directory_loads")
    op.drop_table("postcode_districts")
    op.drop_table("postcode_points")
