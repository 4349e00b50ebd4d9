from collections.abc import Callable

from flask import flash, request, url_for

from ..auth import second_factor, teams
from ..auth import services as accounts
from ..auth.models import ACCOUNT_STATES, ROLES, User
from ..errors import Conflict, InvalidChange
from ..form_flow import submit
from ..settings import SETTINGS, save_settings
from ..web import me, paginate, query_text, redirect_303, render, role_required, show_error
from . import bp
from .forms import (
    InviteForm,
    RolesForm,
    TeamForm,
    VersionedActionForm,
    setting_values,
    settings_form,
)


@bp.route("/")
@role_required("admin")
def home():
    return render("admin/home.html")


@bp.route("/accounts")
@role_required("admin")
def accounts_list():
    query = query_text("q")
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
        statuses=ACCOUNT_STATES,
    )


@bp.route("/accounts/invite", methods=["GET", "POST"])
@role_required("admin")
def invite():
    form = InviteForm()
    invited = submit(
        form,
        lambda: accounts.invite_user(form.email.data, form.name.data, form.roles.data, me()),
        "Invitation sent.",  # no address: flashes sit in the session cookie
        lambda user: url_for("admin.account", user_id=user.id),
        by="email",
    )
    return invited or render("admin/invite.html", form=form)


def _account_page(user, roles_form=None, status=200, message=None, team_form=None):
    # formdata=None: a form the admin did not send shows what is on record, not the other's post
    roles_form = roles_form or RolesForm(
        formdata=None, data={"roles": sorted(user.roles), "version": user.version}
    )
    team_form = team_form or TeamForm(
        formdata=None, data={"team": user.team, "version": user.version}
    )
    return render(
        "admin/account.html",
        user=user,
        roles_form=roles_form,
        team_form=team_form,
        team_names=teams.team_names(),
        action_form=VersionedActionForm(data={"version": user.version}),
        conflict=message,
    ), status


@bp.route("/accounts/<int:user_id>")
@role_required("admin")
def account(user_id: int):
    return _account_page(accounts.get_user(user_id))


@bp.route("/accounts/<int:user_id>/roles", methods=["POST"])
@role_required("admin")
def change_roles(user_id: int):
    user = accounts.get_user(user_id)
    form = RolesForm()
    if not form.validate_on_submit():
        return _account_page(user, roles_form=form)
    try:
        accounts.set_roles(user, form.roles.data, me(), form.version.data)
    except InvalidChange as error:
        show_error(form, error, "roles")
        return _account_page(user, roles_form=form)
    except Conflict as error:  # the account page again, with its latest roles and a banner
        return _account_page(user, status=409, message=error.message)
    flash("Roles saved.", "success")
    return redirect_303(url_for("admin.account", user_id=user.id))


@bp.route("/accounts/<int:user_id>/team", methods=["POST"])
@role_required("admin")
def change_team(user_id: int):
    user = accounts.get_user(user_id)
    form = TeamForm()
    to = url_for("admin.account", user_id=user.id)
    try:
        done = submit(
            form,
            lambda: teams.set_team(user, form.team.data, me(), form.version.data),
            "Team saved.",
            to,
        )
    except Conflict as error:  # the account page again, with its latest team and a banner
        return _account_page(user, status=409, message=error.message)
    return done or _account_page(user, team_form=form)


def _confirmed_action(
    user_id: int,
    action: Callable[[User, int | None], object],
    done: str,
    confirm: str = "admin/confirm_deactivate.html",
):
    """GET shows the `confirm` page; POST carries the change out."""
    user = accounts.get_user(user_id)
    form = VersionedActionForm.drawn({"version": user.version})
    if form.validate_on_submit():
        try:
            action(user, form.version.data)
        except InvalidChange as error:
            flash(error.message, "error")
        except Conflict as error:  # the account page again, with its latest state and a banner
            return _account_page(user, status=409, message=error.message)
        else:
            flash(done, "success")  # never an address or name: flashes sit in the cookie
        return redirect_303(url_for("admin.account", user_id=user.id))
    return render(confirm, user=user, form=form)


def _set_active(active: bool) -> Callable[[User, int | None], object]:
    return lambda user, version: accounts.set_active(user, active, me(), version)


@bp.route("/accounts/<int:user_id>/deactivate", methods=["GET", "POST"])
@role_required("admin")
def deactivate(user_id: int):
    done = "The account is deactivated and signed out everywhere."
    return _confirmed_action(user_id, _set_active(False), done)


@bp.route("/accounts/<int:user_id>/second-factor/reset", methods=["GET", "POST"])
@role_required("admin")
def reset_second_factor(user_id: int):
    done = "They are signed out and will set up a new authenticator app at their next sign-in."
    return _confirmed_action(
        user_id,
        lambda user, version: second_factor.reset_for(user, me(), version),
        done,
        "admin/confirm_second_factor_reset.html",
    )


@bp.route("/accounts/<int:user_id>/reactivate", methods=["POST"])
@role_required("admin")
def reactivate(user_id: int):
    return _confirmed_action(user_id, _set_active(True), "The account can sign in again.")


@bp.route("/accounts/<int:user_id>/resend", methods=["POST"])
@role_required("admin")
def resend_invitation(user_id: int):
    done = "A new invitation is on its way. The old link no longer works."
    return _confirmed_action(user_id, lambda user, _: accounts.resend_invitation(user, me()), done)


@bp.route("/settings", methods=["GET", "POST"])
@role_required("admin")
def settings():
    form = settings_form()
    saved = submit(
        form,
        lambda: save_settings(setting_values(form), me().id),
        lambda changed: (
            f"Settings saved ({len(changed)} changed)." if changed else "Nothing changed."
        ),
        url_for("admin.settings"),
        stay=True,  # a refusal goes by its field, with the admin's other values kept
    )
    return saved or render("admin/settings.html", form=form, settings=SETTINGS)


def _audit_search():
    from .audit_search import audit_query
    from .forms import AuditSearchForm

    form = AuditSearchForm(request.args)
    statement = None
    if form.validate():
        try:
            statement = audit_query(
                form.person.data or "",
                form.client_ref.data or "",
                form.action.data or "",
                form.since.data or "",
                form.until.data or "",
                form.kind.data or "",
            )
        except InvalidChange as error:
            show_error(form, error)
    return form, statement


@bp.route("/audit")
@role_required("admin")
def audit_trail():
    form, statement = _audit_search()
    page = paginate(statement, scalars=False) if statement is not None else None
    return render("admin/audit.html", block="results", form=form, page=page)


@bp.route("/audit.csv")
@role_required("admin")
def audit_export():
    from flask import Response, abort, stream_with_context

    from ..audit import audit
    from ..extensions import db
    from .audit_search import audit_csv

    form, statement = _audit_search()
    if statement is None:
        abort(400)
    audit("audit_exported", detail={k: v for k, v in request.args.items() if k != "page"})
    db.session.commit()
    response = Response(stream_with_context(audit_csv(statement)), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response
