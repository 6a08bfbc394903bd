"""End to end, both ways: contacts between HubSpot (master) and Accredo, over real HTTP.

Both simulators and ``accredo-hubspot run`` (a process of its own, SQLite on disk) work as on
a site: once with webhooks on (the HubSpot simulator posts signed webhooks, for the
subscriptions ``accredo-hubspot webhooks`` prints, to ``run``'s ``--listen`` URL) and once with
webhooks off and HubSpot polled. HubSpot's search lags writes by a random 0.3 to 1 s here,
each write its own, so the poll meets records in another order than they were written.

- a contact a HubSpot user adds on a linked company's page becomes an ``ARContact`` of the
  debtor, and the user's later edit follows;
- a contact a user adds in Accredo appears once in HubSpot, associated to the company;
- no ping-pong: after each change, the write counts of both simulators stop moving.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from accredo_hubspot.mapping.config import default_config_text, parse_config
from accredo_hubspot.mapping.subscriptions import webhooks_hsmeta
from sims.hubspot.subscriptions import read_hsmeta
from tests.conftest import wait_until
from tests.e2e.operate import invoke
from tests.e2e.world import (
    CLI,
    TOKEN,
    WEBHOOK_SECRET,
    World,
    healthy,
    links_with_via,
    running_world,
    sim_stats,
    user_creates,
)
from tests.logging_reset import restored_logging

pytestmark = pytest.mark.slow

APP_ID = 1234567
DEADLINE_S = 60.0
#: Cycles of quiet that show the writes have stopped (run cycles every 0.2 s here).
QUIET_S = 3.0
HUBSPOT_POLL_S = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Site:
    world: World
    database: Path
    code: str  # a linked debtor
    company_id: str  # its company
    runs: list[subprocess.Popen[bytes]] = field(default_factory=list)  # `run`, newest last
    start_run: Callable[[], subprocess.Popen[bytes]] | None = None

    def kill_run(self) -> None:
        """SIGKILL the running `run` (no chance to finish or record anything)."""
        self.runs[-1].kill()
        self.runs[-1].wait(timeout=30)

    def restart_run(self) -> None:
        """Start `run` again, as a service manager would, and wait for its web app."""
        assert self.start_run is not None
        self.start_run()

    def accredo_contacts(self) -> list[dict[str, Any]]:
        """The debtor's contacts, as the Accredo simulator holds them."""
        table = self.world.accredo_app.state.sim.tables["ARContact"]
        return [dict(row) for row in table.rows_for("CustomerCode", self.code)]

    def accredo_contact(self, email: str) -> dict[str, Any] | None:
        found = [c for c in self.accredo_contacts() if c.get("EmailAddress") == email]
        assert len(found) <= 1, found
        return found[0] if found else None

    def hubspot_contacts(self, email: str) -> list[dict[str, Any]]:
        """HubSpot contacts with this e-mail, read through the API."""
        with httpx.Client(
            base_url=self.world.hubspot.url, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as http:
            httpx.post(f"{self.world.hubspot.url}/_sim/search/index").raise_for_status()
            answer = http.post(
                "/crm/v3/objects/contacts/search",
                json={
                    "filterGroups": [
                        {"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}
                    ],
                    "properties": ["email", "firstname", "lastname", "associatedcompanyid"],
                },
            )
            answer.raise_for_status()
            results: list[dict[str, Any]] = answer.json()["results"]
            return results

    def writes(self) -> tuple[int, int]:
        """(HubSpot writes, Accredo writes) so far: API calls that changed data."""
        hubspot: int = self.world.hubspot_stats()["writes"]
        routes = sim_stats(self.world.accredo)["by_route"]
        accredo = 0
        for route, count in routes.items():
            method, _, target = route.partition(" ")
            if method in ("POST", "PATCH", "PUT") and not target.startswith(("/", "token")):
                accredo += count  # an entity written through the API (not /_sim/, not a token)
        return hubspot, accredo

    def user_adds_hubspot_contact(self, properties: dict[str, str]) -> str:
        """A HubSpot user adds a contact on the company's page (primary company)."""
        hubspot = self.world.hubspot.url
        return user_creates(hubspot, "contacts", properties, to=self.company_id, type_id=1)

    def user_edits_hubspot_contact(self, contact_id: str, properties: dict[str, str]) -> None:
        answer = httpx.patch(
            f"{self.world.hubspot.url}/_sim/objects/contacts/{contact_id}",
            json={"properties": properties},
        )
        answer.raise_for_status()

    def user_adds_accredo_contact(self, fields: dict[str, str]) -> int:
        answer = httpx.post(
            f"{self.world.accredo.url}/_sim/contacts", json={"CustomerCode": self.code, **fields}
        )
        answer.raise_for_status()
        contact_id: int = answer.json()["ContactID"]
        return contact_id


def settle(site: Site) -> tuple[int, int]:
    """Wait until neither simulator has been written for ``QUIET_S``; the counts then."""
    last, since = site.writes(), time.monotonic()
    deadline = since + DEADLINE_S
    while time.monotonic() - since < QUIET_S:
        if time.monotonic() > deadline:
            pytest.fail(f"writes never stopped: {site.writes()}")
        time.sleep(0.2)
        now = site.writes()
        if now != last:
            last, since = now, time.monotonic()
    return last


@contextmanager
def running_site(
    tmp_path: Path,
    *,
    webhooks: bool,
    extra_config: str = "",
    before_backfill: Callable[[World], object] | None = None,
) -> Iterator[Site]:
    """Set up, backfilled, and ``run`` running (with webhooks on, or HubSpot polled), with
    ``extra_config`` added to the built-in configuration; ``before_backfill`` is what HubSpot's
    users did after setup, before the backfill."""
    listen = f"127.0.0.1:{free_port()}"
    target = f"http://{listen}/webhooks/hubspot"
    text = default_config_text().replace("poll_interval_s = 1.0", "poll_interval_s = 0.2")
    text += extra_config
    config = tmp_path / "site.toml"
    config.write_text(text, encoding="utf-8")
    subscriptions = read_hsmeta(webhooks_hsmeta(parse_config(text, "site"), target))
    hubspot: dict[str, Any] = {
        "app_id": APP_ID,
        "indexing_delay_ms": 300,
        "indexing_jitter_ms": 700,
        "webhook_batch_window_ms": 50,
    }
    if webhooks:
        hubspot.update(
            webhook_url=target,
            webhook_secret=WEBHOOK_SECRET,
            webhook_subscriptions=subscriptions.subscriptions,
        )
    with running_world(customers=4, **hubspot) as world:
        database = tmp_path / "state.db"
        env = world.env(database)
        env.update({"ACCREDO_HUBSPOT_LISTEN": listen, "HUBSPOT_APP_ID": str(APP_ID)})
        args = ["run", "--config", str(config)]
        if not webhooks:
            env.pop("HUBSPOT_CLIENT_SECRET")
            args += ["--hubspot-poll-s", str(HUBSPOT_POLL_S)]
        # setup and backfill in this process (typer's runner; a process start and the imports
        # each cost about a second of CPU, for some 18 sites); `run` below is a process of its
        # own, to be killed and restarted, and posted webhooks, as on a site.
        for command in (["setup"], ["backfill", "--config", str(config)]):
            with restored_logging():
                exit_code, _out, err = invoke(command, env, tmp_path)
            assert exit_code == 0, err
            if command == ["setup"] and before_backfill is not None:
                before_backfill(world)
        code, (company_id, _via) = sorted(links_with_via(database).items())[0]
        log = (tmp_path / "run.log").open("wb")
        site = Site(world, database, code, company_id)

        def start() -> subprocess.Popen[bytes]:
            process = subprocess.Popen(
                [CLI, *args], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=log
            )
            site.runs.append(process)
            wait_until(lambda: healthy(f"http://{listen}"), "run's web app")
            return process

        site.start_run = start
        try:
            start()
            yield site
            assert site.runs[-1].poll() is None, (tmp_path / "run.log").read_text()
        finally:
            for process in site.runs:
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=30)
            log.close()


@pytest.fixture(scope="module", params=["webhooks", "polling"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """One site for the module's tests (each its own contact, its write counts taken after the
    writes before it settled)."""
    tmp_path = tmp_path_factory.mktemp(f"site-{request.param}")
    with running_site(tmp_path, webhooks=request.param == "webhooks") as running:
        yield running


def test_a_contact_added_and_edited_in_hubspot_reaches_accredo_without_ping_pong(
    site: Site,
) -> None:
    email = "mere.tane@harbourfreight.co.nz"
    contact_id = site.user_adds_hubspot_contact(
        {"firstname": "Mere", "lastname": "Tāne", "email": email, "jobtitle": "Accounts payable"}
    )
    wait_until(lambda: site.accredo_contact(email), "the contact in Accredo")
    added = site.accredo_contact(email)
    assert added is not None
    assert (added["FirstName"], added["LastName"], added["Role"]) == (
        "Mere",
        "Tāne",
        "Accounts payable",
    )
    first = settle(site)

    site.user_edits_hubspot_contact(
        contact_id, {"jobtitle": "Finance manager", "phone": "09 555 0199"}
    )
    wait_until(
        lambda: (site.accredo_contact(email) or {}).get("Role") == "Finance manager",
        "the edit in Accredo",
    )
    edited = site.accredo_contact(email)
    assert edited is not None and edited["PhoneNo"] == "09 555 0199"
    assert edited["ContactID"] == added["ContactID"]  # the same contact, updated
    hubspot_after, accredo_after = settle(site)
    # One PATCH of the ARContact, and nothing written back to HubSpot by that change.
    assert (hubspot_after, accredo_after) == (first[0], first[1] + 1)


def test_a_contact_added_in_accredo_appears_once_in_hubspot_associated(site: Site) -> None:
    email = "wiremu.hohaia@harbourfreight.co.nz"
    before = settle(site)
    site.user_adds_accredo_contact(
        {
            "FirstName": "Wiremu",
            "LastName": "Hohaia",
            "EmailAddress": email,
            "PhoneNo": "021 555 0101",
        }
    )
    wait_until(lambda: site.hubspot_contacts(email), "the contact in HubSpot")
    hubspot_after, accredo_after = settle(site)
    (contact,) = site.hubspot_contacts(email)
    assert contact["properties"]["firstname"] == "Wiremu"
    assert contact["properties"]["associatedcompanyid"] == site.company_id
    # One HubSpot create; nothing written back to Accredo (its values came from there).
    assert (hubspot_after, accredo_after) == (before[0] + 1, before[1])


def test_contacts_either_side_held_at_rollout_reach_the_other_once(tmp_path: Path) -> None:
    """Before the connector ran, a sales user put the debtor's company in HubSpot (its
    customer code) with a contact; the backfill links it and queues that contact and the
    debtor's own: the HubSpot contact becomes an ``ARContact`` and each Accredo contact a HubSpot
    contact of the company, once."""
    email = "tama.rewi@harbourfreight.co.nz"
    held: dict[str, str] = {}

    def sales_team(world: World) -> None:
        code = world.accredo_app.state.sim.tables["ARCustomer"].keys[0]
        company = world.user_creates_company({"name": "Harbour", "accredo_customer_code": code})
        contact = {"firstname": "Tama", "lastname": "Rewi", "email": email}
        user_creates(world.hubspot.url, "contacts", contact, to=company, type_id=1)
        held.update(code=code, company=company)

    with running_site(tmp_path, webhooks=True, before_backfill=sales_team) as site:
        assert links_with_via(site.database)[held["code"]][0] == held["company"]
        site.code, site.company_id = held["code"], held["company"]
        own = [c for c in site.accredo_contacts() if c.get("EmailAddress")]
        assert own  # the seed gives every debtor a contact
        wait_until(lambda: site.accredo_contact(email), "the HubSpot contact in Accredo")
        emails = [contact["EmailAddress"] for contact in own]
        wait_until(
            lambda: all(site.hubspot_contacts(e) for e in emails), "the Accredo contacts in HubSpot"
        )
        settle(site)
        for each in emails:
            (found,) = site.hubspot_contacts(each)
            assert found["properties"]["associatedcompanyid"] == site.company_id
        assert len(site.hubspot_contacts(email)) == 1  # not copied back as a second contact
