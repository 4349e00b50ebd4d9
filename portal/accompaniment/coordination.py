"""The recovery champion's side: the queue, one request with its ranked peers, batch proposals.

Each lives in its own module and every public name is re-exported here, so callers keep
importing from `coordination`:

- queue: open and offered requests, with urgency, whether anyone fits and the offers waiting
- board: one request with its ranked volunteers, the excluded ones and why, and its offers
- proposal: batch pairings of the coming days, their short-lived cache, sending them as offers
- request_labels: the client's label and wishes as a champion sees them, and urgency
"""

from __future__ import annotations

from .board import (
    ELIGIBLE_SHOWN,
    EXCLUDED_SHOWN,
    Board,
    ExcludedRow,
    OfferRow,
    RankedRow,
    booked_volunteer,
    get_loaded_request,
    offer_row,
    phone_offer_row,
    request_board,
    view_board,
)
from .proposal import (
    PROPOSAL_CACHE,
    PROPOSAL_DAYS,
    Proposal,
    ProposalRow,
    SendResult,
    Solved,
    parse_pairs,
    proposal_key,
    proposal_requests,
    propose_pairings,
    send_proposed_offers,
    volunteer_fingerprint,
)
from .queue import (
    QUEUE_CHECK,
    QUEUE_STATES,
    QueueFilters,
    QueuePage,
    QueueRow,
    fits,
    queue,
    queue_options,
    queue_page,
    queue_statement,
    waiting_counts,
)
from .request_labels import URGENT_WITHIN, client_label, wish_words
from .volunteer_loading import gc_paused

__all__ = [
    "ELIGIBLE_SHOWN",
    "EXCLUDED_SHOWN",
    "PROPOSAL_CACHE",
    "PROPOSAL_DAYS",
    "QUEUE_CHECK",
    "QUEUE_STATES",
    "URGENT_WITHIN",
    "Board",
    "ExcludedRow",
    "OfferRow",
    "Proposal",
    "ProposalRow",
    "QueueFilters",
    "QueuePage",
    "QueueRow",
    "RankedRow",
    "SendResult",
    "Solved",
    "booked_volunteer",
    "client_label",
    "fits",
    "gc_paused",
    "get_loaded_request",
    "offer_row",
    "parse_pairs",
    "phone_offer_row",
    "propose_pairings",
    "proposal_key",
    "proposal_requests",
    "queue",
    "queue_options",
    "queue_page",
    "queue_statement",
    "request_board",
    "send_proposed_offers",
    "view_board",
    "volunteer_fingerprint",
    "waiting_counts",
    "wish_words",
]
