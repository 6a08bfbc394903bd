"""Serving in the caller's loop: ``--listen`` parsing, a port in use named in one error, and a
stop that ends the server and frees the port."""

from __future__ import annotations

import socket
from contextlib import ExitStack

import httpx
import pytest

from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.web import (
    HEALTH_PATH,
    Listen,
    ListenError,
    StatusTokenMissingError,
    is_loopback,
    listening,
    require_token_beyond_loopback,
)
from tests.web.conftest import SECRET, served


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8400", Listen("127.0.0.1", 8400)),
        ("0.0.0.0:80", Listen("0.0.0.0", 80)),
        ("[::1]:8400", Listen("::1", 8400)),
        ("localhost:0", Listen("localhost", 0)),
    ],
)
def test_listen_parses_host_and_port(text: str, expected: Listen) -> None:
    assert Listen.parse(text) == expected
    assert Listen.parse(str(expected)) == expected


@pytest.mark.parametrize("text", ["8400", "127.0.0.1", ":8400", "host:port", "h:70000", ""])
def test_a_wrong_listen_address_names_the_option(text: str) -> None:
    with pytest.raises(ListenError, match="--listen expects HOST:PORT"):
        Listen.parse(text)


def test_a_port_in_use_is_one_error_naming_the_address() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(ListenError, match=f"cannot listen on 127.0.0.1:{port}"),
            listening(Listen("127.0.0.1", port)),
        ):
            pass


async def test_stopping_ends_the_server_and_frees_the_port(store: AsyncStateStore) -> None:
    async with served(store, SECRET) as app, httpx.AsyncClient() as client:
        assert (await client.get(f"{app.url}{HEALTH_PATH}")).status_code == 200
    # served() returned: serve() finished after its stop event, and the socket is closed
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{app.url}{HEALTH_PATH}", timeout=2)
    host, port = app.url.removeprefix("http://").split(":")
    with listening(Listen(host, int(port))):  # free again
        pass


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("::", False)],
)
def test_loopback_is_told_from_the_bound_address(host: str, loopback: bool) -> None:
    with ExitStack() as stack:
        try:
            sock = stack.enter_context(listening(Listen(host, 0)))
        except ListenError as exc:  # no IPv6 on this host
            pytest.skip(str(exc))
        assert is_loopback(sock) is loopback


def test_beyond_loopback_a_token_is_required_and_named() -> None:
    with listening(Listen("0.0.0.0", 0)) as sock:
        with pytest.raises(StatusTokenMissingError, match="set ACCREDO_HUBSPOT_STATUS_TOKEN"):
            require_token_beyond_loopback(sock, "ACCREDO_HUBSPOT_STATUS_TOKEN", token_set=False)
        require_token_beyond_loopback(sock, "ACCREDO_HUBSPOT_STATUS_TOKEN", token_set=True)
    with listening(Listen("127.0.0.1", 0)) as sock:
        require_token_beyond_loopback(sock, "ACCREDO_HUBSPOT_STATUS_TOKEN", token_set=False)
