"""What every benchmark shares: both simulators as subprocesses, settings, sim controls.

The simulators run as their own processes (the ``accredo-sim`` and ``hubspot-sim`` console
scripts of this environment), so the connector measured here has this process and its GIL to
itself, as it would against the real APIs.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from accredo_hubspot import demo
from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.demo import DEMO_TOKEN
from accredo_hubspot.demo import Sims as Sims
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.mapping.identity import (
    business_number,
    debtor_domain,
    debtor_email_domain,
    debtor_web_domain,
)
from accredo_hubspot.runtime import Connector
from accredo_hubspot.settings import Settings
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.setup import run_setup

#: The connector's HubSpot token (the simulator's documented demo token).
CONNECTOR_TOKEN = DEMO_TOKEN
#: A second private-app token: the benchmarks observe HubSpot with it, so watching never
#: spends the connector's rate budget (the simulator limits each token on its own).
OBSERVER_TOKEN = "pat-na1-99999999-8888-7777-6666-555555555555"
#: HubSpot's burst limit for a Professional private app (requests per 10 s); the simulator's
#: default, and the figure the rate-limit bound is computed from.
RATE_LIMIT_PER_10S = 190
#: Debtors the Accredo simulator generates per second at start, at the least (busy machine).
SIM_DEBTORS_PER_S = 10_000 / 60
#: One debtor in ``SEED_EVERY`` already exists in HubSpot before a backfill.
SEED_EVERY = 4


class BenchError(RuntimeError):
    """A simulator did not start or refused a control call."""


@dataclass(frozen=True)
class HubSpotStats:
    """``GET /_sim/stats`` of the HubSpot simulator: every API call, 429s included."""

    requests: int
    writes: int
    rate_limited: int
    by_route: dict[str, int]


def simulators(
    customers: int, log_dir: Path, *, hubspot_extra: Sequence[str] = ()
) -> AbstractContextManager[Sims]:
    """Both simulators as subprocesses (the demo's launcher). HubSpot enforces its default 190
    requests per 10 s per token and accepts two tokens: the connector's and the observer's;
    ``hubspot_extra`` adds flags (its webhooks, say). The Accredo simulator generates its
    debtors before it answers: a minute per 10,000 is allowed on a busy machine."""
    hubspot_args = ["--rate-limit", str(RATE_LIMIT_PER_10S)]
    hubspot_args += ["--token", CONNECTOR_TOKEN, "--token", OBSERVER_TOKEN, *hubspot_extra]
    start_timeout_s = max(demo.START_TIMEOUT_S, customers / SIM_DEBTORS_PER_S)
    return demo.simulators(
        customers, log_dir, hubspot_args=hubspot_args, start_timeout_s=start_timeout_s
    )


def bench_settings(sims: Sims, database: Path) -> Settings:
    """The connector's settings, built directly (no environment), SQLite at ``database``."""
    return demo.demo_settings(sims, database, token=CONNECTOR_TOKEN)


def check(answer: httpx.Response) -> httpx.Response:
    if answer.status_code >= 400:
        raise BenchError(
            f"simulator refused {answer.request.method} {answer.request.url.path}: "
            f"{answer.status_code} {answer.text[:200]}"
        )
    return answer


async def until(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str,
    timeout_s: float = 60.0,
    interval_s: float = 0.02,
) -> None:
    """Until ``condition()`` (awaited when it is a coroutine) is true; ``BenchError`` naming
    ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        met = condition()
        if met if not inspect.isawaitable(met) else await met:
            return
        if time.monotonic() > deadline:
            raise BenchError(f"timed out waiting for {what}")
        await asyncio.sleep(interval_s)


async def set_up_and_backfill(conn: Connector) -> None:
    """The portal a bench of live changes starts from: setup, then every debtor backfilled."""
    await run_setup(conn.hubspot, conn.config)
    await Backfill(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock).run()


async def hubspot_stats(http: httpx.AsyncClient, sims: Sims) -> HubSpotStats:
    body: dict[str, Any] = check(await http.get(f"{sims.hubspot_url}/_sim/stats")).json()
    return HubSpotStats(
        requests=int(body["requests"]),
        writes=int(body["writes"]),
        rate_limited=int(body["rate_limited"]),
        by_route=dict(body["by_route"]),
    )


async def reset_hubspot_stats(http: httpx.AsyncClient, sims: Sims) -> None:
    check(await http.post(f"{sims.hubspot_url}/_sim/stats/reset"))


async def reset_hubspot(http: httpx.AsyncClient, sims: Sims) -> None:
    """A fresh portal: no records, default properties, rate windows and stats cleared."""
    check(await http.post(f"{sims.hubspot_url}/_sim/reset"))


def debtor_keys(customer: ARCustomer, config: MappingConfig) -> set[str]:
    """Every key the matcher could find this debtor's company by (business number, domains)."""
    generic = config.generic_email_domains
    keys = {
        business_number(customer),
        debtor_email_domain(customer, generic),
        debtor_web_domain(customer, generic),
    }
    return {key for key in keys if key}


def existing_companies(
    customers: Sequence[ARCustomer], config: MappingConfig, *, shared_keys: bool = False
) -> list[dict[str, str]]:
    """What a sales team typed into HubSpot for a quarter of the debtors before any connector
    ran: the name as they would write it, and the NZBN/ABN, else the web domain.

    Unless ``shared_keys``, only debtors whose key no other debtor shares are picked, so each
    company can belong to one debtor only. (With shared keys, a company seeded for one debtor
    also matches another in a later backfill chunk, and the backfill currently stops on the
    store's ``LinkConflictError``: see bench/README.md.)
    """
    holders: Counter[str] = Counter()
    for customer in customers:
        holders.update(debtor_keys(customer, config))
    picked: list[dict[str, str]] = []
    for customer in customers:
        name = (customer.CustomerName or customer.CustomerCode).replace(" Limited", "")
        number = business_number(customer)
        domain = debtor_domain(customer, config.generic_email_domains)
        if number:
            properties = {"name": name, config.nzbn_property: number}
        elif domain:
            properties = {"name": name, "domain": domain}
        else:
            continue
        if shared_keys or all(holders[key] == 1 for key in debtor_keys(customer, config)):
            picked.append(properties)
    wanted = len(customers) // SEED_EVERY
    step = max(1, len(picked) // max(1, wanted))
    return picked[::step][:wanted]


async def create_as_user(
    http: httpx.AsyncClient, sims: Sims, properties: dict[str, str]
) -> dict[str, Any]:
    """Create a company as a HubSpot user would (``/_sim/``: not API traffic, no rate limit)."""
    answer = check(
        await http.post(
            f"{sims.hubspot_url}/_sim/objects/companies", json={"properties": properties}
        )
    )
    created: dict[str, Any] = answer.json()
    return created
