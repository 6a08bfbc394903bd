"""Benchmark: the backfill's footprint, its peak resident memory and its state per debtor.

The backfill runs as ``accredo-hubspot backfill`` in a child process of its own, exactly as a
user runs it, so its peak resident set (``VmHWM``, read while it runs) is its own and not this
process's (which holds the simulators' seeds and the other benchmarks). HubSpot holds a quarter
of the debtors before the run, as in the throughput benchmark, so the listing of existing
companies is part of what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from rich.console import Console

from accredo_hubspot.cli import configure_logging
from accredo_hubspot.mapping.config import DocumentSettings, load_config
from accredo_hubspot.runtime import connect
from accredo_hubspot.sync.setup import run_setup
from bench.backfill import seed_existing
from bench.figures import RSS_TARGET_MB, STATE_TARGET_BYTES_PER_DEBTOR, verdict
from bench.harness import BenchError, Sims, bench_settings, simulators

#: Debtors in the full footprint run (the issue's "Done when" size).
FOOTPRINT_DEBTORS = 50_000
BYTES_PER_MB = 1024 * 1024
BYTES_PER_KB = 1024
#: How often the child's peak resident set is read.
SAMPLE_S = 0.1


@dataclass(frozen=True)
class FootprintFigures:
    debtors: int
    existing_companies: int
    wall_s: float
    peak_rss_bytes: int
    state_bytes: int

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss_bytes / BYTES_PER_MB

    @property
    def state_bytes_per_debtor(self) -> float:
        return self.state_bytes / self.debtors if self.debtors else float("nan")

    @property
    def rss_ratio(self) -> float:
        return self.peak_rss_mb / RSS_TARGET_MB

    @property
    def state_ratio(self) -> float:
        return self.state_bytes_per_debtor / STATE_TARGET_BYTES_PER_DEBTOR


@dataclass(frozen=True)
class ChildRun:
    exit_code: int
    wall_s: float
    peak_rss_bytes: int


def run_measured(argv: list[str], env: dict[str, str], log: Path) -> ChildRun:
    """Run a command to its end, reading its own peak resident set (``VmHWM``) as it runs.

    Not ``ru_maxrss``: Linux carries the resident set of the forked copy of this process (the
    benchmark, holding every seeded debtor) into the child's figure across ``exec``, which
    made a 220 MB backfill read as 430 MB. ``VmHWM`` belongs to the new program alone; it only
    grows, so a sample every ``SAMPLE_S`` misses at most a peak in the last moment.
    """
    started = time.monotonic()
    peak_kb = 0
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        while process.poll() is None:
            peak_kb = max(peak_kb, vm_hwm_kb(process.pid))
            time.sleep(SAMPLE_S)
    return ChildRun(process.returncode, time.monotonic() - started, peak_kb * 1024)


def vm_hwm_kb(pid: int) -> int:
    """A running process's peak resident set so far, in kB (0 once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def state_bytes(database: Path) -> int:
    """The SQLite state on disk: the database and what its write-ahead log still holds."""
    files = [database, database.with_name(database.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists())


def backfill_env(sims: Sims, database: Path) -> dict[str, str]:
    """The environment a user sets for the CLI, for the bench's simulators."""
    settings = bench_settings(sims, database)
    accredo = settings.require_accredo()
    hubspot = settings.require_hubspot()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCREDO_", "HUBSPOT_"))}
    env.update(
        {
            "ACCREDO_BASE_URL": accredo.base_url,
            "ACCREDO_COMPANY": accredo.company,
            "ACCREDO_CLIENT_ID": accredo.client_id,
            "ACCREDO_USERNAME": accredo.username,
            "ACCREDO_PASSWORD": accredo.password.get_secret_value(),
            "HUBSPOT_ACCESS_TOKEN": hubspot.access_token.get_secret_value(),
            "HUBSPOT_BASE_URL": hubspot.base_url,
            "ACCREDO_HUBSPOT_DATABASE_URL": f"sqlite:///{database}",
        }
    )
    return env


async def run_footprint_bench(debtors: int, work: Path, console: Console) -> FootprintFigures:
    """Simulators with ``debtors`` debtors, setup and seeding here, then the measured child."""
    database = work / "footprint.db"
    console.print(f"  footprint: starting the simulators ({debtors:,} debtors) ...")
    with simulators(debtors, work) as sims:
        # The debtors' footprint (issue 8's targets): a portal without the invoice object, so
        # the backfill brings debtors alone (their invoices summed on the company); the
        # invoice backfill has its own benchmark (bench/documents.py).
        config = replace(load_config(None), documents=DocumentSettings(custom_objects=False))
        async with (
            connect(bench_settings(sims, database), config) as conn,
            httpx.AsyncClient(timeout=60) as http,
        ):
            await run_setup(conn.hubspot, conn.config)
            customers = [c async for c in conn.accredo.iter_customers()]
            existing = await seed_existing(conn, sims, http, customers, shared_keys=False)
            del customers
        console.print(
            f"  footprint: HubSpot holds {existing:,}; running accredo-hubspot backfill ..."
        )
        script = str(Path(sys.executable).parent / "accredo-hubspot")
        child = await asyncio.to_thread(
            run_measured,
            [script, "backfill"],
            backfill_env(sims, database),
            work / "footprint-backfill.log",
        )
    if child.exit_code != 0:
        tail = (work / "footprint-backfill.log").read_text(errors="replace")[-2000:]
        raise BenchError(f"accredo-hubspot backfill exited {child.exit_code}:\n{tail}")
    return FootprintFigures(
        debtors=debtors,
        existing_companies=existing,
        wall_s=child.wall_s,
        peak_rss_bytes=child.peak_rss_bytes,
        state_bytes=state_bytes(database),
    )


def print_footprint(console: Console, f: FootprintFigures) -> None:
    console.print(
        f"[bold]Backfill footprint[/] ({f.debtors:,} debtors, {f.existing_companies:,} already "
        "in HubSpot; accredo-hubspot backfill in its own process)"
    )
    console.print(f"  wall time            {f.wall_s:8.1f} s")
    console.print(
        f"  peak resident        {f.peak_rss_mb:8.1f} MB  = {f.rss_ratio:.2f}x the target "
        f"(< {RSS_TARGET_MB} MB): {verdict(f.rss_ratio < 1)}"
    )
    console.print(
        f"  state database       {f.state_bytes / BYTES_PER_MB:8.1f} MB  "
        f"{f.state_bytes_per_debtor / BYTES_PER_KB:.2f} KB/debtor = {f.state_ratio:.2f}x the "
        f"target (< {STATE_TARGET_BYTES_PER_DEBTOR // BYTES_PER_KB} KB): "
        f"{verdict(f.state_ratio < 1)}"
    )


def main() -> None:
    """``python -m bench.footprint [DEBTORS]``: this benchmark alone."""
    parser = argparse.ArgumentParser(prog="python -m bench.footprint", description=__doc__)
    parser.add_argument("debtors", nargs="?", type=int, default=FOOTPRINT_DEBTORS)
    args = parser.parse_args()
    configure_logging()
    console = Console(highlight=False, width=132)
    with tempfile.TemporaryDirectory(prefix="accredo-hubspot-footprint-") as tmp:
        figures = asyncio.run(run_footprint_bench(args.debtors, Path(tmp), console))
    print_footprint(console, figures)


if __name__ == "__main__":
    main()
