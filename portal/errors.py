"""The small family of domain errors that services raise; each carries the status it answers
with when no view catches it (one handler in portal/pages.py renders its page)."""


class DomainError(Exception):
    """Base for errors a user can cause; the message is safe to show them."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The user may not do this (shown as 403, or 404 when even existence is private)."""

    status = 403


class NotFound(DomainError):
    """Nothing the user may see exists under this id."""

    status = 404


class Conflict(DomainError):
    """Someone else changed the record first; reload and try again (409)."""

    status = 409


class InvalidChange(DomainError):
    """The change breaks a rule; nothing was changed (a 400 page unless the view shows it by
    the field)."""

    status = 400
