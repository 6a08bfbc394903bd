"""End to end: a configuration in which both sides master one field is refused (invariant 1).

``accredo-hubspot backfill --config bad.toml`` is run as a user runs it (a subprocess, output
not a terminal) and must stop at start, before touching either system, with one line naming
the field.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from accredo_hubspot.mapping.config import default_config_text
from tests.e2e.world import CLI, running_world

pytestmark = pytest.mark.slow

TWO_MASTERS = """
[[company_fields]]
hubspot = "accredo_credit_limit"
accredo = "CreditLimit"
master = "hubspot"
transform = "money"
"""


def _backfill(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "bad.toml").write_text(default_config_text() + TWO_MASTERS, encoding="utf-8")
    env = {k: v for k, v in env.items() if k != "COLUMNS"}  # what a cron job or CI sees
    return subprocess.run(
        [CLI, "backfill", "--config", "bad.toml"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_two_masters_for_one_field_stop_the_backfill_before_any_call(tmp_path: Path) -> None:
    with running_world(customers=10) as world:
        hubspot_before = world.hubspot_stats()["requests"]
        accredo_before = world.accredo_requests()
        result = _backfill(tmp_path, world.env(tmp_path / "state.db"))
        assert world.hubspot_stats()["requests"] == hubspot_before
        assert world.accredo_requests() == accredo_before
    assert result.returncode != 0
    assert "accredo_credit_limit" in result.stderr
    assert "master" in result.stderr
    assert result.stdout == ""


def test_the_refusal_is_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ACCREDO_BASE_URL": "http://127.0.0.1:9/saturn",
        "ACCREDO_COMPANY": "DEMO",
        "ACCREDO_CLIENT_ID": "accredo-hubspot-demo",
        "ACCREDO_USERNAME": "SYNC",
        "ACCREDO_PASSWORD": "sync-demo-password",
        "HUBSPOT_ACCESS_TOKEN": "pat-na1-11111111-2222-3333-4444-555555555555",
        "ACCREDO_HUBSPOT_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}",
    }
    result = _backfill(tmp_path, env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "'accredo_credit_limit' is mastered by both" in lines[0]
