"""volunteers' travel expense claims

Revision ID: 0027
Revises: 0026

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "expense_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("miles_tenths", sa.Integer(), nullable=True),
        sa.Column("rate_pence", sa.Integer(), nullable=True),
        sa.Column("amount_pence", sa.Integer(), nullable=False),
        sa.Column("ticket_file", sa.String(length=80), nullable=True),
        sa.Column("ticket_type", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("decline_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("paid_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("paid_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'miles') = (miles_tenths IS NOT NULL AND rate_pence IS NOT NULL)",
            name=op.f("ck_expense_claims_miles_when_driven"),
        ),
        sa.CheckConstraint(
            "kind IN ('bus', 'train', 'miles')", name=op.f("ck_expense_claims_kind_kind")
        ),
        sa.CheckConstraint(
            "state IN ('waiting', 'approved', 'declined', 'paid')",
            name=op.f("ck_expense_claims_state_kind"),
        ),
        sa.CheckConstraint(
            "amount_pence BETWEEN 1 AND 50000", name=op.f("ck_expense_claims_amount_range")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_expense_claims_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["paid_by_id"],
            ["users.id"],
            name=op.f("fk_expense_claims_paid_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["accompaniment_requests.id"],
            name=op.f("fk_expense_claims_request_id_accompaniment_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_expense_claims_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense_claims")),
        sa.UniqueConstraint("volunteer_id", "request_id", name="uq_expense_claims_escort"),
    )
    with op.batch_alter_table("expense_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_expense_claims_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            "ix_expense_claims_state_decided_at", ["state", "decided_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_expense_claims_volunteer_id"), ["volunteer_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("expense_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expense_claims_volunteer_id"))
        batch_op.drop_index("ix_expense_claims_state_decided_at")
        batch_op.drop_index(batch_op.f("ix_expense_claims_request_id"))
    op.drop_table("expense_claims")
