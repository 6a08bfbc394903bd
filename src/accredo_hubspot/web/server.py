"""Serve the web app with uvicorn inside the caller's event loop, beside the sync.

The command owns the process's signals (Ctrl-C and SIGTERM set its stop event), so uvicorn's
own signal handling is left out: ``serve`` ends when the stop event is set, after the requests
in hand are answered. The socket is bound before anything else starts, so a port in use stops
the command at start with one line, not a traceback from inside the server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from accredo_hubspot.tasks import task_group
from accredo_hubspot.web.errors import ListenError, StatusTokenMissingError

DEFAULT_LISTEN = "127.0.0.1:8400"
#: How long a stopping server waits for requests in hand before it drops them.
GRACEFUL_STOP_S = 5


@dataclass(frozen=True)
class Listen:
    """``HOST:PORT`` to listen on (``[::1]:8400`` for IPv6)."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Self:
        host, sep, port = text.strip().rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ListenError(f"--listen expects HOST:PORT, e.g. {DEFAULT_LISTEN}; got {text!r}")
        return cls(host, int(port))

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@contextmanager
def listening(listen: Listen) -> Iterator[socket.socket]:
    """A socket bound to ``listen`` (closed on the way out); ``ListenError`` if it cannot be."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            listen.host, listen.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ListenError(f"cannot listen on {listen}: {exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {listen}: {exc.strerror or exc}") from exc
    try:
        yield sock
    finally:
        sock.close()


def bound_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (the port the system chose for port 0)."""
    host, port = sock.getsockname()[:2]
    return f"http://{Listen(host, port)}"


def is_loopback(sock: socket.socket) -> bool:
    """Whether ``sock`` is bound to a loopback address (reachable from this host only)."""
    host = str(sock.getsockname()[0]).partition("%")[0]
    address = ipaddress.ip_address(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def require_token_beyond_loopback(sock: socket.socket, token_env: str, token_set: bool) -> None:
    """Refuse to serve the status page and metrics beyond loopback without a token."""
    if token_set or is_loopback(sock):
        return
    host, port = sock.getsockname()[:2]
    raise StatusTokenMissingError(
        f"--listen {Listen(str(host), int(port))} is reachable from other hosts, and /status "
        f"and /metrics show the sync's records: set {token_env} (callers then send "
        f"'Authorization: Bearer <token>') or listen on 127.0.0.1"
    )


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the command decides when to stop."""

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def serve(app: ASGIApp, sock: socket.socket, stop: asyncio.Event) -> None:
    """Serve ``app`` on the bound ``sock`` until ``stop`` is set."""
    debug = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level=logging.DEBUG if debug else logging.WARNING,  # its start/stop lines: DEBUG
        access_log=False,  # request lines are for DEBUG (logs.py), not every webhook
        log_config=None,  # uvicorn's lines take the process's one format
        timeout_graceful_shutdown=GRACEFUL_STOP_S,
    )
    server = _Server(config)

    async def stop_when_asked() -> None:
        await stop.wait()
        server.should_exit = True

    try:
        async with task_group() as group:
            watcher = group.create_task(stop_when_asked())
            try:
                await server.serve(sockets=[sock])
            finally:
                watcher.cancel()
    finally:
        for listener in getattr(server, "servers", []):
            listener.close()  # cancelled mid-serve: stop accepting at once
