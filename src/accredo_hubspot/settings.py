"""Secrets and endpoints from environment variables, checked once at start.

Every command calls ``load_settings`` before doing anything, so a missing or wrong setting stops
it with one message that names each bad variable and what was expected. Secrets (the Accredo
password, the HubSpot token, a password inside the database URL) are held as ``Secret``: their
``repr`` and ``str`` are masked, and no message here ever quotes them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from accredo_hubspot.errors import ConfigError

Secret = SecretStr
"""A string whose ``repr``/``str`` is ``**********``; read it with ``get_secret_value()``."""

ACCREDO_BASE_URL = "ACCREDO_BASE_URL"
ACCREDO_COMPANY = "ACCREDO_COMPANY"
ACCREDO_CLIENT_ID = "ACCREDO_CLIENT_ID"
ACCREDO_USERNAME = "ACCREDO_USERNAME"
ACCREDO_PASSWORD = "ACCREDO_PASSWORD"
ACCREDO_CA_BUNDLE = "ACCREDO_CA_BUNDLE"
HUBSPOT_ACCESS_TOKEN = "HUBSPOT_ACCESS_TOKEN"
HUBSPOT_BASE_URL = "HUBSPOT_BASE_URL"
HUBSPOT_CLIENT_SECRET = "HUBSPOT_CLIENT_SECRET"
HUBSPOT_APP_ID = "HUBSPOT_APP_ID"
DATABASE_URL = "ACCREDO_HUBSPOT_DATABASE_URL"
STATUS_TOKEN = "ACCREDO_HUBSPOT_STATUS_TOKEN"
HINT_SECRET = "ACCREDO_HUBSPOT_HINT_SECRET"
#: Shortest status token (and hint secret) accepted: a guessable one guards nothing.
MIN_STATUS_TOKEN_CHARS = 16

#: HubSpot's public API root (hubspot-api.md: "Base URL").
DEFAULT_HUBSPOT_BASE_URL = "https://api.hubapi.com"
#: An SQLite file in the working directory.
DEFAULT_DATABASE_URL = "sqlite:///accredo-hubspot.db"

_ACCREDO_ROOT_EXAMPLE = "https://accredo.example.co.nz:8443/saturn"

# What each variable must hold, as the messages say it.
EXPECTED: dict[str, str] = {
    ACCREDO_BASE_URL: (
        "the Accredo Web Service root (under which /oauth2/v1/token and /odata4/v1 live), "
        f"e.g. {_ACCREDO_ROOT_EXAMPLE}"
    ),
    ACCREDO_COMPANY: "the Accredo company code, e.g. DEMO",
    ACCREDO_CLIENT_ID: "the OAuth client id of the Accredo Web Service",
    ACCREDO_USERNAME: "the Accredo web user's name",
    ACCREDO_PASSWORD: "the Accredo web user's password",
    ACCREDO_CA_BUNDLE: "the path of a PEM file with the Accredo server's CA certificate(s)",
    HUBSPOT_ACCESS_TOKEN: "a HubSpot private app access token",
    HUBSPOT_BASE_URL: f"the HubSpot API root, e.g. {DEFAULT_HUBSPOT_BASE_URL}",
    HUBSPOT_CLIENT_SECRET: "the client secret of the HubSpot app that sends webhooks",
    HUBSPOT_APP_ID: "the numeric id of the connector's HubSpot app (its own writes' sourceId)",
    STATUS_TOKEN: (
        f"a random token of at least {MIN_STATUS_TOKEN_CHARS} characters without blanks that "
        "callers of /status and /metrics send as 'Authorization: Bearer <token>', e.g. the "
        "output of: openssl rand -hex 32"
    ),
    HINT_SECRET: (
        f"a random secret of at least {MIN_STATUS_TOKEN_CHARS} characters without blanks that "
        "Accredo's script sends with each push hint as 'Authorization: Bearer <secret>', e.g. "
        "the output of: openssl rand -hex 32"
    ),
    DATABASE_URL: (
        "an SQLAlchemy URL of a SQLite or PostgreSQL database, e.g. "
        "sqlite:///accredo-hubspot.db or postgresql+psycopg://user@host/dbname"
    ),
}

ACCREDO_REQUIRED = (
    ACCREDO_BASE_URL,
    ACCREDO_COMPANY,
    ACCREDO_CLIENT_ID,
    ACCREDO_USERNAME,
    ACCREDO_PASSWORD,
)

_DATABASE_BACKENDS = frozenset({"sqlite", "postgresql"})


@dataclass(frozen=True, slots=True)
class AccredoSettings:
    """How to reach one Accredo company."""

    base_url: str  # the service root, no trailing slash
    company: str
    client_id: str
    username: str
    password: Secret
    ca_bundle: str | None = None


@dataclass(frozen=True, slots=True)
class HubSpotSettings:
    """How to reach the HubSpot portal."""

    access_token: Secret
    base_url: str = DEFAULT_HUBSPOT_BASE_URL  # no trailing slash
    client_secret: Secret | None = None  # signs webhooks; None: every webhook is refused
    app_id: str | None = None  # our app's id: events it caused (sourceId) are our own echoes


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything taken from the environment. A side not asked for and not configured is None."""

    accredo: AccredoSettings | None
    hubspot: HubSpotSettings | None
    database_url: Secret
    status_token: Secret | None = None  # guards /status and /metrics; needed beyond loopback
    hint_secret: Secret | None = None  # Accredo's push hints carry it; None: every hint refused

    @property
    def database_url_display(self) -> str:
        """The database URL with any password masked, for output and logs."""
        return make_url(self.database_url.get_secret_value()).render_as_string(hide_password=True)

    def require_accredo(self) -> AccredoSettings:
        """The Accredo settings, or a ``ConfigError`` naming what to set."""
        if self.accredo is None:
            raise ConfigError(_missing_message(ACCREDO_REQUIRED))
        return self.accredo

    def require_hubspot(self) -> HubSpotSettings:
        """The HubSpot settings, or a ``ConfigError`` naming what to set."""
        if self.hubspot is None:
            raise ConfigError(_missing_message([HUBSPOT_ACCESS_TOKEN]))
        return self.hubspot


def load_settings(
    env: Mapping[str, str] = os.environ,
    *,
    require_accredo: bool = True,
    require_hubspot: bool = True,
) -> Settings:
    """Read and check the settings; raise one ``ConfigError`` listing every problem.

    A side that is not required is loaded when all its variables are set and left as None
    otherwise; a value that is set is always checked.
    """
    reader = _Reader(env)
    accredo = _load_accredo(reader, required=require_accredo)
    hubspot = _load_hubspot(reader, required=require_hubspot)
    database_url = _load_database_url(reader)
    status_token = _load_token(reader, STATUS_TOKEN)
    hint_secret = _load_token(reader, HINT_SECRET)
    if reader.problems:
        raise ConfigError("; ".join(reader.problems))
    return Settings(
        accredo=accredo,
        hubspot=hubspot,
        database_url=database_url,
        status_token=status_token,
        hint_secret=hint_secret,
    )


class _Reader:
    """Reads variables and collects every problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self.problems: list[str] = []

    def get(self, name: str) -> str | None:
        """The value with surrounding blanks removed; None when unset or blank."""
        value = self._env.get(name, "").strip()
        return value or None

    def missing(self, name: str) -> None:
        self.problems.append(f"{name} is not set: expected {EXPECTED[name]}")

    def wrong(self, name: str, why: str) -> None:
        self.problems.append(f"{name} {why}: expected {EXPECTED[name]}")


def _load_accredo(reader: _Reader, *, required: bool) -> AccredoSettings | None:
    values = {name: reader.get(name) for name in ACCREDO_REQUIRED}
    absent = [name for name, value in values.items() if value is None]
    if absent and not required:
        return None
    for name in absent:
        reader.missing(name)
    base_url = values[ACCREDO_BASE_URL]
    if base_url is not None:
        base_url = _http_url(reader, ACCREDO_BASE_URL, base_url, service_root=True)
    ca_bundle = reader.get(ACCREDO_CA_BUNDLE)
    if ca_bundle is not None and not Path(ca_bundle).is_file():
        reader.wrong(ACCREDO_CA_BUNDLE, f"names no readable file ({ca_bundle})")
    password = values[ACCREDO_PASSWORD]
    if absent or base_url is None or password is None:
        return None
    return AccredoSettings(
        base_url=base_url,
        company=values[ACCREDO_COMPANY] or "",
        client_id=values[ACCREDO_CLIENT_ID] or "",
        username=values[ACCREDO_USERNAME] or "",
        password=Secret(password),
        ca_bundle=ca_bundle,
    )


def _load_hubspot(reader: _Reader, *, required: bool) -> HubSpotSettings | None:
    token = reader.get(HUBSPOT_ACCESS_TOKEN)
    raw_url = reader.get(HUBSPOT_BASE_URL)
    base_url = DEFAULT_HUBSPOT_BASE_URL
    if raw_url is not None:
        base_url = _http_url(reader, HUBSPOT_BASE_URL, raw_url, service_root=False) or base_url
    if token is None:
        if required:
            reader.missing(HUBSPOT_ACCESS_TOKEN)
        return None
    client_secret = reader.get(HUBSPOT_CLIENT_SECRET)
    if client_secret is not None and any(ch.isspace() for ch in client_secret):
        reader.wrong(HUBSPOT_CLIENT_SECRET, "contains blanks")
    app_id = reader.get(HUBSPOT_APP_ID)
    if app_id is not None and not app_id.isdigit():
        reader.wrong(HUBSPOT_APP_ID, "is not a number")
        app_id = None
    if any(ch.isspace() for ch in token):
        reader.wrong(HUBSPOT_ACCESS_TOKEN, "contains blanks")
        return None
    return HubSpotSettings(
        access_token=Secret(token),
        base_url=base_url,
        client_secret=None if client_secret is None else Secret(client_secret),
        app_id=app_id,
    )


def _load_database_url(reader: _Reader) -> Secret:
    raw = reader.get(DATABASE_URL) or DEFAULT_DATABASE_URL
    try:
        url = make_url(raw)
    except ArgumentError:
        reader.wrong(DATABASE_URL, "is not an SQLAlchemy URL")  # the value may hold a password
        return Secret(DEFAULT_DATABASE_URL)
    if url.get_backend_name() not in _DATABASE_BACKENDS:
        reader.wrong(DATABASE_URL, f"uses an unsupported database ({url.get_backend_name()})")
    return Secret(raw)


def _load_token(reader: _Reader, name: str) -> Secret | None:
    """An optional bearer secret (the status token, the hint secret): long, no blanks."""
    token = reader.get(name)
    if token is None:
        return None
    if any(ch.isspace() for ch in token):
        reader.wrong(name, "contains blanks")
        return None
    if len(token) < MIN_STATUS_TOKEN_CHARS:
        reader.wrong(name, f"is shorter than {MIN_STATUS_TOKEN_CHARS} characters")
        return None
    return Secret(token)


def _http_url(reader: _Reader, name: str, value: str, *, service_root: bool) -> str | None:
    """``value`` checked as an http(s) URL, trailing slash removed; None (and a problem) if not."""
    parts = urlsplit(value)
    if "@" in parts.netloc:  # checked first: the value is quoted in the other messages
        reader.wrong(name, "must not carry credentials in the URL")
        return None
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        reader.wrong(name, f"is not an http(s) URL ({value!r})")
        return None
    if parts.query or parts.fragment:
        reader.wrong(name, f"must not have a query or fragment ({value!r})")
        return None
    path = parts.path.rstrip("/")
    if service_root and not path:
        reader.wrong(name, f"has no service root path such as /saturn ({value!r})")
        return None
    if service_root and ("/odata4" in path.lower() or "/oauth2" in path.lower()):
        reader.wrong(
            name, f"should stop at the service root, before /odata4 or /oauth2 ({value!r})"
        )
        return None
    return value.rstrip("/")


def _missing_message(names: Sequence[str]) -> str:
    return "; ".join(f"{name} is not set: expected {EXPECTED[name]}" for name in names)
