"""The public "Volunteer with us" pages (no sign-in) and the champion's vetting of what comes
in: the applications list, inviting an applicant and declining one."""

from __future__ import annotations

from flask import request, url_for

from ...form_flow import submit
from ...web import me, paginate, public, redirect_303, render, role_required
from .. import applications as vetting
from .. import bp
from ..forms import ApplyForm, ConfirmApplicationForm, DeclineApplicationForm, InviteVolunteerForm
from ._common import CHAMPION


@bp.route("/volunteer-with-us", methods=["GET", "POST"])
@public
def apply():
    form = ApplyForm(fellowships=vetting.public_fellowships())
    if form.filled_by_a_program:
        return redirect_303(url_for("volunteers.apply_sent"))  # the same answer, nothing kept
    refusal = None
    if form.validate_on_submit():
        try:
            vetting.submit_application(form.answers(), request.remote_addr)
        except vetting.InvalidChange as error:
            refusal = error.message
        else:
            return redirect_303(url_for("volunteers.apply_sent"))
    return render("volunteers/apply.html", form=form, refusal=refusal)


@bp.route("/volunteer-with-us/check-your-email")
@public
def apply_sent():
    return render("volunteers/apply_sent.html", hours=vetting.LINK_LIFETIME.days * 24)


def _link_refused(state: str) -> tuple[str, int]:
    return render("volunteers/apply_link.html", state=state), 410


@bp.route("/volunteer-with-us/confirm/<token>", methods=["GET", "POST"])
@public
def apply_confirm(token: str):
    state = vetting.link_state(token)
    if state == vetting.CONFIRMED:
        return redirect_303(url_for("volunteers.apply_thanks"))
    if state != vetting.OPEN:
        return _link_refused(state)
    form = ConfirmApplicationForm()
    if form.validate_on_submit():
        state = vetting.confirm_application(token)
        if state != vetting.CONFIRMED:
            return _link_refused(state)
        return redirect_303(url_for("volunteers.apply_thanks"))
    return render("volunteers/apply_confirm.html", form=form)


@bp.route("/volunteer-with-us/thank-you")
@public
def apply_thanks():
    return render("volunteers/apply_thanks.html")


@bp.route("/volunteers/applications")
@role_required(CHAMPION)
def applications():
    invited = request.args.get("show") == "invited"
    page = paginate(vetting.application_list(me(), invited=invited))
    waiting = vetting.waiting_count(me())
    return render("volunteers/applications.html", page=page, invited=invited, waiting=waiting)


@bp.route("/volunteers/applications/<int:application_id>/invite", methods=["GET", "POST"])
@role_required(CHAMPION)
def application_invite(application_id: int):
    application = vetting.get_application(application_id, me())
    form = InviteVolunteerForm.drawn({"name": application.first_name, "email": application.email})
    invited = submit(
        form,
        lambda: vetting.invite_applicant(application, form.name.data, form.email.data, me()),
        "Invitation sent.",  # no name or address: flashes sit in the cookie
        lambda volunteer: url_for("volunteers.detail", volunteer_id=volunteer.id),
        by="email",
    )
    return invited or render(
        "volunteers/applications_invite.html", form=form, application=application
    )


@bp.route("/volunteers/applications/<int:application_id>/decline", methods=["GET", "POST"])
@role_required(CHAMPION)
def application_decline(application_id: int):
    application = vetting.get_application(application_id, me())
    form = DeclineApplicationForm()
    declined = submit(
        form,
        lambda: vetting.decline_application(application, form.reason.data, me()),
        "Application declined. Their details are deleted.",
        url_for("volunteers.applications"),
        by="reason",
    )
    return declined or render(
        "volunteers/applications_decline.html", form=form, application=application
    )
