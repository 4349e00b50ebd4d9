"""Every table of every domain, imported in one place for the app and for migrations."""

from .accompaniment import models as accompaniment_models  # noqa: F401
from .admin import models as admin_models  # noqa: F401
from .audit import AuditEvent  # noqa: F401
from .auth.models import AuthToken, SignInFailure, User, UserRole  # noqa: F401
from .clients import models as clients_models  # noqa: F401
from .expenses import models as expenses_models  # noqa: F401
from .geography import models as geography_models  # noqa: F401
from .governance import models as governance_models  # noqa: F401
from .meetings.models import Fellowship, Meeting  # noqa: F401
from .messages import models as messages_models  # noqa: F401
from .notify.models import EmailPreference, Notification, OutboxMessage  # noqa: F401
from .safety import models as safety_models  # noqa: F401, E402
from .settings import SettingRow  # noqa: F401
from .tasks import models as tasks_models  # noqa: F401
from .volunteers import models as volunteers_models  # noqa: F401
