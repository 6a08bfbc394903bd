"""The connector's web app: HubSpot's webhooks into the inbox, Accredo's push hints; health,
readiness, the status page and Prometheus metrics."""

from accredo_hubspot.web.app import (
    HEALTH_PATH,
    HINT_PATH,
    METRICS_PATH,
    READY_PATH,
    STATUS_PATH,
    WEBHOOK_PATH,
    create_app,
)
from accredo_hubspot.web.errors import (
    ListenError,
    StatusTokenMissingError,
    WebError,
    WebhookUrlError,
)
from accredo_hubspot.web.hints import HintReceiver
from accredo_hubspot.web.server import (
    DEFAULT_LISTEN,
    Listen,
    bound_url,
    is_loopback,
    listening,
    require_token_beyond_loopback,
    serve,
)
from accredo_hubspot.web.status import StatusSource
from accredo_hubspot.web.webhooks import (
    INBOX_SOURCE,
    InboxWriter,
    WebhookReceiver,
    checked_webhook_url,
)

__all__ = [
    "DEFAULT_LISTEN",
    "HEALTH_PATH",
    "HINT_PATH",
    "INBOX_SOURCE",
    "METRICS_PATH",
    "READY_PATH",
    "STATUS_PATH",
    "WEBHOOK_PATH",
    "HintReceiver",
    "InboxWriter",
    "Listen",
    "ListenError",
    "StatusSource",
    "StatusTokenMissingError",
    "WebError",
    "WebhookReceiver",
    "WebhookUrlError",
    "bound_url",
    "checked_webhook_url",
    "create_app",
    "is_loopback",
    "listening",
    "require_token_beyond_loopback",
    "serve",
]
