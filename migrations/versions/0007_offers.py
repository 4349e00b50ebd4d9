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
    pass


def downgrade():
    pass
