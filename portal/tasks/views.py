"""Routes of the tasks package (see CONTRIBUTING.md)."""

from . import bp  # noqa: F401
