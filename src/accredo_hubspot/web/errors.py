"""Errors of the connector's web app."""

from __future__ import annotations

from accredo_hubspot.errors import ConnectorError


class WebError(ConnectorError):
    """Base of the web app's errors."""


class ListenError(WebError):
    """``--listen`` names an address that cannot be parsed or bound (fatal: a person acts)."""


class WebhookUrlError(WebError):
    """``--webhook-url`` is not an absolute http(s) URL."""
