"""Every messages page: the champion writes, previews, sends and reads replies; a volunteer
reads and replies; permissions, hostile input and htmx fragments."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.messages.models import ChampionMessage, MessageRecipient, MessageReply

from .. import factories

HX = {"HX-Request": "true"}


def html(response) -> str:
    return response.get_data(as_text=True)


def volunteer(name: str, fellowships=("AA",), status: str = "approved"):
    user = factories.make_user(roles=("volunteer",), name=name)
    return factories.make_volunteer(
        user, preferred_name=name, fellowships=list(fellowships), status=status
    ), user


def message_page(kind: str, volunteer_user=None) -> str:
    """For the accessibility scan: as the first champion, a draft's "preview" or "edit" page,
    the "sent" list, a sent message with a reply ("detail"); as `volunteer_user`, the "inbox"
    or a "reply" page. The scan's world has an approved volunteer, who gets messages to all."""
    from portal.auth.models import User, UserRole
    from portal.messages import services

    with factories.context():
        champion = db.session.scalar(
            select(User).join(UserRole).where(UserRole.role == "champion").order_by(User.id)
        )
        if kind in ("preview", "edit"):
            draft = services.save_draft(champion, "Thank you for this week.", False)
            return f"/messages/drafts/{draft.id}" + ("/edit" if kind == "edit" else "")
    message = factories.send_champion_message(champion, "Team meeting on Friday.\nTea at 5.")
    with factories.context():
        recipient = db.session.scalar(
            select(MessageRecipient).where(MessageRecipient.message_id == message.id)
        )
        if volunteer_user is not None:
            recipient = db.session.scalar(
                select(MessageRecipient).where(
                    MessageRecipient.message_id == message.id,
                    MessageRecipient.user_id == volunteer_user.id,
                )
            )
        recipient_id = recipient.id
        if kind == "detail":
            services.add_reply(recipient_id, "I can come.", db.session.get(User, recipient.user_id))
    return {
        "sent": "/messages/sent",
        "detail": f"/messages/sent/{message.id}",
        "inbox": "/messages/inbox",
        "reply": f"/messages/inbox/{recipient_id}/reply",
    }[kind]


def draft_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(ChampionMessage.id)))


def test_champion_writes_to_a_filter_previews_and_sends(app, client, browser, login_as):
    login_as("champion")
    volunteer("Ann", fellowships=["NA"])
    volunteer("Bob", fellowships=["NA"])
    volunteer("Cat", fellowships=["AA"])
    na = factories.fellowship_id("NA")
    listing = html(client.get(f"/volunteers/?fellowship={na}"))
    link = re.search(r'href="([^"]*/messages/new[^"]*)"', listing).group(1).replace("&amp;", "&")
    assert "to=filtered" in link and f"fellowship={na}" in link
    response = browser.post(link, {"body": "Line one\r\nLine <b>two</b>"})
    assert response.status_code == 303
    preview = client.get(response.location)
    page = html(preview)
    assert "Ann" in page and "Bob" in page and "Cat" not in page
    assert "Line <b>" not in page and "Line &lt;b&gt;two&lt;/b&gt;" in page
    assert "Send the message to 2 volunteers" in page
    fragment = client.get(response.location, headers=HX)
    assert "<html" not in html(fragment) and "Ann" in html(fragment)
    seen = re.search(r'name="recipients" type="hidden" value="([0-9a-f]+)"', page) or re.search(
        r'value="([0-9a-f]{32})"', page
    )
    sent = browser.post(
        f"/messages/drafts/{draft_id(app)}/send",
        {"recipients": seen.group(1)},
        page=response.location,
    )
    assert sent.status_code == 303 and "/messages/sent/" in sent.location
    detail = html(client.get(sent.location, follow_redirects=True))
    assert "Message sent to 2 volunteers" in detail
    assert "Line one\nLine &lt;b&gt;two&lt;/b&gt;" in detail
    assert "1 message sent" in html(client.get("/messages/sent"))


def test_a_changed_list_shows_the_preview_again(app, client, browser, login_as):
    login_as("champion")
    volunteer("Ann")
    response = browser.post("/messages/new?to=all", {"body": "Hello everyone"})
    page = html(client.get(response.location))
    seen = re.search(r'value="([0-9a-f]{32})"', page).group(1)
    volunteer("Bob")
    again = browser.post(
        f"/messages/drafts/{draft_id(app)}/send", {"recipients": seen}, page=response.location
    )
    assert again.status_code == 303 and again.location.endswith(response.location)
    shown = html(client.get(again.location))
    assert "changed since you looked" in shown and "Bob" in shown
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MessageRecipient)) == 0


def test_client_name_in_a_group_message_is_shown_by_the_field(app, client, browser, login_as):
    login_as("champion")
    factories.make_client(first_name="Jo Smith")
    response = browser.post("/messages/new?to=all", {"body": "Can anyone help JO  SMITH?"})
    assert response.status_code == 200
    page = html(response)
    assert "Group messages must not name a client" in page
    assert 'id="body-error"' in page and "JO  SMITH?" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChampionMessage)) == 0


def test_first_name_needs_the_tick(app, client, browser, login_as):
    login_as("champion")
    factories.make_client(first_name="Priya")
    first = browser.post("/messages/new?to=all", {"body": "Priya needs a lift"})
    assert first.status_code == 200 and "Tick the box" in html(first)
    ticked = browser.post(
        "/messages/new?to=all", {"body": "Priya needs a lift", "names_checked": "y"}
    )
    assert ticked.status_code == 303


def test_one_volunteer_from_their_page(app, client, browser, login_as):
    login_as("champion")
    ann, _ = volunteer("Ann")
    page = html(client.get(f"/volunteers/{ann.id}"))
    assert f"/messages/new?to=one&amp;volunteer={ann.id}" in page
    response = browser.post(f"/messages/new?to=one&volunteer={ann.id}", {"body": "Hi Ann"})
    preview = html(client.get(response.location))
    assert "Send the message to 1 volunteer" in preview
    edit = client.get(f"/messages/drafts/{draft_id(app)}/edit")
    assert "Hi Ann" in html(edit)


@pytest.mark.parametrize(
    "url",
    [
        "/messages/new?to=nobody",
        "/messages/new?to=one&volunteer=99999",
        "/messages/new?to=one&volunteer=abc",
        "/messages/drafts/99999",
        "/messages/drafts/99999/edit",
        "/messages/sent/99999",
        "/messages/drafts/99999999999999",
    ],
)
def test_unknown_things_are_not_found(client, login_as, url):
    login_as("champion")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "body",
    ["", "   ", "x" * 2001, "bad\x00byte", "\r\n" * 5],
)
def test_hostile_message_bodies_are_refused_by_the_field(app, browser, login_as, body):
    login_as("champion")
    response = browser.post("/messages/new?to=all", {"body": body})
    assert response.status_code == 200
    assert "nhsuk-error-message" in html(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChampionMessage)) == 0


def test_hostile_filters_never_break_the_page(client, login_as):
    login_as("champion")
    for query in ("fellowship=abc", "status=%00", "q=" + "x" * 500, "to=all&to=one", "page=-3"):
        assert client.get(f"/messages/new?to=filtered&{query}").status_code == 200
        assert client.get(f"/volunteers/?{query}").status_code == 200


def test_bad_fingerprint_sends_nothing(app, client, browser, login_as):
    login_as("champion")
    volunteer("Ann")
    response = browser.post("/messages/new?to=all", {"body": "Hello"})
    for bad in ("nope", "x" * 100, "\x00"):
        answer = browser.post(
            f"/messages/drafts/{draft_id(app)}/send", {"recipients": bad}, page=response.location
        )
        assert answer.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MessageRecipient)) == 0


def test_volunteer_reads_and_replies_and_champion_sees_it(app, client, browser, login_as):
    champion = factories.make_user(roles=("champion",))
    volunteer("Bob")
    factories.send_champion_message(champion, "First\nSecond line")
    user = login_as("volunteer")
    factories.make_volunteer(user, preferred_name="Ann", status="approved")
    factories.send_champion_message(champion, "Can you help on Tuesday?")
    inbox = html(client.get("/messages/inbox"))
    assert "Can you help on Tuesday?" in inbox and "First" not in inbox  # sent before they joined
    assert "<html" not in html(client.get("/messages/inbox", headers=HX))
    with app.app_context():
        mine = db.session.scalar(
            select(MessageRecipient.id).where(MessageRecipient.user_id == user.id)
        )
    url = f"/messages/inbox/{mine}/reply"
    assert "Can you help on Tuesday?" in html(client.get(url))
    bad = browser.post(url, {"body": "x" * 2001})
    assert bad.status_code == 200 and "nhsuk-error-message" in html(bad)
    done = browser.post(url, {"body": "Yes <i>I can</i>"})
    assert done.status_code == 303
    assert "Yes &lt;i&gt;I can&lt;/i&gt;" in html(client.get("/messages/inbox"))
    with app.app_context():
        message_id = db.session.scalar(select(MessageReply.message_id))
    client.post("/sign-out", data={"csrf_token": browser.token("/")})
    browser.sign_in(champion.email)
    listing = html(client.get("/messages/sent"))
    assert ">1</td>" in listing
    detail = client.get(f"/messages/sent/{message_id}")
    assert "Yes &lt;i&gt;I can&lt;/i&gt;" in html(detail) and "Ann" in html(detail)
    assert "<html" not in html(client.get(f"/messages/sent/{message_id}", headers=HX))


def test_a_volunteer_cannot_open_someone_elses_message(app, client, login_as):
    champion = factories.make_user(roles=("champion",))
    _, other = volunteer("Bob")
    factories.send_champion_message(champion)
    with app.app_context():
        theirs = db.session.scalar(
            select(MessageRecipient.id).where(MessageRecipient.user_id == other.id)
        )
    login_as("volunteer")
    assert client.get(f"/messages/inbox/{theirs}/reply").status_code == 404
    assert client.get("/messages/sent").status_code == 403
    assert client.get("/messages/new?to=all").status_code == 403


def test_writing_without_saying_to_whom_goes_to_the_messages_page(client, login_as):
    login_as("champion")
    response = client.get("/messages/new")
    assert response.status_code == 303 and response.location.endswith("/messages/sent")


def test_empty_inbox_says_what_to_do(client, login_as):
    login_as("volunteer")
    assert "No messages yet" in html(client.get("/messages/inbox"))


def test_empty_sent_list_says_what_to_do(client, login_as):
    login_as("champion")
    assert "No messages sent yet" in html(client.get("/messages/sent"))
