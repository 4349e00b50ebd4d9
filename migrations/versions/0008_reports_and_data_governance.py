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
    pass


def downgrade():
    pass
