"""What to do about an error, for every error the connector knows, and its own errors.

Every known error says which of three kinds it is, so the run loop, the batch writers and the
command line treat Accredo's, HubSpot's and the store's errors alike:

* ``RETRIABLE``: the system may answer next time (429, 5xx, time-outs, dropped connections, a
  locked or unreachable database). The clients retry these themselves (stamina, within the
  rate limiter's hold); what outlasts their retries makes ``run`` wait and try again.
* ``PER_RECORD``: this record cannot be written as it is (a refused value, a missing or
  conflicting record). It goes to the dead letters; the other records go on.
* ``FATAL``: nothing will work until a person acts (credentials, permissions, configuration).
  The command stops and says why in one line.

Each external system has its own root (``AccredoError``, ``HubSpotError``); ``ConnectorError``
roots what belongs to the connector. All three derive from ``ClassifiedError``. This module
imports nothing of the connector, so both client packages may use it.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    RETRIABLE = "retriable"
    PER_RECORD = "per-record"
    FATAL = "fatal"


class ClassifiedError(Exception):
    """An error whose ``kind`` says what to do about it; a subclass that says nothing is fatal."""

    kind: ErrorKind = ErrorKind.FATAL


class ConnectorError(ClassifiedError):
    """Base of every error raised by the connector outside the two API clients."""


class ConfigError(ConnectorError):
    """A setting is missing or wrong; the message names the setting and what was expected."""
