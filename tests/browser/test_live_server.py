"""The browser tests' live server closes what it opened when a browser hangs up."""

from __future__ import annotations

import gc
import socket
import struct
import sys
import time


def test_a_dropped_connection_leaves_no_static_file_open(live_server, monkeypatch) -> None:
    # A browser abandoning the favicon on navigation resets the connection; werkzeug's
    # server then skipped closing the file and a random browser test failed on the warning.
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    for _ in range(60):
        with socket.create_connection(("127.0.0.1", live_server.port)) as sock:
            sock.sendall(b"GET /static/favicon.ico HTTP/1.1\r\nHost: portal.test\r\n\r\nx")
            time.sleep(0.002)
            # linger 0 makes close send a reset, as a browser cancelling a request does
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    time.sleep(0.5)
    gc.collect()
    assert [u for u in unraisable if "favicon" in u] == []
