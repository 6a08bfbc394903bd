"""One log format for the whole process, on stderr: the connector's structlog events and the
standard-library loggers of httpx, httpcore, uvicorn and asyncio, all rendered by structlog.

``console`` is for people (aligned, coloured on a terminal); ``json`` is one object per line
for log collectors. The level comes from the caller (a command-line option), else
``ACCREDO_HUBSPOT_LOG_LEVEL``, else the command's default; the format likewise from
``ACCREDO_HUBSPOT_LOG_FORMAT``. httpx says every request at INFO, and stamina every retry at
WARNING; both are kept for DEBUG, so the default levels show one line per cycle that did
something (or per outage), none per request.
Tokens never reach a log line: the clients keep them out of what they log, and a last
processor here masks bearer tokens and token paths in anything a library logs.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Literal, TextIO

import stamina.instrumentation
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from accredo_hubspot.errors import ConfigError

LogFormat = Literal["console", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("console", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LEVEL_ENV = "ACCREDO_HUBSPOT_LOG_LEVEL"
FORMAT_ENV = "ACCREDO_HUBSPOT_LOG_FORMAT"
#: Loggers that write a line per request (httpx, at INFO): shown only at DEBUG.
PER_REQUEST_LOGGERS = ("httpx",)
#: Loggers that write a line per socket event (httpcore, at DEBUG): too fine even for DEBUG.
TRACE_LOGGERS = ("httpcore",)
#: uvicorn's loggers: their own handlers go, so their lines take the common format.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

_SECRETS = (
    (re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), r"\1[redacted]"),
    (re.compile(r"(/oauth2/v1/(?:access|refresh)tokens/)[^\s\"?#]+"), r"\1[redacted]"),
)


def resolve_level(level: str | None, default: str) -> str:
    """The level asked for, else the environment's, else ``default``; upper case, checked."""
    name = (level or os.environ.get(LEVEL_ENV) or default).strip().upper()
    if name not in LOG_LEVELS:
        raise ConfigError(f"{LEVEL_ENV} / --log-level must be one of {', '.join(LOG_LEVELS)}")
    return name


def resolve_format(log_format: str | None) -> LogFormat:
    """The format asked for, else the environment's, else ``console``."""
    name = (log_format or os.environ.get(FORMAT_ENV) or "console").strip().lower()
    if name not in LOG_FORMATS:
        raise ConfigError(f"{FORMAT_ENV} / --log-format must be one of {', '.join(LOG_FORMATS)}")
    return name


def redact(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Mask bearer tokens and token paths in every string value of the event."""
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = _masked(value)
    return event_dict


def _masked(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def configure(
    level: str | None = None,
    log_format: str | None = None,
    *,
    default_level: str = "WARNING",
    stream: TextIO | None = None,
) -> LogFormat:
    """Send every log line of this process to ``stream`` (stderr) in one format; returns it."""
    name = resolve_level(level, default_level)
    chosen = resolve_format(log_format)
    numeric = logging.getLevelNamesMapping()[name]
    out = stream or sys.stderr
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=False,
    )
    handler = _Handler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *_final(chosen, out),
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for library in PER_REQUEST_LOGGERS:
        logging.getLogger(library).setLevel(
            numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
        )
    for library in TRACE_LOGGERS:
        logging.getLogger(library).setLevel(max(numeric, logging.INFO))
    for server in UVICORN_LOGGERS:
        logger = logging.getLogger(server)
        logger.handlers.clear()
        logger.propagate = True
    stamina.instrumentation.set_on_retry_hooks([_log_retry])
    return chosen


def _log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    """One retry of one request, at DEBUG: what outlasts the retries is logged by its caller."""
    structlog.get_logger("stamina").debug(
        "retry",
        caused_by=str(details.caused_by) or type(details.caused_by).__name__,
        error=type(details.caused_by).__name__,
        retry_num=details.retry_num,
        wait_s=round(details.wait_for, 2),
    )


def _final(chosen: LogFormat, out: TextIO) -> list[Processor]:
    if chosen == "json":
        return [redact, structlog.processors.dict_tracebacks, structlog.processors.JSONRenderer()]
    colours = bool(getattr(out, "isatty", lambda: False)())
    return [redact, structlog.dev.ConsoleRenderer(colors=colours)]


class _Handler(logging.StreamHandler[TextIO]):
    """The handler ``configure`` installs (so a second call replaces it, not adds one)."""
