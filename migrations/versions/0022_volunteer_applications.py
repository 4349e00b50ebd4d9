"""public volunteer applications

Revision ID: 0022
Revises: 0021

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "volunteer_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("first_name", sa.String(length=60), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("in_recovery", sa.Boolean(), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("address_hash", sa.String(length=64), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("decided_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=True),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('unconfirmed', 'confirmed', 'invited', 'declined')",
            name=op.f("ck_volunteer_applications_state_kind"),
        ),
        sa.CheckConstraint(
            "state NOT IN ('unconfirmed', 'confirmed') "
            "OR (first_name IS NOT NULL AND email IS NOT NULL)",
            name=op.f("ck_volunteer_applications_open_has_contact"),
        ),
        sa.CheckConstraint(
            "state <> 'declined' OR (first_name IS NULL AND email IS NULL AND phone IS NULL "
            "AND in_recovery IS NULL AND message IS NULL AND address_hash IS NULL)",
            name=op.f("ck_volunteer_applications_declined_holds_nothing_personal"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_volunteer_applications_decided_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_applications_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_applications")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_volunteer_applications_token_hash")),
    )
    with op.batch_alter_table("volunteer_applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_volunteer_applications_address_created",
            ["address_hash", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_volunteer_applications_email_created", ["email", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_volunteer_applications_state_created", ["state", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_applications_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "volunteer_application_fellowships",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("fellowship_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["volunteer_applications.id"],
            name=op.f("fk_volunteer_application_fellowships_application_id_volunteer_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fellowship_id"],
            ["fellowships.id"],
            name=op.f("fk_volunteer_application_fellowships_fellowship_id_fellowships"),
        ),
        sa.PrimaryKeyConstraint(
            "application_id", "fellowship_id", name=op.f("pk_volunteer_application_fellowships")
        ),
    )
    with op.batch_alter_table("volunteer_application_fellowships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_application_fellowships_fellowship_id"),
            ["fellowship_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("volunteer_application_fellowships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_application_fellowships_fellowship_id"))
    op.drop_table("volunteer_application_fellowships")
    with op.batch_alter_table("volunteer_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_applications_volunteer_id"))
        batch_op.drop_index("ix_volunteer_applications_state_created")
        batch_op.drop_index("ix_volunteer_applications_email_created")
        batch_op.drop_index("ix_volunteer_applications_address_created")
    op.drop_table("volunteer_applications")
