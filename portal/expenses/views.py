"""Routes of the expenses package (see CONTRIBUTING.md)."""

from . import bp  # noqa: F401
