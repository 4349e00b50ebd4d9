"""meeting feed imports run by the worker

Revision ID: 0014
Revises: 0013

House rules for this file and the rest: /work/main/CONTRIBUTING.md

A large Meeting Guide feed is no longer read and applied inside the web request: the request
stores it as a job (meeting_feed_jobs) and the tick works through it in batches. An import
gains the states it passes through meanwhile (reading, applying) and the ways it can end
(failed: the feed could not be read; stopped: applying stopped part-way).
"""

import sqlalchemy as sa
from alembic import op

import portal.dbtypes

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('preview', 'applied', 'discarded')"
NEW_STATUSES = (
    "status IN ('reading', 'preview', 'applying', 'applied', 'discarded', 'failed', 'stopped')"
)


def upgrade():
    # First, while nothing refers to meeting_imports yet (SQLite copies the table to alter it).
    with op.batch_alter_table("meeting_imports", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_meeting_imports_status_kind"), type_="check")
        batch_op.create_check_constraint("status_kind", sa.text(NEW_STATUSES))

    op.create_table(
        "meeting_feed_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.String(length=43), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("started_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("finished_at", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", portal.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('read', 'apply')", name=op.f("ck_meeting_feed_jobs_kind_kind")
        ),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_meeting_feed_jobs_state_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_meeting_feed_jobs_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["meeting_imports.id"],
            name=op.f("fk_meeting_feed_jobs_import_id_meeting_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_feed_jobs")),
        sa.UniqueConstraint("import_id", "kind", name="uq_meeting_feed_jobs_import_kind"),
    )
    with op.batch_alter_table("meeting_feed_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_feed_jobs_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            "ix_meeting_feed_jobs_state_created", ["state", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("meeting_feed_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_feed_jobs_state_created")
        batch_op.drop_index(batch_op.f("ix_meeting_feed_jobs_created_by_id"))
    op.drop_table("meeting_feed_jobs")

    # Imports in the new states end in the nearest old one: never read or unreadable ones are
    # discarded, one waiting to be applied is a preview again, one stopped part-way was applied.
    imports = sa.table(
        "meeting_imports", sa.column("status", sa.String), sa.column("records", sa.Text)
    )
    op.execute(
        imports.update()
        .where(imports.c.status.in_(["reading", "failed"]))
        .values(status="discarded", records="")
    )
    op.execute(imports.update().where(imports.c.status == "applying").values(status="preview"))
    op.execute(
        imports.update().where(imports.c.status == "stopped").values(status="applied", records="")
    )
    with op.batch_alter_table("meeting_imports", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_meeting_imports_status_kind"), type_="check")
        batch_op.create_check_constraint("status_kind", sa.text(OLD_STATUSES))
