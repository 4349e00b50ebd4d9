"""The small family of domain errors that services raise and views translate."""


class DomainError(Exception):
    """Base for errors a user can cause; the message is safe to show them."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The user may not do this (shown as 403, or 404 when even existence is private)."""


class NotFound(DomainError):
    """Nothing the user may see exists under this id."""


class Conflict(DomainError):
    """Someone else changed the record first; reload and try again (409)."""


class InvalidChange(DomainError):
    """The change breaks a rule; nothing was changed."""
