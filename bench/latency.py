"""Benchmark 2: live latency, from a change in Accredo until HubSpot's company shows it.

After the backfill, ``LiveSync.run`` polls in the background with its default interval while
the accounts team (played through the Accredo simulator's ``/_sim/`` routes) makes changes at
random moments: invoices, receipts, credit-limit edits, stop-credit toggles, each on its own
debtor. An observer reads the changed companies with a second HubSpot token (the simulator
limits each token on its own, so watching costs the connector none of its budget) and records
when each expected value appears. Then nothing changes for a while, and the HubSpot calls made
in that stretch are counted: there should be none.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
from rich.console import Console

from accredo_hubspot.accredo import AccredoClient
from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.mapping.config import FieldRule, MappingConfig
from accredo_hubspot.runtime import Connector
from accredo_hubspot.sync.companies import COMPANY_RECORD, source_value
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.planner import transform_value
from accredo_hubspot.tasks import task_group
from bench.figures import LIVE_P95_TARGET_S, Percentiles, percentiles
from bench.harness import OBSERVER_TOKEN, BenchError, Sims, check, hubspot_stats

#: Largest pause between two changes; each gap is uniform in [0, this).
MAX_GAP_S = 0.3
#: Between two observer reads: ~15 reads a second, under the observer token's own limit.
OBSERVE_EVERY_S = 0.06
#: A change not visible after this long counts as missed.
VISIBLE_TIMEOUT_S = 15.0
#: The quiet stretch in which no HubSpot call should be made.
IDLE_S = 5.0
#: The observer's batch-read size (HubSpot's batch maximum).
READ_BATCH = 100

#: What the accounts team does, and the company property that shows it.
KINDS: dict[str, str] = {
    "invoice": "accredo_balance_total",
    "receipt": "accredo_last_payment_amount",
    "credit_limit": "accredo_credit_limit",
    "stop_credit": "accredo_stop_credit",
}


@dataclass
class Change:
    kind: str
    code: str
    company_id: str
    prop: str
    before: str | None
    started: float = 0.0
    expected: str | None = None
    latency_s: float | None = None


@dataclass
class LatencyFigures:
    changes: int
    latencies_s: list[float]
    missed: list[Change]
    indistinguishable: int
    connector_calls: int
    idle_calls: int
    idle_s: float
    poll_interval_s: float
    by_kind: dict[str, list[float]] = field(default_factory=dict)

    @property
    def stats(self) -> Percentiles:
        return percentiles(self.latencies_s)

    @property
    def target_met(self) -> bool:
        return not self.missed and self.stats.p95_s < LIVE_P95_TARGET_S

    @property
    def idle_target_met(self) -> bool:
        return self.idle_calls == 0


class Observer:
    """Reads the watched companies with the observer token until each shows its value."""

    def __init__(self, http: httpx.AsyncClient, sims: Sims, props: list[str]) -> None:
        self._http = http
        self._url = f"{sims.hubspot_url}/crm/v3/objects/companies/batch/read"
        self._props = props
        self.calls = 0
        self.waiting: dict[str, Change] = {}
        self.missed: list[Change] = []

    async def read(self, ids: list[str]) -> dict[str, dict[str, str | None]]:
        values: dict[str, dict[str, str | None]] = {}
        for start in range(0, len(ids), READ_BATCH):
            body = {
                "properties": self._props,
                "inputs": [{"id": i} for i in ids[start : start + READ_BATCH]],
            }
            while True:
                self.calls += 1
                answer = await self._http.post(
                    self._url, json=body, headers={"authorization": f"Bearer {OBSERVER_TOKEN}"}
                )
                if answer.status_code != 429:
                    break
                await asyncio.sleep(1.0)
            for record in check(answer).json()["results"]:
                values[record["id"]] = record["properties"]
        return values

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            due = [c for c in self.waiting.values() if c.expected is not None]
            if due:
                values = await self.read([c.company_id for c in due])
                now = time.monotonic()
                for change in due:
                    if values.get(change.company_id, {}).get(change.prop) == change.expected:
                        change.latency_s = now - change.started
                        del self.waiting[change.company_id]
                    elif now - change.started > VISIBLE_TIMEOUT_S:
                        self.missed.append(change)
                        del self.waiting[change.company_id]
            await asyncio.sleep(OBSERVE_EVERY_S)


def _rules(config: MappingConfig) -> dict[str, FieldRule]:
    return {rule.hubspot: rule for rule in config.company_fields}


def expected_value(customer: ARCustomer, rule: FieldRule, config: MappingConfig) -> str:
    """The HubSpot value of a plain (non-derived) field, as the connector's mapping makes it."""
    return transform_value(rule, source_value(customer, rule, {}), config.tz)


class Team:
    """The accounts team: one change per debtor, through the Accredo simulator's controls."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        sims: Sims,
        accredo: AccredoClient,
        config: MappingConfig,
        rng: random.Random,
    ) -> None:
        self._http = http
        self._base = sims.accredo_url
        self._accredo = accredo
        self._config = config
        self._rng = rng
        self._rules = _rules(config)

    async def act(self, change: Change, before: ARCustomer) -> None:
        """Make the change (timing starts just before), then work out what HubSpot should show."""
        amount = round(self._rng.uniform(20, 5000), 2)
        change.started = time.monotonic()
        if change.kind in ("invoice", "receipt"):
            items = [{"CustomerCode": change.code, "Amount": amount}]
            url = f"{self._base}/_sim/post/{change.kind}s"
            check(await self._http.post(url, json={"items": items}))
        elif change.kind == "credit_limit":
            raised = (before.CreditLimit or Decimal(0)) + Decimal(500 * self._rng.randint(1, 10))
            body: dict[str, object] = {"CreditLimit": float(raised)}
            check(await self._http.patch(f"{self._base}/_sim/customers/{change.code}", json=body))
        else:
            body = {"StopCredit": not before.StopCredit}
            check(await self._http.patch(f"{self._base}/_sim/customers/{change.code}", json=body))
        after = await self._accredo.get_customers([change.code])
        if not after:
            raise BenchError(f"debtor {change.code} vanished from the Accredo simulator")
        change.expected = expected_value(after[0], self._rules[change.prop], self._config)


async def run_latency_bench(
    conn: Connector,
    sims: Sims,
    http: httpx.AsyncClient,
    accredo: AccredoClient,
    changes: int,
    console: Console,
    *,
    seed: int = 11,
) -> LatencyFigures:
    """Live sync in the background, ``changes`` changes at random moments, then a quiet spell.

    ``accredo`` is the benchmark's own Accredo client (not the connector's), used to read what
    each change did.
    """
    rng = random.Random(seed)
    links = await conn.store.get_links(COMPANY_RECORD)
    if len(links) < changes:
        raise BenchError(f"{changes} changes need {changes} linked debtors; {len(links)} linked")
    codes = rng.sample(sorted(links), changes)
    befores = {c.CustomerCode.upper(): c for c in await accredo.get_customers(codes)}
    observer = Observer(http, sims, sorted(set(KINDS.values())))
    current = await observer.read([links[code] for code in codes])
    plan: list[Change] = []
    for code in codes:
        kind = rng.choice(sorted(KINDS))
        prop = KINDS[kind]
        company_id = links[code]
        plan.append(Change(kind, code, company_id, prop, current.get(company_id, {}).get(prop)))
    team = Team(http, sims, accredo, conn.config, rng)
    interval_s = conn.config.sync.poll_interval_s

    stop_live, stop_observer = asyncio.Event(), asyncio.Event()
    live = LiveSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    async with task_group() as tasks:  # a failing live loop, observer or act stops the run
        tasks.create_task(live.run(stop_live))
        try:
            await asyncio.sleep(interval_s + 0.5)  # the first cycle: nothing pending yet
            before_stats = await hubspot_stats(http, sims)
            observer_before = observer.calls
            observing = tasks.create_task(observer.run(stop_observer))
            console.print(
                f"  live: {changes} changes at random moments (gaps 0-{MAX_GAP_S * 1000:.0f} ms), "
                f"poll every {interval_s:g} s ..."
            )
            acts: list[asyncio.Task[None]] = []
            for change in plan:
                await asyncio.sleep(rng.uniform(0, MAX_GAP_S))
                observer.waiting[change.company_id] = change
                acts.append(tasks.create_task(team.act(change, befores[change.code])))
            for act in acts:
                await act
            while observer.waiting:
                await asyncio.sleep(0.1)
            stop_observer.set()
            await observing
            # Let the cycle in hand finish and the queue drain before the quiet spell.
            while await conn.store.queue_depth():
                await asyncio.sleep(0.1)
            await asyncio.sleep(interval_s + 0.5)
            during = await hubspot_stats(http, sims)
            observed = observer.calls - observer_before
            connector_calls = during.requests - before_stats.requests - observed
            idle_started = time.monotonic()
            await asyncio.sleep(IDLE_S)
            after = await hubspot_stats(http, sims)
            idle_s = time.monotonic() - idle_started
        finally:
            stop_live.set()
    seen = [c for c in plan if c.latency_s is not None]
    indistinguishable = [c for c in seen if c.before == c.expected]
    measured = [c for c in seen if c.before != c.expected]
    by_kind: dict[str, list[float]] = {}
    for change in measured:
        by_kind.setdefault(change.kind, []).append(change.latency_s or 0.0)
    return LatencyFigures(
        changes=changes,
        latencies_s=[c.latency_s or 0.0 for c in measured],
        missed=observer.missed,
        indistinguishable=len(indistinguishable),
        connector_calls=connector_calls,
        idle_calls=after.requests - during.requests,
        idle_s=idle_s,
        poll_interval_s=interval_s,
        by_kind=by_kind,
    )


def _line(label: str, p: Percentiles) -> str:
    return (
        f"  {label:<14} n={p.count:<4d} p50 {p.p50_s:5.2f} s  p95 {p.p95_s:5.2f} s  "
        f"p99 {p.p99_s:5.2f} s  max {p.max_s:5.2f} s"
    )


def print_latency(console: Console, f: LatencyFigures) -> None:
    console.print(
        f"[bold]Live latency[/] ({f.changes} changes, poll every {f.poll_interval_s:g} s)"
    )
    console.print(_line("all changes", f.stats))
    for kind, samples in sorted(f.by_kind.items()):
        console.print(_line(kind, percentiles(samples)))
    if f.missed:
        console.print(f"  [red]{len(f.missed)} changes never became visible[/] (timeout)")
    if f.indistinguishable:
        console.print(f"  {f.indistinguishable} changes left the value as it was (not counted)")
    console.print(f"  connector HubSpot calls for the changes: {f.connector_calls}")
    console.print(f"  HubSpot calls in {f.idle_s:.1f} s with no changes: {f.idle_calls} (target 0)")
