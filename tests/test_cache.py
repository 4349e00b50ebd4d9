"""The in-process cache: lifetime, size bound, refresh, one set of caches per app."""

from __future__ import annotations

from portal.cache import TTLCache, app_cache, clear_caches


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_for_its_lifetime_only() -> None:
    clock = Clock()
    cache = TTLCache(clock=clock)
    cache.put("k", "value")
    assert cache.get("k", ttl=60)[1] == "value"
    clock.now += 59.9
    assert cache.get("k", ttl=60) is not None
    clock.now += 0.1
    assert cache.get("k", ttl=60) is None
    assert len(cache) == 0 and (cache.hits, cache.misses) == (2, 1)


def test_the_oldest_used_entry_goes_first_when_full() -> None:
    cache = TTLCache(size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a", ttl=60) is not None  # a is now the most recently used
    cache.put("c", 3)
    assert len(cache) == 2
    assert cache.get("b", ttl=60) is None
    assert cache.get("a", ttl=60)[1] == 1 and cache.get("c", ttl=60)[1] == 3


def test_get_or_compute_keeps_refreshes_and_separates_keys() -> None:
    cache = TTLCache()
    calls = []

    def compute(value):
        return lambda: calls.append(value) or value

    first = cache.get_or_compute(("scope-a", 1), 60, compute("a"))
    kept = cache.get_or_compute(("scope-a", 1), 60, compute("never"))
    other = cache.get_or_compute(("scope-b", 1), 60, compute("b"))
    fresh = cache.get_or_compute(("scope-a", 1), 60, compute("again"), refresh=True)
    assert (first.hit, kept.hit, other.hit, fresh.hit) == (False, True, False, False)
    assert (kept.value, other.value, fresh.value) == ("a", "b", "again")
    assert kept.computed_at == first.computed_at
    assert calls == ["a", "b", "again"]
    assert cache.get_or_compute(("scope-a", 1), 60, compute("x")).value == "again"


def test_a_lifetime_of_zero_keeps_nothing() -> None:
    cache = TTLCache()
    cache.get_or_compute("k", 0, lambda: 1)
    assert len(cache) == 0 and not cache.get_or_compute("k", 0, lambda: 2).hit


def test_each_app_has_its_own_caches(app) -> None:
    from portal import create_app

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app_cache("x", app=app).put("k", 1)
    assert len(app_cache("x", app=other)) == 0
    assert app_cache("x", app=app) is app_cache("x", app=app)
    clear_caches(app)
    assert len(app_cache("x", app=app)) == 0
