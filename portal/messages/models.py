"""Tables of the messages package."""

from __future__ import annotations
