"""``python -m bench [--quick]``: every benchmark in one run, then a summary with the targets.

One pair of simulator processes serves the backfill benchmark, then live latency on the portal
the backfill built, then the baseline on a reset HubSpot portal. The footprint run has a larger
pair of its own, and so has each path of the HubSpot-to-Accredo latency run.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console

from accredo_hubspot.logs import configure as configure_logging
from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import accredo_client, connect
from bench.backfill import BackfillFigures, print_backfill, run_backfill_bench
from bench.documents import (
    INVOICES,
    ORDERS,
    PassFigures,
    document_summary,
    print_documents,
    run_document_bench,
)
from bench.figures import BOUND_RATIO_TARGET, RSS_TARGET_MB, verdict
from bench.footprint import (
    FOOTPRINT_DEBTORS,
    FootprintFigures,
    print_footprint,
    run_footprint_bench,
)
from bench.harness import bench_settings, simulators
from bench.inbound import InboundFigures, inbound_summary, print_inbound, run_inbound_bench
from bench.latency import LatencyFigures, latency_summary, print_latency, run_latency_bench
from bench.naive_sdk import BaselineFigures, print_baseline, run_baseline


@dataclass(frozen=True)
class Sizes:
    debtors: int
    baseline_debtors: int
    changes: int
    footprint_debtors: int
    invoices: int = INVOICES
    orders: int = ORDERS


FULL = Sizes(debtors=20_000, baseline_debtors=500, changes=20, footprint_debtors=FOOTPRINT_DEBTORS)
#: Wide enough that no figure line wraps (the output is meant to be pasted into reports).
CONSOLE_WIDTH = 132
QUICK = Sizes(
    debtors=2_000,
    baseline_debtors=100,
    changes=10,
    footprint_debtors=5_000,
    invoices=5_000,
    orders=2_000,
)


async def run(sizes: Sizes, console: Console, *, shared_keys: bool = False) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="accredo-hubspot-bench-") as tmp:
        work = Path(tmp)
        console.print(f"starting the simulators ({sizes.debtors:,} debtors) ...")
        with simulators(sizes.debtors, work) as sims:
            settings = bench_settings(sims, work / "state.db")
            config = load_config(None)
            async with (
                connect(settings, config) as conn,
                accredo_client(settings.require_accredo()) as accredo,
                httpx.AsyncClient(timeout=60) as http,
            ):
                backfill = await run_backfill_bench(
                    conn, sims, http, console, shared_keys=shared_keys
                )
                print_backfill(console, backfill)
                latency = await run_latency_bench(
                    conn, sims, http, accredo, sizes.changes, console, settings=settings
                )
                print_latency(console, latency)
                documents = await run_document_bench(
                    conn, sims, http, console, work / "state.db", sizes.invoices, sizes.orders
                )
                print_documents(console, documents)
                baseline = await run_baseline(conn, sims, http, sizes.baseline_debtors, console)
                print_baseline(console, baseline)
        footprint = await run_footprint_bench(sizes.footprint_debtors, work, console)
        print_footprint(console, footprint)
    inbound = await run_inbound_bench(console, quick=sizes is QUICK)
    for figures in inbound:
        print_inbound(console, figures)
    print_summary(
        console,
        backfill,
        baseline,
        latency,
        footprint,
        time.monotonic() - started,
        documents,
        inbound,
    )


def print_summary(
    console: Console,
    backfill: BackfillFigures,
    baseline: BaselineFigures,
    latency: LatencyFigures,
    footprint: FootprintFigures,
    total_s: float,
    documents: list[PassFigures] | None = None,
    inbound: list[InboundFigures] | None = None,
) -> None:
    ours_per_debtor_s = backfill.wall_s / backfill.debtors
    speed_up = baseline.per_debtor_s / ours_per_debtor_s
    calls_ratio = baseline.calls_per_debtor / backfill.calls_per_record
    lines = [
        f"backfill  {backfill.debtors:,} debtors ({backfill.existing_companies:,} already in "
        f"HubSpot): {backfill.wall_s:.1f} s, {backfill.calls:,} calls "
        f"({backfill.calls_per_record:.4f}/record), {backfill.rate_limited} x 429",
        f"          wall/bound {backfill.bound_ratio:.2f}x (bound {backfill.bound_s:.1f} s)"
        f"   target <= {BOUND_RATIO_TARGET}x and no 429s: {verdict(backfill.target_met)}",
        f"baseline  {baseline.debtors:,} debtors, official SDK search-then-write: "
        f"{baseline.wall_s:.1f} s ({baseline.per_debtor_s * 1000:.1f} ms/debtor), "
        f"{baseline.calls:,} calls ({baseline.calls_per_debtor:.2f}/debtor), "
        f"{baseline.rate_limited} x 429",
        f"speed-up  {speed_up:.0f}x per debtor ({ours_per_debtor_s * 1000:.2f} ms vs "
        f"{baseline.per_debtor_s * 1000:.1f} ms), {calls_ratio:.0f}x fewer calls per debtor",
        *latency_summary(latency),
        f"footprint {footprint.debtors:,} debtors: peak resident {footprint.peak_rss_mb:.0f} MB "
        f"({footprint.rss_ratio:.2f}x the {RSS_TARGET_MB} MB target: "
        f"{verdict(footprint.rss_ratio < 1)}), state "
        f"{footprint.state_bytes_per_debtor / 1024:.2f} KB/debtor ({footprint.state_ratio:.2f}x "
        f"the 2 KB target: {verdict(footprint.state_ratio < 1)})",
    ]
    lines.extend(document_summary(documents or []))
    lines.extend(inbound_summary(inbound or []))
    lines.append(f"(whole run {total_s:.0f} s)")
    console.rule("[bold]summary")
    for line in lines:
        console.print(line, highlight=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a fast check: {QUICK.debtors:,} debtors, {QUICK.baseline_debtors} baseline "
        f"debtors, {QUICK.changes} busy changes a mode, {QUICK.footprint_debtors:,} in the "
        "footprint run "
        f"(default: {FULL.debtors:,}, {FULL.baseline_debtors}, {FULL.changes}, "
        f"{FULL.footprint_debtors:,})",
    )
    parser.add_argument(
        "--shared-keys",
        action="store_true",
        help="also seed HubSpot companies whose NZBN or domain other debtors share "
        "(exercises cross-chunk ambiguity in the backfill)",
    )
    args = parser.parse_args()
    configure_logging()
    console = Console(highlight=False, width=CONSOLE_WIDTH)
    asyncio.run(run(QUICK if args.quick else FULL, console, shared_keys=args.shared_keys))


if __name__ == "__main__":
    main()
