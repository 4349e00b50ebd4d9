"""A CSV import of volunteers and keyworkers, kept between its preview and its confirmation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, one_of, parent_key
from ..extensions import db

IMPORT_STATES = {"previewed": "Checked, not yet imported", "confirmed": "Imported"}
# What happens to a row: before the confirmation "invite" or "exists"; after it "invited".
ROW_OUTCOMES = {
    "invite": "Will be invited",
    "invited": "Invited",
    "exists": "Already has an account: nothing changes",
    "problem": "Skipped: fix the file and upload it again",
}


class AccountImport(db.Model):
    __tablename__ = "account_imports"
    __table_args__ = (CheckConstraint(one_of("state", IMPORT_STATES), name="state_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The SHA-256 of the file as uploaded: "this same file was imported on ..." on the preview.
    file_hash: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="previewed")
    # {"rows", "invite", "exists", "problem"} after the preview; "invited" joins once confirmed.
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountImportRow(db.Model):
    __tablename__ = "account_import_rows"
    __table_args__ = (CheckConstraint(one_of("outcome", ROW_OUTCOMES), name="outcome_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = parent_key("account_imports.id")
    row_number: Mapped[int] = mapped_column(Integer)  # as the spreadsheet numbers it: header is 1
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    team: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(16))
    problems: Mapped[list] = mapped_column(JSON, default=list)
