"""Benchmark: the document backfill (issue 10), 50,000 open invoices and 20,000 orders, against
HubSpot's 190-requests-per-10-seconds limit, on the portal the company backfill built.

Accredo is brought to ``INVOICES`` open invoices (posted as the accounts team would, spread
over the debtors) and ``ORDERS`` Order Entry orders in the window (entered at Order Entry, a
few lines each); then each pass runs exactly as ``accredo-hubspot backfill`` runs it after the
debtors: the invoices, then the orders (the company's order rollups are company values, written
with the company: not part of either pass).

Each pass runs in a process of its own (``python -m bench.documents --pass NAME``): the peak
resident memory reported is that process's high-water mark over its whole life (interpreter,
imports, connections, the pass), i.e. the connector alone doing that pass, as the ``backfill``
command would. The simulators run in their own processes too (``bench.harness``), so neither
their data nor what earlier benchmarks left in the parent process counts.

The fewest calls: the object's schema and its association type (2 reads) and one batch create
(with the company association inline) per 100 invoices or orders.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from accredo_hubspot.demo import Sims
from accredo_hubspot.logs import configure as configure_logging
from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import Connector, connect
from accredo_hubspot.sync.documents import DocumentPass
from accredo_hubspot.sync.invoice_sync import InvoiceSync
from accredo_hubspot.sync.orders import OrderSync
from bench.figures import BOUND_RATIO_TARGET, RECORDS_PER_CALL, verdict
from bench.harness import (
    RATE_LIMIT_PER_10S,
    bench_settings,
    check,
    hubspot_stats,
    reset_hubspot_stats,
    set_up_and_backfill,
    simulators,
)

#: The issue's data set.
INVOICES = 50_000
ORDERS = 20_000
#: Peak resident memory target of a pass (issue 10).
DOCUMENT_RSS_TARGET_MB = 300
#: Invoices posted per simulator call while preparing Accredo; orders entered at once.
POST_BATCH = 1_000
ORDERS_IN_FLIGHT = 16
#: Reads before the writes: the object's schema and its association type to companies.
SETUP_READS = 2
WINDOW_S = 10.0
#: Debtors of ``python -m bench.documents`` run alone.
ALONE_DEBTORS = 5_000
PRODUCTS = ("PAINT-WB-4L", "PAINT-WB-10L", "TIMBER-14045", "NAILS-75-1KG", "GIB-2400")


@dataclass
class PassFigures:
    """One timed pass: the records it read, what HubSpot saw, and the pass process's peak."""

    name: str
    records: int
    fewest_calls: int
    wall_s: float
    calls: int
    rate_limited: int
    created: int
    failed: int
    peak_rss_mb: float
    by_route: dict[str, int] = field(default_factory=dict)

    @property
    def calls_per_record(self) -> float:
        return self.calls / self.records if self.records else float("nan")

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
            and self.peak_rss_mb < DOCUMENT_RSS_TARGET_MB
        )


async def post_invoices(
    conn: Connector, sims: Sims, http: httpx.AsyncClient, wanted: int, console: Console
) -> int:
    """Post invoices across the debtors until Accredo holds ``wanted`` open ones."""
    have = sum([1 async for _ in conn.accredo.iter_invoices(paid_since=date.max)])
    codes = [c.CustomerCode async for c in conn.accredo.iter_customers(fields=["CustomerCode"])]
    missing = max(0, wanted - have)
    console.print(f"  invoices: Accredo holds {have:,} open; posting {missing:,} more ...")
    for start in range(0, missing, POST_BATCH):
        items = [
            {"CustomerCode": codes[i % len(codes)], "Amount": 100.0 + (i % 900)}
            for i in range(start, min(missing, start + POST_BATCH))
        ]
        check(await http.post(f"{sims.accredo_url}/_sim/post/invoices", json={"items": items}))
    return have + missing


async def enter_orders(
    conn: Connector, sims: Sims, http: httpx.AsyncClient, wanted: int, console: Console
) -> int:
    """Enter orders across the debtors until Accredo holds ``wanted`` in the window."""
    window = OrderSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock).window
    await window.business_date.refresh()
    have = sum([1 async for _ in conn.accredo.iter_orders(since=window.since())])
    fields = ["CustomerType", "StopCredit", "BillToAccountCode"]
    customers = [c async for c in conn.accredo.iter_customers(fields=fields)]
    stopped = {c.CustomerCode for c in customers if c.StopCredit}
    codes = [  # Order Entry takes no order from a prospect or on stop credit
        c.CustomerCode
        for c in customers
        if c.CustomerType != "P" and not ({c.CustomerCode, c.BillToAccountCode} & stopped)
    ]
    missing = max(0, wanted - have)
    console.print(f"  orders: Accredo holds {have:,} in the window; entering {missing:,} more ...")
    rng = random.Random(10)
    turns = asyncio.Semaphore(ORDERS_IN_FLIGHT)

    async def enter(i: int) -> None:
        lines = [
            {"ProductCode": rng.choice(PRODUCTS), "Quantity": rng.randint(1, 20), "UnitPrice": 19.5}
            for _ in range(rng.randint(1, 4))
        ]
        async with turns:
            body = {"CustomerCode": codes[i % len(codes)], "Lines": lines}
            check(await http.post(f"{sims.accredo_url}/_sim/orders", json=body))

    for start in range(0, missing, POST_BATCH):
        await asyncio.gather(*(enter(i) for i in range(start, min(missing, start + POST_BATCH))))
    return have + missing


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


PASSES = {"invoices": InvoiceSync, "orders": OrderSync}


async def _one_pass(name: str, sims: Sims, database: Path) -> dict[str, Any]:
    """In the pass process: connect, run the pass, report (JSON-ready)."""
    config = load_config(None)
    async with connect(bench_settings(sims, database), config) as conn:
        documents: DocumentPass[Any] = PASSES[name](
            conn.accredo, conn.hubspot, conn.store, config, conn.clock
        )
        started = time.monotonic()
        report = await documents.run()
        wall_s = time.monotonic() - started
    return {
        "records": report.documents,
        "created": report.created,
        "updated": report.updated,
        "failed": report.failed,
        "wall_s": wall_s,
        "peak_rss_mb": _peak_rss_mb(),
    }


async def run_pass(name: str, sims: Sims, http: httpx.AsyncClient, database: Path) -> PassFigures:
    """One pass in a process of its own, on an empty rate window, HubSpot's counters reset.
    The fewest calls: the two reads and one create per 100 records created."""
    await asyncio.sleep(WINDOW_S)
    await reset_hubspot_stats(http, sims)
    command = [sys.executable, "-m", "bench.documents", "--pass", name]
    command += ["--accredo-url", sims.accredo_url, "--hubspot-url", sims.hubspot_url]
    command += ["--database", str(database)]
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {name} pass failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    stats = await hubspot_stats(http, sims)
    return PassFigures(
        name=name,
        records=result["records"],
        fewest_calls=SETUP_READS + math.ceil(result["created"] / RECORDS_PER_CALL),
        wall_s=result["wall_s"],
        calls=stats.requests,
        rate_limited=stats.rate_limited,
        created=result["created"],
        failed=result["failed"],
        peak_rss_mb=result["peak_rss_mb"],
        by_route=stats.by_route,
    )


async def run_document_bench(
    conn: Connector,
    sims: Sims,
    http: httpx.AsyncClient,
    console: Console,
    database: Path,
    invoices: int = INVOICES,
    orders: int = ORDERS,
) -> list[PassFigures]:
    """Bring Accredo to ``invoices`` open invoices and ``orders`` orders, then time the
    invoice pass and the order pass. The companies must be linked already."""
    total_invoices = await post_invoices(conn, sims, http, invoices, console)
    total_orders = await enter_orders(conn, sims, http, orders, console)
    console.print(f"  invoices: the invoice backfill of {total_invoices:,} ...")
    figures = [await run_pass("invoices", sims, http, database)]
    console.print(f"  orders: the order backfill of {total_orders:,} ...")
    figures.append(await run_pass("orders", sims, http, database))
    return figures


def print_documents(console: Console, figures: list[PassFigures]) -> None:
    for f in figures:
        console.print(f"[bold]{f.name.capitalize()} backfill[/] ({f.records:,}, 190 req / 10 s)")
        console.print(f"  {f.created:,} created, {f.failed:,} reported")
        console.print(f"  wall time            {f.wall_s:8.1f} s")
        console.print(
            f"  HubSpot calls        {f.calls:8,d}   (fewest possible: {f.fewest_calls:,})"
        )
        console.print(f"  calls per record     {f.calls_per_record:8.4f}")
        console.print(f"  429s received        {f.rate_limited:8,d}   (target 0)")
        console.print(
            f"  rate-limit bound     {f.bound_s:8.1f} s  wall/bound = {f.bound_ratio:.2f}x "
            f"(target <= {BOUND_RATIO_TARGET}x)"
        )
        console.print(
            f"  peak RSS             {f.peak_rss_mb:8.1f} MB, the pass process alone "
            f"(target < {DOCUMENT_RSS_TARGET_MB} MB)"
        )
        routes = ", ".join(f"{route}: {n}" for route, n in sorted(f.by_route.items()))
        console.print(f"  calls by route       {routes}")


def document_summary(figures: list[PassFigures]) -> list[str]:
    """The summary lines of ``python -m bench``."""
    return [
        f"{f.name:9} {f.records:,}: {f.wall_s:.1f} s, {f.calls:,} calls "
        f"({f.calls_per_record:.4f}/record), {f.rate_limited} x 429, wall/bound "
        f"{f.bound_ratio:.2f}x, peak RSS {f.peak_rss_mb:.0f} MB   target <= "
        f"{BOUND_RATIO_TARGET}x, no 429s, < {DOCUMENT_RSS_TARGET_MB} MB: {verdict(f.target_met)}"
        for f in figures
    ]


async def _alone(debtors: int, invoices: int, orders: int, console: Console) -> None:
    """Simulators of its own: the debtors' backfill, then the document benchmark."""
    with tempfile.TemporaryDirectory(prefix="accredo-hubspot-bench-") as tmp:
        work = Path(tmp)
        console.print(f"starting the simulators ({debtors:,} debtors) ...")
        with simulators(debtors, work) as sims:
            config = load_config(None)
            database = work / "state.db"
            async with (
                connect(bench_settings(sims, database), config) as conn,
                httpx.AsyncClient(timeout=120) as http,
            ):
                await set_up_and_backfill(conn)
                figures = await run_document_bench(
                    conn, sims, http, console, database, invoices, orders
                )
    print_documents(console, figures)
    for line in document_summary(figures):
        console.print(line, highlight=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.documents", description=__doc__)
    parser.add_argument("--debtors", type=int, default=ALONE_DEBTORS)
    parser.add_argument("--invoices", type=int, default=INVOICES)
    parser.add_argument("--orders", type=int, default=ORDERS)
    parser.add_argument("--pass", dest="one_pass", choices=sorted(PASSES), help=argparse.SUPPRESS)
    parser.add_argument("--accredo-url", help=argparse.SUPPRESS)
    parser.add_argument("--hubspot-url", help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_pass:  # the pass process (run_pass): one JSON line on stdout
        configure_logging("WARNING")
        sims = Sims(args.accredo_url, args.hubspot_url)
        print(json.dumps(asyncio.run(_one_pass(args.one_pass, sims, args.database))))
        return
    configure_logging()
    console = Console(highlight=False, width=132)
    asyncio.run(_alone(args.debtors, args.invoices, args.orders, console))


if __name__ == "__main__":
    main()
