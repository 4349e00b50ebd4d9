"""The meetings directory's rules, called directly: search, changes, checks, imports, exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.errors import Conflict, InvalidChange, NotFound
from portal.extensions import db
from portal.meetings import services
from portal.meetings.feed import check_feed_record, parse_feed
from portal.meetings.models import Fellowship, Meeting, MeetingImport
from portal.meetings.services import MeetingFilters

from ..factories import fellowship_id, make_fellowship, make_meeting, make_user


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def names(filters: MeetingFilters) -> list[str]:
    return [m.name for m in db.session.scalars(services.search_meetings(filters))]


def values(**overrides: object) -> dict:
    base: dict = {
        "name": "Tuesday Night Group",
        "fellowship_id": fellowship_id("AA"),
        "weekday": 2,
        "start_time": time(19, 30),
        "end_time": time(20, 30),
        "attendance": "in_person",
        "venue": "St Mark's Church Hall",
        "address": "12 Church Lane, Wrenford",
        "postcode": "qx1 4ab",
        "area": "Town centre",
        "type_codes": "O X",
    }
    base.update(overrides)
    return base


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- search --------------------------------------------------------------------------------


def test_search_filters_by_fellowship_day_and_area(app):
    make_meeting("AA", name="AA Tuesday", weekday=2, area="Riverside")
    make_meeting("NA", name="NA Tuesday", weekday=2, area="Northgate")
    make_meeting("AA", name="AA Friday", weekday=5, area="Riverside")
    with app.app_context():
        assert names(MeetingFilters(fellowship="AA")) == ["AA Tuesday", "AA Friday"]
        assert names(MeetingFilters(day=2)) == ["AA Tuesday", "NA Tuesday"]
        assert names(MeetingFilters(area="Riverside")) == ["AA Tuesday", "AA Friday"]
        assert names(MeetingFilters(fellowship="AA", day=5)) == ["AA Friday"]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("morning", ["Early", "Late morning"]),
        ("afternoon", ["Noon", "Teatime"]),
        ("evening", ["Five", "Night"]),
    ],
)
def test_time_of_day_splits_at_noon_and_five(app, period, expected):
    for name, start in [
        ("Early", time(7)),
        ("Late morning", time(11, 59)),
        ("Noon", time(12)),
        ("Teatime", time(16, 59)),
        ("Five", time(17)),
        ("Night", time(22)),
    ]:
        end = (datetime.combine(datetime.min, start) + timedelta(hours=1)).time()
        make_meeting(name=name, start_time=start, end_time=end)
    with app.app_context():
        assert names(MeetingFilters(time_of_day=period)) == expected


def test_attendance_filters_count_hybrid_meetings_as_both(app):
    make_meeting(name="Hall", attendance="in_person")
    make_meeting(name="Zoom", attendance="online", online_url="https://meet.example.org/a")
    make_meeting(name="Both", attendance="hybrid", online_url="https://meet.example.org/b")
    with app.app_context():
        assert sorted(names(MeetingFilters(attendance="in_person"))) == ["Both", "Hall"]
        assert sorted(names(MeetingFilters(attendance="online"))) == ["Both", "Zoom"]
        assert names(MeetingFilters(attendance="hybrid")) == ["Both"]


@pytest.mark.parametrize(
    ("features", "language", "expected"),
    [
        (("open",), "", ["Open women", "Open mixed"]),
        (("women",), "", ["Open women", "Closed women"]),
        (("men",), "", ["Men"]),
        (("lgbtq",), "", ["Gay", "Rainbow"]),
        (("wheelchair",), "", ["Open mixed"]),
        (("newcomer",), "", ["Closed women"]),
        (("open", "women"), "", ["Open women"]),
        ((), "UK", ["Men"]),
        ((), "POL", ["Rainbow"]),
    ],
)
def test_feature_and_language_filters(app, features, language, expected):
    for name, codes in [
        ("Open women", "O W"),
        ("Closed women", "C W BE"),
        ("Open mixed", "O X"),
        ("Men", "C M UK XB"),
        ("Gay", "G"),
        ("Rainbow", "LGBTQ POL"),
    ]:
        make_meeting(name=name, type_codes=codes)
    with app.app_context():
        assert sorted(names(MeetingFilters(features=features, language=language))) == sorted(
            expected
        )


def test_free_text_searches_name_venue_and_area_word_by_word(app):
    make_meeting(name="Hope Group", venue="Riverside Centre", area="Eastfield")
    make_meeting(name="Serenity", venue="St Mark's Church Hall", area="Town centre")
    with app.app_context():
        assert names(MeetingFilters(q="hope")) == ["Hope Group"]
        assert names(MeetingFilters(q="mark's")) == ["Serenity"]
        assert names(MeetingFilters(q="EASTFIELD")) == ["Hope Group"]
        assert names(MeetingFilters(q="serenity town")) == ["Serenity"]
        assert names(MeetingFilters(q="serenity eastfield")) == []
        assert names(MeetingFilters(q="%")) == []
        assert names(MeetingFilters(q="_")) == []


def test_deactivated_meetings_are_hidden_unless_a_champion_asks(app):
    make_meeting(name="Running")
    make_meeting(name="Stopped", active=False)
    with app.app_context():
        assert names(MeetingFilters()) == ["Running"]
        assert names(MeetingFilters(status="inactive")) == ["Stopped"]
        assert sorted(names(MeetingFilters(status="all"))) == ["Running", "Stopped"]


def test_results_run_monday_to_sunday_then_by_time(app):
    for name, day, hour in [
        ("Sun", 0, 10),
        ("Mon late", 1, 20),
        ("Mon early", 1, 9),
        ("Sat", 6, 9),
    ]:
        make_meeting(name=name, weekday=day, start_time=time(hour), end_time=time(hour + 1))
    with app.app_context():
        assert names(MeetingFilters()) == ["Mon early", "Mon late", "Sat", "Sun"]


def test_filters_read_from_the_query_string_ignore_junk():
    from werkzeug.datastructures import MultiDict

    args = MultiDict(
        [
            ("q", "  hope   group  "),
            ("fellowship", "na"),
            ("day", "9"),
            ("time", "night"),
            ("attendance", "teleport"),
            ("feature", "women"),
            ("feature", "bogus"),
            ("feature", "open"),
            ("language", "UK"),
            ("status", "all"),
        ]
    )
    filters = MeetingFilters.from_args(args)
    assert filters == MeetingFilters(
        q="hope group", fellowship="NA", features=("open", "women"), language="UK"
    )
    assert MeetingFilters.from_args(args, may_see_inactive=True).status == "all"
    assert MeetingFilters.from_args(MultiDict([("day", "0")])).day == 0
    assert MeetingFilters.from_args(MultiDict([("q", "x" * 500)])).q == "x" * 100


def test_filters_round_trip_through_their_query_string():
    from werkzeug.datastructures import MultiDict

    filters = MeetingFilters(q="hope", day=0, features=("open", "women"), status="inactive")
    args = filters.as_args()
    multi = MultiDict(
        [(k, v) for k, vs in args.items() for v in (vs if isinstance(vs, list) else [vs])]
    )
    assert MeetingFilters.from_args(multi, may_see_inactive=True) == filters


# --- reading one ---------------------------------------------------------------------------


def test_get_meeting_finds_deactivated_ones_and_refuses_unknown_ids(ctx):
    meeting = make_meeting(active=False)
    assert services.get_meeting(meeting.id).name == meeting.name
    with pytest.raises(NotFound):
        services.get_meeting(999_999)


def test_meetings_by_id_and_choices_for_other_domains(ctx):
    first = make_meeting(name="First", venue="Hall", weekday=1)
    make_meeting(name="Gone", active=False)
    assert set(services.meetings_by_id([first.id])) == {first.id}
    assert services.meetings_by_id([]) == {}
    assert services.active_meeting_choices() == [(first.id, "First — Monday 7:30pm, Hall")]


def test_next_meeting_times_are_four_london_instants(ctx):
    meeting = make_meeting(weekday=0, start_time=time(19, 30), end_time=time(20, 30))
    found = services.next_meeting_times(meeting, datetime(2026, 3, 20, tzinfo=UTC))
    assert [start.astimezone(UTC).hour for start, _ in found] == [19, 18, 18, 18]


# --- champions' changes --------------------------------------------------------------------


def test_create_meeting_tidies_the_postcode_marks_it_checked_and_audits(ctx):
    meeting = services.create_meeting(values(), actor_id=None)
    assert meeting.postcode == "QX1 4AB"
    assert meeting.last_verified_at is not None
    assert meeting.type_codes == "O X"
    assert "meeting_created" in actions()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"postcode": "90210"}, "postcode"),
        ({"address": None, "postcode": None}, "address"),
        ({"attendance": "online", "online_url": None}, "online_url"),
        ({"attendance": "hybrid", "online_url": ""}, "online_url"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"end_time": time(19, 30)}, "end_time"),
        ({"start_time": time(19), "end_time": time(8)}, "end_time"),
        ({"start_time": None}, "start_time"),
        ({"attendance": "teleport"}, "attendance"),
        ({"weekday": 7}, "weekday"),
        ({"latitude": 52.1, "longitude": None}, "latitude"),
        ({"fellowship_id": 999_999}, "fellowship_id"),
    ],
)
def test_meeting_rules_refuse_bad_changes_by_the_field(ctx, changes, field):
    with pytest.raises(InvalidChange) as caught:
        services.create_meeting(values(**changes), actor_id=None)
    assert caught.value.field == field
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0


def test_an_online_meeting_needs_no_address(ctx):
    meeting = services.create_meeting(
        values(
            attendance="online",
            address=None,
            postcode=None,
            venue=None,
            online_url="https://meet.example.org/x",
        ),
        actor_id=None,
    )
    assert meeting.attendance == "online"


def test_a_meeting_may_run_past_midnight_for_a_few_hours(ctx):
    meeting = services.create_meeting(
        values(start_time=time(23), end_time=time(0, 30)), actor_id=None
    )
    assert meeting.crosses_midnight
    assert meeting.time_range == "11pm to 12:30am (next day)"


def test_a_deactivated_fellowship_cannot_take_new_meetings(ctx):
    gone = make_fellowship(active=False)
    with pytest.raises(InvalidChange) as caught:
        services.create_meeting(values(fellowship_id=gone.id), actor_id=None)
    assert caught.value.field == "fellowship_id"


def test_update_meeting_saves_changed_fields_keeps_unknown_codes_and_audits(ctx):
    meeting = make_meeting(type_codes="O ZZZ")
    meeting = services.get_meeting(meeting.id)
    changed = services.update_meeting(
        meeting, values(name="Renamed", type_codes="C ZZZ"), None, meeting.version
    )
    assert "name" in changed and "type_codes" in changed
    assert meeting.version == 2
    assert meeting.type_codes == "C ZZZ"
    assert actions()[-1] == "meeting_changed"


def test_a_save_from_a_stale_copy_is_refused(ctx):
    meeting = services.get_meeting(make_meeting().id)
    services.update_meeting(meeting, values(name="First edit"), None, 1)
    with pytest.raises(Conflict):
        services.update_meeting(meeting, values(name="Second edit"), None, 1)
    assert services.get_meeting(meeting.id).name == "First edit"


def test_deactivating_keeps_the_meeting_and_reactivating_brings_it_back(ctx):
    meeting = services.get_meeting(make_meeting().id)
    services.set_meeting_active(meeting, False, None, meeting.version)
    assert db.session.get(Meeting, meeting.id).active is False
    with pytest.raises(Conflict):
        services.set_meeting_active(meeting, True, None, 1)
    services.set_meeting_active(meeting, True, None, meeting.version)
    assert services.get_meeting(meeting.id).active is True
    assert actions()[-2:] == ["meeting_deactivated", "meeting_reactivated"]


def test_marking_checked_sets_the_time_and_audits(ctx):
    meeting = services.get_meeting(make_meeting(last_verified_at=None).id)
    services.mark_meeting_checked(meeting, None)
    assert meeting.last_verified_at > datetime.now(UTC) - timedelta(minutes=1)
    assert meeting.version == 1  # a check changes no details: open edit forms stay valid
    assert actions()[-1] == "meeting_checked"


def test_needs_checking_lists_running_meetings_unchecked_for_the_set_days(app, ctx):
    now = datetime.now(UTC)
    make_meeting(name="Fresh", last_verified_at=now - timedelta(days=89))
    make_meeting(name="Stale", last_verified_at=now - timedelta(days=91))
    make_meeting(name="Older", last_verified_at=now - timedelta(days=400))
    make_meeting(name="Never", last_verified_at=None)
    make_meeting(name="Stopped", last_verified_at=None, active=False)
    listed = [m.name for m in db.session.scalars(services.stale_meetings())]
    assert listed == ["Never", "Older", "Stale"]
    assert services.count_stale() == 3
    app.config["MEETING_STALE_DAYS"] = 30
    assert services.count_stale() == 4
    assert services.count_stale(days=1000) == 1


# --- fellowships ---------------------------------------------------------------------------


def test_eight_fellowships_come_seeded(ctx):
    codes = set(db.session.scalars(select(Fellowship.code)))
    assert codes >= {"AA", "NA", "CA", "CMA", "SMART", "AL-ANON", "FA", "LOCAL"}


def test_fellowships_are_created_edited_and_deactivated_with_their_rules(ctx):
    fellowship = services.create_fellowship(
        {"code": "ga", "name": "Gamblers Anonymous", "kind": "twelve_step"}, None
    )
    assert fellowship.code == "GA"
    with pytest.raises(InvalidChange) as caught:
        services.create_fellowship({"code": "GA", "name": "Again", "kind": "community"}, None)
    assert caught.value.field == "code"
    for bad, field in [
        ({"code": "A B", "name": "x", "kind": "community"}, "code"),
        ({"code": "AB", "name": "x", "kind": "cult"}, "kind"),
        ({"code": "AB", "name": " ", "kind": "community"}, "name"),
    ]:
        with pytest.raises(InvalidChange) as caught:
            services.create_fellowship(bad, None)
        assert caught.value.field == field
    services.update_fellowship(
        fellowship,
        {"code": "GA", "name": "Gamblers Anonymous UK", "kind": "twelve_step"},
        None,
        fellowship.version,
    )
    with pytest.raises(Conflict):
        services.update_fellowship(
            fellowship, {"code": "GA", "name": "Stale", "kind": "twelve_step"}, None, 1
        )
    with pytest.raises(InvalidChange):
        services.update_fellowship(
            fellowship, {"code": "AA", "name": "Clash", "kind": "twelve_step"}, None, None
        )
    services.set_fellowship_active(fellowship, False, None, fellowship.version)
    assert fellowship.id not in [f.id for f in services.active_fellowships()]
    assert fellowship.id in [f.id for f in services.active_fellowships(fellowship.id)]
    assert "fellowship_deactivated" in actions()


def test_the_fellowship_list_counts_running_meetings(ctx):
    make_meeting("NA")
    make_meeting("NA")
    make_meeting("NA", active=False)
    counts = {f.code: n for f, n in services.list_fellowships()}
    assert counts["NA"] == 2 and counts["AA"] == 0


# --- imports -------------------------------------------------------------------------------


def feed_record(slug: object, **fields: object) -> dict:
    base: dict = {
        "name": f"Meeting {slug}",
        "slug": slug,
        "day": 2,
        "time": "19:30",
        "location": "St Mark's Church Hall",
        "formatted_address": "12 Church Lane, Wrenford QX1 4AB, UK",
        "types": ["O"],
    }
    base.update(fields)
    return base


def run_import(records: list, source: str = "Wessex Intergroup", code: str = "AA"):
    payload = json.dumps(records).encode()
    fellowship = services.fellowship_by_code(code)
    plan = services.plan_import(parse_feed(payload), source, fellowship)
    services.apply_plan(plan, None)
    db.session.commit()
    return plan


def imported(source: str = "Wessex Intergroup") -> dict[str, Meeting]:
    return {
        m.source_slug: m
        for m in db.session.scalars(select(Meeting).where(Meeting.source == source))
    }


def test_an_import_creates_meetings_with_their_source(ctx):
    plan = run_import([feed_record(1), feed_record("two", day=[1, 3])])
    assert plan.counts == {
        "records": 2,
        "created": 3,
        "updated": 0,
        "deactivated": 0,
        "unchanged": 0,
        "skipped": 0,
    }
    assert sorted(imported()) == ["1", "two@1", "two@3"]
    assert "meetings_import_applied" in actions()
    assert actions().count("meeting_imported") == 3


def test_re_importing_the_same_feed_changes_nothing(ctx):
    records = [feed_record(1), feed_record(2, end_time=None, latitude="52.8", longitude="-1.2")]
    run_import(records)
    before = {slug: (m.version, m.updated_at) for slug, m in imported().items()}
    audit_rows = len(actions())
    plan = run_import(records)
    assert plan.counts["unchanged"] == 2 and not plan.changes_anything
    db.session.expire_all()
    assert {slug: (m.version, m.updated_at) for slug, m in imported().items()} == before
    assert len(actions()) == audit_rows + 1  # only the summary of a run that did nothing


def test_a_changed_record_is_updated_and_says_which_fields(ctx):
    run_import([feed_record(1), feed_record(2)])
    plan = run_import([feed_record(1, time="20:00", types=["C"]), feed_record(2)])
    assert plan.counts["updated"] == 1 and plan.counts["unchanged"] == 1
    assert sorted(plan.updated[0][3]) == ["end_time", "start_time", "type_codes"]
    meeting = imported()["1"]
    assert meeting.start_time == time(20) and meeting.version == 2
    assert "meeting_import_changed" in actions()


def test_meetings_missing_from_the_feed_are_deactivated_and_come_back_when_listed_again(ctx):
    run_import([feed_record(1), feed_record(2)])
    plan = run_import([feed_record(1)])
    assert plan.counts["deactivated"] == 1
    gone = imported()["2"]
    assert gone.active is False and gone.removed_from_source is True
    plan = run_import([feed_record(1), feed_record(2)])
    assert plan.counts["updated"] == 1 and plan.updated[0][3] == ["active"]
    assert imported()["2"].active is True


def test_a_meeting_a_champion_closed_stays_closed_when_the_feed_still_lists_it(ctx):
    run_import([feed_record(1)])
    meeting = imported()["1"]
    services.set_meeting_active(meeting, False, None, meeting.version)
    plan = run_import([feed_record(1)])
    assert plan.counts["unchanged"] == 1
    assert imported()["1"].active is False


def test_a_bad_record_does_not_deactivate_its_meeting(ctx):
    run_import([feed_record(1), feed_record(2), feed_record(3, day=[1, 2])])
    plan = run_import([feed_record(1), feed_record(2, day="Funday"), feed_record(3, day="x")])
    assert plan.counts["skipped"] == 2 and plan.counts["deactivated"] == 0


def test_imports_from_different_sources_do_not_touch_each_other(ctx):
    run_import([feed_record(1)], source="North")
    manual = make_meeting(name="Typed in by hand")
    plan = run_import([feed_record(1)], source="South")
    assert plan.counts["created"] == 1
    run_import([feed_record(9)], source="North")
    assert imported("South")["1"].active is True
    assert db.session.get(Meeting, manual.id).active is True


def test_a_feed_with_nothing_readable_is_refused_rather_than_closing_everything(ctx):
    run_import([feed_record(1)])
    from portal.meetings.feed import FeedError

    with pytest.raises(FeedError):
        run_import([{"name": "broken"}])
    assert imported()["1"].active is True


def test_a_record_may_name_its_own_fellowship(ctx):
    run_import([feed_record(1, fellowship="NA"), feed_record(2, fellowship="NOPE")])
    assert imported()["1"].fellowship.code == "NA"
    assert imported()["2"].fellowship.code == "AA"


def test_directions_added_by_hand_survive_a_re_import(ctx):
    run_import([feed_record(1)])
    meeting = imported()["1"]
    meeting.directions_walk = "Left at the church"
    db.session.commit()
    assert run_import([feed_record(1)]).counts["unchanged"] == 1
    assert imported()["1"].directions_walk == "Left at the church"


def test_a_previewed_import_is_kept_server_side_and_applied_once(ctx):
    user = make_user(roles=("champion",))
    payload = json.dumps([feed_record(1), feed_record(2, day="Funday")]).encode()
    run = services.preview_import(payload, "Wessex", services.fellowship_by_code("AA"), user.id)
    assert len(run.id) >= 32
    summary = services.import_summary(run)
    assert summary["counts"]["created"] == 1 and summary["skipped"][0]["slug"] == "2"
    assert not imported("Wessex")
    assert services.confirm_import(run, user.id) is True
    assert set(imported("Wessex")) == {"1"}
    assert run.status == "applied" and run.records == ""
    with pytest.raises(InvalidChange):
        services.confirm_import(run, user.id)


def test_a_preview_is_refreshed_not_applied_when_the_directory_changed_meanwhile(ctx):
    user = make_user(roles=("champion",))
    payload = json.dumps([feed_record(1)]).encode()
    aa = services.fellowship_by_code("AA")
    first = services.preview_import(payload, "Wessex", aa, user.id)
    second = services.preview_import(payload, "Wessex", aa, user.id)
    assert services.confirm_import(first, user.id) is True
    assert services.confirm_import(second, user.id) is False  # it would now change nothing
    assert services.import_summary(second)["counts"]["unchanged"] == 1
    assert second.status == "preview"


def test_imports_belong_to_the_person_who_made_them(ctx):
    user = make_user(roles=("champion",))
    other = make_user(roles=("champion",))
    payload = json.dumps([feed_record(1)]).encode()
    run = services.preview_import(payload, "Wessex", services.fellowship_by_code("AA"), user.id)
    assert services.get_import(run.id, user.id) is run
    for key, who in [(run.id, other.id), ("nope", user.id), ("", user.id)]:
        with pytest.raises(NotFound):
            services.get_import(key, who)


def test_unreadable_uploads_are_refused_by_the_field(ctx):
    aa = services.fellowship_by_code("AA")
    for payload in (b"", b"{oops", b"[]", b'[{"name": "no slug"}]'):
        with pytest.raises(InvalidChange) as caught:
            services.preview_import(payload, "Wessex", aa, None)
        assert caught.value.field == "feed"
    with pytest.raises(InvalidChange) as caught:
        services.preview_import(b"[]", "  ", aa, None)
    assert caught.value.field == "source"


def test_old_previews_are_cleared_away(ctx):
    aa = services.fellowship_by_code("AA")
    payload = json.dumps([feed_record(1)]).encode()
    old = services.preview_import(payload, "Wessex", aa, None)
    old.created_at = datetime.now(UTC) - timedelta(days=2)
    db.session.commit()
    assert services.preview_expired(old)
    with pytest.raises(InvalidChange):
        services.confirm_import(old, None)
    old_id = old.id
    services.preview_import(payload, "Wessex", aa, None)
    db.session.expire_all()
    assert db.session.get(MeetingImport, old_id) is None


def test_discarding_a_preview_changes_no_meeting(ctx):
    run = services.preview_import(
        json.dumps([feed_record(1)]).encode(), "Wessex", services.fellowship_by_code("AA"), None
    )
    services.discard_import(run, None)
    assert run.status == "discarded" and not imported("Wessex")


def test_fetch_feed_reads_a_file_and_refuses_one_too_large(tmp_path):
    from portal.meetings.feed import FeedError

    path = tmp_path / "feed.json"
    path.write_bytes(b"[1, 2, 3]")
    assert services.fetch_feed(str(path), 100, 1) == (b"[1, 2, 3]", "feed.json")
    with pytest.raises(FeedError, match="larger than"):
        services.fetch_feed(str(path), 5, 1)
    with pytest.raises(FeedError, match="could not be read"):
        services.fetch_feed(str(tmp_path / "missing.json"), 100, 1)


# --- exports -------------------------------------------------------------------------------


def test_the_exported_feed_follows_the_meeting_guide_rules_and_keeps_contacts_private(ctx):
    make_meeting(
        name="In person",
        contact_name="Sam",
        contact_phone="07700 900123",
        latitude=52.8,
        longitude=-1.2,
        directions_walk="Left at the church",
    )
    make_meeting(
        name="Online",
        attendance="online",
        online_url="https://meet.example.org/x",
        venue=None,
        address=None,
        postcode=None,
    )
    make_meeting(name="Phone", attendance="online", online_url="tel:03301234567", address=None)
    make_meeting(name="Stopped", active=False)
    records = services.feed_records()
    assert [r["name"] for r in records] == ["In person", "Online", "Phone"]
    assert all(check_feed_record(record) == [] for record in records)
    assert len({r["slug"] for r in records}) == 3
    text = json.dumps(records)
    assert "Sam" not in text and "07700" not in text
    first, online, phone = records
    assert first["formatted_address"] == "12 Church Lane, Wrenford, QX1 4AB, UK"
    assert first["postal_code"] == "QX1 4AB" and first["directions_walk"] == "Left at the church"
    assert "conference_url" not in first and online["conference_url"].startswith("https://")
    assert "formatted_address" not in online
    assert phone["conference_phone"] == "03301234567"


def test_an_exported_feed_imports_back_to_the_same_meetings(ctx):
    originals = [
        make_meeting(
            name="St Mark's & Friends",
            type_codes="O W ZZZ",
            latitude=52.8012,
            longitude=-1.2043,
            notes="Tea &amp; biscuits\nafter",
            location_notes="Side door",
            directions_car="Park behind",
        ),
        make_meeting(
            name="Hybrid",
            attendance="hybrid",
            online_url="https://meet.example.org/h",
            online_notes="Passcode 1",
            weekday=0,
            start_time=time(23, 30),
            end_time=time(0, 30),
        ),
    ]
    payload = json.dumps(services.feed_records()).encode()
    plan = services.plan_import(parse_feed(payload), "Partner", services.fellowship_by_code("NA"))
    services.apply_plan(plan, None)
    db.session.commit()
    copies = imported("Partner")
    for original in originals:
        copy = copies[str(original.id)]
        for key in services.FEED_FIELDS + ("directions_walk", "directions_car", "fellowship_id"):
            expected = getattr(original, key)
            if key == "notes" and expected:
                expected = expected.replace("&amp;", "&")  # entities are decoded on the way in
            assert getattr(copy, key) == expected, key


def test_the_csv_has_plain_words_and_cannot_start_a_formula(ctx):
    make_meeting(name="=HYPERLINK(1)", type_codes="O W ZZZ", directions_walk="+44 then left")
    rows = list(
        csv.reader(
            io.StringIO("".join(services.csv_lines(services.search_meetings(MeetingFilters()))))
        )
    )
    header, row = rows
    assert header[0] == "Name" and len(row) == len(header)
    assert row[0] == "'=HYPERLINK(1)"
    assert row[header.index("What kind of meeting")] == "Open; Women only"
    assert row[header.index("Directions on foot")] == "'+44 then left"
    assert row[header.index("Day")] == "Tuesday"


def test_the_calendar_file_is_a_weekly_london_event_that_parses_back(ctx):
    meeting = services.get_meeting(
        make_meeting(
            name="Sunday Serenity", weekday=0, start_time=time(19, 30), end_time=time(20, 30)
        ).id
    )
    from datetime import date

    body = services.meeting_calendar(meeting, "https://portal.test/meetings/1", date(2026, 3, 25))
    calendar = Calendar.from_ical(body)
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/London"]
    (event,) = calendar.events
    assert str(event["SUMMARY"]) == "Sunday Serenity"
    assert event.start == datetime(2026, 3, 29, 19, 30, tzinfo=event.start.tzinfo)
    assert str(event.start.tzinfo) == "Europe/London"
    assert event.start.utcoffset() == timedelta(hours=1)  # the first date is already BST
    assert event.end - event.start == timedelta(hours=1)
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["BYDAY"] == ["SU"]
    assert b"DTSTART;TZID=Europe/London:20260329T193000" in body
    assert "https://portal.test/meetings/1" in str(event["DESCRIPTION"])
    assert calendar.get_missing_tzids() == set()


def test_a_calendar_file_for_a_meeting_past_midnight_ends_the_next_day(ctx):
    meeting = services.get_meeting(
        make_meeting(weekday=6, start_time=time(23, 30), end_time=time(0, 30)).id
    )
    event = Calendar.from_ical(services.meeting_calendar(meeting, "https://x.test/")).events[0]
    assert event.end - event.start == timedelta(hours=1)
