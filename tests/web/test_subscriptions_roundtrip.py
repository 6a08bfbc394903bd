"""What ``accredo-hubspot webhooks`` prints is what the HubSpot simulator takes
(``hubspot-sim --webhook-subscriptions FILE``): the subscribed changes reach the connector's
web app, and a change to a property no subscription names sends nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import chdir
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from accredo_hubspot.cli import app as cli
from accredo_hubspot.mapping.config import default_config_text
from accredo_hubspot.store import AsyncStateStore
from sims.serve import free_port
from tests.conftest import await_until
from tests.web.conftest import SECRET, served

pytestmark = pytest.mark.usefixtures("restore_logging")

HUBSPOT_SIM = str(Path(sys.executable).parent / "hubspot-sim")
INDUSTRY_FROM_HUBSPOT = """
[[company_fields]]
hubspot = "industry"
accredo = "Category1"
master = "hubspot"
transform = "text"
max_length = 8
"""


def printed_subscriptions(tmp_path: Path, webhook_url: str) -> Path:
    """``accredo-hubspot webhooks > webhooks-hsmeta.json`` with a HubSpot-mastered field."""
    config = tmp_path / "accredo-hubspot.toml"
    config.write_text(default_config_text() + INDUSTRY_FROM_HUBSPOT, encoding="utf-8")
    with chdir(tmp_path):
        result = CliRunner().invoke(cli, ["webhooks", "--webhook-url", webhook_url])
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "webhooks-hsmeta.json"
    path.write_text(result.stdout, encoding="utf-8")
    return path


@pytest.mark.slow
async def test_the_printed_file_round_trips_into_the_simulator(
    store: AsyncStateStore, tmp_path: Path
) -> None:
    port = free_port()
    async with served(store, SECRET) as app:
        hsmeta = printed_subscriptions(tmp_path, app.webhook_url)
        document = json.loads(hsmeta.read_text(encoding="utf-8"))
        legacy = document["config"]["subscriptions"]["legacyCrmObjects"]
        assert {"subscriptionType": "company.propertyChange", "propertyName": "industry",
                "active": True} in legacy  # fmt: skip
        sim = subprocess.Popen(
            [HUBSPOT_SIM, "--port", str(port), "--webhook-subscriptions", str(hsmeta),
             "--webhook-secret", SECRET],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as hubspot:
                await _until_up(hubspot, sim)
                made = await hubspot.post("/_sim/objects/companies", json={"properties": {}})
                company = int(made.json()["id"])
                for change in ({"phone": "09 555 0100"}, {"name": "Kauri"}, {"industry": "RETAIL"}):
                    edit = await hubspot.patch(
                        f"/_sim/objects/companies/{company}", json={"properties": change}
                    )
                    assert edit.status_code == 200, edit.text
                await await_until(lambda: len(app.inbox()) >= 2, "two events", timeout_s=15)
                # The simulator logs a delivery once its answer is back, a moment after the
                # receiver has stored the events.

                async def logged() -> bool:
                    hooks = (await hubspot.get("/_sim/webhooks")).json()
                    return hooks["pending"] == 0 and bool(hooks["deliveries"])

                await await_until(logged, "the deliveries logged", timeout_s=5)
                hooks = (await hubspot.get("/_sim/webhooks")).json()
        finally:
            sim.terminate()
            sim.communicate(timeout=10)

    seen = [(e["subscriptionType"], e.get("propertyName"), e["objectId"]) for e in app.inbox()]
    assert seen == [
        ("company.creation", None, company),
        ("company.propertyChange", "industry", company),
    ]  # phone and name changed too, unsubscribed: nothing sent
    assert hooks["pending"] == 0
    assert {d["status"] for d in hooks["deliveries"]} == {204}
    assert len(hooks["subscriptions"]) == len(legacy) + 1  # the privacy-deletion hub event


async def _until_up(hubspot: httpx.AsyncClient, sim: subprocess.Popen[str]) -> None:
    async def up() -> bool:
        assert sim.poll() is None, sim.communicate()
        try:
            return (await hubspot.get("/_sim/stats")).status_code == 200
        except httpx.TransportError:
            return False

    await await_until(up, "the simulator to start", timeout_s=30)
