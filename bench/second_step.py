"""The benchmarks' second sign-in step: staff answer a code from an authenticator app (issue 20).

Admins, champions and keyworkers (while `keyworker_second_factor` is on, the default) sign in
in two steps: the password form answers 303 to /sign-in/code, and that form takes the 6-digit
code of the account's secret. The benchmarks give the staff accounts they seed (or copy) one
published secret, BENCH_SECRET, with `enrol_staff()`, and answer the step with
`answer_code_step()` whatever HTTP client they use (`sign_in_test_client()` wraps it for the
Flask test client).

A code is good once per account: the portal keeps the last accepted 30-second step and takes
only a later one within a step of its clock. So each account's codes here are for steps
max(now - 1, last used + 1); a fourth sign-in of one account within a step waits for the clock
(sign in once per account and keep the session, as the benchmarks do).
"""

from __future__ import annotations

import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import pyotp

from portal.auth.second_factor import DRIFT_STEPS, STEP_SECONDS

# Published like the bench password: only ever on accounts of throwaway benchmark databases.
BENCH_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCH23"  # noqa: S105
STAFF_ROLES = ("admin", "champion", "keyworker")
CODE_PATH = "/sign-in/code"
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')

_lock = threading.Lock()
_last_step: dict[str, int] = {}  # account -> the last step whose code was sent from here


def enrol_staff(emails: Iterable[str] | None = None, secret: str = BENCH_SECRET) -> int:
    """Give every account with a staff role (or only those of `emails`) a second factor with
    `secret`, as `portal.auth.second_factor.enrol_directly` does, in one UPDATE; commits.
    Run inside an app context. Returns the number of accounts."""
    from sqlalchemy import select, update

    from portal.auth.models import User, UserRole
    from portal.extensions import db

    staff = select(UserRole.user_id).where(UserRole.role.in_(STAFF_ROLES))
    statement = update(User).where(User.id.in_(staff))
    if emails is not None:
        statement = statement.where(User.email.in_([e.lower() for e in emails]))
    result = db.session.execute(
        statement.values(
            totp_secret=secret,
            totp_new_secret=None,
            second_factor_at=datetime.now(UTC),
            totp_last_step=None,
        ).execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


def next_code(account: str, secret: str = BENCH_SECRET) -> str:
    """The code an app would show for `account`'s next unused step. Within the drift the portal
    allows, the earliest step is taken first (a server whose clock lags a little still takes
    it); once the steps up to now + 1 are used, this waits for the clock."""
    account = account.lower()
    while True:
        with _lock:
            now = int(time.time()) // STEP_SECONDS
            step = max(now - DRIFT_STEPS, _last_step.get(account, -1) + 1)
            if step <= now + DRIFT_STEPS:
                _last_step[account] = step
                return pyotp.TOTP(secret).at(step * STEP_SECONDS)
        time.sleep(STEP_SECONDS - time.time() % STEP_SECONDS + 0.05)


def answer_code_step(
    location: str,
    account: str,
    *,
    get: Callable[[str], str],
    post: Callable[[str, dict], tuple[int | None, str]],
    secret: str = BENCH_SECRET,
    tries: int = 3,
) -> tuple[int | None, str]:
    """After the password form answered 303 to `location`: when that is the code step, read the
    code page (for its CSRF token), send `account`'s next code and return the (status, Location)
    of that answer: 303 to the page asked for once signed in. A code refused (the form again,
    200) is followed by the next step's code, up to `tries` codes. When `location` is not the
    code step (a volunteer without a second factor) it is returned as is: (303, location).

    `get(path)` returns the page's text; `post(path, data)` returns (status, Location), status
    None when no answer came."""
    if urllib.parse.urlsplit(location).path != CODE_PATH:
        return 303, location
    status: int | None = None
    where = ""
    for _ in range(tries):
        page = get(CODE_PATH)
        data = {"code": next_code(account, secret)}
        token = CSRF_RE.search(page)
        if token:
            data["csrf_token"] = token.group(1)
        status, where = post(CODE_PATH, data)
        if status != 200:
            break
    return status, where


def signed_in_at(status: int | None, location: str) -> bool:
    """Whether an answer to the sign-in form is the way in, not back to a sign-in step."""
    path = urllib.parse.urlsplit(location).path
    return status == 303 and not path.startswith("/sign-in")


def sign_in_test_client(client, email: str, password: str, secret: str = BENCH_SECRET) -> None:
    """Sign a Flask test client in through both forms (CSRF tokens from the pages, when the
    app checks them); asserts it got in."""
    page = client.get("/sign-in").get_data(as_text=True)
    data = {"email": email, "password": password}
    token = CSRF_RE.search(page)
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/sign-in", data=data)
    assert response.status_code == 303, f"sign-in as {email} failed: {response.status_code}"

    def post(path: str, form: dict) -> tuple[int | None, str]:
        answer = client.post(path, data=form)
        return answer.status_code, answer.headers.get("Location", "")

    status, location = answer_code_step(
        response.headers["Location"],
        email,
        get=lambda path: client.get(path).get_data(as_text=True),
        post=post,
        secret=secret,
    )
    assert signed_in_at(status, location), f"code step for {email} failed: {status} {location}"
