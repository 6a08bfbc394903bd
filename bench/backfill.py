"""Benchmark 1: backfill throughput against HubSpot's 190-requests-per-10-seconds limit.

HubSpot already holds some of the debtors (created as a user would, outside the API budget);
the connector's ``Backfill`` then runs in this process exactly as ``accredo-hubspot backfill``
does. Calls and 429s are the simulator's own count, not the connector's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from rich.console import Console

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.runtime import Connector
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.setup import run_setup
from accredo_hubspot.tasks import gather
from bench.figures import BOUND_RATIO_TARGET, fewest_calls, rate_limit_bound_s
from bench.harness import (
    RATE_LIMIT_PER_10S,
    Sims,
    create_as_user,
    existing_companies,
    hubspot_stats,
    reset_hubspot_stats,
)

#: Companies created at once while seeding (user-side traffic, before the clock starts).
SEED_CONCURRENCY = 8
#: HubSpot's rolling window: the run starts once setup's calls have left it.
WINDOW_S = 10.0
#: Reported (dead-lettered) debtors shown by name.
SHOW_FAILURES = 5


@dataclass
class BackfillFigures:
    debtors: int
    existing_companies: int
    wall_s: float
    calls: int
    rate_limited: int
    created: int
    linked: int
    unchanged: int
    failed: int
    by_route: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def calls_per_record(self) -> float:
        return self.calls / self.debtors if self.debtors else float("nan")

    @property
    def fewest_calls(self) -> int:
        return fewest_calls(self.existing_companies, self.debtors)

    @property
    def bound_s(self) -> float:
        return rate_limit_bound_s(self.existing_companies, self.debtors, RATE_LIMIT_PER_10S)

    @property
    def bound_ratio(self) -> float:
        return self.wall_s / self.bound_s

    @property
    def target_met(self) -> bool:
        return self.bound_ratio <= BOUND_RATIO_TARGET and self.rate_limited == 0


async def seed_existing(
    conn: Connector,
    sims: Sims,
    http: httpx.AsyncClient,
    customers: Sequence[ARCustomer],
    *,
    shared_keys: bool,
) -> int:
    """Create the companies HubSpot holds before the run; returns how many."""
    gate = asyncio.Semaphore(SEED_CONCURRENCY)

    async def create(properties: dict[str, str]) -> object:
        async with gate:
            return await create_as_user(http, sims, properties)

    seeds = existing_companies(customers, conn.config, shared_keys=shared_keys)
    await gather(*(create(properties) for properties in seeds))
    return len(seeds)


async def run_backfill_bench(
    conn: Connector,
    sims: Sims,
    http: httpx.AsyncClient,
    console: Console,
    *,
    shared_keys: bool = False,
) -> BackfillFigures:
    """Setup, seed, then one timed ``Backfill.run`` of every debtor in the simulator."""
    await run_setup(conn.hubspot, conn.config)
    setup_done = time.monotonic()
    customers = [c async for c in conn.accredo.iter_customers()]
    existing = await seed_existing(conn, sims, http, customers, shared_keys=shared_keys)
    # Start on an empty rate window (setup's calls gone), so runs are comparable.
    await asyncio.sleep(max(0.0, setup_done + WINDOW_S - time.monotonic()))
    await reset_hubspot_stats(http, sims)
    backfill = Backfill(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    console.print(f"  backfill: HubSpot holds {existing} of the debtors already; running ...")
    started = time.monotonic()
    report = await backfill.run()
    wall_s = time.monotonic() - started
    stats = await hubspot_stats(http, sims)
    return BackfillFigures(
        debtors=report.debtors,
        existing_companies=existing,
        wall_s=wall_s,
        calls=stats.requests,
        rate_limited=stats.rate_limited,
        created=report.created,
        linked=report.linked,
        unchanged=report.unchanged,
        failed=report.failed,
        by_route=stats.by_route,
        failures=report.failures,
    )


def print_backfill(console: Console, f: BackfillFigures) -> None:
    console.print(f"[bold]Backfill throughput[/] ({f.debtors:,} debtors, 190 req / 10 s)")
    console.print(
        f"  HubSpot held {f.existing_companies:,} companies before the run; "
        f"{f.created:,} created, {f.linked:,} linked, {f.unchanged:,} unchanged, "
        f"{f.failed:,} reported"
    )
    console.print(f"  wall time            {f.wall_s:8.1f} s")
    console.print(f"  HubSpot calls        {f.calls:8,d}   (fewest possible: {f.fewest_calls:,})")
    console.print(f"  calls per record     {f.calls_per_record:8.4f}")
    console.print(f"  429s received        {f.rate_limited:8,d}   (target 0)")
    console.print(
        f"  rate-limit bound     {f.bound_s:8.1f} s  wall/bound = {f.bound_ratio:.2f}x "
        f"(target <= {BOUND_RATIO_TARGET}x)"
    )
    routes = ", ".join(f"{route}: {n}" for route, n in sorted(f.by_route.items()))
    console.print(f"  calls by route       {routes}")
    for failure in f.failures[:SHOW_FAILURES]:
        console.print(f"  reported: {failure}")
    if len(f.failures) > SHOW_FAILURES:
        console.print(f"  ... and {len(f.failures) - SHOW_FAILURES} more reported")
