"""Browser tests: real pages in Debian's chromium, driven by Playwright, against a live server."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from portal import create_app

from .. import factories
from ..conftest import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed; scripts/test installs it as root")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _remember_response(app):
    """Keep each response's iterable where the handler below can close it."""

    def remembering(environ, start_response):
        environ["portal.test.app_iter"] = app_iter = app(environ, start_response)
        return app_iter

    return remembering


class _ClosingHandler(WSGIRequestHandler):
    """Close the response when the browser hangs up mid-request.

    Werkzeug's development server reads the socket before closing the response, so a
    connection the browser drops (a favicon abandoned by a navigation) leaves a static
    file open and the suite's warnings-as-errors fails whichever test is running.
    """

    def connection_dropped(self, error, environ=None) -> None:
        app_iter = (environ or {}).get("portal.test.app_iter")
        if hasattr(app_iter, "close"):
            app_iter.close()
        super().connection_dropped(error, environ)


class LiveServer:
    def __init__(self, app) -> None:
        self.app = app
        self.port = free_port()
        self.server = make_server(
            "127.0.0.1",
            self.port,
            _remember_response(app),
            threaded=True,
            request_handler=_ClosingHandler,
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app_config: dict) -> Iterator[LiveServer]:
    config = {k: v for k, v in app_config.items() if k != "SERVER_NAME"}
    app = create_app(config)
    factories.use_app(app)
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
    factories.use_app(None)
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()


@pytest.fixture
def page(chromium, live_server) -> Iterator[object]:
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    yield page
    context.close()


@pytest.fixture
def phone_page(chromium, live_server) -> Iterator[object]:
    context = chromium.new_context(
        base_url=live_server.url,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (shipped inside axe-playwright-python) and keep the serious ones."""
    from axe_playwright_python.sync_playwright import Axe

    page.mouse.move(0, 0)  # a hovered link loses its underline by design; scan the resting page
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in impacts]


def sign_in(page, email: str, password: str = factories.PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in/code" in url or "/sign-in" not in url)
    if page.url.endswith("/sign-in/code"):  # staff: the code their authenticator app shows
        page.get_by_label("Code").fill(factories.sign_in_code(email))
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)


def assert_accessible(page) -> None:
    """No serious or critical axe-core violations on the page as it stands."""
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["help"], v["nodes"][0]["html"]) for v in violations]


def assert_fits_the_phone(page, width: int = 360) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways: {scroll}px wide"


# --- keyboard ------------------------------------------------------------------------------------

_FOCUSED_IS = """(name) => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const squash = (text) => (text || "").replace(/\\s+/g, " ").trim();
  const names = [squash(el.innerText), squash(el.value), squash(el.getAttribute("aria-label"))];
  for (const label of el.labels || []) names.push(squash(label.innerText));
  return names.includes(name);
}"""


def focused_is(page, target) -> bool:
    """Whether the focused element is `target`: a Locator, or the visible name of a link,
    button or labelled field (exact, spaces squashed)."""
    if isinstance(target, str):
        return page.evaluate(_FOCUSED_IS, target)
    return target.evaluate_all("(els) => els.includes(document.activeElement)")


def tab_to(page, target, max_presses: int = 80, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab when `backwards`) until `target` has the focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(max_presses):
        page.keyboard.press(key)
        if focused_is(page, target):
            return
    described = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{key} never reached {target!r} on {page.url}; focus is on {described}")


_FOCUS_SHOWS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const shows = (style) => (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
      && style.outlineColor !== "rgba(0, 0, 0, 0)" && style.outlineColor !== "transparent")
    || (style.boxShadow && style.boxShadow !== "none");
  if (shows(getComputedStyle(el))) return true;
  // NHS.UK radios and checkboxes hide the input and draw the focus ring on the label
  const box = el.matches("input[type=radio], input[type=checkbox]");
  const label = box ? el.nextElementSibling : null;
  return Boolean(label && shows(getComputedStyle(label, "::before")));
}"""


def assert_focus_visible(page) -> None:
    """The focused element shows it has the focus (an outline or a box-shadow, as NHS.UK's
    yellow focus style does)."""
    shown = page.evaluate(_FOCUS_SHOWS)
    described = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    assert shown, f"no visible focus on {described}"
