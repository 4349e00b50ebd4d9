"""Routes of the messages package (see CONTRIBUTING.md)."""

from . import bp  # noqa: F401
