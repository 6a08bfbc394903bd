"""The benchmark's baseline (HubSpot's official SDK, one debtor at a time) still runs against
the simulators: a small run writes every debtor it takes, none refused. The benchmarks are not
run by the suite; this keeps their baseline from breaking unseen when the mapping changes."""

from __future__ import annotations

from pathlib import Path

import httpx
from bench.harness import bench_settings, simulators
from bench.naive_sdk import run_baseline
from rich.console import Console

from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import connect


async def test_the_sdk_baseline_writes_every_debtor_it_takes(tmp_path: Path) -> None:
    with simulators(40, tmp_path) as sims:
        async with (
            connect(bench_settings(sims, tmp_path / "state.db"), load_config(None)) as conn,
            httpx.AsyncClient(timeout=60) as http,
        ):
            figures = await run_baseline(conn, sims, http, 12, Console(quiet=True))
    assert figures.debtors == 12
    assert figures.created + figures.updated + figures.skipped == 12
    assert figures.created + figures.updated > 0
