"""What a refused request's record keeps of the address: never a token or a query string."""

from __future__ import annotations

import pytest

from portal.refusals import safe_path, worth_recording


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/clients/12/consents/share_phone?x=1", "/clients/12/consents/share_phone"),
        ("/password/reset/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "/password/reset/<token>"),
        ("/invitation/short", "/invitation/<token>"),
        ("/calendar/abc.ics", "/calendar/<token>.ics"),
        ("/admin/data-protection/client/4/erase", "/admin/data-protection/client/4/erase"),
        ("/nowhere/" + "k" * 40 + "/x", "/nowhere/…/x"),
        ("/" + "a/" * 300, ("/" + "a/" * 300)[:200]),
    ],
)
def test_the_kept_path_has_no_secret(app, path, kept):
    with app.test_request_context(path):
        assert safe_path() == kept


@pytest.mark.parametrize(
    ("path", "recorded"),
    [
        ("/favicon.ico", False),
        ("/robots.txt", False),
        ("/.well-known/security.txt", False),
        ("/apple-touch-icon-precomposed.png", False),
        ("/static/app.css", False),
        ("/no/route/here", False),
        ("/calendar/abc.ics", True),
        ("/sign-in", True),
    ],
)
def test_a_signed_out_visitor_is_recorded_only_on_the_apps_own_pages(app, path, recorded):
    with app.test_request_context(path):  # matched against the routes, as a request is
        assert worth_recording() is recorded
