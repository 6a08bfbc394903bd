"""Utility functions of the company URL (reference 10.9): /User, /Company, SystemDate."""

from __future__ import annotations

import httpx

from tests.sims.accredo.conftest import Sim
from tests.sims.accredo.test_contract import check, spec


def test_user_is_the_logged_in_user_with_the_spec_fields(sim: Sim, api: httpx.Client) -> None:
    r = api.get("/User")
    assert r.status_code == 200, r.text
    body = r.json()
    check("User_Results", body)
    assert set(spec()["definitions"]["User_Results"]["properties"]) <= set(body)
    assert body["LoginUserCode"] == "SYNC"
    assert body["EmailAddress"] and body["UserName"]
    # the same code the change feed writes for this user's changes
    code = api.get("/ARCustomer", params={"$top": "1"}).json()["value"][0]
    api.patch(
        f"/ARCustomer('{code['CustomerCode']}')",
        json={"Comment": "seen"},
        headers={"If-Match": code["@odata.etag"]},
    )
    rows = api.get("/TABLE_ARDELTA").json()["value"]
    assert rows[-1]["CreatedUserCode"] == body["LoginUserCode"]


def test_company_has_the_spec_fields(sim: Sim, api: httpx.Client) -> None:
    r = api.get("/Company")
    assert r.status_code == 200, r.text
    body = r.json()
    check("Company_Results", body)
    assert set(spec()["definitions"]["Company_Results"]["properties"]) <= set(body)
    assert body["CompanyCode"] == "DEMO"
    assert body["BaseCurrencyCode"] == api.get("/BaseCurrencyCode").json()["value"] == "NZD"
    assert body["CompanyName"] and body["GstNo"] and body["CountryCode"] == "NZ"


def test_about_gives_the_release(api: httpx.Client) -> None:
    body = api.get("/About").json()
    check("About_Results", body)
    assert body["FullVersion"] == "7.0.13.109" and body["Version"] == "7.0.13"
    assert body["Product"].endswith("Saturn")


def test_the_api_user_may_log_in_with_its_email_address(sim: Sim) -> None:
    token = sim.token(username="Sync@Demo-Supplies.co.nz")["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    by_email = sim.http.get("/saturn/odata4/v1/Company('DEMO')/User", headers=headers).json()
    assert by_email["LoginUserCode"] == "SYNC"
    cfg = sim.state.config
    bad = sim.http.post(
        "/saturn/oauth2/v1/token",
        json={
            "grant_type": "password",
            "client_id": cfg.client_id,
            "username": "someone@demo-supplies.co.nz",
            "password": cfg.password,
        },
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


def test_system_date_moves_with_the_clock(sim: Sim, api: httpx.Client) -> None:
    assert api.get("/SystemDate").json()["SystemDate"] == "2025-06-30"
    assert sim.http.post("/_sim/clock/advance", json={"days": 3}).json() == {"date": "2025-07-03"}
    assert api.get("/SystemDate").json()["SystemDate"] == "2025-07-03"
    assert (
        api.get("/SystemPeriod").json()["value"]
        == api.get("/PeriodForDate(Date=2025-07-03)").json()["value"]
    )


def test_functions_are_get_only(api: httpx.Client) -> None:
    """Reference 4 / 10.9: the unbound functions are GETs in the spec; another verb is refused
    (the Set* actions are not simulated: their clock is under /_sim/)."""
    for verb in ("POST", "PATCH", "PUT", "DELETE"):
        r = api.request(verb, "/SystemDate", json={})
        assert r.status_code == 405, (verb, r.text)
        assert r.json()["error"]["code"] == "MethodNotAllowed"
    assert api.post("/SetSystemDate", json={"Date": "2025-07-01"}).status_code == 404
    assert api.get("/SystemDate").status_code == 200


def test_required_function_parameters(api: httpx.Client) -> None:
    """The spec marks ModuleCode (CurrentPeriod, ModuleAvailable) and Date (PeriodForDate)
    required: asked without one is a 400, not an answer for no module (reference 10.9)."""
    for path in ("/CurrentPeriod", "/ModuleAvailable", "/PeriodForDate", "/CurrentPeriod()"):
        r = api.get(path)
        assert r.status_code == 400, (path, r.text)
        assert r.json()["error"]["code"] == "BadRequest"
    assert api.get("/CurrentPeriod(ModuleCode=AR)").status_code == 200
    assert api.get("/ModuleAvailable", params={"ModuleCode": "OE"}).json()["value"] is True
    assert api.get("/PeriodForDate(Date=2025-06-01)").status_code == 200
