"""Every table of every domain, imported in one place for the app and for migrations."""

from .audit import AuditEvent  # noqa: F401
from .auth.models import AuthToken, SignInFailure, User, UserRole  # noqa: F401
from .notify.models import OutboxMessage  # noqa: F401
