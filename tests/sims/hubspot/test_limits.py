"""Rate limits (reference 3), auth and the call counters of ``/_sim/stats``."""

from __future__ import annotations

import time
from typing import Any

import httpx


def test_burst_over_window_is_429_with_hubspot_headers(make_sim: Any) -> None:
    with make_sim(rate_limit=5, rate_window_s=1.0) as sim:
        answers = [sim.http.get("/crm/v3/objects/companies") for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        ok = answers[0].headers
        assert ok["X-HubSpot-RateLimit-Max"] == "5"
        assert ok["X-HubSpot-RateLimit-Remaining"] == "4"
        assert ok["X-HubSpot-RateLimit-Interval-Milliseconds"] == "1000"
        assert ok["X-HubSpot-RateLimit-Daily"] == "625000"
        limited = answers[-1]
        assert limited.headers["X-HubSpot-RateLimit-Remaining"] == "0"
        body = limited.json()
        assert body["policyName"] == "TEN_SECONDLY_ROLLING"
        assert body["errorType"] == "RATE_LIMIT"
        assert body["message"] == "You have reached your ten_secondly_rolling limit."
        assert body["groupName"] == "publicapi:private_app-api-calls-ten-secondly:1234567:99999999"
        assert limited.headers["x-hubspot-correlation-id"] == body["correlationId"]
        assert sim.stats()["rate_limited"] == 1
        time.sleep(1.05)
        assert sim.http.get("/crm/v3/objects/companies").status_code == 200


def test_default_window_is_hubspots(make_sim: Any) -> None:
    with make_sim(rate_limit=190) as sim:
        headers = sim.http.get("/crm/v3/objects/companies").headers
        assert headers["X-HubSpot-RateLimit-Max"] == "190"
        assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"


def test_search_has_its_own_limit_and_no_headers(make_sim: Any) -> None:
    with make_sim(rate_limit=100, search_rate_limit=2) as sim:
        answers = [sim.http.post("/crm/v3/objects/companies/search", json={}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert all("X-HubSpot-RateLimit-Max" not in a.headers for a in answers)
        assert answers[2].json()["message"] == "You have reached your secondly limit."
        assert "x-hubspot-correlation-id" in answers[0].headers
        listed = sim.http.get("/crm/v3/objects/companies")
        assert listed.headers["X-HubSpot-RateLimit-Remaining"] == "99"


def test_daily_limit(make_sim: Any) -> None:
    with make_sim(rate_limit=100, daily_limit=2) as sim:
        answers = [sim.http.get("/crm/v3/objects/companies") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].json()["policyName"] == "DAILY"
        assert answers[1].headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"


def test_unknown_token_is_401_with_hubspot_body(sim: Any) -> None:
    answer = httpx.get(
        f"{sim.url}/crm/v3/objects/companies", headers={"Authorization": "Bearer pat-na1-nope"}
    )
    assert answer.status_code == 401
    assert answer.json()["category"] == "INVALID_AUTHENTICATION"
    assert httpx.get(f"{sim.url}/crm/v3/objects/companies").status_code == 401


def test_several_tokens_accepted(make_sim: Any) -> None:
    with make_sim(token=["pat-na1-a", "pat-na1-b"]) as sim:
        for token in ("pat-na1-a", "pat-na1-b"):
            answer = httpx.get(
                f"{sim.url}/crm/v3/owners", headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 200


def test_unknown_route_is_resource_not_found(sim: Any) -> None:
    answer = sim.http.get("/crm/v3/nothing/here")
    assert answer.status_code == 404
    assert answer.json()["message"] == "resource not found"
    assert "category" not in answer.json()


def test_stats_count_requests_writes_and_routes(sim: Any) -> None:
    sim.http.post("/_sim/stats/reset")
    sim.http.get("/crm/v3/objects/companies")
    sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "a"}})
    sim.http.post("/crm/v3/objects/companies", json={"properties": {"nope": "a"}})
    sim.http.post("/_sim/objects/companies", json={"properties": {"name": "by a user"}})
    stats = sim.stats()
    assert stats["requests"] == 3
    assert stats["writes"] == 1
    assert stats["by_route"] == {
        "GET /crm/v3/objects/{type}": 1,
        "POST /crm/v3/objects/{type}": 2,
    }


def test_faults_5xx_and_storm(sim: Any) -> None:
    sim.http.put("/_sim/faults", json={"error_rate": 1.0})
    assert sim.http.get("/crm/v3/objects/companies").status_code in (500, 502, 503, 504)
    sim.http.put("/_sim/faults", json={"storm_429_rate": 1.0})
    storm = sim.http.get("/crm/v3/objects/companies")
    assert storm.status_code == 429
    assert storm.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    sim.http.put("/_sim/faults", json={"drop_rate": 1.0})
    try:
        sim.http.get("/crm/v3/objects/companies")
        dropped = False
    except httpx.HTTPError:
        dropped = True
    assert dropped
    sim.http.put("/_sim/faults", json={})
    assert sim.http.get("/crm/v3/objects/companies").status_code == 200


def test_a_token_without_the_calls_scope_is_403_missing_scopes(make_sim: Any) -> None:
    """Reference 1: a token lacking the scope a call needs is a 403 ``MISSING_SCOPES`` naming
    it in ``requiredGranularScopes``; every call was allowed to any known token before."""
    limited = "pat-na1-limited"
    with make_sim(token_scopes={limited: ("crm.objects.companies.read",)}) as sim:
        auth = {"Authorization": f"Bearer {limited}"}
        assert sim.http.get("/crm/v3/objects/companies", headers=auth).status_code == 200
        search = sim.http.post("/crm/v3/objects/companies/search", json={}, headers=auth)
        assert search.status_code == 200
        refused = sim.http.post(
            "/crm/v3/objects/companies", json={"properties": {"name": "a"}}, headers=auth
        )
        assert refused.status_code == 403
        body = refused.json()
        assert body["category"] == "MISSING_SCOPES"
        assert body["message"] == (
            "This app hasn't been granted all required scopes to make this call."
        )
        assert body["errors"] == [
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": ["crm.objects.companies.write"]},
            }
        ]
        assert refused.headers["x-hubspot-correlation-id"] == body["correlationId"]
        for method, path, scope in (
            ("GET", "/crm/v3/objects/contacts", "crm.objects.contacts.read"),
            ("GET", "/crm/v3/owners", "crm.objects.owners.read"),
            ("POST", "/crm/v3/properties/companies", "crm.schemas.companies.write"),
            ("GET", "/crm-object-schemas/v3/schemas", "crm.schemas.custom.read"),
            (
                "POST",
                "/crm/v4/associations/companies/contacts/batch/create",
                "crm.objects.companies.write",
            ),
        ):
            answer = sim.http.request(method, path, json={}, headers=auth)
            assert answer.status_code == 403, path
            assert answer.json()["errors"][0]["context"]["requiredGranularScopes"] == [scope]
        created = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "a"}})
        assert created.status_code == 201  # a token not limited has every scope


def test_a_uri_over_the_limit_is_414(make_sim: Any) -> None:
    """Reference 2.5: a URI too long (too many ``properties=``) is a 414; the simulator's
    limit is a setting (8,192 characters by default, [assumed])."""
    with make_sim(max_uri_chars=200) as sim:
        names = ",".join(f"property_{i:03d}" for i in range(20))
        answer = sim.http.get("/crm/v3/objects/companies", params={"properties": names})
        assert answer.status_code == 414
        assert answer.json()["message"] == "URI Too Long"
        assert sim.http.get("/crm/v3/objects/companies", params={"properties": "name"}).is_success
