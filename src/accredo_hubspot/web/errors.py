"""Errors of the connector's web app."""

from __future__ import annotations

from accredo_hubspot.errors import ConnectorError


class WebError(ConnectorError):
    """Base of the web app's errors."""


class ListenError(WebError):
    """``--listen`` names an address that cannot be parsed or bound (fatal: a person acts)."""


class WebhookUrlError(WebError):
    """``--webhook-url`` is not an absolute http(s) URL."""


class StatusTokenMissingError(WebError):
    """``--listen`` is beyond loopback and no status token guards ``/status`` and ``/metrics``
    (fatal: set ``ACCREDO_HUBSPOT_STATUS_TOKEN`` or listen on loopback)."""
