"""Benchmark: the invoice backfill (issue 10) against HubSpot's 190-requests-per-10-seconds
limit, on the portal the company backfill built.

Accredo is brought to ``INVOICES`` open invoices (invoices posted as the accounts team would,
spread over the debtors), then ``InvoiceSync.run`` brings them across exactly as
``accredo-hubspot backfill`` does after the debtors. The fewest calls: one batch create (with
the company association inline) per 100 invoices, plus reading the object's schema and its
association type. Peak memory is this process's own high-water mark during the run (reset
just before it), since the connector runs in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
from rich.console import Console

from accredo_hubspot.logs import configure as configure_logging
from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import Connector, connect
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.invoice_sync import InvoiceSync
from accredo_hubspot.sync.setup import run_setup
from bench.figures import BOUND_RATIO_TARGET, RECORDS_PER_CALL, verdict
from bench.harness import (
    RATE_LIMIT_PER_10S,
    Sims,
    bench_settings,
    check,
    hubspot_stats,
    reset_hubspot_stats,
    simulators,
)

#: The issue's data set: open invoices in all (orders are not synced yet).
INVOICES = 50_000
#: Peak resident memory target for the run (issue 10).
INVOICE_RSS_TARGET_MB = 300
#: Invoices posted per simulator call while preparing Accredo.
POST_BATCH = 1_000
#: Reads before the writes: the object's schema and its association type to companies.
SETUP_READS = 2
WINDOW_S = 10.0
#: Debtors of ``python -m bench.invoices`` run alone.
ALONE_DEBTORS = 5_000


@dataclass
class InvoiceFigures:
    invoices: int
    wall_s: float
    calls: int
    rate_limited: int
    created: int
    failed: int
    peak_rss_mb: float
    by_route: dict[str, int] = field(default_factory=dict)

    @property
    def fewest_calls(self) -> int:
        return SETUP_READS + math.ceil(self.invoices / RECORDS_PER_CALL)

    @property
    def calls_per_record(self) -> float:
        return self.calls / self.invoices if self.invoices else float("nan")

    @property
    def bound_s(self) -> float:
        return self.fewest_calls / (RATE_LIMIT_PER_10S / 10.0)

    @property
    def bound_ratio(self) -> float:
        return self.wall_s / self.bound_s

    @property
    def target_met(self) -> bool:
        return (
            self.bound_ratio <= BOUND_RATIO_TARGET
            and self.rate_limited == 0
            and self.peak_rss_mb < INVOICE_RSS_TARGET_MB
        )


async def post_invoices(
    conn: Connector, sims: Sims, http: httpx.AsyncClient, wanted: int, console: Console
) -> int:
    """Post invoices across the debtors until Accredo holds ``wanted`` open ones."""
    have = sum([1 async for _ in conn.accredo.iter_invoices(paid_since=date.max)])
    codes = [c.CustomerCode async for c in conn.accredo.iter_customers(fields=["CustomerCode"])]
    missing = max(0, wanted - have)
    console.print(f"  invoices: Accredo holds {have:,} open; posting {missing:,} more ...")
    items = [
        {"CustomerCode": codes[i % len(codes)], "Amount": 100.0 + (i % 900)} for i in range(missing)
    ]
    for start in range(0, len(items), POST_BATCH):
        url = f"{sims.accredo_url}/_sim/post/invoices"
        check(await http.post(url, json={"items": items[start : start + POST_BATCH]}))
    return have + missing


def _reset_peak_rss() -> None:
    """Start the high-water mark again from the current size (Linux: clear_refs 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_invoice_bench(
    conn: Connector,
    sims: Sims,
    http: httpx.AsyncClient,
    console: Console,
    invoices: int = INVOICES,
) -> InvoiceFigures:
    """Bring Accredo to ``invoices`` open invoices, then one timed invoice pass. The
    companies must be linked already (the company backfill ran)."""
    total = await post_invoices(conn, sims, http, invoices, console)
    await asyncio.sleep(WINDOW_S)  # start on an empty rate window
    await reset_hubspot_stats(http, sims)
    sync = InvoiceSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    console.print(f"  invoices: running the invoice backfill of {total:,} ...")
    _reset_peak_rss()
    started = time.monotonic()
    report = await sync.run()
    wall_s = time.monotonic() - started
    peak = _peak_rss_mb()
    stats = await hubspot_stats(http, sims)
    return InvoiceFigures(
        invoices=report.documents,
        wall_s=wall_s,
        calls=stats.requests,
        rate_limited=stats.rate_limited,
        created=report.created,
        failed=report.failed,
        peak_rss_mb=peak,
        by_route=stats.by_route,
    )


def print_invoices(console: Console, f: InvoiceFigures) -> None:
    console.print(f"[bold]Invoice backfill[/] ({f.invoices:,} invoices, 190 req / 10 s)")
    console.print(f"  {f.created:,} created, {f.failed:,} reported")
    console.print(f"  wall time            {f.wall_s:8.1f} s")
    console.print(f"  HubSpot calls        {f.calls:8,d}   (fewest possible: {f.fewest_calls:,})")
    console.print(f"  calls per record     {f.calls_per_record:8.4f}")
    console.print(f"  429s received        {f.rate_limited:8,d}   (target 0)")
    console.print(
        f"  rate-limit bound     {f.bound_s:8.1f} s  wall/bound = {f.bound_ratio:.2f}x "
        f"(target <= {BOUND_RATIO_TARGET}x)"
    )
    console.print(
        f"  peak RSS             {f.peak_rss_mb:8.1f} MB (target < {INVOICE_RSS_TARGET_MB} MB)"
    )
    routes = ", ".join(f"{route}: {n}" for route, n in sorted(f.by_route.items()))
    console.print(f"  calls by route       {routes}")


def invoice_summary(f: InvoiceFigures) -> str:
    """The summary line of ``python -m bench``."""
    return (
        f"invoices  {f.invoices:,}: {f.wall_s:.1f} s, {f.calls:,} calls "
        f"({f.calls_per_record:.4f}/record), {f.rate_limited} x 429, wall/bound "
        f"{f.bound_ratio:.2f}x, peak RSS {f.peak_rss_mb:.0f} MB   target <= "
        f"{BOUND_RATIO_TARGET}x, no 429s, < {INVOICE_RSS_TARGET_MB} MB: {verdict(f.target_met)}"
    )


async def _alone(debtors: int, invoices: int, console: Console) -> None:
    """Simulators of its own: the debtors' backfill, then the invoice benchmark."""
    with tempfile.TemporaryDirectory(prefix="accredo-hubspot-bench-") as tmp:
        work = Path(tmp)
        console.print(f"starting the simulators ({debtors:,} debtors) ...")
        with simulators(debtors, work) as sims:
            config = load_config(None)
            async with (
                connect(bench_settings(sims, work / "state.db"), config) as conn,
                httpx.AsyncClient(timeout=120) as http,
            ):
                await run_setup(conn.hubspot, config)
                await Backfill(conn.accredo, conn.hubspot, conn.store, config, conn.clock).run()
                figures = await run_invoice_bench(conn, sims, http, console, invoices)
    print_invoices(console, figures)
    console.print(invoice_summary(figures), highlight=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.invoices", description=__doc__)
    parser.add_argument("--debtors", type=int, default=ALONE_DEBTORS)
    parser.add_argument("--invoices", type=int, default=INVOICES)
    args = parser.parse_args()
    configure_logging()
    asyncio.run(_alone(args.debtors, args.invoices, Console(highlight=False, width=132)))


if __name__ == "__main__":
    main()
