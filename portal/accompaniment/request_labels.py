"""How the champion's pages name a request: the client as they may see them, the client's
wishes in plain words, and what counts as urgent."""

from __future__ import annotations

from datetime import timedelta

from .models import PEER_GENDERS
from .request_loading import LoadedRequest

URGENT_WITHIN = timedelta(hours=48)


def client_label(item: LoadedRequest) -> str:
    """The client as the champion may see them: the first name only with consent."""
    return item.client.first_name if item.client.consent_first_name else "A client"


def wish_words(item: LoadedRequest) -> list[str]:
    """The client's wishes matching reads, in plain words."""
    words = []
    if item.facts.peer_gender != "any":
        words.append(f"Peer: {PEER_GENDERS.get(item.facts.peer_gender, item.facts.peer_gender)}")
    if item.request.language:
        words.append(f"Speaks {item.request.language}")
    if item.request.fellowship_experience:
        words.append(f"Knows {item.fellowship.name}")
    return words


class LabelledRequest:
    """For a row or page holding a loaded request as `item`: its client and wishes in words."""

    item: LoadedRequest

    @property
    def client(self) -> str:
        return client_label(self.item)

    @property
    def wishes(self) -> list[str]:
        return wish_words(self.item)
