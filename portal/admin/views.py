from flask import flash, request, url_for
from flask_login import current_user

from ..auth import services as accounts
from ..auth.models import ROLES
from ..errors import Conflict, InvalidChange, NotFound
from ..web import paginate, redirect_303, render, role_required
from . import bp
from .forms import InviteForm, RolesForm, VersionedActionForm

STATUSES = {"active": "Active", "invited": "Invited", "deactivated": "Deactivated"}


def _account_or_404(user_id: int):
    from flask import abort

    try:
        return accounts.get_user(user_id)
    except NotFound:
        abort(404)


@bp.route("/")
@role_required("admin")
def home():
    return render("admin/home.html")


@bp.route("/accounts")
@role_required("admin")
def accounts_list():
    query = request.args.get("q", "")[:100]
    role = request.args.get("role", "")
    status = request.args.get("status", "")
    page = paginate(accounts.search_users(query, role, status))
    return render(
        "admin/accounts.html",
        block="results",
        page=page,
        query=query,
        role=role,
        status=status,
        roles=ROLES,
        statuses=STATUSES,
    )


@bp.route("/accounts/invite", methods=["GET", "POST"])
@role_required("admin")
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = accounts.invite_user(
                form.email.data, form.name.data, form.roles.data, current_user._get_current_object()
            )
        except InvalidChange as error:
            getattr(form, error.field or "email").errors = [error.message]
        else:
            flash(f"Invitation sent to {user.email}.", "success")
            return redirect_303(url_for("admin.account", user_id=user.id))
    return render("admin/invite.html", form=form)


def _account_page(user, roles_form=None, status=200, message=None):
    roles_form = roles_form or RolesForm(
        data={"roles": sorted(user.roles), "version": user.version}
    )
    return render(
        "admin/account.html",
        user=user,
        roles_form=roles_form,
        action_form=VersionedActionForm(data={"version": user.version}),
        conflict=message,
    ), status


@bp.route("/accounts/<int:user_id>")
@role_required("admin")
def account(user_id: int):
    return _account_page(_account_or_404(user_id))


@bp.route("/accounts/<int:user_id>/roles", methods=["POST"])
@role_required("admin")
def change_roles(user_id: int):
    user = _account_or_404(user_id)
    form = RolesForm()
    if not form.validate_on_submit():
        return _account_page(user, roles_form=form)
    try:
        accounts.set_roles(
            user, form.roles.data, current_user._get_current_object(), form.version.data
        )
    except InvalidChange as error:
        form.roles.errors = [error.message]
        return _account_page(user, roles_form=form)
    except Conflict as error:
        return _account_page(user, status=409, message=error.message)
    flash("Roles saved.", "success")
    return redirect_303(url_for("admin.account", user_id=user.id))


def _confirmed_action(user_id: int, template: str, action, done: str):
    """GET shows a confirmation page; POST carries the change out."""
    user = _account_or_404(user_id)
    form = VersionedActionForm(data={"version": user.version})
    if request.method == "POST":
        form = VersionedActionForm()
        if form.validate_on_submit():
            try:
                action(user, form.version.data)
            except InvalidChange as error:
                flash(error.message, "error")
            except Conflict as error:
                return _account_page(user, status=409, message=error.message)
            else:
                flash(done.format(email=user.email), "success")
            return redirect_303(url_for("admin.account", user_id=user.id))
    return render(template, user=user, form=form)


@bp.route("/accounts/<int:user_id>/deactivate", methods=["GET", "POST"])
@role_required("admin")
def deactivate(user_id: int):
    actor = current_user._get_current_object()
    return _confirmed_action(
        user_id,
        "admin/confirm_deactivate.html",
        lambda user, version: accounts.set_active(user, False, actor, version),
        "{email} is deactivated and signed out everywhere.",
    )


@bp.route("/accounts/<int:user_id>/reactivate", methods=["POST"])
@role_required("admin")
def reactivate(user_id: int):
    actor = current_user._get_current_object()
    return _confirmed_action(
        user_id,
        "admin/confirm_deactivate.html",
        lambda user, version: accounts.set_active(user, True, actor, version),
        "{email} can sign in again.",
    )


@bp.route("/accounts/<int:user_id>/resend", methods=["POST"])
@role_required("admin")
def resend_invitation(user_id: int):
    actor = current_user._get_current_object()
    return _confirmed_action(
        user_id,
        "admin/confirm_deactivate.html",
        lambda user, version: accounts.resend_invitation(user, actor),
        "A new invitation is on its way to {email}. The old link no longer works.",
    )
