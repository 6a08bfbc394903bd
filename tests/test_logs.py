"""One log format for the connector's events and the libraries' standard-library loggers."""

from __future__ import annotations

import io
import json
import logging

import pytest
import stamina
import structlog

from accredo_hubspot import logs
from accredo_hubspot.errors import ConfigError

pytestmark = pytest.mark.usefixtures("restore_logging")

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"


def _everything_logs() -> None:
    structlog.get_logger("accredo_hubspot.sync.live").info("synced", customers=3)
    logging.getLogger("httpx").info('HTTP Request: GET http://h/x "HTTP/1.1 200 OK"')
    logging.getLogger("uvicorn.error").warning("Application startup failed")
    logging.getLogger("asyncio").error("Task exception was never retrieved")


def test_json_puts_structlog_and_library_lines_in_one_shape() -> None:
    out = io.StringIO()
    assert logs.configure("DEBUG", "json", stream=out) == "json"
    _everything_logs()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == [
        "accredo_hubspot.sync.live",
        "httpx",
        "uvicorn.error",
        "asyncio",
    ]
    for line in lines:
        assert {"event", "level", "logger", "timestamp"} <= set(line)
    assert lines[0]["customers"] == 3
    assert lines[2]["level"] == "warning"


def test_console_is_the_default_and_shares_the_shape() -> None:
    out = io.StringIO()
    assert logs.configure("DEBUG", stream=out) == "console"
    _everything_logs()
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert "synced" in lines[0] and "customers=3" in lines[0]
    assert "[httpx]" in lines[1] and "HTTP Request" in lines[1]
    assert all(line.startswith("20") and "Z [" in line for line in lines)  # ISO UTC stamp


@pytest.mark.parametrize("level", ["INFO", "WARNING"])
def test_request_lines_only_at_debug(level: str) -> None:
    out = io.StringIO()
    logs.configure(level, "json", stream=out)
    _everything_logs()
    loggers = [json.loads(line)["logger"] for line in out.getvalue().splitlines()]
    assert "httpx" not in loggers
    assert "uvicorn.error" in loggers and "asyncio" in loggers
    assert ("accredo_hubspot.sync.live" in loggers) == (level == "INFO")


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_each_retry_is_a_debug_line(level: str) -> None:
    """Retries are per request; what outlasts them is logged by the caller (the run loop)."""
    out = io.StringIO()
    logs.configure(level, "json", stream=out)
    for attempt in stamina.retry_context(on=ValueError, attempts=2, wait_initial=0, wait_jitter=0):
        with attempt:
            if attempt.num == 1:
                raise ValueError("503 from the server")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    if level == "INFO":
        assert lines == []
    else:
        (line,) = lines
        assert line["event"] == "retry" and line["logger"] == "stamina"
        assert line["caused_by"] == "503 from the server" and line["retry_num"] == 1


def test_a_second_configure_replaces_the_first() -> None:
    first, second = io.StringIO(), io.StringIO()
    logs.configure("INFO", "console", stream=first)
    logs.configure("INFO", "json", stream=second)
    structlog.get_logger("x").warning("once")
    assert first.getvalue() == ""
    assert json.loads(second.getvalue())["event"] == "once"


def test_tokens_are_masked_whoever_logs_them() -> None:
    out = io.StringIO()
    logs.configure("DEBUG", "json", stream=out)
    logging.getLogger("httpx").debug("headers: Authorization: Bearer %s", TOKEN)
    logging.getLogger("httpx").info(
        "HTTP Request: DELETE http://h/saturn/oauth2/v1/accesstokens/%s", TOKEN
    )
    structlog.get_logger("x").debug("sent", authorization=f"Bearer {TOKEN}")
    text = out.getvalue()
    assert len(text.splitlines()) == 3
    assert TOKEN not in text
    assert text.count("[redacted]") == 3


def test_environment_chooses_when_the_caller_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(logs.LEVEL_ENV, "debug")
    monkeypatch.setenv(logs.FORMAT_ENV, "JSON")
    assert logs.resolve_level(None, "WARNING") == "DEBUG"
    assert logs.resolve_level("error", "WARNING") == "ERROR"
    assert logs.resolve_format(None) == "json"
    assert logs.resolve_format("console") == "console"
    monkeypatch.delenv(logs.LEVEL_ENV)
    monkeypatch.delenv(logs.FORMAT_ENV)
    assert logs.resolve_level(None, "INFO") == "INFO"
    assert logs.resolve_format(None) == "console"


@pytest.mark.parametrize(
    ("variable", "value"), [(logs.LEVEL_ENV, "loud"), (logs.FORMAT_ENV, "xml")]
)
def test_a_wrong_choice_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        logs.configure(stream=io.StringIO())
