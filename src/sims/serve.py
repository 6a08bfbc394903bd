"""Run an ASGI app with uvicorn on a loopback port in a background thread.

Tests, the demo and the benchmarks use this to talk to the simulators over real HTTP.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

#: How long a stop waits for requests still being answered. A request held by an injected
#: latency fault goes on sleeping after its client gave up; without a bound the stop waited
#: out the whole latency (and left the thread running once its join timed out).
SHUTDOWN_GRACE_S = 1  # uvicorn takes whole seconds


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the OS for a port that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class BackgroundServer:
    """A uvicorn server on its own thread; ``url`` is its base URL once started."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(
            app,
            host=self.host,
            port=self.port,
            log_level="warning",
            lifespan="on",
            access_log=False,
            log_config=None,  # uvicorn's lines go to the process's own logging set-up
            timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"uvicorn:{self.port}")
        self._thread.daemon = True

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1") -> Iterator[BackgroundServer]:
    """Serve ``app`` on a free loopback port for the duration of the block."""
    server = BackgroundServer(app, host=host)
    server.start()
    try:
        yield server
    finally:
        server.stop()
