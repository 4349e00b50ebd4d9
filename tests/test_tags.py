"""Status tags: every state of every family has its words and one of the tag colours."""

import pytest

from portal import tags
from portal.accompaniment.models import OFFER_STATES, STATES
from portal.auth.models import ACCOUNT_STATES
from portal.safety.board import BOARD_STATES
from portal.volunteers.models import STATUSES as VOLUNTEER_STATUSES
from portal.volunteers.safeguarding import CHECK_STATES, CheckState

FAMILIES = {
    "request": STATES,
    "offer": OFFER_STATES,
    "volunteer": VOLUNTEER_STATUSES,
    "escort": BOARD_STATES,
    "account": ACCOUNT_STATES,
    "check": {
        state: CheckState(kind="dbs", label="DBS", item=None, state=state).state_label
        for state in CHECK_STATES
    },
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_state_has_the_domain_words_and_a_colour(family):
    labels = FAMILIES[family]
    assert set(tags.TAGS[family]) == set(labels)
    for state, label in labels.items():
        tag = tags.tag_for(family, state)
        assert tag.label == label
        assert tag.colour in tags.COLOURS


def test_notices_have_colours_and_fill_in_their_values():
    assert all(tag.colour in tags.COLOURS for tag in tags.NOTICES.values())
    assert tags.tag_for("notice", "not_checked", days=90).label == "Not checked for over 90 days"


def test_an_unknown_state_shows_its_name_in_grey():
    assert tags.tag_for("request", "mystery") == tags.Tag("mystery", "grey")


def test_the_macro_renders_the_tag(app):
    with app.test_request_context():
        html = app.jinja_env.from_string(
            '{% from "_macros/tags.html" import tag %}{{ tag("volunteer", "approved") }}'
        ).render()
    assert html == '<strong class="portal-tag portal-tag--green">Approved</strong>'
