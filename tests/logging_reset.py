"""Undo what ``accredo_hubspot.logs.configure`` does to the process, between tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import stamina.instrumentation
import structlog

from accredo_hubspot.logs import PER_REQUEST_LOGGERS, TRACE_LOGGERS


@contextmanager
def restored_logging() -> Iterator[None]:
    """structlog's and stamina's defaults, the root logger's handlers and level, the libraries'
    levels."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in PER_REQUEST_LOGGERS + TRACE_LOGGERS}
    try:
        yield
    finally:
        structlog.reset_defaults()
        stamina.instrumentation.set_on_retry_hooks(None)
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
