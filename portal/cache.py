"""Small in-process caches for pages that are costly to work out (reports, batch proposals).

Each cache belongs to one app (kept in ``app.extensions``), so every gunicorn worker and every
test app has its own. A cache is bounded (least recently used entries go first), each entry
lives a fixed number of seconds, and a lock makes it safe under threaded servers as well as
sync workers. Callers build keys from everything that changes the answer; a key that no longer
matches is simply never asked for again and ages out.

Never put anything in a cache that one user may see and another may not unless the key holds
the viewer's scope.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from .audit import utcnow

DEFAULT_SIZE = 16


@dataclass(frozen=True)
class Cached:
    value: Any
    computed_at: datetime  # wall-clock (UTC) time the value was worked out, for "as of"
    hit: bool


class TTLCache:
    """A bounded least-recently-used cache whose entries expire after `ttl` seconds."""

    def __init__(self, size: int = DEFAULT_SIZE, clock: Callable[[], float] = time.monotonic):
        self.size = size
        self.clock = clock
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[float, datetime, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, ttl: float) -> tuple[datetime, Any] | None:
        """(computed_at, value) while the entry is younger than `ttl` seconds, else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self.clock() - entry[0] >= ttl:
                if entry is not None:
                    del self._entries[key]
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1], entry[2]

    def put(self, key: Hashable, value: Any, computed_at: datetime | None = None) -> datetime:
        computed_at = computed_at or utcnow()
        with self._lock:
            self._entries[key] = (self.clock(), computed_at, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return computed_at

    def get_or_compute(
        self, key: Hashable, ttl: float, compute: Callable[[], Any], refresh: bool = False
    ) -> Cached:
        """The cached value for `key`, or `compute()` stored under it (always when `refresh`).

        Two requests missing at once both compute; the later one's answer is kept. That costs
        time, never correctness, and avoids holding a lock across database work.
        """
        if ttl > 0 and not refresh:
            found = self.get(key, ttl)
            if found is not None:
                return Cached(found[1], found[0], hit=True)
        elif refresh:
            self.misses += 1
        value = compute()
        computed_at = utcnow()
        if ttl > 0:
            self.put(key, value, computed_at)
        return Cached(value, computed_at, hit=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def app_cache(name: str, size: int = DEFAULT_SIZE, app: Flask | None = None) -> TTLCache:
    """The app's cache called `name`, made on first use."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    caches: dict[str, TTLCache] = app.extensions.setdefault("portal_caches", {})
    cache = caches.get(name)
    if cache is None:
        cache = caches.setdefault(name, TTLCache(size))
    return cache


def clear_caches(app: Flask | None = None) -> None:
    """Empty every cache of the app (tests measuring the uncached path use this)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    for cache in app.extensions.get("portal_caches", {}).values():
        cache.clear()


def cache_seconds(setting: str) -> float:
    """A cache lifetime from the app's config (0 turns that cache off)."""
    return float(current_app.config[setting])
