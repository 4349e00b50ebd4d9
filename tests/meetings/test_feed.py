"""The Meeting Guide parser on its own: messy real-world records in, clean ones or reasons out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from portal.meetings import meeting_types
from portal.meetings.feed import (
    FeedError,
    FeedMeeting,
    Skip,
    check_feed_record,
    clean_text,
    decode_feed,
    normalise_postcode,
    parse_feed,
    parse_record,
)

DATA = Path(__file__).parent / "data"


def record(**fields: object) -> dict:
    base: dict = {
        "name": "Tuesday Night Group",
        "slug": "tuesday-night",
        "day": 2,
        "time": "19:30",
        "formatted_address": "St Mark's Church Hall, 12 Church Lane, Wrenford QX1 4AB, UK",
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not ...}


def one(**fields: object) -> FeedMeeting:
    meetings = parse_record(record(**fields), 1)
    assert len(meetings) == 1
    return meetings[0]


def skip_reason(raw: object) -> str:
    result = parse_feed([raw])
    assert not result.meetings
    return result.skipped[0].reason


# --- slugs, days and times -----------------------------------------------------------------


@pytest.mark.parametrize(("given", "slug"), [("abc-12", "abc-12"), (12, "12"), (12.0, "12")])
def test_a_slug_may_be_text_or_a_number(given, slug):
    assert one(slug=given).slug == slug


@pytest.mark.parametrize("given", [None, "", True, 1.5, ["x"], {"a": 1}])
def test_a_record_without_a_usable_slug_is_skipped(given):
    assert "slug" in skip_reason(record(slug=given))


@pytest.mark.parametrize(
    ("given", "weekday"),
    [(0, 0), (6, 6), ("3", 3), (3.0, 3), ("Sunday", 0), ("monday", 1), ("Thurs", 4), (" SAT ", 6)],
)
def test_a_day_may_be_a_number_numeric_text_or_an_english_name(given, weekday):
    assert one(day=given).weekday == weekday


def test_a_day_array_makes_one_meeting_per_day_with_its_own_slug():
    meetings = parse_record(record(day=[1, "Wednesday", 5, 1], slug=7), 1)
    assert [(m.weekday, m.slug) for m in meetings] == [(1, "7@1"), (3, "7@3"), (5, "7@5")]
    assert parse_record(record(day=[4], slug=7), 1)[0].slug == "7"


@pytest.mark.parametrize("given", [7, -1, "Funday", True, [1, 9], {"day": 1}])
def test_a_day_that_is_not_a_weekday_is_skipped_with_the_reason(given):
    assert "not a weekday" in skip_reason(record(day=given))


@pytest.mark.parametrize("given", [None, "", []])
def test_a_meeting_with_no_day_is_skipped_as_by_appointment(given):
    assert "appointment" in skip_reason(record(day=given))


def test_a_missing_day_key_is_skipped_too():
    assert "appointment" in skip_reason(record(day=...))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("19:30", time(19, 30)),
        ("19:30:00", time(19, 30)),
        ("07:05", time(7, 5)),
        ("7:05", time(7, 5)),
        ("7:30 pm", time(19, 30)),
        ("12:00 am", time(0, 0)),
        ("00:00", time(0, 0)),
    ],
)
def test_times_come_with_or_without_seconds(given, expected):
    assert one(time=given).start_time == expected


@pytest.mark.parametrize("given", ["25:00", "19:75", "half seven", "1930", 1930, "13:00 pm"])
def test_an_unreadable_start_time_is_skipped(given):
    assert "not a time" in skip_reason(record(time=given))


def test_no_start_time_is_skipped():
    assert "no start time" in skip_reason(record(time=None))


@pytest.mark.parametrize("given", [..., None, ""])
def test_a_missing_or_null_end_time_means_one_hour(given):
    meeting = one(time="19:30", end_time=given)
    assert meeting.end_time == time(20, 30)
    assert not meeting.warnings


def test_an_end_time_with_seconds_is_read():
    assert one(time="19:30", end_time="21:00:00").end_time == time(21, 0)


def test_a_late_meeting_without_an_end_runs_past_midnight():
    assert one(time="23:30", end_time=None).end_time == time(0, 30)


def test_an_end_time_equal_to_the_start_becomes_an_hour_with_a_note():
    meeting = one(time="19:30", end_time="19:30")
    assert meeting.end_time == time(20, 30)
    assert "one hour" in meeting.warnings[0]


def test_an_unreadable_end_time_becomes_an_hour_with_a_note():
    meeting = one(time="19:30", end_time="late")
    assert meeting.end_time == time(20, 30)
    assert meeting.warnings


def test_an_end_time_many_hours_later_is_refused():
    assert "check the end time" in skip_reason(record(time="19:00", end_time="08:30"))


@pytest.mark.parametrize("zone", ["Europe/London", "GB", None, ""])
def test_uk_time_is_accepted(zone):
    assert one(timezone=zone).start_time == time(19, 30)


def test_a_meeting_in_another_time_zone_is_skipped():
    assert "time zone" in skip_reason(record(timezone="America/New_York"))


# --- places and postcodes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("qx14ab", "QX1 4AB"),
        ("SW1A 1AA", "SW1A 1AA"),
        (" m1  1ae ", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("GIR 0AA", "GIR 0AA"),
        ("EC1A1BB", "EC1A 1BB"),
    ],
)
def test_uk_postcodes_are_tidied(given, expected):
    assert normalise_postcode(given) == expected


@pytest.mark.parametrize("given", ["90210", "QX1", "12345 AB", "QX1 4A", "QX14ABC1", "Q"])
def test_shapes_that_are_not_uk_postcodes_are_refused(given):
    assert normalise_postcode(given) is None


def test_a_null_postal_code_is_taken_from_the_address_which_loses_it_and_the_country():
    meeting = one(postal_code=None)
    assert meeting.postcode == "QX1 4AB"
    assert meeting.address == "St Mark's Church Hall, 12 Church Lane, Wrenford"


def test_a_postcode_that_is_not_uk_shaped_is_left_out_with_a_note():
    meeting = one(postal_code="90210")
    assert meeting.postcode == "QX1 4AB"  # the address still carries a good one
    assert any("not a UK postcode" in w for w in meeting.warnings)


def test_address_parts_are_joined_when_there_is_no_formatted_address():
    meeting = one(
        formatted_address=None,
        address="12 Church Lane",
        city="Wrenford",
        state="Wessex",
        postal_code="qx1 4ab",
    )
    assert meeting.address == "12 Church Lane, Wrenford, Wessex"
    assert meeting.postcode == "QX1 4AB"


def test_an_in_person_meeting_without_address_or_postcode_is_skipped():
    assert "address or a postcode" in skip_reason(record(formatted_address=None))


@pytest.mark.parametrize(
    ("fields", "area"),
    [
        ({"regions": ["Wessex", "Wrenford", "Northgate"]}, "Northgate"),
        ({"sub_region": "Riverside", "region": "Wrenford"}, "Riverside"),
        ({"region": "Wrenford"}, "Wrenford"),
        ({"city": "Eastfield"}, "Eastfield"),
        ({}, None),
    ],
)
def test_the_area_is_the_most_specific_region(fields, area):
    assert one(**fields).area == area


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (52.4862, -1.8904, (52.4862, -1.8904)),
        ("52.4862", "-1.8904", (52.4862, -1.8904)),
        (None, None, (None, None)),
        ("", "", (None, None)),
        (52.4, None, (None, None)),
        ("north", -1.89, (None, None)),
        (95, -1.89, (None, None)),
        ("nan", "nan", (None, None)),
    ],
)
def test_latitude_and_longitude_may_be_numbers_text_or_null(lat, lon, expected):
    meeting = one(latitude=lat, longitude=lon)
    assert (meeting.latitude, meeting.longitude) == expected


# --- attendance ----------------------------------------------------------------------------


def test_an_address_alone_is_in_person():
    assert one().attendance == "in_person"


def test_a_conference_link_and_no_address_is_online():
    meeting = one(formatted_address=None, conference_url="https://meet.example.org/x")
    assert meeting.attendance == "online"
    assert meeting.online_url == "https://meet.example.org/x"


def test_an_address_and_a_conference_link_is_hybrid():
    assert one(conference_url="https://meet.example.org/x").attendance == "hybrid"


def test_a_temporarily_closed_venue_with_a_link_is_online_and_noted():
    meeting = one(conference_url="https://meet.example.org/x", types=["O", "TC"])
    assert meeting.attendance == "online"
    assert "TC" in meeting.type_codes.split()
    assert any("temporarily closed" in w for w in meeting.warnings)


def test_a_temporarily_closed_venue_without_a_link_stays_in_person_and_is_noted():
    meeting = one(types=["TC"])
    assert meeting.attendance == "in_person"
    assert any("temporarily closed" in w for w in meeting.warnings)


def test_onl_without_any_link_is_skipped():
    assert "no link" in skip_reason(record(formatted_address=None, types=["ONL"]))


def test_a_phone_only_meeting_is_online_with_a_phone_link():
    meeting = one(
        formatted_address=None,
        types=["ONL"],
        conference_phone="0330 123 4567",
        conference_phone_notes="Code 123#",
    )
    assert meeting.attendance == "online"
    assert meeting.online_url == "tel:03301234567"
    assert meeting.online_notes == "Phone: 0330 123 4567\nCode 123#"


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "zoom.us/j/1", "ftp://example.org/x", "https://", "http://a b"]
)
def test_a_conference_link_that_is_not_a_web_address_is_dropped(link):
    meeting = one(conference_url=link)
    assert meeting.online_url is None
    assert meeting.attendance == "in_person"
    assert any("not a web address" in w for w in meeting.warnings)


# --- types and text ------------------------------------------------------------------------


def test_unknown_type_codes_are_kept_but_have_no_label():
    meeting = one(types=["O", "UK", "XYZ", "W"])
    assert meeting.type_codes == "O UK W XYZ"
    assert "XYZ" not in meeting_types.LABELS


def test_uk_means_ukrainian():
    assert meeting_types.LABELS["UK"] == "Ukrainian"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("O,W, X", "O W X"),
        ([1, None, "O", "<b>", "O"], "O"),
        ({"O": True}, ""),
        (None, ""),
    ],
)
def test_types_in_odd_shapes_are_read_or_dropped(given, expected):
    assert one(types=given).type_codes == expected


def test_html_entities_and_tags_in_text_are_decoded_and_removed():
    meeting = one(
        name="St Mark&#039;s &amp; Friends",
        location="Church &amp;amp; Hall",
        notes="Use the side door.<br>Tea &amp; coffee<p>after</p>",
    )
    assert meeting.name == "St Mark's & Friends"
    assert meeting.venue == "Church & Hall"
    assert meeting.notes == "Use the side door.\nTea & coffee\nafter"


def test_text_that_looks_like_markup_after_decoding_stays_as_text():
    meeting = one(notes="&lt;script&gt;alert(1)&lt;/script&gt;")
    assert meeting.notes == "<script>alert(1)</script>"  # inert: templates escape it


def test_control_characters_are_removed():
    assert clean_text("Tea\x00 and\x07 biscuits") == "Tea and biscuits"


def test_over_long_text_is_cut_with_a_note():
    meeting = one(location="V" * 400)
    assert len(meeting.venue) == 255
    assert any("venue" in w for w in meeting.warnings)


def test_a_record_without_a_name_is_skipped():
    assert "no name" in skip_reason(record(name="  "))


def test_portal_extras_are_read_only_when_present():
    assert one().extras == {}
    meeting = one(directions_walk="Left at the lights", directions_car=None)
    assert meeting.extras == {"directions_walk": "Left at the lights", "directions_car": None}


def test_last_verified_is_read_as_utc():
    meeting = one(last_verified_at="2026-03-01 09:15:00")
    assert meeting.last_verified_at == datetime(2026, 3, 1, 9, 15, tzinfo=UTC)


# --- whole feeds ---------------------------------------------------------------------------


def test_one_bad_record_does_not_stop_the_good_ones():
    result = parse_feed(
        [record(slug=1), "not a record", record(slug=2, day="Funday"), record(slug=3), 42]
    )
    assert [m.slug for m in result.meetings] == ["1", "3"]
    assert [(s.record, s.slug) for s in result.skipped] == [(2, None), (3, "2"), (5, None)]
    assert result.records == 5


def test_a_repeated_slug_is_skipped_after_the_first():
    result = parse_feed([record(slug=5), record(slug="5", name="Again")])
    assert [m.name for m in result.meetings] == ["Tuesday Night Group"]
    assert "more than once" in result.skipped[0].reason


def test_skipped_slugs_still_count_as_mentioned():
    result = parse_feed([record(slug=1), record(slug=2, day="Funday")])
    assert result.mentioned_slugs == {"1", "2"}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"{not json", "not valid JSON"),
        (b'{"name": "x"}', "should be a list"),
        (b'"text"', "should be a list"),
        (b"[" * 100_000, "levels deep"),
    ],
)
def test_a_file_that_is_not_a_feed_says_why(payload, message):
    with pytest.raises(FeedError, match=message):
        parse_feed(payload)


def test_a_byte_order_mark_and_a_wrapping_object_are_accepted():
    payload = b"\xef\xbb\xbf" + json.dumps({"meetings": [record()]}).encode()
    assert len(decode_feed(payload)) == 1


def test_a_feed_in_windows_1252_still_reads():
    payload = json.dumps([record(name="Caf\u00e9 group")], ensure_ascii=False).encode("cp1252")
    assert parse_feed(payload).meetings[0].name == "Café group"


def test_clean_records_survive_the_trip_to_json_and_back():
    meeting = one(
        conference_url="https://meet.example.org/x",
        directions_walk="Left",
        last_verified_at="2026-03-01 09:15:00",
    )
    assert FeedMeeting.from_json(json.loads(json.dumps(meeting.to_json()))) == meeting


def test_the_messy_sample_feed_reads_as_expected():
    result = parse_feed((DATA / "messy_feed.json").read_bytes())
    assert result.records == 12
    by_slug = {m.slug: m for m in result.meetings}
    assert sorted(by_slug) == ["101", "102@1", "102@4", "abc", "hybrid-1", "late", "online-1", "tc"]
    reasons = {s.slug: s.reason for s in result.skipped}
    assert set(reasons) == {"bad-day", "no-place", "appt", None}
    assert by_slug["abc"].name == "Women's Big Book & Steps"
    assert by_slug["online-1"].attendance == "online"
    assert by_slug["hybrid-1"].attendance == "hybrid"
    assert by_slug["tc"].attendance == "online"


# --- the reference list of codes -----------------------------------------------------------


def test_every_code_in_the_meeting_guide_list_has_a_plain_english_label():
    codes = json.loads((DATA / "meeting-guide-types.json").read_text())
    missing = sorted(set(codes) - meeting_types.KNOWN_CODES)
    assert not missing, missing


def test_labels_read_as_plain_english_not_codes():
    labels = meeting_types.labels_for(["W", "X", "LGBTQ", "BE", "UK", "ZZZ"])
    assert labels == ["Women only", "LGBTQ+", "Newcomer-friendly", "Wheelchair access", "Ukrainian"]


# --- what we publish -----------------------------------------------------------------------


def test_the_field_rules_catch_bad_records():
    good = {"name": "A", "slug": "1", "day": 1, "time": "19:30", "end_time": "20:30", "types": []}
    assert check_feed_record(good) == []
    bad = {"name": "", "slug": 1, "day": 7, "time": "7pm", "end_time": "24:00", "types": "O"}
    assert check_feed_record(bad) == ["name", "slug", "day", "time", "end_time", "types"]


# --- limits on what one feed may hold (issue 20) ------------------------------------------


def raw_feed(key: str, value: str) -> str:
    good = json.dumps(record())[:-1]
    return f'[{good}, "{key}": {value}}}]'


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("slug", "1" * 5000, "the slug field holds a number 5,000 digits long"),
        ("day", "-" + "9" * 31, "the day field holds a number 31 digits long"),
        ("latitude", "0." + "1" * 40, "the latitude field holds a number 42 characters long"),
        ("longitude", "-1e400", "the longitude field holds the number -1e400, too large to use"),
        ("latitude", "Infinity", "the latitude field holds Infinity, which is not a number"),
        ("types", '["O", ' + "7" * 400 + "]", "the types field holds a number 400 digits long"),
    ],
)
def test_a_number_no_field_could_hold_skips_its_record_with_the_reason(key, value, reason):
    feed = parse_feed(raw_feed(key, value).encode())
    assert feed.meetings == [] and [s.reason for s in feed.skipped] == [reason]
    assert feed.skipped[0].slug in ("tuesday-night", None)


def test_ordinary_numbers_are_read_as_before():
    payload = raw_feed("latitude", "52.48620").replace(
        '"slug": "tuesday-night"', '"slug": 1234567890123'
    )
    (meeting,) = parse_feed(payload.encode()).meetings
    assert meeting.slug == "1234567890123"


@pytest.mark.parametrize("day", ["²", "1" * 5000, "٣"])
def test_a_day_written_in_odd_digits_is_a_reason_not_a_crash(day):
    with pytest.raises(Skip, match="is not a weekday"):
        parse_record(record(day=day))


def test_a_feed_may_be_four_levels_deep_but_not_nine():
    wrapped = json.dumps({"meetings": [record(types=["O"], regions=["Wessex", "Wrenford"])]})
    assert len(parse_feed(wrapped.encode()).meetings) == 1
    nested = json.dumps([record(notes=[[[[[[[["deep"]]]]]]]])])
    with pytest.raises(FeedError, match="more than 8 levels deep"):
        decode_feed(nested.encode())


def test_a_feed_over_the_meeting_limit_is_refused_as_soon_as_that_is_known():
    many = json.dumps([record(slug=str(n)) for n in range(5)]).encode()
    assert len(parse_feed(many, max_meetings=5).meetings) == 5
    with pytest.raises(FeedError, match="lists 5 records"):
        parse_feed(many, max_meetings=4)
    every_day = json.dumps([record(day=list(range(7)))]).encode()
    with pytest.raises(FeedError, match="more than 6 meetings by record 1"):
        parse_feed(every_day, max_meetings=6)
