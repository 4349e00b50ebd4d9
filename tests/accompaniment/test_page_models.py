"""The small pieces the champion's pages are read through: the queue's filters from the address
and what a sent batch of proposals says."""

from __future__ import annotations

import pytest

from portal.accompaniment.coordination import QueueFilters, SendResult


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        ((3, "Leeds", "open"), QueueFilters(3, "Leeds", "open")),
        ((None, "", ""), QueueFilters(None, "", "live")),
        ((0, "", "offered"), QueueFilters(None, "", "offered")),
        ((-4, "", "closed"), QueueFilters(None, "", "live")),
        ((10**9, "x", "live"), QueueFilters(None, "x", "live")),
    ],
)
def test_queue_filters_ignore_what_cannot_be(asked, kept):
    assert QueueFilters.from_query(*asked) == kept


def test_a_sent_batch_says_how_many_went_and_the_first_twenty_not_sent():
    assert SendResult(1, []).messages() == [("1 offer sent.", "success")]
    messages = SendResult(0, [f"Pair {n}" for n in range(25)]).messages()
    assert messages[0] == ("0 offers sent.", "success")
    assert messages[1:] == [(f"Not sent: Pair {n}", "error") for n in range(20)]
