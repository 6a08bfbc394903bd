"""Errors of the connector itself (configuration, sync, store).

Each external system has its own root (``AccredoError``, ``HubSpotError``); this
module roots what belongs to the connector.
"""


class ConnectorError(Exception):
    """Base of every error raised by the connector outside the two API clients."""


class ConfigError(ConnectorError):
    """A setting is missing or wrong; the message names the setting and what was expected."""
