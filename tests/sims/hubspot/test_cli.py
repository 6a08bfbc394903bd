"""``hubspot-sim`` on the command line: the flags, and a real server answering on a port."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from typer.testing import CliRunner

from sims.hubspot.cli import cli
from sims.serve import free_port
from tests.conftest import wait_until

FLAGS = (
    "--host",
    "--port",
    "--token",
    "--rate-limit",
    "--search-rate-limit",
    "--indexing-delay-ms",
    "--indexing-jitter-ms",
    "--seed",
    "--webhook-url",
    "--webhook-secret",
    "--app-id",
    "--error-rate",
    "--storm-429-rate",
    "--latency-ms",
    "--drop-rate",
)


def test_help_lists_every_flag() -> None:
    result = CliRunner().invoke(cli, ["--help"], env={"COLUMNS": "200", "TERM": "dumb"})
    assert result.exit_code == 0
    for flag in FLAGS:
        assert flag in result.output


def test_serves_on_the_given_port_with_the_given_token() -> None:
    port = free_port()
    code = "from sims.hubspot.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port), "--token", "pat-na1-test", "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = f"http://127.0.0.1:{port}/crm/v3/objects/companies"

        def listening() -> bool:
            try:
                httpx.get(url)
            except httpx.TransportError:
                return False
            return True

        wait_until(listening, "hubspot-sim to start", timeout_s=20)
        answer = httpx.get(url, headers={"Authorization": "Bearer pat-na1-test"})
        assert answer.status_code == 200
        assert len(answer.json()["results"]) == 10
        assert answer.headers["X-HubSpot-RateLimit-Max"] == "190"
        assert httpx.get(url).status_code == 401
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0].decode()
    assert f"http://127.0.0.1:{port}" in output
    assert "pat-na1-test" in output
