"""The simulator plays the site's push-hint script: after each save, a hint to the hook URL
with the secret as a bearer token; reads send none; a hook nobody answers loses its hints and
the saves go on; ``accredo-sim --event-hook-url`` sets the hook."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sims.serve import BackgroundServer, free_port, serve_in_thread
from tests.conftest import wait_until
from tests.sims.accredo.conftest import Sim

SECRET = "0123456789abcdef-hint-secret"
ACCREDO_SIM = str(Path(sys.executable).parent / "accredo-sim")


@dataclass
class Receiver:
    """What a connector's hint endpoint received: (Authorization header, body) per hint."""

    server: BackgroundServer
    hints: list[tuple[str | None, bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.server.url}/hooks/accredo"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    got: list[tuple[str | None, bytes]] = []

    async def hook(request: Request) -> Response:
        got.append((request.headers.get("authorization"), await request.body()))
        return Response(status_code=204)

    app = Starlette(routes=[Route("/hooks/accredo", hook, methods=["POST"])])
    with serve_in_thread(app) as server:
        yield Receiver(server, got)


@pytest.fixture
def hooked(sim: Sim, receiver: Receiver) -> Iterator[Sim]:
    """The simulator with its hook on the receiver (cleared afterwards)."""
    receiver.hints.clear()
    answer = sim.http.put("/_sim/event-hook", json={"url": receiver.url, "secret": SECRET})
    assert answer.status_code == 200
    yield sim
    sim.http.put("/_sim/event-hook", json={"url": None, "secret": None})


def _first_code(sim: Sim, api: httpx.Client) -> str:
    code: str = api.get("/ARCustomer", params={"$top": "1"}).json()["value"][0]["CustomerCode"]
    return code


def test_each_save_posts_a_hint_with_the_secret(
    hooked: Sim, receiver: Receiver, api: httpx.Client
) -> None:
    sent = hooked.http.get("/_sim/event-hook").json()["sent"]
    code = _first_code(hooked, api)
    posted = hooked.http.post(
        "/_sim/post/invoices", json={"items": [{"CustomerCode": code, "Amount": 10}]}
    )
    assert posted.status_code == 200
    wait_until(lambda: len(receiver.hints) == 1, "the hint", timeout_s=10)
    assert receiver.hints == [(f"Bearer {SECRET}", b"{}")]

    hooked.http.patch(f"/_sim/customers/{code}", json={"CreditLimit": 12345})  # a user's edit
    etag = api.get(f"/ARCustomer('{code}')").json()["@odata.etag"]
    patched = api.patch(
        f"/ARCustomer('{code}')", json={"Comment": "via the API"}, headers={"If-Match": etag}
    )
    assert patched.status_code == 200
    wait_until(lambda: len(receiver.hints) == 3, "three hints", timeout_s=10)
    # The simulator counts a hint once its answer is back, a moment after the receiver has it.
    wait_until(
        lambda: hooked.http.get("/_sim/event-hook").json()["sent"] == sent + 3,
        "three hints counted",
        timeout_s=10,
    )
    shown = hooked.http.get("/_sim/event-hook").json()
    assert (shown["url"], shown["secret"], shown["sent"]) == (receiver.url, True, sent + 3)
    assert SECRET not in str(shown)


def test_reads_and_refused_writes_send_no_hint(
    hooked: Sim, receiver: Receiver, api: httpx.Client
) -> None:
    code = _first_code(hooked, api)
    api.get("/TABLE_ARDELTA")
    refused = api.patch(f"/ARCustomer('{code}')", json={"Comment": "x"})  # no If-Match: 428
    assert refused.status_code == 428
    for comment in ("a save", "another"):
        hooked.http.patch(f"/_sim/customers/{code}", json={"Comment": comment})
    wait_until(lambda: len(receiver.hints) >= 2, "two hints", timeout_s=10)
    assert len(receiver.hints) == 2  # the two saves'; none for the read or the refusal


def test_a_hook_nobody_answers_loses_its_hints_and_the_save_goes_on(
    sim: Sim, api: httpx.Client
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/hooks/accredo"
    sim.http.put("/_sim/event-hook", json={"url": dead, "secret": SECRET})
    try:
        failed = sim.http.get("/_sim/event-hook").json()["failed"]
        code = _first_code(sim, api)
        saved = sim.http.patch(f"/_sim/customers/{code}", json={"CreditLimit": 777})
        assert saved.status_code == 200
        wait_until(
            lambda: sim.http.get("/_sim/event-hook").json()["failed"] == failed + 1,
            "the lost hint counted",
            timeout_s=10,
        )
        assert api.get(f"/ARCustomer('{code}')").json()["CreditLimit"] == 777
    finally:
        sim.http.put("/_sim/event-hook", json={"url": None, "secret": None})


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/hook"},
        {"url": 5},
        {"url": "http://x/hook", "colour": "red"},
        {"secret": ""},
        ["http://x/hook"],
    ],
)
def test_the_hook_control_checks_what_it_is_given(sim: Sim, body: object) -> None:
    assert sim.http.put("/_sim/event-hook", json=body).status_code == 400
    assert sim.http.get("/_sim/event-hook").json()["url"] is None


def test_the_command_line_sets_the_hook(receiver: Receiver) -> None:
    """``accredo-sim --event-hook-url --event-hook-secret``: a save posts a hint there."""
    receiver.hints.clear()
    port = free_port()
    command = [ACCREDO_SIM, "--port", str(port), "--customers", "5"]
    command += ["--event-hook-url", receiver.url, "--event-hook-secret", SECRET]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/_sim", timeout=10) as controls:
            wait_until(lambda: _answers(controls) or process.poll() is not None, "accredo-sim")
            assert process.poll() is None, process.communicate()
            walk_in = {"CustomerCode": "WALKIN", "CustomerName": "Walk-in"}
            assert controls.post("/customers", json=walk_in).status_code == 200  # a user's save
            wait_until(lambda: receiver.hints, "the hint", timeout_s=10)
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert receiver.hints == [(f"Bearer {SECRET}", b"{}")]
    assert f"hints:     POST {receiver.url} after each save" in output


def _answers(controls: httpx.Client) -> bool:
    try:
        return controls.get("/clock").status_code == 200
    except httpx.TransportError:
        return False
