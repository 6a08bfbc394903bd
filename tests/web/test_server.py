"""Serving in the caller's loop: ``--listen`` parsing, a port in use named in one error, and a
stop that ends the server and frees the port."""

from __future__ import annotations

import socket

import httpx
import pytest

from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.web import HEALTH_PATH, Listen, ListenError, listening
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
