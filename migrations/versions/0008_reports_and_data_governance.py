"""reports and data governance

Revision ID: 0008
Revises: 0007

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""
from alembic import op
import sqlalchemy as sa

import portal.dbtypes


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('anonymisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=12), nullable=False),
    sa.Column('at', portal.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("reason IN ('retention', 'erasure')", name=op.f('ck_anonymisations_reason_kind')),
    sa.CheckConstraint('(client_id IS NULL AND volunteer_id IS NOT NULL) OR (client_id IS NOT NULL AND volunteer_id IS NULL)', name=op.f('ck_anonymisations_one_person')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_anonymisations_actor_id_users')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_anonymisations_client_id_clients')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_anonymisations_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anonymisations')),
    sa.UniqueConstraint('client_id', name=op.f('uq_anonymisations_client_id')),
    sa.UniqueConstraint('volunteer_id', name=op.f('uq_anonymisations_volunteer_id'))
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', portal.dbtypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_clients_closed_at'), ['closed_at'], unique=False)
    # Cases closed before this column existed: the last change is the best date we have.
    op.execute("UPDATE clients SET closed_at = updated_at WHERE status = 'closed' AND closed_at IS NULL")


def downgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clients_closed_at'))
        batch_op.drop_column('closed_at')

    op.drop_table('anonymisations')
