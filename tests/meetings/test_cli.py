"""`flask meetings import`: from a file or a loopback web server, with a preview and a yes."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.meetings.models import Meeting


def feed(count: int, **fields: object) -> list[dict]:
    return [
        {
            "name": f"Meeting {n}",
            "slug": n,
            "day": n % 7,
            "time": "19:30",
            "formatted_address": "12 Church Lane, Wrenford QX1 4AB",
            **fields,
        }
        for n in range(count)
    ]


def count_meetings(app, **where: object) -> int:
    with app.app_context():
        statement = select(func.count()).select_from(Meeting).filter_by(**where)
        return db.session.scalar(statement)


@pytest.fixture
def feed_file(tmp_path):
    def write(records: list) -> str:
        path = tmp_path / "feed.json"
        path.write_text(json.dumps(records))
        return str(path)

    return write


def test_a_dry_run_shows_the_preview_and_changes_nothing(app, runner, feed_file):
    path = feed_file([*feed(3), {"name": "Bad", "slug": "x", "day": "Funday", "time": "19:00"}])
    result = runner.invoke(args=["meetings", "import", path, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "4 records read" in result.output
    assert "3 to add" in result.output and "1 skipped" in result.output
    assert "skipped record 4 (Bad): the day 'Funday' is not a weekday" in result.output
    assert "Dry run: nothing was changed." in result.output
    assert count_meetings(app) == 0


def test_the_import_asks_before_applying(app, runner, feed_file):
    path = feed_file(feed(3))
    refused = runner.invoke(args=["meetings", "import", path], input="n\n")
    assert "Apply these changes?" in refused.output and "Nothing was changed." in refused.output
    assert count_meetings(app) == 0
    agreed = runner.invoke(args=["meetings", "import", path, "--fellowship", "NA"], input="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert "Done: the changes are saved." in agreed.output
    assert count_meetings(app, source="feed.json") == 3


def test_re_importing_the_same_file_changes_nothing(app, runner, feed_file):
    path = feed_file(feed(3))
    runner.invoke(args=["meetings", "import", path, "--yes"])
    again = runner.invoke(args=["meetings", "import", path, "--yes"])
    assert "3 unchanged" in again.output
    assert "Nothing to change: the directory already matches this feed." in again.output


def test_a_named_source_deactivates_what_its_feed_no_longer_lists(app, runner, feed_file):
    runner.invoke(args=["meetings", "import", feed_file(feed(3)), "--source", "North", "--yes"])
    result = runner.invoke(
        args=["meetings", "import", feed_file(feed(2)), "--source", "North", "--yes"]
    )
    assert "1 to deactivate" in result.output
    assert count_meetings(app, source="North", active=True) == 2


def test_a_large_feed_shows_a_progress_bar(app, runner, feed_file):
    result = runner.invoke(args=["meetings", "import", feed_file(feed(300)), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Reading meetings" in result.output and "Saving changes" in result.output
    small = runner.invoke(args=["meetings", "import", feed_file(feed(3)), "--dry-run"])
    assert "Reading meetings" not in small.output
    assert count_meetings(app) == 300


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fellowship", "NOPE"], "There is no fellowship with the code 'NOPE'"),
        ([], "could not be read"),
    ],
)
def test_mistakes_are_reported_plainly(runner, tmp_path, args, message):
    result = runner.invoke(args=["meetings", "import", str(tmp_path / "missing.json"), *args])
    assert result.exit_code != 0 and message in result.output


def test_a_file_that_is_not_a_feed_is_refused(runner, tmp_path):
    path = tmp_path / "feed.json"
    path.write_text("{oops")
    result = runner.invoke(args=["meetings", "import", str(path)])
    assert result.exit_code != 0 and "not valid JSON" in result.output


def test_a_file_over_the_limit_is_refused(app, runner, feed_file):
    app.config["MEETING_IMPORT_MAX_BYTES"] = 100
    result = runner.invoke(args=["meetings", "import", feed_file(feed(5))])
    assert result.exit_code != 0 and "larger than 100 bytes" in result.output


# --- from a web address (a loopback server, never the internet) ---------------------------


class FeedHandler(BaseHTTPRequestHandler):
    body = b"[]"

    def do_GET(self) -> None:  # noqa: N802
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer()  # the importer may give up waiting, as it should

    def _answer(self) -> None:
        if self.path == "/slow.json":
            time.sleep(2)
        if self.path == "/huge.json":
            self.send_response(200)
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            return
        if self.path == "/missing.json":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def feed_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_feed_is_fetched_from_a_web_address(app, runner, feed_server, monkeypatch):
    monkeypatch.setattr(FeedHandler, "body", json.dumps(feed(4)).encode())
    url = f"{feed_server}/meetings.json"
    result = runner.invoke(args=["meetings", "import", url, "--yes"])
    assert result.exit_code == 0, result.output
    assert count_meetings(app, source=url) == 4


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing.json", "could not be fetched"),
        ("/slow.json", "could not be fetched"),
        ("/huge.json", "larger than"),
    ],
)
def test_a_web_feed_that_fails_is_reported(app, runner, feed_server, path, message):
    app.config["MEETING_IMPORT_URL_TIMEOUT"] = 0.5
    app.config["MEETING_IMPORT_MAX_BYTES"] = 1024 * 1024
    result = runner.invoke(args=["meetings", "import", f"{feed_server}{path}"])
    assert result.exit_code != 0 and message in result.output, result.output
