"""Browser tests: real pages in Debian's chromium, driven by Playwright, against a live server."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

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


class LiveServer:
    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
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
def page(chromium, live_server) -> Iterator[object]:  # noqa: ANN001
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
def phone_page(chromium, live_server) -> Iterator[object]:  # noqa: ANN001
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


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:  # noqa: ANN001
    """Run axe-core (shipped inside axe-playwright-python) and keep the serious ones."""
    from axe_playwright_python.sync_playwright import Axe

    page.mouse.move(0, 0)  # a hovered link loses its underline by design; scan the resting page
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in impacts]


def sign_in(page, email: str, password: str = factories.PASSWORD) -> None:  # noqa: ANN001
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
