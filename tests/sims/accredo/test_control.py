"""The /_sim/ control surface and the command line."""

from __future__ import annotations

import httpx
import typer
from typer.testing import CliRunner

from sims.accredo.cli import cli
from tests.sims.accredo.conftest import Sim


def test_reset_returns_to_the_seeded_state(sim: Sim, api: httpx.Client) -> None:
    first = api.get("/ARCustomer", params={"$top": "3"}).json()["value"]
    code = first[0]["CustomerCode"]
    sim.http.post("/_sim/post/invoices", json={"items": [{"CustomerCode": code, "Amount": 10}]})
    sim.http.post("/_sim/clock/advance", json={"days": 40})
    assert api.get("/TABLE_ARDELTA").json()["value"]
    assert sim.http.post("/_sim/reset").status_code == 200
    assert sim.http.get("/_sim/clock").json() == {"date": "2025-06-30"}
    assert api.get("/ARCustomer", params={"$top": "3"}).json()["value"] == first
    assert api.get("/TABLE_ARDELTA").json()["value"] == []


def test_reseed_changes_the_company(sim: Sim, api: httpx.Client) -> None:
    before = api.get("/ARCustomer", params={"$top": "5", "$select": "CustomerCode"}).json()
    r = sim.http.post("/_sim/reseed", json={"seed": 42, "customers": 30})
    assert r.status_code == 200
    count = api.get("/ARCustomer", params={"$count": "true", "$top": "0"}).json()["@odata.count"]
    assert count == 30
    assert api.get("/ARCustomer", params={"$top": "5", "$select": "CustomerCode"}).json() != before
    assert sim.http.post("/_sim/reseed", json={"seed": "x"}).status_code == 400


def test_post_controls_validate(sim: Sim) -> None:
    cases = [
        {"items": []},
        {"items": [{"CustomerCode": "NOSUCH", "Amount": 5}]},
        {"items": [{"CustomerCode": "X", "Amount": "5"}]},
        {"items": [{"CustomerCode": "X", "Amount": 5, "TransactionDate": "30/06/2025"}]},
    ]
    for body in cases:
        assert sim.http.post("/_sim/post/receipts", json=body).status_code == 400
    assert sim.http.patch("/_sim/customers/NOSUCH", json={"CreditLimit": 1}).status_code == 404


def test_stats_count_api_requests_by_route(sim: Sim, api: httpx.Client) -> None:
    sim.http.post("/_sim/stats/reset")
    api.get("/ARCustomer", params={"$top": "1"})
    api.get("/ARCustomer", params={"$top": "1"})
    api.get("/ARContact(1)")
    stats = sim.http.get("/_sim/stats").json()
    assert stats["requests"] == 3
    assert stats["by_route"] == {"GET ARCustomer": 2, "GET ARContact(key)": 1}


def test_utility_functions_and_openapi(api: httpx.Client, sim: Sim) -> None:
    assert api.get("/SystemDate").json()["SystemDate"] == "2025-06-30"
    assert api.get("/AppName").json()["value"] == "Saturn"
    assert api.get("/ModuleAvailable(ModuleCode=OE)").json()["value"] is True
    assert (
        api.get("/PeriodForDate(Date=2025-07-01)").json()["value"]
        == api.get("/PeriodForDate", params={"Date": "2025-07-01"}).json()["value"]
    )
    spec = sim.http.get("/openapi.json").json()
    assert spec["info"]["info"]["version"] == "7.0.13.109"


def test_cli_flags() -> None:
    command = typer.main.get_command(cli)
    flags = {opt for param in command.params for opt in param.opts}
    assert {
        "--host",
        "--port",
        "--seed",
        "--customers",
        "--company",
        "--client-id",
        "--username",
        "--password",
        "--token-lifetime-s",
        "--error-rate",
        "--drop-rate",
        "--latency-ms",
        "--rate-limit-429-rate",
        "--early-token-expiry",
    } <= flags
    defaults = {param.name: param.default for param in command.params}
    assert (defaults["host"], defaults["port"], defaults["seed"]) == ("127.0.0.1", 8081, 1)
    assert (defaults["customers"], defaults["company"]) == (500, "DEMO")
    result = CliRunner().invoke(cli, ["--help"], terminal_width=200)
    assert result.exit_code == 0 and "--client-id" in result.output
