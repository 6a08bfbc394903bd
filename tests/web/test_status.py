"""``/status``, ``/metrics`` and ``/readyz`` as ``run`` wires them (``runtime.web_app``), served
on loopback against both simulators with the real clients and a state store on disk."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import Connector, connect, web_app
from accredo_hubspot.settings import AccredoSettings, Secret, Settings
from accredo_hubspot.store import MATCH_FIELD, DeadLetter
from accredo_hubspot.tasks import task_group
from accredo_hubspot.web import (
    HEALTH_PATH,
    METRICS_PATH,
    READY_PATH,
    STATUS_PATH,
    Listen,
    bound_url,
    listening,
    serve,
)
from tests.e2e.world import World, running_world

TOKEN = "status-token-0123456789abcdef"
MATCH_REASON = "ambiguous match (nzbn 9429041234567 is on 2 companies); candidates: 501, 502"


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=3) as running:
        yield running


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[tuple[str, Connector]]:
    """``run``'s web app on ``127.0.0.1:0`` with the connector ``run`` would open."""
    stop = asyncio.Event()
    async with connect(settings, load_config(None)) as conn:
        with listening(Listen("127.0.0.1", 0)) as sock:
            async with task_group() as group:
                group.create_task(serve(web_app(settings, conn, webhook_url=None), sock, stop))
                try:
                    yield bound_url(sock), conn
                finally:
                    stop.set()


async def get(url: str, token: str | None = None) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(url, headers=headers)


async def with_letters(conn: Connector) -> None:
    await conn.store.add_dead_letters(
        [
            DeadLetter("company", "ACME01", "hubspot", "nzbn", "INVALID: <b>not</b> a number"),
            DeadLetter("company", "BETA02", "hubspot", MATCH_FIELD, MATCH_REASON),
        ]
    )
    await conn.store.set_cursors({"ARDELTA": 0, "INDELTA": 0, "OEDELTA": 0})


async def test_the_page_shows_the_sync_its_dead_letters_and_matches(
    world: World, tmp_path: Path
) -> None:
    async with served(world.settings(tmp_path / "state.db")) as (url, conn):
        await with_letters(conn)
        page = await get(f"{url}{STATUS_PATH}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<meta http-equiv="refresh"' in html
    assert 'name="viewport"' in html
    assert "<script" not in html  # plain HTML
    assert "Dead letters (1)" in html
    assert "ACME01" in html
    assert "INVALID: &lt;b&gt;not&lt;/b&gt; a number" in html  # a record's text is escaped
    assert "Ambiguous matches waiting for a decision (1)" in html
    assert "BETA02" in html and "candidates: 501, 502" in html
    for table in ("ARDELTA", "INDELTA", "OEDELTA"):
        assert table in html
    assert "to HubSpot" in html and "to Accredo" in html
    assert "needs attention" in html


async def test_metrics_parse_and_carry_the_stored_state(world: World, tmp_path: Path) -> None:
    async with served(world.settings(tmp_path / "state.db")) as (url, conn):
        await with_letters(conn)
        answer = await get(f"{url}{METRICS_PATH}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    for name in (
        "accredo_hubspot_queue_depth",
        "accredo_hubspot_dead_letters",
        "accredo_hubspot_change_lag_rows",
        "accredo_hubspot_sync_latency_seconds",
        "accredo_hubspot_requests",
        "accredo_hubspot_rate_limited",
    ):
        assert name in families, name
    assert families["accredo_hubspot_sync_latency_seconds"].type == "histogram"
    value = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert value[("accredo_hubspot_dead_letters", ())] == 1
    assert value[("accredo_hubspot_ambiguous_matches", ())] == 1
    lag = {k[1][0][1]: v for k, v in value.items() if k[0] == "accredo_hubspot_change_lag_rows"}
    assert set(lag) == {"ARDELTA", "INDELTA", "OEDELTA"}
    assert all(rows >= 0 for rows in lag.values())
    # reading Accredo's newest DeltaIDs went through the client, which counted its answers
    assert value[("accredo_hubspot_requests_total", (("system", "accredo"),))] > 0


async def test_readyz_answers_200_when_all_three_answer(world: World, tmp_path: Path) -> None:
    async with served(world.settings(tmp_path / "state.db")) as (url, _conn):
        answer = await get(f"{url}{READY_PATH}")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "accredo": "ok", "hubspot": "ok", "store": "ok"}


async def test_readyz_answers_503_naming_the_system_that_does_not(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens: the client retries the refused connection until the probe's timeout
    # (5 s for readyz, 5 s again for the page); 2 s says the same, and still leaves HubSpot and
    # the store (probed with the same timeout) time to answer on a loaded machine.
    monkeypatch.setattr("accredo_hubspot.web.status.READY_TIMEOUT_S", 2.0)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = world.settings(tmp_path / "state.db")
    assert settings.accredo is not None
    gone = AccredoSettings(
        base_url=f"http://127.0.0.1:{port}/saturn",
        company=settings.accredo.company,
        client_id=settings.accredo.client_id,
        username=settings.accredo.username,
        password=settings.accredo.password,
    )
    async with served(dataclasses.replace(settings, accredo=gone)) as (url, _conn):
        answer = await get(f"{url}{READY_PATH}")
        page = await get(f"{url}{STATUS_PATH}")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not ready: accredo did not answer"
    assert body["accredo"] != "ok"
    assert (body["hubspot"], body["store"]) == ("ok", "ok")
    assert page.status_code == 200  # the page still loads, saying Accredo did not answer
    assert "Accredo did not answer" in page.text


async def test_with_a_token_status_and_metrics_need_it(world: World, tmp_path: Path) -> None:
    settings = dataclasses.replace(
        world.settings(tmp_path / "state.db"), status_token=Secret(TOKEN)
    )
    async with served(settings) as (url, _conn):
        for path in (STATUS_PATH, METRICS_PATH):
            assert (await get(f"{url}{path}")).status_code == 401
            refused = await get(f"{url}{path}", token="wrong-token-0123456789")
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == "Bearer"
            assert TOKEN not in refused.text
            assert (await get(f"{url}{path}", token=TOKEN)).status_code == 200
        for path in (HEALTH_PATH, READY_PATH):  # probes carry no token
            assert (await get(f"{url}{path}")).status_code == 200


async def test_a_store_that_does_not_answer_is_said_and_the_page_still_loads(
    world: World, tmp_path: Path
) -> None:
    database = tmp_path / "state.db"
    async with served(world.settings(database)) as (url, _conn):
        with closing(sqlite3.connect(database)) as broken:  # a table lost under the store
            broken.execute("DROP TABLE work_queue")
            broken.commit()
        page = await get(f"{url}{STATUS_PATH}")
        metrics = await get(f"{url}{METRICS_PATH}")
    assert page.status_code == 503
    assert "The state store did not answer" in page.text
    assert "work_queue" in page.text  # the database's own words
    assert '<meta http-equiv="refresh"' in page.text  # it keeps trying
    assert metrics.status_code == 503
    assert metrics.text.startswith("state store did not answer")
