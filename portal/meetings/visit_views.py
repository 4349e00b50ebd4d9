"""Keyworkers' visits to open meetings: record one from the meeting page, remove your own, and
list your own. The rules (and who sees what) are in visits.py."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from ..form_flow import run, submit
from ..web import is_safe_next, me, paginate, render, role_required
from . import bp, services, visits
from .forms import ButtonForm, VisitForm
from .models import KeyworkerVisit, Meeting


def _visits_on_meeting_page(meeting: Meeting) -> dict[str, Any] | None:
    """What templates/meetings/_visits.html shows on a meeting's page; None for anyone but staff.
    Asked for by the template, so a page without the fragment pays nothing for it."""
    summary = visits.visit_summary(meeting, me())
    if summary is None:
        return None
    refusal = visits.why_not_visitable(meeting)
    form = None if refusal else VisitForm.for_today()
    return {"summary": summary, "refusal": refusal, "form": form, "me_id": me().id}


@bp.context_processor
def _visit_helpers() -> dict[str, Any]:
    return {"keyworker_visits": _visits_on_meeting_page}


def _meeting_page(meeting_id: int) -> str:
    return url_for("meetings.detail", meeting_id=meeting_id, _anchor="visits")


@bp.route("/meetings/<int:meeting_id>/visits/new", methods=["GET", "POST"])
@role_required(*visits.STAFF)
def visit_new(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    form = VisitForm.for_today()
    saved = submit(
        form,
        lambda: visits.record_visit(meeting, me(), **form.answers()),
        "Your visit is recorded. Colleagues can now see it on this page.",
        _meeting_page(meeting.id),
        stay=True,  # a refusal goes by its field, with what was typed kept
    )
    refusal = visits.why_not_visitable(meeting)
    return saved or render("meetings/visit_form.html", meeting=meeting, form=form, refusal=refusal)


def _back_from_removal(visit: KeyworkerVisit) -> str:
    """Where removing a visit returns to: the page it was asked from (My visits), else the
    meeting's page."""
    target = request.values.get("next")
    return target if is_safe_next(target) else _meeting_page(visit.meeting_id)


@bp.route("/meetings/visits/<int:visit_id>/remove", methods=["GET", "POST"])
@role_required(*visits.STAFF)
def visit_remove(visit_id: int):
    visit = visits.get_own_visit(me(), visit_id)
    back = _back_from_removal(visit)
    form = ButtonForm()
    if form.validate_on_submit():
        return run(lambda: visits.remove_visit(visit, me()), "Your visit is removed.", back)
    return render("meetings/visit_remove.html", visit=visit, form=form, back=back)


@bp.route("/meetings/my-visits")
@role_required(*visits.STAFF)
def my_visits():
    page = paginate(visits.my_visits(me()))
    return render("meetings/visits.html", block="results", page=page)
