"""Importing volunteers and keyworkers from a CSV file: reading it, checking every row, the
preview kept in the database, and the confirmation that invites the new people.

Each new person is invited as a single invitation invites them (`auth.services.invite_user`:
the account, its role, a link, the email in the outbox, "account_invited"; a volunteer also
gets the "applied" record `volunteers.profile.invite_volunteer` opens, a keyworker their team
as `auth.teams.set_team` sets it), but all in one transaction with the inserts together:
calling those functions per row commits and looks up several times per person, about 10 ms
a row, 30 s for 3,000 rows: the web server's timeout (bench/import_bench.py). A row whose
email address already has an account changes nothing, so importing a file twice is harmless.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..audit import AuditEvent, audit, audit_row, utcnow
from ..auth import services as accounts
from ..auth import teams
from ..auth.models import User, UserRole
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..volunteers.models import Volunteer
from .models import AccountImport, AccountImportRow

NEEDED = ("name", "email", "role")
IMPORT_ROLES = ("volunteer", "keyworker")
# A volunteer's name is also their record's preferred name, which is shorter than an account's.
NAME_LENGTH = {"volunteer": 60, "keyworker": 100}
EMAIL_LENGTH = 254
MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
# An upload's rows (names and email addresses) are kept this long after it was checked: long
# enough to finish or look back at an import, no longer (least data).
IMPORT_KEPT = timedelta(days=30)
CHUNK = 500  # addresses per "who has an account" query: under SQLite's variable limit
SAMPLE = (
    "name,email,role,team\r\n"
    "Sam Example,sam@example.org,volunteer,\r\n"
    "Alex Example,alex@example.org,keyworker,North locality\r\n"
)


@dataclass
class CheckedRow:
    row_number: int
    name: str
    email: str
    role: str
    team: str | None
    problems: list[str] = field(default_factory=list)

    def values(self, import_id: int, outcome: str) -> dict[str, Any]:
        """The row as stored: too-long values cut to their columns (the problem says so)."""
        return {
            "import_id": import_id,
            "row_number": self.row_number,
            "name": self.name[:100],
            "email": self.email[:EMAIL_LENGTH],
            "role": self.role[:16],
            "team": self.team[:100] if self.team else None,
            "outcome": outcome,
            "problems": self.problems,
        }


def max_bytes_text() -> str:
    return (
        f"{MAX_BYTES / 1024 / 1024:g} MB" if MAX_BYTES >= 1024 * 1024 else f"{MAX_BYTES // 1024} KB"
    )


def file_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _text_of(payload: bytes) -> str:
    if not payload.strip():
        raise InvalidChange("The file is empty. Choose a CSV file with a header row.", "file")
    try:
        return payload.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError:
        raise InvalidChange(
            "The file is not a CSV file saved as UTF-8 text. In Excel, choose Save as, "
            "then CSV UTF-8 (comma delimited).",
            "file",
        ) from None


def _header(cells: list[str]) -> list[str]:
    names = [cell.replace("\x00", "").strip().lower() for cell in cells]
    missing = [name for name in NEEDED if name not in names]
    if missing:
        raise InvalidChange(
            f"The first row must name the columns. It has no {', '.join(missing)} column. "
            "Download the template to see the columns.",
            "file",
        )
    if len(set(filter(None, names))) != len(list(filter(None, names))):
        raise InvalidChange("The first row names a column twice. Name each column once.", "file")
    return names


def read_rows(payload: bytes) -> Iterator[tuple[int, dict[str, str], bool]]:
    """Each data row as (row number, {column: cell}, whether it had more cells than the header).
    A file that cannot be read at all is an InvalidChange by the file field."""
    reader = csv.reader(io.StringIO(_text_of(payload), newline=""))
    number = 1
    try:
        header = _header(next(reader, []))
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # a blank line, often at the end
            if number - 1 > MAX_ROWS:
                raise InvalidChange(
                    f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files.",
                    "file",
                )
            row = {name: cell for name, cell in zip(header, cells, strict=False) if name}
            yield number, row, len(cells) > len(header)
    except csv.Error:
        raise InvalidChange(
            f"Row {number + 1} could not be read as CSV. Check its quotes, or save the file "
            "again as CSV UTF-8.",
            "file",
        ) from None


def _clean(text: str) -> str:
    return " ".join(text.replace("\x00", "").split())


def check_row(number: int, cells: dict[str, str], extra: bool) -> CheckedRow:
    """A row's values, tidied, and everything wrong with it in plain words."""
    row = CheckedRow(
        number,
        _clean(cells.get("name", "")),
        accounts.normalise_email(_clean(cells.get("email", ""))),
        _clean(cells.get("role", "")).lower(),
        teams.team_name(_clean(cells.get("team", ""))),
    )
    problems = row.problems
    if any("\x00" in cell for cell in cells.values()):
        problems.append("It holds a hidden null character. Type the row again.")
    if extra:
        problems.append("It has more cells than the header row. Check for a stray comma.")
    if not row.role:
        problems.append("Enter a role: volunteer or keyworker.")
    elif row.role not in IMPORT_ROLES:
        problems.append(f"The role “{row.role[:30]}” is not volunteer or keyworker.")
    problems.extend(_name_problems(row))
    problems.extend(_email_problems(row.email))
    if row.team and row.role == "volunteer":
        problems.append("Volunteers do not have a team. Leave the team empty.")
    elif row.team and len(row.team) > teams.TEAM_LENGTH:
        problems.append(f"The team is longer than {teams.TEAM_LENGTH} characters.")
    return row


def _name_problems(row: CheckedRow) -> list[str]:
    if not row.name:
        return ["Enter a name."]
    limit = NAME_LENGTH.get(row.role, 100)
    if len(row.name) > limit:
        return [f"The name is longer than {limit} characters."]
    return []


def _email_problems(email: str) -> list[str]:
    if not email:
        return ["Enter an email address."]
    if len(email) > EMAIL_LENGTH:
        return [f"The email address is longer than {EMAIL_LENGTH} characters."]
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return ["The email address is not in the right format, like name@example.org."]
    return []


def check_file(payload: bytes) -> list[CheckedRow]:
    """Every row checked, the same address on two rows marked on both (which one is right is
    the admin's call)."""
    rows = [check_row(number, cells, extra) for number, cells, extra in read_rows(payload)]
    if not rows:
        raise InvalidChange("The file has a header row but no people. Add a row for each.", "file")
    first_seen: dict[str, list[int]] = {}
    for row in rows:
        if row.email:
            first_seen.setdefault(row.email, []).append(row.row_number)
    for row in rows:
        others = [n for n in first_seen.get(row.email, []) if n != row.row_number]
        if others:
            listed = ", ".join(str(n) for n in others[:5])
            row.problems.append(f"The same email address is on row {listed}. Keep one row.")
    return rows


def emails_with_accounts(emails: Iterable[str]) -> set[str]:
    """The addresses that already have an account, a few hundred to a query."""
    wanted = sorted(set(emails))
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        found.update(db.session.scalars(select(User.email).where(User.email.in_(chunk))))
    return found


def preview_import(payload: bytes, filename: str, actor: User) -> AccountImport:
    """Check the file and keep its rows, with what would happen to each, until it is confirmed."""
    if len(payload) > MAX_BYTES:
        raise InvalidChange(f"The file is larger than {max_bytes_text()}. Split it.", "file")
    rows = check_file(payload)
    existing = emails_with_accounts(row.email for row in rows if not row.problems)
    batch = AccountImport(
        file_hash=file_hash(payload),
        filename=_clean(filename or "upload.csv")[:255],
        state="previewed",
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    db.session.add(batch)
    db.session.flush()
    values = [row.values(batch.id, _outcome(row, existing)) for row in rows]
    db.session.execute(insert(AccountImportRow), values)
    counts = {"rows": len(values), "invite": 0, "exists": 0, "problem": 0}
    for value in values:
        counts[value["outcome"]] += 1
    batch.counts = counts
    db.session.commit()
    return batch


def _outcome(row: CheckedRow, existing: set[str]) -> str:
    if row.problems:
        return "problem"
    return "exists" if row.email in existing else "invite"


def get_import(import_id: int) -> AccountImport:
    batch = db.session.get(AccountImport, import_id)
    if batch is None:
        raise NotFound("No such import")
    return batch


def import_rows(batch: AccountImport, only_problems: bool = False) -> Any:
    """The rows of an import in file order, for `paginate`."""
    statement = select(AccountImportRow).where(AccountImportRow.import_id == batch.id)
    if only_problems:
        statement = statement.where(AccountImportRow.outcome == "problem")
    return statement.order_by(AccountImportRow.row_number)


def earlier_import(batch: AccountImport) -> AccountImport | None:
    """The last confirmed import of the very same file, if there was one."""
    return db.session.scalar(
        select(AccountImport)
        .where(
            AccountImport.file_hash == batch.file_hash,
            AccountImport.state == "confirmed",
            AccountImport.id != batch.id,
        )
        .order_by(AccountImport.confirmed_at.desc())
        .limit(1)
    )


def recent_imports(limit: int = 5) -> list[AccountImport]:
    return list(
        db.session.scalars(
            select(AccountImport)
            .where(AccountImport.state == "confirmed")
            .order_by(AccountImport.confirmed_at.desc(), AccountImport.id.desc())
            .limit(limit)
        )
    )


def confirm_import(batch: AccountImport, actor: User) -> dict[str, int]:
    """Invite everyone the preview said would be invited and who still has no account.

    The state moves from previewed to confirmed in a conditional update committed first, so
    two confirmations at once (two tabs) make one import: the other is a Conflict. Then every
    invitation is made in one transaction: all of them, or (if it fails) none, and the page
    says to upload the file again.
    """
    actor_id = actor.id
    claimed = db.session.execute(
        update(AccountImport)
        .where(AccountImport.id == batch.id, AccountImport.state == "previewed")
        .values(state="confirmed", confirmed_by_id=actor_id, confirmed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise Conflict("This import was confirmed already, perhaps in another tab.")
    db.session.commit()
    rows = db.session.execute(
        select(
            AccountImportRow.id,
            AccountImportRow.email,
            AccountImportRow.name,
            AccountImportRow.role,
            AccountImportRow.team,
        )
        .where(AccountImportRow.import_id == batch.id, AccountImportRow.outcome == "invite")
        .order_by(AccountImportRow.row_number)
    ).all()
    for _attempt in range(3):  # someone may add one of these people at the same moment
        existing = emails_with_accounts(row.email for row in rows)
        new = [row for row in rows if row.email not in existing]
        try:
            _invite_all(new, actor)
        except IntegrityError:
            db.session.rollback()
            continue
        late = [row.id for row in rows if row.email in existing]
        return _finish(batch.id, [row.id for row in new], late, actor_id)
    raise InvalidChange("Other people's accounts kept changing. Upload the file again.")


def _invite_all(rows: list[Any], actor: User) -> None:
    """Invite each person as `auth.services.invite_user` does (account, roles, link, email in
    the outbox, "account_invited"), a volunteer with the record `invite_volunteer` opens and a
    keyworker in their team as `set_team` puts them, without a commit and a lookup per person:
    the accounts are inserted together and the audit rows in one statement."""
    if not rows:
        return
    actor_id = actor.id
    spelling = {name.lower(): name for name in teams.team_names()}
    users = []
    for row in rows:
        user = User(email=row.email, name=row.name)
        user.role_rows = [UserRole(role=row.role)]
        if row.role == "keyworker" and row.team:
            user.team = spelling.setdefault(row.team.lower(), row.team)
        users.append(user)
    db.session.add_all(users)
    db.session.flush()
    accounts.send_first_invitations(users)
    events = []
    for user in users:
        events.append(_event("account_invited", user, actor_id, {"roles": sorted(user.roles)}))
        if user.team:
            detail = {"before": None, "after": user.team}
            events.append(_event("account_team_changed", user, actor_id, detail))
    volunteers = [
        Volunteer(
            user_id=user.id, preferred_name=user.name, status="applied", created_by_id=actor_id
        )
        for user in users
        if user.role_rows[0].role == "volunteer"
    ]
    db.session.add_all(volunteers)
    db.session.flush()
    events.extend(_event("volunteer_invited", v, actor_id, None) for v in volunteers)
    db.session.execute(insert(AuditEvent), events)


def _event(action: str, obj: object, actor_id: int, detail: dict | None) -> dict[str, Any]:
    return audit_row(action, obj, actor_id, detail, None)


def _finish(import_id: int, invited: list[int], late: list[int], actor_id: int) -> dict[str, int]:
    for ids, outcome in ((invited, "invited"), (late, "exists")):
        for start in range(0, len(ids), CHUNK):
            db.session.execute(
                update(AccountImportRow)
                .where(AccountImportRow.id.in_(ids[start : start + CHUNK]))
                .values(outcome=outcome)
                .execution_options(synchronize_session=False)
            )
    batch = get_import(import_id)
    counts = dict(batch.counts)
    counts.update(invite=0, invited=len(invited), exists=counts.get("exists", 0) + len(late))
    batch.counts = counts
    batch.finished_at = utcnow()
    audit("accounts_imported", batch, actor_id=actor_id, detail=counts)
    db.session.commit()
    return counts


def delete_stale_imports(now: datetime) -> int:
    """Delete uploads (and their rows) checked more than IMPORT_KEPT ago, in the caller's
    transaction; the audit trail keeps each import's counts. Returns how many went."""
    stale = select(AccountImport.id).where(AccountImport.created_at < now - IMPORT_KEPT)
    db.session.execute(
        delete(AccountImportRow)
        .where(AccountImportRow.import_id.in_(stale))
        .execution_options(synchronize_session=False)
    )
    deleted = db.session.execute(
        delete(AccountImport)
        .where(AccountImport.created_at < now - IMPORT_KEPT)
        .execution_options(synchronize_session=False)
    )
    return deleted.rowcount or 0
