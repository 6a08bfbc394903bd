"""Both simulators over real HTTP, and helpers to drive and inspect them, for end-to-end tests.

The simulators run in this process (``serve_in_thread``); the connector talks to them exactly
as to the real APIs. Helpers read HubSpot through its API (as a user would) and the state store
through SQLite on disk.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select

from accredo_hubspot.accredo import AccredoClient
from accredo_hubspot.mapping.config import MappingConfig, default_config_text
from accredo_hubspot.runtime import Connector, connect
from accredo_hubspot.settings import AccredoSettings, HubSpotSettings, Secret, Settings
from accredo_hubspot.store import schema
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.setup import run_setup
from sims.accredo.app import create_app as accredo_app
from sims.accredo.config import SimConfig
from sims.hubspot.app import create_app as hubspot_app
from sims.hubspot.config import DEMO_TOKEN, HubSpotSimConfig
from sims.serve import BackgroundServer, serve_in_thread

COMPANY = "DEMO"
CLIENT_ID = "accredo-hubspot-demo"
USERNAME = "SYNC"
PASSWORD = "sync-demo-password"
TOKEN = DEMO_TOKEN
WEBHOOK_SECRET = "client-secret-of-the-hubspot-app"
CLI = str(Path(sys.executable).parent / "accredo-hubspot")


@dataclass
class World:
    """A running pair of simulators."""

    accredo: BackgroundServer
    hubspot: BackgroundServer
    accredo_app: Any
    hubspot_app: Any

    @property
    def accredo_root(self) -> str:
        return f"{self.accredo.url}/saturn"

    def settings(self, database: Path) -> Settings:
        return Settings(
            accredo=AccredoSettings(
                base_url=self.accredo_root,
                company=COMPANY,
                client_id=CLIENT_ID,
                username=USERNAME,
                password=Secret(PASSWORD),
            ),
            hubspot=HubSpotSettings(access_token=Secret(TOKEN), base_url=self.hubspot.url),
            database_url=Secret(f"sqlite:///{database}"),
        )

    def env(self, database: Path) -> dict[str, str]:
        """The environment a user would set for the CLI (plus this process's PATH etc.)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCREDO_", "HUBSPOT_"))}
        env.update(
            {
                "ACCREDO_BASE_URL": self.accredo_root,
                "ACCREDO_COMPANY": COMPANY,
                "ACCREDO_CLIENT_ID": CLIENT_ID,
                "ACCREDO_USERNAME": USERNAME,
                "ACCREDO_PASSWORD": PASSWORD,
                "HUBSPOT_ACCESS_TOKEN": TOKEN,
                "HUBSPOT_BASE_URL": self.hubspot.url,
                "ACCREDO_HUBSPOT_DATABASE_URL": f"sqlite:///{database}",
                "ACCREDO_HUBSPOT_LISTEN": "127.0.0.1:0",  # a free port: tests run side by side
                "HUBSPOT_CLIENT_SECRET": WEBHOOK_SECRET,  # webhooks on, as with a public URL
                "COLUMNS": "200",
            }
        )
        return env

    def reset(self) -> None:
        """Both simulators back to their seeded state."""
        httpx.post(f"{self.accredo.url}/_sim/reset").raise_for_status()
        httpx.post(f"{self.hubspot.url}/_sim/reset").raise_for_status()

    # -- HubSpot, through its API and its control surface ----------------------------------

    def hubspot_stats(self) -> dict[str, Any]:
        return sim_stats(self.hubspot)

    def hubspot_faults(self, **faults: float) -> None:
        httpx.put(f"{self.hubspot.url}/_sim/faults", json=faults).raise_for_status()

    def user_creates_company(self, properties: Mapping[str, str]) -> str:
        """A HubSpot user creates a company (as in the UI); returns its id."""
        return user_creates(self.hubspot.url, "companies", properties)

    def companies(self, properties: list[str]) -> dict[str, dict[str, str | None]]:
        """Every (unarchived) company, id -> the asked properties, read page by page."""
        return {r["id"]: r["properties"] for r in self.records("companies", properties)}

    def documents(self, object_type: str, id_property: str) -> dict[str, dict[str, Any]]:
        """Every record of a custom object (``p_accredo_order``), with its companies, by its
        Accredo id (``id_property``)."""
        records = self.records(object_type, [], associations="companies")
        return {r["properties"][id_property]: r for r in records}

    def records(
        self, object_type: str, properties: list[str], associations: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every (unarchived) record of a type, read page by page (every property when
        ``properties`` is empty)."""
        after: str | None = None
        with httpx.Client(
            base_url=self.hubspot.url, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as http:
            if not properties:
                answer = http.get(f"/crm/v3/properties/{object_type}")
                answer.raise_for_status()
                properties = [p["name"] for p in answer.json()["results"]]
            while True:
                params: dict[str, Any] = {"limit": 100, "properties": ",".join(properties)}
                if associations:
                    params["associations"] = associations
                if after:
                    params["after"] = after
                answer = http.get(f"/crm/v3/objects/{object_type}", params=params)
                answer.raise_for_status()
                body = answer.json()
                yield from body["results"]
                after = body.get("paging", {}).get("next", {}).get("after")
                if not after:
                    return

    def company_property(self, name: str) -> dict[str, Any]:
        """A company property's definition, as HubSpot's API answers it."""
        answer = httpx.get(
            f"{self.hubspot.url}/crm/v3/properties/companies/{name}",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found

    def create_property(self, definition: Mapping[str, Any]) -> None:
        answer = httpx.post(
            f"{self.hubspot.url}/crm/v3/properties/companies",
            json=dict(definition),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        answer.raise_for_status()

    # -- Accredo, as the accounts team ------------------------------------------------------

    def post_transaction(self, kind: str, code: str, amount: float) -> None:
        answer = httpx.post(
            f"{self.accredo.url}/_sim/post/{kind}",
            json={"items": [{"CustomerCode": code, "Amount": amount}]},
        )
        answer.raise_for_status()

    def edit_customer(self, code: str, changes: Mapping[str, Any]) -> None:
        answer = httpx.patch(f"{self.accredo.url}/_sim/customers/{code}", json=dict(changes))
        answer.raise_for_status()

    def enter_order(self, code: str, lines: list[tuple[str, float, float]]) -> int:
        """A user enters an order at Order Entry: (product, quantity, unit price) lines;
        returns its DocumentID."""
        body = {
            "CustomerCode": code,
            "Lines": [{"ProductCode": p, "Quantity": q, "UnitPrice": u} for p, q, u in lines],
        }
        answer = httpx.post(f"{self.accredo.url}/_sim/orders", json=body)
        answer.raise_for_status()
        document_id: int = answer.json()["DocumentID"]
        return document_id

    def accredo_requests(self) -> int:
        count: int = sim_stats(self.accredo)["requests"]
        return count


@contextmanager
def running_world(
    *, customers: int, accredo: Mapping[str, Any] | None = None, **hubspot: Any
) -> Iterator[World]:
    """Both simulators on free loopback ports; HubSpot rate limits off unless asked for."""
    hub_config: dict[str, Any] = {
        "rate_limit": 0,
        "search_rate_limit": 0,
        "indexing_delay_ms": 50,
        **hubspot,
    }
    acc_app = accredo_app(SimConfig(customers=customers, **dict(accredo or {})))
    hub_app = hubspot_app(HubSpotSimConfig(**hub_config))
    with ExitStack() as stack:
        acc = stack.enter_context(serve_in_thread(acc_app))
        hub = stack.enter_context(serve_in_thread(hub_app))
        yield World(acc, hub, acc_app, hub_app)


@asynccontextmanager
async def set_up(world: World, database: Path, config: MappingConfig) -> AsyncIterator[Connector]:
    """Both simulators reset, then the connector on ``database`` after setup."""
    world.reset()
    async with connect(world.settings(database), config) as connector:
        await run_setup(connector.hubspot, config)
        yield connector


@asynccontextmanager
async def backfilled(
    world: World, database: Path, config: MappingConfig
) -> AsyncIterator[Connector]:
    """``set_up``, then the debtors' backfill."""
    async with set_up(world, database, config) as connector:
        await Backfill(
            connector.accredo, connector.hubspot, connector.store, config, connector.clock
        ).run()
        yield connector


# -- a value HubSpot refuses ----------------------------------------------------------------

#: A HubSpot number property fed from the debtors' free-text ``Z_Industry``: a debtor whose
#: industry is not a number is refused by HubSpot, and left a dead letter.
INDUSTRY_CODE = "accredo_industry_code"
INDUSTRY_RULE = f"""
[[company_fields]]
hubspot = "{INDUSTRY_CODE}"
accredo = "Z_Industry"
master = "accredo"
transform = "text"
write = "always"
"""


def write_industry_site(path: Path) -> Path:
    """The default configuration plus ``INDUSTRY_RULE``, written to ``path``."""
    path.write_text(default_config_text() + INDUSTRY_RULE, encoding="utf-8")
    return path


def create_industry_code(world: World) -> None:
    """HubSpot's ``INDUSTRY_CODE`` property, a number (setup does not make it)."""
    world.create_property(
        {
            "name": INDUSTRY_CODE,
            "label": "Industry code",
            "type": "number",
            "fieldType": "number",
            "groupName": "companyinformation",
        }
    )


# -- the state store on disk ----------------------------------------------------------------


def links_with_via(database: Path) -> dict[str, tuple[str, str | None]]:
    """customer code -> (company id, via), read straight from the SQLite file."""
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            links = schema.links.c
            rows = conn.execute(
                select(links.accredo_key, links.hubspot_id, links.via).where(
                    links.record_type == "company"
                )
            )
            return {code: (company, via) for code, company, via in rows}
    finally:
        engine.dispose()


def cents(value: Decimal | float | int | None) -> str:
    """What HubSpot should show for an amount: rounded half up to cents (computed here, not by
    the connector's own transform, so a wrong transform fails the test)."""
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def user_creates(
    hubspot_url: str,
    object_type: str,
    properties: Mapping[str, str],
    *,
    to: str = "",
    type_id: int = 0,
    **body: Any,
) -> str:
    """A record a HubSpot user creates (as in the UI) through the simulator's control surface,
    associated with ``to`` by HubSpot's association ``type_id`` when given, with any further
    ``body`` fields (``analyticsSource``); its id."""
    body["properties"] = dict(properties)
    if to:
        types = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]
        body["associations"] = [{"to": {"id": to}, "types": types}]
    answer = httpx.post(f"{hubspot_url}/_sim/objects/{object_type}", json=body)
    answer.raise_for_status()
    record_id: str = answer.json()["id"]
    return record_id


def demo_accredo(accredo: BackgroundServer) -> AccredoClient:
    """A client of the Accredo simulator's demo company, signed in as the connector's user."""
    return AccredoClient(f"{accredo.url}/saturn", COMPANY, CLIENT_ID, USERNAME, PASSWORD)


def hubspot_api(hubspot: BackgroundServer, method: str, path: str, body: Any = None) -> Any:
    """HubSpot's API as an app with the portal's token would call it: the decoded answer
    (None when empty); an error status raises."""
    answer = httpx.request(
        method, f"{hubspot.url}{path}", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    answer.raise_for_status()
    return answer.json() if answer.content else None


def sim_stats(sim: BackgroundServer) -> dict[str, Any]:
    """Either simulator's counters (``/_sim/stats``): requests, writes, by route."""
    stats: dict[str, Any] = httpx.get(f"{sim.url}/_sim/stats").json()
    return stats


def risk_of(hubspot_url: str, object_type: str, record_id: str) -> tuple[str | None, str | None]:
    """A company's or a deal's credit risk as HubSpot shows it: (credit status, days
    overdue)."""
    answer = httpx.get(
        f"{hubspot_url}/crm/v3/objects/{object_type}/{record_id}",
        params={"properties": "accredo_credit_status,accredo_days_overdue"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    answer.raise_for_status()
    props = answer.json()["properties"]
    return props.get("accredo_credit_status"), props.get("accredo_days_overdue")


def user_adds_deal(hubspot_url: str, company: str, stage: str, **properties: str) -> str:
    """A deal a HubSpot user adds on ``company`` at ``stage`` (named Pallets unless
    ``properties`` say otherwise); its id."""
    deal = {"dealname": "Pallets", "dealstage": stage, **properties}
    return user_creates(hubspot_url, "deals", deal, to=company, type_id=5)


def healthy(base: str) -> bool:
    """Whether the web app at ``base`` answers its health check (not yet listening: no)."""
    try:
        return httpx.get(f"{base}/healthz").status_code == 200
    except httpx.TransportError:
        return False


def run_cli(
    args: list[str], env: Mapping[str, str], cwd: Path, timeout_s: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def dead_owner() -> str:
    """A worker owner id (``host:pid:tag``) of a process of this host that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:dead00"
