"""text messages through GOV.UK Notify: the text outbox, mobiles, text choices, received texts

Revision ID: 0015
Revises: 0014

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "text_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("stopped_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_stops")),
        sa.UniqueConstraint("number", name=op.f("uq_text_stops_number")),
    )
    op.create_table(
        "received_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notify_id", sa.String(length=36), nullable=False),
        sa.Column("from_number", sa.String(length=20), nullable=False),
        sa.Column("content", sa.String(length=1000), nullable=False),
        sa.Column("received_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("stored_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_until", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("handled_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN "
            "('stop', 'start', 'handled', 'unhandled', 'unknown_number', 'failed')",
            name=op.f("ck_received_texts_outcome_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_received_texts_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_texts")),
        sa.UniqueConstraint("notify_id", name=op.f("uq_received_texts_notify_id")),
    )
    with op.batch_alter_table("received_texts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_received_texts_from_number"), ["from_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_received_texts_handled_at"), ["handled_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_received_texts_user_id"), ["user_id"], unique=False)

    op.create_table(
        "text_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("mobile", sa.String(length=16), nullable=False),
        sa.Column("updated_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_text_contacts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_contacts")),
        sa.UniqueConstraint("user_id", name=op.f("uq_text_contacts_user_id")),
    )
    with op.batch_alter_table("text_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_text_contacts_mobile"), ["mobile"], unique=False)

    op.create_table(
        "text_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("by_text", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_text_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_preferences")),
        sa.UniqueConstraint("user_id", "kind", name="uq_text_preferences_user_kind"),
    )
    op.create_table(
        "text_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("to_number", sa.String(length=16), nullable=False),
        sa.Column("body", sa.String(length=918), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("at_any_hour", sa.Boolean(), nullable=False),
        sa.Column("created_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("send_by", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("claimed_until", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("sent_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("notify_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'held', 'refused', 'too_late', 'created', 'sending', 'pending', 'sent', "
            "'delivered', 'permanent-failure', 'temporary-failure', 'technical-failure')",
            name=op.f("ck_text_messages_status_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_text_messages_client_id_clients"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_text_messages_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_messages")),
        sa.UniqueConstraint("to_number", "dedupe_key", name="uq_text_messages_number_dedupe"),
    )
    with op.batch_alter_table("text_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_text_messages_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_text_messages_due", ["sent_at", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_text_messages_notify_id"), ["notify_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_text_messages_sent_at"), ["sent_at"], unique=False)
        batch_op.create_index("ix_text_messages_status", ["status", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_text_messages_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("text_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_text_messages_user_id"))
        batch_op.drop_index("ix_text_messages_status")
        batch_op.drop_index(batch_op.f("ix_text_messages_sent_at"))
        batch_op.drop_index(batch_op.f("ix_text_messages_notify_id"))
        batch_op.drop_index("ix_text_messages_due")
        batch_op.drop_index(batch_op.f("ix_text_messages_client_id"))

    op.drop_table("text_messages")
    op.drop_table("text_preferences")
    with op.batch_alter_table("text_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_text_contacts_mobile"))

    op.drop_table("text_contacts")
    with op.batch_alter_table("received_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_received_texts_user_id"))
        batch_op.drop_index(batch_op.f("ix_received_texts_handled_at"))
        batch_op.drop_index(batch_op.f("ix_received_texts_from_number"))

    op.drop_table("received_texts")
    op.drop_table("text_stops")
