"""The wiring: settings in, connected clients and the store out, closed together."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from accredo_hubspot.hubspot.ratelimit import Bucket, RateLimiter
from accredo_hubspot.mapping.config import (
    SyncSettings,
    default_config_text,
    load_config,
    parse_config,
)
from accredo_hubspot.runtime import (
    HUBSPOT_HEADROOM,
    accredo_client,
    company_clock,
    connect,
    hubspot_client,
    open_store,
)
from tests.e2e.world import PASSWORD, TOKEN, World, running_world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=5) as running:
        yield running


async def test_connect_opens_both_clients_and_the_store_on_disk(
    world: World, tmp_path: Path
) -> None:
    database = tmp_path / "state.db"
    config = load_config(None)
    async with connect(world.settings(database), config) as conn:
        assert database.is_file()
        assert conn.config is config
        assert await conn.store.link_count() == 0
        assert set(await conn.accredo.latest_delta_ids()) >= {"ARDELTA"}
        names = {p.name for p in await conn.hubspot.list_properties("companies")}
        assert "name" in names
        customers = [c async for c in conn.accredo.iter_customers()]
        assert len(customers) == 5
    assert world.hubspot_stats()["requests"] >= 1


async def test_connect_closes_the_store_when_the_block_fails(world: World, tmp_path: Path) -> None:
    class Boom(Exception):
        pass

    database = tmp_path / "state.db"
    with pytest.raises(Boom):
        async with connect(world.settings(database), load_config(None)) as conn:
            await conn.store.set_meta("k", "v")
            raise Boom
    async with await open_store(world.settings(database)) as store:
        assert await store.get_meta("k") == "v"  # committed before the failure, file released


def test_the_clock_reads_dates_in_the_company_time_zone() -> None:
    def clock_in(zone: str) -> tuple[datetime, object]:
        text = default_config_text().replace(
            'timezone = "Pacific/Auckland"', f'timezone = "{zone}"'
        )
        clock = company_clock(parse_config(text, "site.toml"))
        return clock.now(), clock.today()

    now, kiritimati_today = clock_in("Pacific/Kiritimati")  # UTC+14
    _, pago_pago_today = clock_in("Pacific/Pago_Pago")  # UTC-11: always a day or more behind
    assert now.tzinfo is not None and now.utcoffset() == UTC.utcoffset(now)
    assert kiritimati_today > pago_pago_today  # type: ignore[operator]


async def test_the_connectors_today_is_accredos_business_date(world: World, tmp_path: Path) -> None:
    """Day counts follow Accredo's SystemDate (moved here ten days on), not the wall clock;
    before the first read, the company's calendar date."""
    httpx.post(f"{world.accredo.url}/_sim/reset").raise_for_status()
    httpx.post(f"{world.accredo.url}/_sim/clock/advance", json={"days": 10}).raise_for_status()
    try:
        async with connect(world.settings(tmp_path / "state.db"), load_config(None)) as conn:
            calendar = datetime.now(conn.config.tz).date()
            assert conn.clock.today() == calendar  # not read yet
            await conn.clock.refresh()
            assert conn.clock.today() == await conn.accredo.system_date()
            assert conn.clock.today() >= calendar + timedelta(days=9)  # a UTC-dated sim
    finally:
        httpx.post(f"{world.accredo.url}/_sim/reset").raise_for_status()


def test_clients_never_show_their_secrets(world: World, tmp_path: Path) -> None:
    settings = world.settings(tmp_path / "state.db")
    hubspot = hubspot_client(settings.require_hubspot())
    accredo = accredo_client(settings.require_accredo())
    assert TOKEN not in repr(hubspot)
    assert PASSWORD not in repr(accredo)
    assert PASSWORD not in repr(settings) and TOKEN not in repr(settings)


def test_the_hubspot_client_paces_itself_to_the_sites_share_of_the_limits(
    world: World, tmp_path: Path
) -> None:
    """Several processes share one app's limits: each takes the share its configuration says."""
    settings = world.settings(tmp_path / "state.db")
    share = SyncSettings(hubspot_requests_per_10s=63, hubspot_searches_per_s=1)
    limiter = hubspot_client(settings.require_hubspot(), share).rate_limiter
    default = hubspot_client(settings.require_hubspot()).rate_limiter

    def calls(limiter: RateLimiter) -> tuple[int, int]:
        return (
            limiter.budget(Bucket.GENERAL).max_calls,
            limiter.budget(Bucket.SEARCH).max_calls,
        )

    assert calls(limiter) == (math.floor(63 * HUBSPOT_HEADROOM), 1)
    assert calls(default) == (math.floor(190 * HUBSPOT_HEADROOM), math.floor(5 * HUBSPOT_HEADROOM))
