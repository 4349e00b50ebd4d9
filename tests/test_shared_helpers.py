"""The small shared helpers the domains fold their repeated code into: the form → service →
303 flow, the once-only insert, the scoped lookup, and the form field helpers."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
from flask import Flask, get_flashed_messages
from sqlalchemy import select
from wtforms import StringField

from portal.database import add_unique, one_or_missing
from portal.dates import FILTERS, date_words, day, day_month, long_date, short_day
from portal.errors import Conflict, InvalidChange, NotFound
from portal.extensions import db
from portal.form_flow import submit
from portal.forms import Form, date_box, email_field
from portal.matching.arrays import Pairs
from portal.meetings.models import Fellowship


class _NameForm(Form):
    name = StringField("Name")
    other = StringField("Other")


def _post(app: Flask, data: dict[str, str]):
    app.config["WTF_CSRF_ENABLED"] = False
    return app.test_request_context("/", method="POST", data=data)


def _refuse(message: str, field: str | None = None):
    def action():
        raise InvalidChange(message, field=field)

    return action


def test_submit_says_done_from_what_the_action_returned_and_goes_there(app: Flask):
    with _post(app, {"name": "Sam"}):
        form = _NameForm()
        answer = submit(form, lambda: 7, lambda n: f"Saved {n}.", lambda n: f"/things/{n}")
        assert answer.status_code == 303
        assert answer.location == "/things/7"
        assert get_flashed_messages(with_categories=True) == [("success", "Saved 7.")]


def test_submit_puts_a_refusal_by_the_field_named_by_default(app: Flask):
    with _post(app, {"name": "Sam"}):
        form = _NameForm()
        assert submit(form, _refuse("Taken"), "Saved.", "/done", by="name") is None
        assert form.name.errors == ["Taken"]
        assert get_flashed_messages() == []


def test_submit_prefers_the_field_the_refusal_names(app: Flask):
    with _post(app, {"name": "Sam"}):
        form = _NameForm()
        assert submit(form, _refuse("No", field="other"), "Saved.", "/done", by="name") is None
        assert form.other.errors == ["No"]
        assert form.name.errors == []


def test_submit_flashes_a_refusal_for_no_field_and_goes_back(app: Flask):
    with _post(app, {"name": "Sam"}):
        answer = submit(_NameForm(), _refuse("Not now"), "Saved.", "/done", back="/form")
        assert answer.location == "/form"
        assert get_flashed_messages(with_categories=True) == [("error", "Not now")]


def test_submit_with_stay_shows_the_form_again_after_a_flashed_refusal(app: Flask):
    with _post(app, {"name": "Sam"}):
        assert submit(_NameForm(), _refuse("Not now"), "Saved.", "/done", stay=True) is None


def test_data_for_gives_the_named_answers_by_name(app: Flask):
    with _post(app, {"name": "Sam", "other": "x"}):
        assert _NameForm().data_for("name") == {"name": "Sam"}


def test_date_box_needs_an_answer_only_when_told(app: Flask):
    class Dates(Form):
        needed = date_box("Needed", "Enter a real date", "Enter the date")
        maybe = date_box("Maybe", "Enter a real date")

    with _post(app, {"needed": "", "maybe": ""}):
        form = Dates()
        assert not form.validate()
        assert form.needed.errors == ["Enter the date"]
        assert form.maybe.errors == []
    with _post(app, {"needed": "2026-12-03", "maybe": "soon"}):
        form = Dates()
        assert not form.validate()
        assert form.needed.data == date(2026, 12, 3)
        assert form.maybe.errors == ["Enter a real date"]


def test_email_field_without_the_format_check_takes_any_text(app: Flask):
    class Emails(Form):
        checked = email_field()
        unchecked = email_field(check_format=False)

    with _post(app, {"checked": "not-an-address", "unchecked": "not-an-address"}):
        form = Emails()
        assert not form.validate()
        assert form.checked.errors
        assert form.unchecked.errors == []


def test_add_unique_turns_a_duplicate_into_the_refusal_given(app: Flask):
    with app.app_context():
        add_unique(
            Fellowship(code="ZZ", name="Zed", kind="twelve_step", active=True),
            refusal=Conflict("x"),
        )
        db.session.commit()
        with pytest.raises(InvalidChange, match="already"):
            add_unique(
                Fellowship(code="ZZ", name="Zed again", kind="twelve_step", active=True),
                refusal=InvalidChange("That code is already used", field="code"),
            )
        assert db.session.scalar(select(Fellowship.name).where(Fellowship.code == "ZZ")) == "Zed"


def test_one_or_missing_finds_the_row_or_says_not_found(app: Flask):
    with app.app_context():
        add_unique(
            Fellowship(code="YY", name="Why", kind="twelve_step", active=True),
            refusal=Conflict("x"),
        )
        db.session.commit()
        found = one_or_missing(select(Fellowship).where(Fellowship.code == "YY"), "No such one")
        assert found.name == "Why"
        with pytest.raises(NotFound, match="No such one"):
            one_or_missing(select(Fellowship).where(Fellowship.code == "NO"), "No such one")


def test_date_filters_word_a_date_each_their_own_way():
    evening = datetime.fromisoformat("2026-12-01T23:30:00+00:00")  # 1 December in London
    assert day(date(2026, 12, 3)) == "Thursday 3 December"
    assert long_date(date(2026, 12, 3)) == "Thursday 3 December 2026"
    assert date_words(evening) == "1 December 2026"
    assert short_day(date(2026, 12, 3)) == "Thu 3 Dec"
    assert day_month(date(2026, 12, 3)) == "3 Dec"
    assert day(None) == ""
    assert FILTERS["weekday_day"] is day


def test_pairs_take_cuts_every_array_alike():
    pairs = Pairs(*(np.arange(4) * k for k in range(1, 8)))
    taken = pairs.take(np.array([1, 3]))
    assert [list(column) for column in taken] == [[k, 3 * k] for k in range(1, 8)]
