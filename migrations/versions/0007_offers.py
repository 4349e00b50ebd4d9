"""offers, escorts and busy slots

Revision ID: 0007
Revises: 0006

House rules for this file and the rest: /work/main/CONTRIBUTING.md
"""
from alembic import op
import sqlalchemy as sa

import portal.dbtypes


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('volunteer_week_counts',
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('iso_year', sa.Integer(), nullable=False),
    sa.Column('iso_week', sa.SmallInteger(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.CheckConstraint('n >= 0', name=op.f('ck_volunteer_week_counts_n_not_negative')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_volunteer_week_counts_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volunteer_id', 'iso_year', 'iso_week', name=op.f('pk_volunteer_week_counts'))
    )
    op.create_table('volunteer_client_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.dbtypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_volunteer_client_conflicts_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_volunteer_client_conflicts_created_by_id_users')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_volunteer_client_conflicts_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_client_conflicts')),
    sa.UniqueConstraint('volunteer_id', 'client_id', name='uq_volunteer_client_conflicts_pair')
    )
    with op.batch_alter_table('volunteer_client_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_client_conflicts_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_client_conflicts_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('escort_slots',
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('slot_start', portal.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['accompaniment_requests.id'], name=op.f('fk_escort_slots_request_id_accompaniment_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_escort_slots_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volunteer_id', 'slot_start', name=op.f('pk_escort_slots'))
    )
    with op.batch_alter_table('escort_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escort_slots_request_id'), ['request_id'], unique=False)

    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('decline_reason', sa.String(length=300), nullable=True),
    sa.Column('withdraw_code', sa.String(length=30), nullable=True),
    sa.Column('withdraw_reason', sa.String(length=300), nullable=True),
    sa.Column('expires_at', portal.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('broadcast_id', sa.String(length=32), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('answered_at', portal.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('ended_at', portal.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn')", name=op.f('ck_offers_state_kind')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_offers_answered_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_offers_created_by_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['accompaniment_requests.id'], name=op.f('fk_offers_request_id_accompaniment_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_offers_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers'))
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offers_broadcast_id'), ['broadcast_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_offers_state_expires_at', ['state', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_volunteer_id'), ['volunteer_id'], unique=False)
        batch_op.create_index('uq_offers_accepted_request', ['request_id'], unique=True, sqlite_where=sa.text("state = 'accepted'"), postgresql_where=sa.text("state = 'accepted'"))
        batch_op.create_index('uq_offers_pending_volunteer', ['request_id', 'volunteer_id'], unique=True, sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))

    # A plain ADD COLUMN with the foreign key inline: on SQLite a batch "move and copy" of this
    # table would DROP it, and with foreign keys on that cascades into request_events. (SQLite
    # does not reflect ON DELETE of an inline key, so the key has none: a volunteer's record is
    # anonymised, never deleted, while requests point at it.)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            'ALTER TABLE accompaniment_requests ADD COLUMN volunteer_id INTEGER '
            'CONSTRAINT fk_accompaniment_requests_volunteer_id_volunteers '
            'REFERENCES volunteers (id)'
        )
    else:
        op.add_column('accompaniment_requests', sa.Column('volunteer_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_accompaniment_requests_volunteer_id_volunteers'), 'accompaniment_requests', 'volunteers', ['volunteer_id'], ['id'])
    op.add_column('accompaniment_requests', sa.Column('accepted_at', portal.dbtypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('accompaniment_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accompaniment_requests_volunteer_id'), ['volunteer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('accompaniment_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accompaniment_requests_volunteer_id'))
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('fk_accompaniment_requests_volunteer_id_volunteers'), 'accompaniment_requests', type_='foreignkey')
    # SQLite drops a column (and its inline foreign key) in place since 3.35.
    op.drop_column('accompaniment_requests', 'accepted_at')
    op.drop_column('accompaniment_requests', 'volunteer_id')

    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('uq_offers_pending_volunteer', sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))
        batch_op.drop_index('uq_offers_accepted_request', sqlite_where=sa.text("state = 'accepted'"), postgresql_where=sa.text("state = 'accepted'"))
        batch_op.drop_index(batch_op.f('ix_offers_volunteer_id'))
        batch_op.drop_index('ix_offers_state_expires_at')
        batch_op.drop_index(batch_op.f('ix_offers_request_id'))
        batch_op.drop_index(batch_op.f('ix_offers_broadcast_id'))

    op.drop_table('offers')
    with op.batch_alter_table('escort_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escort_slots_request_id'))

    op.drop_table('escort_slots')
    with op.batch_alter_table('volunteer_client_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_client_conflicts_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_volunteer_client_conflicts_client_id'))

    op.drop_table('volunteer_client_conflicts')
    op.drop_table('volunteer_week_counts')
