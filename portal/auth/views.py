import time
from functools import cache

from flask import flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import joinedload

from ..extensions import db, login_manager
from ..form_flow import submit
from ..web import is_safe_next, me, public, redirect_303, render, signed_in
from . import bp, services
from .forms import ChangePasswordForm, NewPasswordForm, ResetRequestForm, SignInForm
from .models import User
from .second_factor_views import next_step

SIGN_IN_REFUSED = "Enter a correct email address and password"
THROTTLED = "Too many attempts to sign in. Wait a few minutes, then try again."


@cache
def _user_with_roles() -> Select:
    """Built once: the same statement object keeps its SQLAlchemy cache key memoized, so every
    request skips building the statement and its key (about 1 ms of each request's CPU)."""
    return (
        select(User)
        .options(joinedload(User.role_rows))
        .where(User.id == bindparam("user_id", type_=Integer))
    )


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Accept the cookie only while its session token is the account's current one."""
    import hmac

    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    # One query for the account and its roles (every request asks for both).
    user = (
        db.session.execute(_user_with_roles(), {"user_id": int(raw_id)})
        .unique()
        .scalar_one_or_none()
    )
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def _start_session(user: User) -> None:
    session.clear()  # a fresh session: no pre-sign-in keys, a new CSRF secret
    login_user(user)
    # A browser-session cookie: the server ends sessions itself (idle and absolute limits in
    # security.py), so a phone whose clock is wrong cannot throw the cookie away early.
    session.permanent = False
    session["started_at"] = session["seen_at"] = time.time()


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        result = services.sign_in(form.email.data, form.password.data, request.remote_addr)
        if result.user is not None:
            target = form.next.data if is_safe_next(form.next.data) else url_for("home.index")
            return redirect_303(next_step(result.user, target))
        form.password.errors = [THROTTLED if result.throttled else SIGN_IN_REFUSED]
        form.password.data = ""
    return render("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@signed_in
def sign_out():
    services.sign_out(me())
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect_303(url_for("auth.sign_in"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render("auth/forgot_password.html", form=form, sent_to=form.email.data)
    return render("auth/forgot_password.html", form=form, sent_to=None)


def _set_password_page(token: str, purpose: str, template: str):
    user = services.user_for_token(token, purpose)
    if user is None:
        return render("auth/link_expired.html", purpose=purpose), 410
    form = NewPasswordForm()
    # A reset link proves the mailbox, not the second factor: that step still follows.
    saved = submit(
        form,
        lambda: next_step(
            services.set_password_with_token(token, purpose, form.password.data),
            url_for("home.index"),
        ),
        "Your password is saved.",
        lambda where: where,
        by="password",
    )
    return saved or render(template, form=form, user=user)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    return _set_password_page(token, services.RESET, "auth/reset_password.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    return _set_password_page(token, services.INVITE, "auth/accept_invitation.html")


def _change_own_password(form: ChangePasswordForm) -> None:
    """Change the signed-in person's password, then start their session afresh."""
    user = me()
    services.change_password(user, form.current_password.data, form.password.data)
    _start_session(user)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    changed = submit(
        form,
        lambda: _change_own_password(form),
        "Your password is changed. You have been signed out everywhere else.",
        url_for("home.index"),
        by="current_password",
    )
    return changed or render("auth/change_password.html", form=form)


@bp.app_context_processor
def auth_context() -> dict:
    from ..settings import get_setting

    return {"service_name": get_setting("service_name")}
