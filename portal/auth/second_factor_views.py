"""Signing in with a second factor, setting one up, and looking after it from the account.

Between the password and the code a person is not signed in: the session holds only which
account is waiting (with its session token, so a password change or reset in the meantime ends
the wait) and since when. Every page behind sign-in still sends them to sign in.
"""

from __future__ import annotations

import hmac
import time

from flask import flash, redirect, request, session, url_for
from werkzeug.wrappers import Response

from ..errors import InvalidChange
from ..extensions import db
from ..web import me, public, redirect_303, render, show_error, signed_in
from . import bp, second_factor, services
from .forms import CodeForm, ConfirmForm, SetUpForm
from .models import User

WAITING = "second_factor_wait"
WAIT_SECONDS = 10 * 60
MAX_TRIES = 5
SIGN_IN_AGAIN = "Sign in again: it took too long, or too many codes were wrong."
THROTTLED = "Too many attempts to sign in. Wait a few minutes, then try again."


def next_step(user: User, target: str) -> str:
    """Where a person goes once their password is right: straight in, or to the second step
    (the code, or setting up an app their role needs)."""
    from .views import _start_session

    if not (user.has_second_factor or second_factor.required_for(user)):
        _start_session(user)
        return target
    session.clear()
    session[WAITING] = {
        "user": user.id,
        "token": user.session_token,
        "since": time.time(),
        "next": target,
        "tries": 0,
    }
    if user.has_second_factor:
        return url_for("auth.enter_code")
    return url_for("auth.set_up_at_sign_in")


def _waiting_user() -> User | None:
    wait = session.get(WAITING)
    if not isinstance(wait, dict) or time.time() - float(wait.get("since", 0)) > WAIT_SECONDS:
        return None
    user = db.session.get(User, wait.get("user")) if isinstance(wait.get("user"), int) else None
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(user.session_token, str(wait.get("token", ""))):
        return None
    return user


def _sign_in_again() -> Response:
    session.pop(WAITING, None)
    flash(SIGN_IN_AGAIN, "error")
    return redirect_303(url_for("auth.sign_in"))


def _count_try() -> bool:
    """Count a wrong code; False once too many were wrong for this password."""
    wait = dict(session[WAITING])
    wait["tries"] = int(wait.get("tries", 0)) + 1
    session[WAITING] = wait
    return wait["tries"] < MAX_TRIES


def _finish(user: User) -> Response:
    from .views import _start_session

    target = session[WAITING].get("next") or url_for("home.index")
    _start_session(user)
    return redirect_303(target)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
def enter_code():
    user = _waiting_user()
    if user is None or not user.has_second_factor:
        return _sign_in_again()
    form = CodeForm()
    if form.validate_on_submit():
        # Wrong codes count with wrong passwords: an address guessing codes is slowed down
        # like one guessing passwords, and the wait is checked before every guess.
        if services.throttled_until(user.email, request.remote_addr) is not None:
            session.pop(WAITING, None)
            flash(THROTTLED, "error")
            return redirect_303(url_for("auth.sign_in"))
        if second_factor.check_code(user, form.code.data):
            services.second_step_passed(user, request.remote_addr)
            db.session.commit()
            return _finish(user)
        services.count_sign_in_failure(user.email, request.remote_addr)
        second_factor.refused_code(user)
        if not _count_try():
            return _sign_in_again()
        form.code.errors = [second_factor.WRONG_CODE]
        form.code.data = ""
    return render("auth/enter_code.html", form=form)


def _set_up_page(user: User, action: str, cancel: str | None) -> Response | str:
    """The set-up page (QR code, key, first code), then the recovery codes once it works."""
    form = SetUpForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.finish_set_up(user, form.code.data)
        except InvalidChange as error:
            show_error(form, error, "code")
            form.code.data = ""
        else:
            return codes
    set_up = second_factor.start_set_up(user)
    return render("auth/set_up.html", form=form, set_up=set_up, action=action, cancel=cancel)


@bp.route("/sign-in/set-up", methods=["GET", "POST"])
@public
def set_up_at_sign_in():
    user = _waiting_user()
    if user is None:
        return _sign_in_again()
    if user.has_second_factor:
        return redirect(url_for("auth.enter_code"))
    page = _set_up_page(user, url_for("auth.set_up_at_sign_in"), None)
    if not isinstance(page, list):
        return page
    target = session[WAITING].get("next") or url_for("home.index")
    from .views import _start_session

    _start_session(user)
    # Shown on this answer only: recovery codes never go into the session or a redirect.
    return render("auth/recovery_codes.html", codes=page, target=target, first=True)


@bp.route("/account/second-factor")
@signed_in
def second_factor_page():
    user = me()
    return render(
        "auth/second_factor.html",
        user=user,
        required=second_factor.required_for(user),
        may_turn_off=second_factor.may_turn_off(user),
        codes_left=second_factor.recovery_codes_left(user) if user.has_second_factor else 0,
        form=ConfirmForm(),
    )


@bp.route("/account/second-factor/set-up", methods=["GET", "POST"])
@signed_in
def set_up_second_factor():
    back = url_for("auth.second_factor_page")
    page = _set_up_page(me(), url_for("auth.set_up_second_factor"), back)
    if not isinstance(page, list):
        return page
    return render("auth/recovery_codes.html", codes=page, target=back, first=True)


@bp.route("/account/second-factor/recovery-codes", methods=["POST"])
@signed_in
def renew_recovery_codes():
    form = ConfirmForm()
    back = url_for("auth.second_factor_page")
    if not form.validate_on_submit():
        return redirect_303(back)
    try:
        codes = second_factor.renew_recovery_codes(me())
    except InvalidChange as error:
        flash(error.message, "error")
        return redirect_303(back)
    return render("auth/recovery_codes.html", codes=codes, target=back, first=False)


@bp.route("/account/second-factor/turn-off", methods=["GET", "POST"])
@signed_in
def turn_off_second_factor():
    form = ConfirmForm()
    back = url_for("auth.second_factor_page")
    if form.validate_on_submit():
        try:
            second_factor.turn_off(me())
        except InvalidChange as error:
            flash(error.message, "error")
        else:
            flash("Signing in no longer asks for a code.", "success")
        return redirect_303(back)
    return render("auth/turn_off_second_factor.html", form=form, back=back)
