"""Tables of the tasks package."""

from __future__ import annotations
