"""client reminders by text, with the client's consent

Revision ID: 0017
Revises: 0016

House rules for this file and the rest: /work/main/CONTRIBUTING.md

A client's consent to be texted reminders of their meeting is a third consent kind ("texts"),
recorded in client_consents like the others and held now in clients.consent_texts. The phone
that already goes with the consent to share it is kept while either consent holds.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('share_first_name', 'share_phone')"
NEW_KINDS = "kind IN ('share_first_name', 'share_phone', 'texts')"


def upgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent_texts", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("client_consents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_client_consents_consent_kind"), type_="check")
        batch_op.create_check_constraint("consent_kind", sa.text(NEW_KINDS))


def downgrade():
    consents = sa.table("client_consents", sa.column("kind", sa.String))
    op.execute(consents.delete().where(consents.c.kind == "texts"))
    # The phone stays only where the consent to share it holds.
    clients = sa.table(
        "clients",
        sa.column("consent_phone", sa.Boolean),
        sa.column("phone", sa.String),
    )
    op.execute(clients.update().where(clients.c.consent_phone == sa.false()).values(phone=None))
    with op.batch_alter_table("client_consents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_client_consents_consent_kind"), type_="check")
        batch_op.create_check_constraint("consent_kind", sa.text(OLD_KINDS))
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("consent_texts")
