"""Helpers of the operating commands' end-to-end tests: the CLI run in-process (typer's
runner) against both simulators, and the state store read from its SQLite file."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.cli import app
from accredo_hubspot.mapping.config import MappingConfig, load_config
from accredo_hubspot.runtime import connect
from accredo_hubspot.sync.setup import run_setup
from tests.e2e.world import World


def invoke(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run one command as a user would (no ./accredo-hubspot.toml but the test's own)."""
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def invoke_json(args: list[str], env: dict[str, str], cwd: Path) -> Any:
    code, out, err = invoke([*args, "--json"], env, cwd)
    assert code == 0, err
    return json.loads(out)


async def prepare(
    world: World, database: Path, config: MappingConfig | None = None
) -> list[ARCustomer]:
    """HubSpot's Accredo properties made (``setup`` of ``config``, the default unless given);
    every debtor, as Accredo has it."""
    config = config or load_config(None)
    async with connect(world.settings(database), config) as conn:
        await run_setup(conn.hubspot, config)
        return [c async for c in conn.accredo.iter_customers()]


def reset_stats(world: World) -> None:
    httpx.post(f"{world.hubspot.url}/_sim/stats/reset").raise_for_status()
    httpx.post(f"{world.accredo.url}/_sim/stats/reset").raise_for_status()


def user_edits_company(world: World, company_id: str, properties: dict[str, str]) -> None:
    """A HubSpot user edits a company by hand (as in the UI)."""
    answer = httpx.patch(
        f"{world.hubspot.url}/_sim/objects/companies/{company_id}",
        json={"properties": properties},
    )
    answer.raise_for_status()
