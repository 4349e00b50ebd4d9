from flask import redirect, url_for
from flask_login import current_user

from ..web import me, render, role_required, signed_in
from . import bp

ROLE_HOMES = {
    "champion": "home.champion",
    "keyworker": "home.keyworker",
    "volunteer": "home.volunteer",
    "admin": "admin.home",
}


@bp.route("/")
@signed_in
def index():
    role = current_user.primary_role
    if role is None:
        return render("home/no_role.html")
    return redirect(url_for(ROLE_HOMES[role]))


@bp.route("/keyworker")
@role_required("keyworker")
def keyworker():
    from ..clients.views import caseload

    return caseload()


@bp.route("/volunteer")
@role_required("volunteer")
def volunteer():
    from ..volunteers.views import home_context

    return render("home/volunteer.html", **home_context(me()))


@bp.route("/champion")
@role_required("champion")
def champion():
    from ..audit import utcnow
    from ..dates import london_today
    from ..tasks.services import home_tasks

    today = london_today(utcnow())
    return render("home/champion.html", tasks=home_tasks(me()), today=today)
