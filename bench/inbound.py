"""Benchmark: HubSpot to Accredo latency, on the webhook path and on the polling path.

Each path gets a pair of simulators of its own: for the webhook path HubSpot's posts signed
webhooks (for the subscriptions ``accredo-hubspot webhooks`` prints) to the connector's web app,
served in this process beside ``LiveSync`` as ``run`` serves it; for the polling path it sends
none and the connector has no client secret, so it searches HubSpot every
``--hubspot-poll-s`` (both paths use ``run``'s defaults). After setup and a backfill, a HubSpot
user adds a contact on each of a few linked companies and the live sync brings them to Accredo.
Then the user edits the contacts' job titles at random moments, one edit per contact, and an
observer reads the ``ARContact`` records through Accredo's API until each shows its new
``Role``. The clock starts just before the edit is sent to HubSpot.

On the webhook path the figure includes HubSpot's own delivery delay (the simulator gathers
events for ``--webhook-batch-window-ms`` after the first before it posts them); the time from
each delivery's arrival to the value in Accredo, the connector's share, is printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import random
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
from rich.console import Console

from accredo_hubspot.accredo import AccredoClient
from accredo_hubspot.logs import configure as configure_logging
from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.mapping.subscriptions import webhooks_hsmeta
from accredo_hubspot.runtime import accredo_client, connect, default_hubspot_poll_s, web_app
from accredo_hubspot.settings import Secret
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.contacts import CONTACT_RECORD
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.tasks import task_group
from accredo_hubspot.web.app import WEBHOOK_PATH
from accredo_hubspot.web.server import Listen, bound_url, listening, serve
from bench.figures import (
    INBOUND_FAST_P95_TARGET_S,
    INBOUND_P95_TARGET_S,
    Percentiles,
    percentiles,
    verdict,
)
from bench.harness import (
    BenchError,
    Sims,
    bench_settings,
    check,
    set_up_and_backfill,
    simulators,
    until,
)

#: Debtors in the Accredo simulator (all backfilled; a few get a contact).
DEBTORS = 100
#: The webhook app's client secret and id, as the simulator and the connector share them.
CLIENT_SECRET = "bench-client-secret"
APP_ID = 7654321
#: HubSpot's delivery window in the simulator (its default).
WEBHOOK_WINDOW_MS = 1000
#: Between two observer reads of Accredo: the figure is late by up to this much (finer costs
#: the process the connector runs in more of its time).
OBSERVE_EVERY_S = 0.02
#: How long the contacts may take to reach Accredo before the edits start.
ARRIVAL_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class PathPlan:
    """One path's run: its name, whether webhooks carry it, how many edits and the largest
    gap between two."""

    name: str
    webhooks: bool
    changes: int
    max_gap_s: float
    #: An edit not in Accredo after this long counts as missed.
    visible_timeout_s: float


WEBHOOK_PATH_PLAN = PathPlan("webhooks", True, 60, 0.5, 15.0)
POLLING_PATH_PLAN = PathPlan("polling", False, 30, 1.0, 40.0)
QUICK_CHANGES = 20


@dataclass
class Edit:
    hubspot_id: str
    contact_id: int
    role: str
    started: float = 0.0
    visible_at: float | None = None

    @property
    def latency_s(self) -> float | None:
        return None if self.visible_at is None else self.visible_at - self.started


@dataclass
class InboundFigures:
    path: str
    changes: int
    latencies_s: list[float]
    missed: int
    hubspot_poll_s: float
    #: Webhook path: the simulator's delivery window, and delivery arrival -> in Accredo.
    webhook_window_ms: int | None = None
    after_delivery_s: list[float] = field(default_factory=list)

    @property
    def stats(self) -> Percentiles:
        return percentiles(self.latencies_s)

    @property
    def after_delivery(self) -> Percentiles:
        return percentiles(self.after_delivery_s)


class Observer:
    """Reads the edited contacts through Accredo's API until each shows its new role."""

    def __init__(self, accredo: AccredoClient, timeout_s: float) -> None:
        self._accredo = accredo
        self._timeout_s = timeout_s
        self.waiting: dict[int, Edit] = {}
        self.missed: list[Edit] = []

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.waiting:
                found = await self._accredo.get_contacts(sorted(self.waiting))
                now = time.monotonic()
                roles = {c.ContactID: c.Role for c in found}
                for contact_id, edit in list(self.waiting.items()):
                    if roles.get(contact_id) == edit.role:
                        edit.visible_at = now
                        del self.waiting[contact_id]
                    elif now - edit.started > self._timeout_s:
                        self.missed.append(edit)
                        del self.waiting[contact_id]
            await asyncio.sleep(OBSERVE_EVERY_S)


async def add_contacts(http: httpx.AsyncClient, sims: Sims, company_ids: list[str]) -> list[str]:
    """A HubSpot user adds one contact on each company's page; their ids."""
    ids: list[str] = []
    for n, company_id in enumerate(company_ids):
        body = {
            "properties": {
                "firstname": f"Bench{n}",
                "lastname": "Contact",
                "email": f"bench{n}@example.co.nz",
                "jobtitle": "Buyer",
            },
            "associations": [
                {
                    "to": {"id": company_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
                }
            ],
        }
        answer = check(await http.post(f"{sims.hubspot_url}/_sim/objects/contacts", json=body))
        ids.append(str(answer.json()["id"]))
    return ids


async def run_path(
    plan: PathPlan, console: Console, *, window_ms: int = WEBHOOK_WINDOW_MS, seed: int = 13
) -> InboundFigures:
    """One path on simulators of its own (see the module docstring)."""
    rng = random.Random(seed)
    config = load_config(None)
    with tempfile.TemporaryDirectory(prefix="accredo-hubspot-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        sock = stack.enter_context(listening(Listen("127.0.0.1", 0)))
        extra: list[str] = ["--app-id", str(APP_ID)]
        if plan.webhooks:
            hsmeta = work / "webhooks-hsmeta.json"
            target = f"{bound_url(sock)}{WEBHOOK_PATH}"
            hsmeta.write_text(json.dumps(webhooks_hsmeta(config, target)), encoding="utf-8")
            extra += ["--webhook-subscriptions", str(hsmeta), "--webhook-secret", CLIENT_SECRET]
            extra += ["--webhook-batch-window-ms", str(window_ms)]
        sims = stack.enter_context(simulators(DEBTORS, work, hubspot_extra=extra))
        base = bench_settings(sims, work / "state.db")
        hubspot = replace(
            base.require_hubspot(),
            client_secret=Secret(CLIENT_SECRET) if plan.webhooks else None,
            app_id=str(APP_ID),
        )
        settings = replace(base, hubspot=hubspot)
        poll_s = default_hubspot_poll_s(hubspot)
        async with (
            connect(settings, config) as conn,
            accredo_client(settings.require_accredo()) as accredo,
            httpx.AsyncClient(timeout=60) as http,
        ):
            await set_up_and_backfill(conn)
            links = await conn.store.get_links(COMPANY_RECORD)
            if len(links) < plan.changes:
                raise BenchError(f"{plan.changes} edits need as many linked debtors")
            companies = [links[code] for code in rng.sample(sorted(links), plan.changes)]
            live = LiveSync(
                conn.accredo,
                conn.hubspot,
                conn.store,
                conn.config,
                conn.clock,
                app_id=str(APP_ID),
                hubspot_poll_s=poll_s,
            )
            deliveries: list[float] = []

            def delivered() -> None:
                deliveries.append(time.monotonic())
                live.webhook_events.set()

            observer = Observer(accredo, plan.visible_timeout_s)
            stop, stop_observer = asyncio.Event(), asyncio.Event()
            async with task_group() as tasks:
                if plan.webhooks:
                    app = web_app(settings, conn, webhook_url=None, on_events=delivered)
                    tasks.create_task(serve(app, sock, stop))
                tasks.create_task(live.run(stop))
                try:
                    edits = await _contacts_in_accredo(conn.store, http, sims, companies, rng)
                    console.print(
                        f"  {plan.name}: {len(edits)} contact edits in HubSpot at random moments "
                        f"(gaps 0-{plan.max_gap_s * 1000:.0f} ms), HubSpot polled every "
                        f"{poll_s:g} s ..."
                    )
                    observing = tasks.create_task(observer.run(stop_observer))
                    for edit in edits:
                        await asyncio.sleep(rng.uniform(0, plan.max_gap_s))
                        edit.started = time.monotonic()
                        observer.waiting[edit.contact_id] = edit
                        url = f"{sims.hubspot_url}/_sim/objects/contacts/{edit.hubspot_id}"
                        body = {"properties": {"jobtitle": edit.role}}
                        check(await http.patch(url, json=body))
                    while observer.waiting:
                        await asyncio.sleep(0.1)
                    stop_observer.set()
                    await observing
                finally:
                    stop.set()
    seen = [e for e in edits if e.latency_s is not None]
    figures = InboundFigures(
        path=plan.name,
        changes=len(edits),
        latencies_s=[e.latency_s or 0.0 for e in seen],
        missed=len(observer.missed),
        hubspot_poll_s=poll_s,
    )
    if plan.webhooks:
        figures.webhook_window_ms = window_ms
        for edit in seen:
            first = bisect.bisect_left(deliveries, edit.started)
            if first < len(deliveries) and edit.visible_at is not None:
                figures.after_delivery_s.append(edit.visible_at - deliveries[first])
    return figures


async def _contacts_in_accredo(
    store: AsyncStateStore,
    http: httpx.AsyncClient,
    sims: Sims,
    companies: list[str],
    rng: random.Random,
) -> list[Edit]:
    """Add a contact on each company in HubSpot and wait until the sync has linked each to
    its new ``ARContact``; one planned edit per contact, in random order."""
    hubspot_ids = await add_contacts(http, sims, companies)

    async def all_linked() -> bool:
        return set((await store.get_links(CONTACT_RECORD)).values()).issuperset(hubspot_ids)

    await until(all_linked, "the contacts to reach Accredo", ARRIVAL_TIMEOUT_S, interval_s=0.2)
    linked = {v: k for k, v in (await store.get_links(CONTACT_RECORD)).items()}
    edits = [Edit(i, int(linked[i]), f"Buyer {n + 1}") for n, i in enumerate(hubspot_ids)]
    rng.shuffle(edits)
    return edits


async def run_inbound_bench(console: Console, *, quick: bool = False) -> list[InboundFigures]:
    """Both paths, the webhook path first."""
    figures = []
    for plan in (WEBHOOK_PATH_PLAN, POLLING_PATH_PLAN):
        if quick:
            plan = replace(plan, changes=QUICK_CHANGES)
        console.print(f"starting the simulators for the {plan.name} path ...")
        figures.append(await run_path(plan, console))
    return figures


def print_inbound(console: Console, f: InboundFigures) -> None:
    how = (
        f"HubSpot delivers every {f.webhook_window_ms} ms"
        if f.webhook_window_ms is not None
        else f"HubSpot searched every {f.hubspot_poll_s:g} s"
    )
    console.print(f"[bold]HubSpot to Accredo, {f.path} path[/] ({f.changes} contact edits, {how})")
    console.print(f.stats.line("edit to Accredo"))
    if f.after_delivery_s:
        console.print(f.after_delivery.line("delivery to Accredo"))
    if f.missed:
        console.print(f"  [red]{f.missed} edits never reached Accredo[/] (timeout)")


def webhook_target_met(f: InboundFigures, target_s: float) -> bool:
    return not f.missed and f.stats.p95_s < target_s


def inbound_summary(figures: list[InboundFigures]) -> list[str]:
    """The summary lines of ``python -m bench``."""
    lines = []
    for f in figures:
        p = f.stats
        line = (
            f"hs->acc   {f.path:<8} {p.count} edits: p50 {p.p50_s:.2f} s, p95 {p.p95_s:.2f} s, "
            f"p99 {p.p99_s:.2f} s, {f.missed} missed"
        )
        if f.webhook_window_ms is not None:
            line += (
                f" (delivery to Accredo p95 {f.after_delivery.p95_s:.2f} s)   target p95 < "
                f"{INBOUND_P95_TARGET_S:g} s: "
                f"{verdict(webhook_target_met(f, INBOUND_P95_TARGET_S))}, < "
                f"{INBOUND_FAST_P95_TARGET_S:g} s: "
                f"{verdict(webhook_target_met(f, INBOUND_FAST_P95_TARGET_S))}"
            )
        else:
            line += f" (searched every {f.hubspot_poll_s:g} s; no target)"
        lines.append(line)
    return lines


async def _alone(console: Console, quick: bool) -> None:
    figures = await run_inbound_bench(console, quick=quick)
    for f in figures:
        print_inbound(console, f)
    for line in inbound_summary(figures):
        console.print(line, highlight=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inbound", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_CHANGES} edits per path instead of 60/30"
    )
    args = parser.parse_args()
    configure_logging()
    asyncio.run(_alone(Console(highlight=False, width=132), args.quick))


if __name__ == "__main__":
    main()
