"""Tables of the expenses package."""

from __future__ import annotations
