"""Champions' and volunteers' pages that show a client's data record one view each."""

from __future__ import annotations

from sqlalchemy import select

from portal.audit import VIEW, AuditEvent
from portal.extensions import db

from ..factories import (
    make_client,
    make_meeting,
    make_offer,
    make_request,
    make_user,
    make_vetted_volunteer,
)


def _views(app) -> list[AuditEvent]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.kind == VIEW).order_by(AuditEvent.id)
            )
        )
        db.session.expunge_all()
        return rows


def test_the_queue_records_one_list_view_with_its_filters(app, login_as, client):
    champion = login_as("champion")
    client_row = make_client(first_name="Ysolde", consent_first_name=True)
    make_request(client_row, make_meeting())
    before = len(_views(app))
    response = client.get("/requests/queue?state=open", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Ysolde" in response.get_data(as_text=True)
    views = _views(app)
    assert len(views) == before + 1
    event = views[-1]
    assert (event.action, event.actor_id, event.client_ref) == (
        "request_queue_viewed",
        champion.id,
        None,
    )
    assert "Ysolde" not in event.detail and '"state": "open"' in event.detail


def test_an_offer_records_a_view_only_while_it_shows_the_client(app, browser, client):
    user = make_user(roles=("volunteer",))
    volunteer = make_vetted_volunteer(user)
    # the client's first name is shared with consent: the page shows it
    request = make_request(make_client(consent_first_name=True), make_meeting(), state="offered")
    open_offer = make_offer(request, volunteer)
    closed = make_offer(make_request(make_client(), make_meeting()), volunteer, state="declined")
    browser.sign_in(user.email)
    before = len(_views(app))
    assert client.get(f"/offers/{closed.id}").status_code == 200
    assert len(_views(app)) == before
    assert client.get(f"/offers/{open_offer.id}").status_code == 200
    assert [e.action for e in _views(app)[before:]] == ["offer_viewed"]
