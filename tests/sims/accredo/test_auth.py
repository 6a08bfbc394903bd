"""OAuth password and refresh grants, 401s, expiry (reference 2)."""

from __future__ import annotations

import json
import time

import httpx

from tests.sims.accredo.conftest import COMPANY_PATH, Sim

TOKEN = "/saturn/oauth2/v1/token"


def test_password_grant_json_and_form(sim: Sim) -> None:
    body = sim.token()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert len(body["access_token"]) == 16 and len(body["refresh_token"]) == 16
    cfg = sim.state.config
    form = {
        "grant_type": "password",
        "client_id": cfg.client_id,
        "username": "sync",  # user codes are not case-sensitive
        "password": cfg.password,
    }
    r = sim.http.post(TOKEN, data=form)
    assert r.status_code == 200 and r.json()["access_token"] != body["access_token"]


def test_token_errors_are_rfc6749_bodies(sim: Sim) -> None:
    cfg = sim.state.config
    base = {"grant_type": "password", "client_id": cfg.client_id, "username": "SYNC"}
    cases = [
        ({**base, "password": "wrong"}, 400, "invalid_grant"),
        ({**base, "password": cfg.password, "client_id": "nope"}, 401, "invalid_client"),
        ({**base, "grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        (base, 400, "invalid_request"),
    ]
    for body, status, error in cases:
        r = sim.http.post(TOKEN, json=body)
        assert (r.status_code, r.json()["error"]) == (status, error)
        assert r.json()["error_description"]


def test_data_urls_need_a_valid_token(sim: Sim) -> None:
    url = COMPANY_PATH + "/ARCustomer"
    for headers in ({}, {"Authorization": "Bearer XXXXXXXXXXXXXXXX"}):
        r = sim.http.get(url, headers=headers)
        assert r.status_code == 401
        assert r.json() == {"error": {"code": "InvalidToken", "message": "invalid access token"}}
        assert r.headers["WWW-Authenticate"] == "Bearer"
    tok = sim.token()["access_token"]
    assert sim.http.get(url, params={"access_token": tok, "$top": "1"}).status_code == 200
    # the query-string token is for GET only
    r = sim.http.post(url, params={"access_token": tok}, json={})
    assert r.status_code == 401


def test_refresh_rotates_and_old_refresh_token_is_spent(sim: Sim) -> None:
    first = sim.token()
    cid = sim.state.config.client_id
    body = {
        "grant_type": "refresh_token",
        "client_id": cid,
        "refresh_token": first["refresh_token"],
    }
    r = sim.http.post(TOKEN, json=body)
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    again = sim.http.post(TOKEN, json=body)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    url = COMPANY_PATH + "/ARSalesPerson"
    for tok in (first["access_token"], second["access_token"]):  # old access token still valid
        assert sim.http.get(url, headers={"Authorization": f"Bearer {tok}"}).status_code == 200


def test_tokens_expire_after_idle_lifetime(sim: Sim) -> None:
    sim.state.config.token_lifetime_s = 0.3
    try:
        tok = sim.token()["access_token"]
        h = {"Authorization": f"Bearer {tok}"}
        url = COMPANY_PATH + "/ARSalesPerson"
        for _ in range(3):  # sliding: use keeps it alive
            time.sleep(0.15)
            assert sim.http.get(url, headers=h).status_code == 200
        time.sleep(0.45)
        assert sim.http.get(url, headers=h).status_code == 401
        sim.state.config.absolute_token_expiry = True
        tok = sim.token()["access_token"]
        h = {"Authorization": f"Bearer {tok}"}
        time.sleep(0.15)
        assert sim.http.get(url, headers=h).status_code == 200
        time.sleep(0.2)
        assert sim.http.get(url, headers=h).status_code == 401
    finally:
        sim.state.config.token_lifetime_s = 3600
        sim.state.config.absolute_token_expiry = False


def test_revocation(sim: Sim) -> None:
    body = sim.token()
    r = sim.http.delete(f"/saturn/oauth2/v1/accesstokens/{body['access_token']}")
    assert r.status_code == 204
    h = {"Authorization": f"Bearer {body['access_token']}"}
    assert sim.http.get(COMPANY_PATH + "/ARSalesPerson", headers=h).status_code == 401
    assert (
        sim.http.delete(f"/saturn/oauth2/v1/accesstokens/{body['access_token']}").status_code == 401
    )
    assert (
        sim.http.delete(f"/saturn/oauth2/v1/refreshtokens/{body['refresh_token']}").status_code
        == 204
    )


def test_company_and_entity_names_are_case_insensitive(api: httpx.Client, sim: Sim) -> None:
    tok = api.headers["Authorization"]
    r = sim.http.get(
        "/saturn/odata4/v1/company('demo')/arcustomer",
        params={"$top": "1"},
        headers={"Authorization": tok},
    )
    assert r.status_code == 200 and len(r.json()["value"]) == 1
    r = sim.http.get(
        "/saturn/odata4/v1/Company('OTHER')/ARCustomer", headers={"Authorization": tok}
    )
    assert r.status_code == 404


def test_json_body_is_accepted_whatever_the_content_type(sim: Sim) -> None:
    cfg = sim.state.config
    body = json.dumps(
        {
            "grant_type": "password",
            "client_id": cfg.client_id,
            "username": cfg.username,
            "password": cfg.password,
        }
    )
    for ctype in ("application/x-www-form-urlencoded", "text/plain", None):
        headers = {"Content-Type": ctype} if ctype else {}
        r = sim.http.post(TOKEN, content=body, headers=headers)
        assert r.status_code == 200, (ctype, r.text)


def test_session_limit_per_web_client(sim: Sim) -> None:
    sim.state.auth.access.clear()
    sim.state.config.session_limit = 2
    try:
        sim.token()
        sim.token()
        cfg = sim.state.config
        r = sim.http.post(
            TOKEN,
            json={
                "grant_type": "password",
                "client_id": cfg.client_id,
                "username": cfg.username,
                "password": cfg.password,
            },
        )
        assert r.status_code == 400 and r.json()["error"] == "access_denied"
    finally:
        sim.state.config.session_limit = 200
