"""messages from the champion to volunteers, and their replies

Revision ID: 0024
Revises: 0023

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "champion_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=10), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("filters", sa.String(length=500), nullable=True),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("names_checked", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "audience IN ('one', 'filtered', 'all')",
            name=op.f("ck_champion_messages_audience_known"),
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'sent')", name=op.f("ck_champion_messages_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_champion_messages_sender_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_champion_messages_volunteer_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_champion_messages")),
    )
    with op.batch_alter_table("champion_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_champion_messages_sender_id"), ["sender_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_champion_messages_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "message_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("by_email", sa.Boolean(), nullable=False),
        sa.Column("by_text", sa.Boolean(), nullable=False),
        sa.Column("created_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["champion_messages.id"],
            name=op.f("fk_message_recipients_message_id_champion_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_message_recipients_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_message_recipients_volunteer_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_recipients")),
        sa.UniqueConstraint("message_id", "user_id", name="uq_message_recipients_message_user"),
    )
    with op.batch_alter_table("message_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_recipients_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index("ix_message_recipients_user", ["user_id", "created_at"], unique=False)

    op.create_table(
        "message_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("created_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_message_replies_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["champion_messages.id"],
            name=op.f("fk_message_replies_message_id_champion_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["message_recipients.id"],
            name=op.f("fk_message_replies_recipient_id_message_recipients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_replies")),
    )
    with op.batch_alter_table("message_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_replies_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_message_replies_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_message_replies_recipient_id"), ["recipient_id"], unique=False
        )


def downgrade():
    op.drop_table("message_replies")
    op.drop_table("message_recipients")
    op.drop_table("champion_messages")
