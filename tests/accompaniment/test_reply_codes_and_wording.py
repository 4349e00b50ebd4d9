"""Reply codes (unique per volunteer's open offers, random, never weak) and the texts' wording
(under 160 characters, no client, no meeting name, nothing about drugs or alcohol)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from portal.accompaniment import offer_texts, offers
from portal.accompaniment.models import Offer
from portal.accompaniment.reply_codes import CODES, draw_code, is_weak, new_reply_codes
from portal.audit import utcnow
from portal.extensions import db

from ..factories import make_offer
from .scene import add_request, fresh, scene

# Tuesday 8 December 2026, 7:30pm in London (GMT): the escort meets at 7:15pm.
STARTS = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)
MEET = STARTS - timedelta(minutes=15)
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


# --- codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["0000", "1111", "9999", "1234", "0123", "6789", "4321", "9876", "1212", "1122", "1221"]
)
def test_weak_codes_are_never_given(code):
    assert is_weak(code) and code not in CODES


@pytest.mark.parametrize("code", ["4821", "3907", "0516", "7260"])
def test_ordinary_codes_are_given(code):
    assert not is_weak(code) and code in CODES


def test_there_are_plenty_of_codes_and_all_have_four_digits():
    assert len(CODES) > 9500
    assert all(len(code) == 4 and code.isdigit() for code in CODES)


def test_a_drawn_code_is_never_one_held_and_avoids_recent_ones_while_it_can():
    held = set(CODES[:-2])
    for _ in range(50):
        assert draw_code(keep_clear=held) in CODES[-2:]
    # Every free code is recent: a recent one is given rather than a held one.
    assert draw_code(avoid=set(CODES[-2:]), keep_clear=held) in CODES[-2:]
    recent = set(CODES[: len(CODES) // 2])
    assert all(draw_code(avoid=recent) not in recent for _ in range(200))


def test_codes_are_not_in_sequence():
    drawn = [draw_code() for _ in range(40)]
    assert len(set(drawn)) > 30  # random, not one code or a counter
    assert not all(int(b) - int(a) == 1 for a, b in zip(drawn, drawn[1:], strict=False))


def test_each_offer_gets_a_code_unique_among_the_volunteers_open_offers(app):
    s = scene(2)
    requests = [s.request] + [add_request(s, weeks_ahead=w) for w in (2, 3, 4, 5)]
    with app.app_context():
        made = [
            offers.make_offers(r.id, [v.id for v in s.volunteers], fresh(s.champion))
            for r in requests
        ]
        for index in range(2):
            codes = [batch[index].reply_code for batch in made]
            assert all(code in CODES for code in codes)
            assert len(set(codes)) == len(codes)


def test_the_database_refuses_two_open_offers_of_one_volunteer_with_one_code(app):
    s = scene(1)
    other = add_request(s, weeks_ahead=2)
    make_offer(s.request, s.volunteers[0], reply_code="4821")
    with app.app_context():
        db.session.add(
            Offer(
                request_id=other.id,
                volunteer_id=s.volunteers[0].id,
                state="pending",
                expires_at=utcnow() + timedelta(hours=4),
                reply_code="4821",
            )
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        # A closed offer's code may come round again; another volunteer may hold it too.
        db.session.add(
            Offer(
                request_id=other.id,
                volunteer_id=s.volunteers[0].id,
                state="declined",
                expires_at=utcnow() + timedelta(hours=4),
                reply_code="4821",
            )
        )
        db.session.commit()


def test_a_new_code_avoids_the_volunteers_open_and_recent_codes(app):
    s = scene(1)
    make_offer(s.request, s.volunteers[0], reply_code="4821")
    make_offer(add_request(s, weeks_ahead=2), s.volunteers[0], state="expired", reply_code="3907")
    with app.app_context():
        now = utcnow()
        for _ in range(100):
            assert new_reply_codes([s.volunteers[0].id], now)[s.volunteers[0].id] not in {
                "4821",
                "3907",
            }


# --- wording -------------------------------------------------------------------------------------


def test_the_offer_text_says_when_and_where_with_the_code_in_one_text():
    words = offer_texts.offer_made(
        starts_at=STARTS,
        meet_at=MEET,
        area="Wrenford town centre",
        code="4821",
        answer_by=offer_texts.answer_by_words(NOW + timedelta(hours=8), NOW),
    )
    assert words == (
        "Can you go with someone to a meeting on Tue 8 Dec, meet 7:15pm in Wrenford town "
        "centre? Reply YES 4821 to go, NO 4821 if you can't. Answer by 6pm today."
    )
    assert len(words) <= 160
    short = offer_texts.offer_made(
        starts_at=STARTS, meet_at=MEET, area="Wrenford", code="4821", answer_by="6pm today"
    )
    assert short == (
        "New request: can you go with someone to a meeting on Tue 8 Dec, meet 7:15pm in "
        "Wrenford? Reply YES 4821 to go, NO 4821 if you can't. Answer by 6pm today."
    )


def test_the_offer_text_leaves_out_a_long_or_telling_area_rather_than_run_over():
    for area in ["Upper Wrenford and the Lower Harbour district", "Recovery centre", None]:
        words = offer_texts.offer_made(
            starts_at=STARTS, meet_at=MEET, area=area, code="4821", answer_by="9am Mon 7 Dec"
        )
        assert " in " not in words and len(words) <= 160
        assert words.startswith("New request: can you go with someone to a meeting on Tue 8 Dec")
        assert "Reply YES 4821 to go, NO 4821 if you can't." in words


def test_answer_by_in_words():
    assert offer_texts.answer_by_words(NOW + timedelta(hours=2), NOW) == "12pm today"
    assert offer_texts.answer_by_words(NOW + timedelta(hours=23), NOW) == "9am tomorrow"
    assert offer_texts.answer_by_words(NOW + timedelta(days=3), NOW) == "10am Thu 10 Dec"


def test_the_booked_text_names_the_meeting_point_unless_it_says_too_much():
    booked = offer_texts.booked(
        starts_at=STARTS, meet_at=MEET, area="Wrenford", point="Outside the main entrance"
    )
    assert booked == (
        "Thank you - you're booked: the meeting on Tue 8 Dec in Wrenford, meet at 7:15pm, "
        "Outside the main entrance. Details in the portal."
    )
    for point in ["By the alcohol service's door", "x" * 200]:
        words = offer_texts.booked(starts_at=STARTS, meet_at=MEET, area="Wrenford", point=point)
        assert point not in words and words.endswith("Details in the portal.")


@pytest.mark.parametrize(
    ("why", "expected"),
    [
        (
            "request_closed",
            "The meeting on Tue 8 Dec is no longer needed. "
            "Thank you - you don't need to do anything.",
        ),
        (
            "date_changed",
            "The meeting on Tue 8 Dec has moved to another date, so you are no longer booked for "
            "it. Thank you - you don't need to do anything.",
        ),
        (
            "released",
            "You are no longer booked for the meeting on Tue 8 Dec. "
            "Thank you - you don't need to do anything.",
        ),
    ],
)
def test_the_escort_off_texts(why, expected):
    assert offer_texts.escort_off(starts_at=STARTS, why=why) == expected
    assert len(expected) <= 160


def test_every_text_fits_one_message_and_says_nothing_it_should_not():
    texts = [
        offer_texts.offer_closed(starts_at=STARTS, code="4821", why=why)
        for why in ("taken", "date_changed", "champion", "request_closed")
    ] + [
        offer_texts.escort_off(starts_at=STARTS, why="request_closed"),
        offer_texts.already_booked(starts_at=STARTS),
        offer_texts.declined("4821"),
        offer_texts.no_to_a_booking(starts_at=STARTS),
        offer_texts.refused("4821", "x", taken=True, expired=False),
        offer_texts.refused("4821", "x", taken=False, expired=True),
        offer_texts.already_closed("4821", taken=True),
        offer_texts.already_closed("4821", taken=False),
        offer_texts.not_found("4821"),
        offer_texts.no_open_offer(),
        offer_texts.include_code([("4821", STARTS)]),
        offer_texts.include_code([("4821", STARTS), ("3907", STARTS + timedelta(days=2))]),
    ]
    for words in texts:
        assert len(words) <= 160, words
        assert not offer_texts._UNSAFE.search(words), words
