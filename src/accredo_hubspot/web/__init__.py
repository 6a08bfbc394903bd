"""The connector's web app: HubSpot's webhooks into the inbox, and a health check."""

from accredo_hubspot.web.app import HEALTH_PATH, WEBHOOK_PATH, create_app
from accredo_hubspot.web.errors import ListenError, WebError, WebhookUrlError
from accredo_hubspot.web.server import DEFAULT_LISTEN, Listen, bound_url, listening, serve
from accredo_hubspot.web.webhooks import (
    INBOX_SOURCE,
    InboxWriter,
    WebhookReceiver,
    checked_webhook_url,
)

__all__ = [
    "DEFAULT_LISTEN",
    "HEALTH_PATH",
    "INBOX_SOURCE",
    "WEBHOOK_PATH",
    "InboxWriter",
    "Listen",
    "ListenError",
    "WebError",
    "WebhookReceiver",
    "WebhookUrlError",
    "bound_url",
    "checked_webhook_url",
    "create_app",
    "listening",
    "serve",
]
