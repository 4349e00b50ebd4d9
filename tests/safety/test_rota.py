"""The champion's week rota: the page model, its filters, the empty states, the view ready to
print, who may open it, hostile filter values and a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portal.accompaniment.models import AccompanimentRequest
from portal.auth.models import User
from portal.extensions import db
from portal.safety.rota import RotaFilters, rota_page

from ..factories import (
    context,
    make_client,
    make_escort,
    make_escort_at,
    make_meeting,
    make_request,
    make_user,
)
from ..querycount import count_queries

ROTA = "/safety/rota"


def _page(app, champion, now=None, **filters):
    with app.app_context():
        actor = db.session.get(User, champion.id)
        return rota_page(actor, RotaFilters(**filters), now)


def _set(request_id: int, **values) -> None:
    with context():
        row = db.session.get(AccompanimentRequest, request_id)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


def test_the_week_holds_booked_escorts_by_day_and_nothing_else(app):
    champion = make_user(roles=("champion",), name="Chris Champion")
    keyworker = make_user(roles=("keyworker",), name="Kim Keyworker")
    today, _v, _u, _k, _c = make_escort(starts_in=timedelta(hours=2), keyworker=keyworker)
    _set(today.id, meeting_point="By the bus stop", minutes_before=20)
    later, *_ = make_escort(starts_in=timedelta(days=3))
    too_late, *_ = make_escort(starts_in=timedelta(days=8))
    cancelled, *_ = make_escort(starts_in=timedelta(days=1))
    _set(cancelled.id, state="cancelled")
    make_request(make_client(), make_meeting(), state="open")  # nobody has agreed to go

    page = _page(app, champion)
    assert len(page.days) == 7 and page.days[0].day == page.first
    assert (page.last - page.first).days == 6
    assert page.booked == 2 == page.shown
    first = page.days[0].rows[0]
    assert first.request_id == today.id
    assert first.meeting_point == "By the bus stop"
    assert first.meets_at == today.starts_at - timedelta(minutes=20)
    assert first.keyworker == "Kim Keyworker"
    assert first.volunteer_phone == "07700 900123"
    assert first.venue == "St Mark's Church Hall"
    listed = [row.request_id for day in page.days for row in day.rows]
    assert listed == [today.id, later.id]
    assert too_late.id not in listed and cancelled.id not in listed


def test_the_days_are_london_days_across_the_autumn_clock_change(app, clock):
    # Sunday 25 October 2026: the clocks go back at 2am. Seven days from that Sunday.
    clock.move_to(datetime(2026, 10, 25, 9, 0, tzinfo=UTC), tick=False)
    champion = make_user(roles=("champion",))
    saturday_late, *_ = make_escort_at(datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    next_sunday, *_ = make_escort_at(datetime(2026, 11, 1, 0, 30, tzinfo=UTC))
    page = _page(app, champion, now=datetime(2026, 10, 25, 9, 0, tzinfo=UTC))
    assert [day.day.day for day in page.days] == [25, 26, 27, 28, 29, 30, 31]
    assert [row.request_id for row in page.days[-1].rows] == [saturday_late.id]
    assert next_sunday.id not in [r.request_id for d in page.days for r in d.rows]


def test_summer_evenings_after_11pm_utc_fall_on_the_next_london_day(app, clock):
    # Monday 29 March 2027, BST: 23:30 UTC on Sunday 4 April is 00:30 on Monday 5 April.
    clock.move_to(datetime(2027, 3, 29, 8, 0, tzinfo=UTC), tick=False)
    champion = make_user(roles=("champion",))
    sunday, *_ = make_escort_at(datetime(2027, 4, 4, 21, 30, tzinfo=UTC))
    monday_after, *_ = make_escort_at(datetime(2027, 4, 4, 23, 30, tzinfo=UTC))
    page = _page(app, champion, now=datetime(2027, 3, 29, 8, 0, tzinfo=UTC))
    listed = [r.request_id for d in page.days for r in d.rows]
    assert listed == [sunday.id] and monday_after.id not in listed


def test_champion_filters_by_fellowship_volunteer_and_area(app, client, login_as):
    login_as("champion")
    aa, *_ = make_escort(starts_in=timedelta(days=1), meeting=make_meeting("AA", area="Eastside"))
    na, na_volunteer, *_ = make_escort(
        starts_in=timedelta(days=2), meeting=make_meeting("NA", name="Hope Group", area="Westfield")
    )
    html = client.get(ROTA).get_data(as_text=True)
    assert f'id="rota-{aa.id}"' in html and f'id="rota-{na.id}"' in html
    assert "2 escorts booked" in html
    assert 'name="fellowship"' in html and 'name="volunteer"' in html and 'name="area"' in html

    html = client.get(f"{ROTA}?fellowship={na.meeting.fellowship_id}").get_data(as_text=True)
    assert f'id="rota-{na.id}"' in html and f'id="rota-{aa.id}"' not in html
    assert "1 escort booked that match (2 in all)" in html

    html = client.get(f"{ROTA}?volunteer={na_volunteer.id}").get_data(as_text=True)
    assert f'id="rota-{na.id}"' in html and f'id="rota-{aa.id}"' not in html

    html = client.get(f"{ROTA}?area=eastside").get_data(as_text=True)  # any case
    assert f'id="rota-{aa.id}"' in html and f'id="rota-{na.id}"' not in html

    fragment = client.get(f"{ROTA}?area=Eastside", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text
    assert 'id="rota-results"' in text and f'id="rota-{aa.id}"' in text


def test_the_empty_week_says_what_to_do_next(client, login_as):
    login_as("champion")
    html = client.get(ROTA).get_data(as_text=True)
    assert "No escorts are booked for the next seven days" in html
    assert 'href="/requests/queue"' in html and 'href="/requests/proposals"' in html
    assert "Print this rota" not in html


def test_filters_matching_nothing_offer_the_whole_week(client, login_as):
    login_as("champion")
    make_escort(starts_in=timedelta(days=1), meeting=make_meeting(area="Eastside"))
    html = client.get(f"{ROTA}?area=Nowhere").get_data(as_text=True)
    assert "No escorts match these filters" in html
    assert f'href="{ROTA}">Show every escort this week' in html


def test_the_print_view_keeps_the_filters_and_drops_the_form(client, login_as):
    login_as("champion")
    request, *_ = make_escort(starts_in=timedelta(days=1), meeting=make_meeting(area="Eastside"))
    html = client.get(f"{ROTA}?area=Eastside").get_data(as_text=True)
    assert 'href="/safety/rota?print=1&amp;area=Eastside">Print this rota</a>' in html
    page = client.get(f"{ROTA}?print=1&area=Eastside")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'role="search"' not in html and "Print this rota" not in html
    assert "Back to the rota" in html and "second sheet" in html
    assert f'id="rota-{request.id}"' in html
    assert 'class="portal-rota"' in html


def test_the_print_styles_turn_the_rota_sideways_on_a4(app):
    css = (Path(app.static_folder) / "css" / "portal.css").read_text()
    block = css[css.index("/* Week rota") :]
    assert "@page rota { size: A4 landscape;" in block
    assert ".portal-rota { page: rota;" in block
    assert ".portal-nav" in block and ".portal-rota__filters" in block


@pytest.mark.parametrize("role", ["keyworker", "volunteer", "admin"])
def test_only_champions_see_the_rota(client, login_as, role):
    login_as(role)
    assert client.get(ROTA).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(ROTA)
    assert response.status_code in (302, 303) and "/sign-in" in response.location


def test_the_rota_service_refuses_anyone_but_a_champion(app):
    from portal.errors import NotFound

    keyworker = make_user(roles=("keyworker",))
    with pytest.raises(NotFound):
        _page(app, keyworker)


@pytest.mark.parametrize(
    "query",
    [
        "fellowship=abc",
        "fellowship=-3",
        "volunteer=99999999999999999999999",
        "volunteer=1.5&fellowship=0",
        "area=%00%01",
        "area=" + "x" * 5000,
        "print=%3Cscript%3E",
        "fellowship=1&fellowship=2&volunteer=",
        "page=-1",
    ],
)
def test_hostile_filter_values_never_break_the_page(client, login_as, query):
    login_as("champion")
    make_escort(starts_in=timedelta(days=1))
    response = client.get(f"{ROTA}?{query}")
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True)


def test_the_rota_takes_the_same_number_of_queries_for_2_or_8_escorts(app, client, login_as):
    login_as("champion")
    for day in range(2):
        make_escort(starts_in=timedelta(days=day, hours=1))

    def queries() -> int:
        client.get(ROTA)
        with count_queries(app) as statements:
            assert client.get(ROTA).status_code == 200
        return len(statements)

    few = queries()
    for day in range(6):
        make_escort(starts_in=timedelta(days=day, hours=3), meeting=make_meeting("NA"))
    assert queries() == few
