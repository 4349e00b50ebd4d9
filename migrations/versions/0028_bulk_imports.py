"""bulk imports of volunteers and keyworkers from a CSV file

Revision ID: 0028
Revises: 0027

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("finished_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('previewed', 'confirmed')", name=op.f("ck_account_imports_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_account_imports_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_account_imports_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_imports")),
    )
    with op.batch_alter_table("account_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_imports_file_hash"), ["file_hash"])

    op.create_table(
        "account_import_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('invite', 'invited', 'exists', 'problem')",
            name=op.f("ck_account_import_rows_outcome_known"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["account_imports.id"],
            name=op.f("fk_account_import_rows_import_id_account_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_import_rows")),
    )
    with op.batch_alter_table("account_import_rows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_import_rows_import_id"), ["import_id"])


def downgrade():
    with op.batch_alter_table("account_import_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_import_rows_import_id"))
    op.drop_table("account_import_rows")
    with op.batch_alter_table("account_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_imports_file_hash"))
    op.drop_table("account_imports")
