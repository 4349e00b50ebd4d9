"""Routes of the meetings directory: parse, call one service, redirect or render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, current_app, flash, request, stream_with_context, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..audit import utcnow
from ..dates import LONDON, long_date
from ..errors import Conflict, InvalidChange
from ..form_flow import submit
from ..web import (
    external_url,
    is_safe_next,
    me,
    paginate,
    redirect_303,
    render,
    role_required,
    show_error,
    signed_in,
    wants_fragment,
)
from . import bp, services
from .forms import ButtonForm, ConfirmForm, FellowshipForm, ImportForm, MeetingForm
from .meeting_types import FEATURES, LANGUAGES
from .models import FELLOWSHIP_KINDS, WEEKDAYS, Meeting, MeetingImport

CHAMPIONS = ("champion", "admin")
PRINT_LIMIT = 12  # what fits on one printed page
IMPORT_OVERHEAD = 64 * 1024  # the form fields and multipart boundaries around the file


def _may_change() -> bool:
    return current_user.has_role(*CHAMPIONS)


def _filters() -> services.MeetingFilters:
    return services.MeetingFilters.from_args(request.args, may_see_inactive=_may_change())


def _search_context(filters: services.MeetingFilters) -> dict:
    return {
        "filters": filters,
        "days": {str(day): WEEKDAYS[day] for day in services.DAY_ORDER},
        "times": services.TIMES_OF_DAY,
        "attendances": services.ATTENDANCE_FILTERS,
        "features": FEATURES,
        "languages": LANGUAGES,
        "statuses": services.STATUS_FILTERS,
        "may_change": _may_change(),
        **services.search_choices(),
    }


@bp.route("/meetings")
@signed_in
def search():
    filters = _filters()
    near = services.near_place(filters)
    page = services.search_page(filters, place=near["place"])
    # Page links carry every filter, repeated ones (several features) included.
    page.url_for_page = lambda number: url_for("meetings.search", page=number, **filters.as_args())
    if _wants_results_only():
        return render("meetings/search.html", block="results", page=page, filters=filters, **near)
    stale = services.count_stale() if _may_change() else 0
    return render(
        "meetings/search.html",
        page=page,
        stale_count=stale,
        **near,
        **_search_context(filters),
    )


def _wants_results_only() -> bool:
    """An htmx live-search request: only the results block is swapped, so skip the form's data."""
    return wants_fragment()


@bp.route("/meetings.csv")
@signed_in
def search_csv():
    filters = _filters()
    statement = services.search_meetings(filters, services.near_place(filters)["place"])
    stamp = utcnow().strftime("%Y-%m-%d")
    return Response(
        stream_with_context(services.csv_lines(statement)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="meetings-{stamp}.csv"'},
    )


@bp.route("/meetings/print")
@signed_in
def print_sheet():
    filters = _filters()
    near = services.near_place(filters)
    meetings, total = services.search_limit(filters, PRINT_LIMIT, place=near["place"])
    distances = services.meeting_distances(meetings, near["place"]) if near["place"] else {}
    today = utcnow().astimezone(LONDON)
    return render(
        "meetings/print.html",
        meetings=meetings,
        total=total,
        filters=filters,
        printed_on=long_date(today),
        distances=distances,
        **near,
    )


@bp.route("/meetings/<int:meeting_id>")
@signed_in
def detail(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    days = services.stale_days()
    return render(
        "meetings/detail.html",
        meeting=meeting,
        occurrences=services.next_meeting_times(meeting) if meeting.active else [],
        stale=meeting.is_stale(utcnow(), days),
        stale_days=days,
        may_change=_may_change(),
        action_form=ButtonForm(),
    )


@bp.route("/meetings/<int:meeting_id>/calendar.ics")
@signed_in
def calendar(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    if not meeting.active:
        abort(404)
    page = external_url("meetings.detail", meeting_id=meeting.id)
    return Response(
        services.meeting_calendar(meeting, page),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting.id}.ics"'},
    )


def _meeting_form_page(form: MeetingForm, meeting: Meeting | None, conflict: str | None = None):
    status = 200 if conflict is None else 409
    return render("meetings/edit.html", form=form, meeting=meeting, conflict=conflict), status


def _meeting_form(meeting: Meeting | None = None) -> MeetingForm:
    """The meeting form: a saved meeting's values on a GET, what was sent on a POST."""
    form = MeetingForm()
    if meeting is not None and form.first_draw:
        form = MeetingForm.from_meeting(meeting)
    _fellowship_choices(form, meeting.fellowship_id if meeting is not None else None)
    return form


def _fellowship_choices(form, current_id: int | None = None) -> None:
    form.fellowship_id.choices = [
        (f.id, f.name if f.active else f"{f.name} (deactivated)")
        for f in services.active_fellowships(current_id)
    ]


@bp.route("/meetings/new", methods=["GET", "POST"])
@role_required(*CHAMPIONS)
def new():
    form = _meeting_form()
    added = submit(
        form,
        lambda: services.create_meeting(form.meeting_values([]), me().id),
        lambda meeting: f"{meeting.name} is in the directory.",
        lambda meeting: url_for("meetings.detail", meeting_id=meeting.id),
        by="name",
    )
    return added or _meeting_form_page(form, None)


def _save_meeting(meeting: Meeting, form: MeetingForm) -> None:
    """Save the valid form's answers (read only once valid) over the meeting."""
    services.update_meeting(meeting, form.meeting_values(meeting.codes), me().id, form.version.data)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@role_required(*CHAMPIONS)
def edit(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    form = _meeting_form(meeting)
    try:
        saved = submit(
            form,
            lambda: _save_meeting(meeting, form),
            "Changes saved.",
            url_for("meetings.detail", meeting_id=meeting.id),
            by="name",
        )
    except Conflict as error:  # the form again with the user's input kept, and a banner
        return _meeting_form_page(form, meeting, error.message)
    return saved or _meeting_form_page(form, meeting)


@dataclass(frozen=True)
class _Switch:
    """What (de)activating one kind of record needs: how to load and change it, its page, where
    to go after, and what to say (naming the record as it is then)."""

    template: str
    load: Callable[[int], Any]
    change: Callable[[Any, bool, int, int | None], Any]
    back: Callable[[Any], str]
    reactivated: str
    deactivated: str


_SWITCHES = {
    "meeting": _Switch(
        "meetings/confirm_active.html",
        services.get_meeting,
        services.set_meeting_active,
        lambda meeting: url_for("meetings.detail", meeting_id=meeting.id),
        "{name} is back in the directory.",
        "{name} is deactivated. It no longer shows in searches.",
    ),
    "fellowship": _Switch(
        "meetings/fellowship_confirm.html",
        services.get_fellowship,
        services.set_fellowship_active,
        lambda _: url_for("meetings.fellowships"),
        "{name} can be chosen for meetings again.",
        "{name} is deactivated. Its meetings stay in the directory.",
    ),
}


def _confirm_active(name: str, record_id: int, active: bool):
    """GET shows the confirmation for (de)activating the `name` record; POST makes the change and
    says so. A conflict shows the confirmation again, with the new version and a banner."""
    switch = _SWITCHES[name]
    record = switch.load(record_id)
    form = ConfirmForm.drawn({"version": record.version})
    if form.validate_on_submit():
        try:
            switch.change(record, active, me().id, form.version.data)
        except Conflict as error:
            again = ConfirmForm(data={"version": record.version})
            context = {name: record, "form": again, "active": active}
            return render(switch.template, **context, conflict=error.message), 409
        done = switch.reactivated if active else switch.deactivated
        flash(done.format(name=record.name), "success")
        return redirect_303(switch.back(record))
    return render(switch.template, **{name: record}, form=form, active=active, conflict=None)


@bp.route("/meetings/<int:meeting_id>/deactivate", methods=["GET", "POST"])
@role_required(*CHAMPIONS)
def deactivate(meeting_id: int):
    return _confirm_active("meeting", meeting_id, False)


@bp.route("/meetings/<int:meeting_id>/reactivate", methods=["GET", "POST"])
@role_required(*CHAMPIONS)
def reactivate(meeting_id: int):
    return _confirm_active("meeting", meeting_id, True)


@bp.route("/meetings/<int:meeting_id>/checked", methods=["POST"])
@role_required(*CHAMPIONS)
def mark_checked(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    if ButtonForm().validate_on_submit():
        services.mark_meeting_checked(meeting, me().id)
        flash(f"{meeting.name} is marked as checked today.", "success")
    target = request.form.get("next")
    if is_safe_next(target):
        return redirect_303(target)
    return redirect_303(url_for("meetings.detail", meeting_id=meeting.id))


@bp.route("/meetings/needs-checking")
@role_required(*CHAMPIONS)
def needs_checking():
    days = services.stale_days()
    page = paginate(services.stale_meetings(days=days))
    return render(
        "meetings/needs_checking.html",
        block="results",
        page=page,
        days=days,
        action_form=ButtonForm(),
    )


@bp.route("/meetings/fellowships")
@role_required(*CHAMPIONS)
def fellowships():
    return render(
        "meetings/fellowships.html", rows=services.list_fellowships(), kinds=FELLOWSHIP_KINDS
    )


@bp.route("/meetings/fellowships/new", methods=["GET", "POST"])
@role_required(*CHAMPIONS)
def fellowship_new():
    form = FellowshipForm()
    added = submit(
        form,
        lambda: services.create_fellowship(form.data, me().id),
        lambda fellowship: f"{fellowship.name} can now be chosen for meetings.",
        url_for("meetings.fellowships"),
        by="code",
    )
    return added or _fellowship_page(form, None)


def _fellowship_page(form: FellowshipForm, fellowship: Any, conflict: str | None = None):
    status = 200 if conflict is None else 409
    context = {"form": form, "fellowship": fellowship, "conflict": conflict}
    return render("meetings/fellowship_edit.html", **context), status


@bp.route("/meetings/fellowships/<int:fellowship_id>/edit", methods=["GET", "POST"])
@role_required(*CHAMPIONS)
def fellowship_edit(fellowship_id: int):
    fellowship = services.get_fellowship(fellowship_id)
    form = FellowshipForm.drawn(obj=fellowship)
    try:
        saved = submit(
            form,
            lambda: services.update_fellowship(fellowship, form.data, me().id, form.version.data),
            "Changes saved.",
            url_for("meetings.fellowships"),
            by="code",
        )
    except Conflict as error:  # the form again with the user's input kept, and a banner
        return _fellowship_page(form, fellowship, error.message)
    return saved or _fellowship_page(form, fellowship)


@bp.route("/meetings/fellowships/<int:fellowship_id>/deactivate", methods=["GET", "POST"])
@role_required(*CHAMPIONS)
def fellowship_deactivate(fellowship_id: int):
    return _confirm_active("fellowship", fellowship_id, False)


@bp.route("/meetings/fellowships/<int:fellowship_id>/reactivate", methods=["GET", "POST"])
@role_required(*CHAMPIONS)
def fellowship_reactivate(fellowship_id: int):
    return _confirm_active("fellowship", fellowship_id, True)


def _import_limit_text() -> str:
    limit = current_app.config["MEETING_IMPORT_MAX_BYTES"]
    return f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"


def _import_page(form: ImportForm, status: int = 200):
    _fellowship_choices(form)
    return render(
        "meetings/import.html",
        form=form,
        limit=_import_limit_text(),
        max_meetings=services.max_meetings(),
        recent=services.recent_imports(),
        sources=services.known_sources(),
    ), status


@bp.url_value_preprocessor
def _import_size_limit(endpoint: str | None, values: dict | None) -> None:
    """Uploads may be as large as the import limit allows (checked before CSRF reads the body)."""
    if endpoint == "meetings.import_upload":
        limit = current_app.config["MEETING_IMPORT_MAX_BYTES"] + IMPORT_OVERHEAD
        request.max_content_length = limit


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    if request.endpoint != "meetings.import_upload":
        return render(
            "errors/error.html",
            code=413,
            title="That is too large",
            body="Send less and try again.",
        ), 413
    form = ImportForm(formdata=None)
    form.feed.errors = [
        f"The file is larger than {_import_limit_text()}. Import a smaller feed, or split it."
    ]
    return _import_page(form, status=413)


def _import_form() -> ImportForm:
    """The upload form; on a GET AA is chosen, the fellowship whose feeds are most common."""
    form = ImportForm()
    if form.first_draw:
        fellowship = services.fellowship_by_code("AA")
        form.fellowship_id.data = fellowship.id if fellowship else None
    _fellowship_choices(form)
    return form


def _preview_upload(form: ImportForm) -> MeetingImport:
    """The uploaded feed, read no further than the import limit allows: a preview when it is
    small, else stored for the tick to read (the page then shows how far it has got)."""
    limit = current_app.config["MEETING_IMPORT_MAX_BYTES"]
    payload = form.feed.data.stream.read(limit + 1)
    if len(payload) > limit:
        message = f"The file is larger than {_import_limit_text()}. Import a smaller feed."
        raise InvalidChange(message, field="feed")
    fellowship = services.get_fellowship(form.fellowship_id.data)
    filename = form.feed.data.filename
    return services.start_import(payload, form.source.data, fellowship, me().id, filename)


@bp.route("/meetings/import", methods=["GET", "POST"])
@role_required(*CHAMPIONS)
def import_upload():
    form = _import_form()
    if form.validate_on_submit():
        try:
            run = _preview_upload(form)
        except InvalidChange as error:  # by the file, with the other answers kept
            show_error(form, error, "feed")
        else:
            return redirect_303(url_for("meetings.import_preview", import_id=run.id))
    return _import_page(form)


IMPORT_POLL_SECONDS = 2  # how often the page asks how far a large import has got
IMPORT_TITLES = {
    "reading": "Reading the feed",
    "preview": "Check the import",
    "applying": "Importing the meetings",
    "applied": "Import done",
    "discarded": "Import discarded",
    "failed": "The feed could not be imported",
    "stopped": "The import stopped part-way",
}


@bp.route("/meetings/import/<import_id>")
@role_required(*CHAMPIONS)
def import_preview(import_id: str):
    """The import's page: its progress while the tick works on it, then the preview or the
    result. htmx asks for the progress block every few seconds; without JavaScript the page
    reloads itself. Once the work is over, htmx is told to load the whole page again."""
    run = services.get_import(import_id, me().id)
    working = run.status in ("reading", "applying")
    if wants_fragment() and not working:
        response = Response(status=204)
        response.headers["HX-Refresh"] = "true"
        return response
    job = services.import_job(run)
    return render(
        "meetings/import_preview.html",
        block="progress",
        title=IMPORT_TITLES[run.status],
        run=run,
        job=job,
        done=services.job_counts(job),
        working=working,
        poll=IMPORT_POLL_SECONDS,
        summary=services.import_summary(run),
        expired=services.preview_expired(run),
        form=ButtonForm(),
    )


@bp.route("/meetings/import/<import_id>/confirm", methods=["POST"])
@role_required(*CHAMPIONS)
def import_confirm(import_id: str):
    run = services.get_import(import_id, me().id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        outcome = services.confirm_upload(run, me().id)
    except (InvalidChange, Conflict) as error:  # on the preview, whose figures say what changed
        flash(error.message, "error")
    else:
        _flash_import_result(run, outcome)
    return redirect_303(url_for("meetings.import_preview", import_id=run.id))


def _flash_import_result(run: MeetingImport, outcome: str) -> None:
    if outcome == "queued":
        flash("The import has started. This page shows how far it has got.", "success")
        return
    if outcome == "changed":
        flash(
            "The directory changed since this preview was made. Check the new figures, "
            "then confirm again.",
            "error",
        )
        return
    counts = services.import_summary(run)["counts"]
    flash(
        f"Import done: {counts['created']} added, {counts['updated']} updated, "
        f"{counts['deactivated']} deactivated, {counts['unchanged']} unchanged.",
        "success",
    )


@bp.route("/meetings/import/<import_id>/discard", methods=["POST"])
@role_required(*CHAMPIONS)
def import_discard(import_id: str):
    run = services.get_import(import_id, me().id)
    if ButtonForm().validate_on_submit():
        if run.status == "reading" and not services.cancel_reading(run, me().id):
            flash("The feed was read a moment ago: check what it would change.", "error")
            return redirect_303(url_for("meetings.import_preview", import_id=run.id))
        services.discard_import(run, me().id)
        flash("The import was discarded. Nothing changed.", "success")
    return redirect_303(url_for("meetings.import_upload"))
