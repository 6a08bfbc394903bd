"""Benchmark 2: live latency, from a change in Accredo until HubSpot's company shows it.

After the backfill, ``LiveSync.run`` runs in the background in three modes, one after the
other: with push hints (the Accredo simulator plays the site's script and posts a hint to the
web app served here after each save; adaptive polling as well), with adaptive polling alone,
and with the fixed one-second poll of before (the baseline). In each mode the accounts team (played
through the Accredo simulator's ``/_sim/`` routes) makes changes in two patterns: a busy
stretch, one change a second or so; and first changes after a quiet spell, each made once the
poll has relaxed to its idle pace (checked), at phases spread evenly over the idle interval.
Changes are invoices, receipts, credit-limit edits and stop-credit toggles, each on a debtor of
its own. An observer reads the changed companies with a second HubSpot token (the simulator
limits each token on its own, so watching costs the connector none of its budget) and records
when each expected value appears. Then nothing changes for a while, and the Accredo requests
per second and the HubSpot calls made in that stretch are counted (HubSpot: there should be
none).

The quiet spell is shortened from a minute to a few seconds: the bench sets
``busy_poll_for_s`` to ``BENCH_BUSY_FOR_S`` (the default is 10 s), longer than any gap of the
busy stretch, and waits for the poll to relax before each first change; after that a quiet
minute and a quiet few seconds leave the connector in the same state.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from accredo_hubspot.accredo import AccredoClient
from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.logs import configure as configure_logging
from accredo_hubspot.mapping.config import FieldRule, MappingConfig, load_config
from accredo_hubspot.runtime import Connector, accredo_client, connect, web_app
from accredo_hubspot.settings import Secret, Settings
from accredo_hubspot.sync.companies import COMPANY_RECORD, source_value
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.planner import transform_value
from accredo_hubspot.tasks import task_group
from accredo_hubspot.web import HINT_PATH, Listen, bound_url, listening, serve
from bench.figures import (
    HINTS_P95_TARGET_S,
    POLL_BUSY_P95_TARGET_S,
    Percentiles,
    percentiles,
    verdict,
)
from bench.harness import (
    OBSERVER_TOKEN,
    BenchError,
    Sims,
    bench_settings,
    check,
    hubspot_stats,
    set_up_and_backfill,
    simulators,
    until,
)

#: The busy stretch's gaps between two changes: uniform in this range ("a second or so").
BUSY_GAP_S = (0.5, 1.5)
#: ``busy_poll_for_s`` in the bench: longer than any busy gap, short enough that a quiet
#: spell of a few seconds relaxes the poll (see the module docstring).
BENCH_BUSY_FOR_S = 2.0
#: Between two observer reads: ~15 reads a second, under the observer token's own limit.
OBSERVE_EVERY_S = 0.06
#: Two latencies closer than this are the same: two observer reads (the observer's
#: resolution is one read, and each figure is the read that saw the value).
SAME_WITHIN_S = 2 * OBSERVE_EVERY_S
#: A change not visible after this long counts as missed.
VISIBLE_TIMEOUT_S = 15.0
#: What the bench waits for (named when it times out).
SHOWN = "the changes to show in HubSpot (or be counted missed)"
QUIET = "the poll to relax with no change outstanding"
#: The quiet stretch in which Accredo's requests and HubSpot's calls are counted (a whole
#: number of idle intervals).
IDLE_S = 6.0
#: The shared secret of the hints the Accredo simulator posts.
HINT_SECRET = "bench-hint-secret-0123456789"
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


@dataclass(frozen=True)
class Mode:
    """How the connector learns of Accredo's changes: ``hints`` (the script, and adaptive
    polling), adaptive polling alone, or a fixed pace (``busy_poll_interval_s`` = the idle)."""

    name: str
    hints: bool
    fixed: bool


MODES = (
    Mode("hints", hints=True, fixed=False),
    Mode("adaptive", hints=False, fixed=False),
    Mode("fixed 1 s", hints=False, fixed=True),
)


@dataclass
class ModeFigures:
    """One mode's latencies in both patterns and its load when idle."""

    mode: Mode
    intervals: str
    busy: list[float]
    quiet: list[float]
    missed: list[Change]
    indistinguishable: int
    connector_calls: int
    idle_accredo_per_s: float
    idle_hubspot_calls: int
    idle_s: float
    hints_sent: int = 0

    @property
    def busy_stats(self) -> Percentiles:
        return percentiles(self.busy)

    @property
    def quiet_stats(self) -> Percentiles:
        return percentiles(self.quiet)


@dataclass
class LatencyFigures:
    """Every mode, in ``MODES`` order."""

    modes: list[ModeFigures]

    def mode(self, name: str) -> ModeFigures:
        return next(m for m in self.modes if m.mode.name == name)

    @property
    def hints_target_met(self) -> bool:
        hints = self.mode("hints")
        return (
            not hints.missed
            and max(hints.busy_stats.p95_s, hints.quiet_stats.p95_s) < HINTS_P95_TARGET_S
        )

    @property
    def adaptive_target_met(self) -> bool:
        """Busy p95 under target, and after quiet no worse than the fixed poll: both wait the
        same idle interval at the same phases, so within ``SAME_WITHIN_S``."""
        adaptive, fixed = self.mode("adaptive"), self.mode("fixed 1 s")
        return (
            not adaptive.missed
            and adaptive.busy_stats.p95_s < POLL_BUSY_P95_TARGET_S
            and adaptive.quiet_stats.p95_s <= fixed.quiet_stats.p95_s + SAME_WITHIN_S
        )

    @property
    def idle_target_met(self) -> bool:
        """No HubSpot call when idle, and no more Accredo requests than the fixed poll (give or
        take one request in the stretch: a once-a-minute read may fall in one and not another)."""
        baseline = self.mode("fixed 1 s")
        allowance = baseline.idle_accredo_per_s + 1 / baseline.idle_s
        return all(
            m.idle_hubspot_calls == 0 and m.idle_accredo_per_s <= allowance for m in self.modes
        )


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
    settings: Settings,
    seed: int = 11,
) -> LatencyFigures:
    """Each of ``MODES`` in turn: ``changes`` changes in a busy stretch, half as many first
    changes after a quiet spell, then the load of a quiet stretch.

    ``accredo`` is the benchmark's own Accredo client (not the connector's), used to read what
    each change did; ``settings`` the connector's (the hints' web app is served with them).
    """
    rng = random.Random(seed)
    quiet = max(3, changes // 2)
    per_mode = 1 + changes + quiet  # the busy stretch's first change is its warm-up
    links = await conn.store.get_links(COMPANY_RECORD)
    if len(links) < per_mode * len(MODES):
        raise BenchError(
            f"{per_mode * len(MODES)} changes need as many linked debtors; {len(links)} linked"
        )
    codes = rng.sample(sorted(links), per_mode * len(MODES))
    befores = {c.CustomerCode.upper(): c for c in await accredo.get_customers(codes)}
    props = sorted(set(KINDS.values()))
    current = await Observer(http, sims, props).read([links[code] for code in codes])
    plan: list[Change] = []
    for code in codes:
        kind = rng.choice(sorted(KINDS))
        prop = KINDS[kind]
        company_id = links[code]
        plan.append(Change(kind, code, company_id, prop, current.get(company_id, {}).get(prop)))
    team = Team(http, sims, accredo, conn.config, rng)
    figures: list[ModeFigures] = []
    for index, mode in enumerate(MODES):
        mine = plan[index * per_mode : (index + 1) * per_mode]
        run = _ModeRun(mode, conn, sims, http, settings, team, befores, rng)
        figures.append(await run.measure(mine[: 1 + changes], mine[1 + changes :], console))
    return LatencyFigures(figures)


@dataclass
class _ModeRun:
    """One mode: its own ``LiveSync`` (and, with hints, the web app and the simulator's hook)."""

    mode: Mode
    conn: Connector
    sims: Sims
    http: httpx.AsyncClient
    settings: Settings
    team: Team
    befores: dict[str, ARCustomer]
    rng: random.Random

    def __post_init__(self) -> None:
        conn, sync = self.conn, self.conn.config.sync
        busy_s = sync.poll_interval_s if self.mode.fixed else sync.busy_poll_interval_s
        self.config = replace(
            conn.config,
            sync=replace(sync, busy_poll_interval_s=busy_s, busy_poll_for_s=BENCH_BUSY_FOR_S),
        )
        self.live = LiveSync(conn.accredo, conn.hubspot, conn.store, self.config, conn.clock)
        self.observer = Observer(self.http, self.sims, sorted(set(KINDS.values())))

    async def measure(
        self, busy: list[Change], quiet: list[Change], console: Console
    ) -> ModeFigures:
        live, observer = self.live, self.observer
        stop_live, stop_observer = asyncio.Event(), asyncio.Event()
        with listening(Listen("127.0.0.1", 0)) as sock:
            async with task_group() as tasks:  # a failing live loop, observer or act stops it
                if self.mode.hints:
                    settings = replace(self.settings, hint_secret=Secret(HINT_SECRET))
                    app = web_app(settings, self.conn, webhook_url=None, on_hint=live.hint)
                    tasks.create_task(serve(app, sock, stop_live))
                    await self._hook(f"{bound_url(sock)}{HINT_PATH}", HINT_SECRET)
                tasks.create_task(live.run(stop_live))
                try:
                    await until(lambda: live.schedule.polls >= 1, "the first poll")
                    console.print(
                        f"  {self.mode.name}: polling {live.schedule.intervals.describe()}, "
                        f"{len(busy) - 1} changes a second or so apart (after one not "
                        f"counted), then {len(quiet)} after a quiet spell ..."
                    )
                    hubspot_before = await hubspot_stats(self.http, self.sims)
                    observing = tasks.create_task(observer.run(stop_observer))
                    await self._busy_stretch(busy, tasks.create_task)
                    await self._after_quiet(quiet)
                    stop_observer.set()
                    await observing
                    while await self.conn.store.queue_depth():
                        await asyncio.sleep(0.1)
                    during = await hubspot_stats(self.http, self.sims)
                    connector_calls = during.requests - hubspot_before.requests - observer.calls
                    # From half an idle interval after a relaxed poll, a whole number of
                    # intervals: every poll in the stretch is counted whole, once.
                    await until(lambda: not live.schedule.busy, "the poll to relax")
                    half_s = live.schedule.intervals.idle_s / 2
                    await asyncio.sleep(live.schedule.due() - half_s - time.monotonic())
                    idle_started = time.monotonic()
                    accredo_before = await self._accredo_requests()
                    await asyncio.sleep(IDLE_S)
                    accredo_after = await self._accredo_requests()
                    after = await hubspot_stats(self.http, self.sims)
                    idle_s = time.monotonic() - idle_started
                    hook = await self._hook(None, None) if self.mode.hints else {"sent": 0}
                finally:
                    stop_live.set()
        done = busy + quiet
        measured = [c for c in done if c.latency_s is not None and c.before != c.expected]
        return ModeFigures(
            mode=self.mode,
            intervals=live.schedule.intervals.describe(),
            busy=[c.latency_s or 0.0 for c in busy[1:] if c in measured],
            quiet=[c.latency_s or 0.0 for c in quiet if c in measured],
            missed=observer.missed,
            indistinguishable=sum(
                1 for c in done if c.latency_s is not None and c.before == c.expected
            ),
            connector_calls=connector_calls,
            idle_accredo_per_s=(accredo_after - accredo_before) / idle_s,
            idle_hubspot_calls=after.requests - during.requests,
            idle_s=idle_s,
            hints_sent=int(hook["sent"]),
        )

    async def _busy_stretch(
        self,
        changes: list[Change],
        spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
    ) -> None:
        """One change a second or so (``BUSY_GAP_S``), each acted on without waiting. The first
        is a first change after quiet (the other pattern's): it is not counted here."""
        acts: list[asyncio.Task[None]] = []
        for change in changes:
            await asyncio.sleep(self.rng.uniform(*BUSY_GAP_S))
            self.observer.waiting[change.company_id] = change
            acts.append(spawn(self.team.act(change, self.befores[change.code])))
        for act in acts:
            await act
        await until(lambda: not self.observer.waiting, SHOWN, VISIBLE_TIMEOUT_S + 5)

    async def _after_quiet(self, changes: list[Change]) -> None:
        """Each change once the poll has relaxed, at phases before the next idle poll spread
        evenly over the idle interval (a change's wait for a poll is what a phase decides)."""
        live = self.live
        idle_s = live.schedule.intervals.idle_s
        for k, change in enumerate(changes):
            await until(lambda: not live.schedule.busy and not self.observer.waiting, QUIET)
            phase_s = (k + 0.5) / len(changes) * idle_s
            tick = live.schedule.due()
            while tick - phase_s < time.monotonic() + 0.01:
                tick += idle_s
            await asyncio.sleep(tick - phase_s - time.monotonic())
            if live.schedule.busy:
                raise BenchError("the poll did not stay relaxed before a change after quiet")
            self.observer.waiting[change.company_id] = change
            await self.team.act(change, self.befores[change.code])
        await until(lambda: not self.observer.waiting, SHOWN, VISIBLE_TIMEOUT_S + 5)

    async def _hook(self, url: str | None, secret: str | None) -> dict[str, Any]:
        """Point the Accredo simulator's hint script at ``url`` (None: off); its state."""
        body = {"url": url, "secret": secret}
        answer = check(await self.http.put(f"{self.sims.accredo_url}/_sim/event-hook", json=body))
        state: dict[str, Any] = answer.json()
        return state

    async def _accredo_requests(self) -> int:
        stats = check(await self.http.get(f"{self.sims.accredo_url}/_sim/stats")).json()
        return int(stats["requests"])


def print_latency(console: Console, f: LatencyFigures) -> None:
    console.print(
        "[bold]Live latency, Accredo to HubSpot[/] (busy: changes a second or so apart; "
        f"quiet: first change after a quiet spell, busy_poll_for_s {BENCH_BUSY_FOR_S:g} s)"
    )
    for m in f.modes:
        console.print(f"  {m.mode.name}: polling {m.intervals}")
        console.print(m.busy_stats.line(f"{m.mode.name}, busy"))
        console.print(m.quiet_stats.line(f"{m.mode.name}, after quiet"))
        if m.missed:
            console.print(f"  [red]{len(m.missed)} changes never became visible[/] (timeout)")
        if m.indistinguishable:
            console.print(f"  {m.indistinguishable} changes left the value as it was (not counted)")
        hints = f", {m.hints_sent} hints posted" if m.mode.hints else ""
        console.print(
            f"  connector HubSpot calls for the changes: {m.connector_calls}{hints}; idle "
            f"{m.idle_s:.1f} s: {m.idle_accredo_per_s:.2f} Accredo requests/s, "
            f"{m.idle_hubspot_calls} HubSpot calls"
        )


def latency_summary(f: LatencyFigures) -> list[str]:
    """The summary's lines: each mode's percentiles, then the idle load, with the targets."""

    def figures(p: Percentiles) -> str:
        return f"{p.p50_s:.2f}/{p.p95_s:.2f}/{p.p99_s:.2f} s"

    targets = {
        "hints": f"target p95 < {HINTS_P95_TARGET_S:g} s in both: {verdict(f.hints_target_met)}",
        "adaptive": f"target busy p95 < {POLL_BUSY_P95_TARGET_S:g} s, quiet <= fixed: "
        f"{verdict(f.adaptive_target_met)}",
        "fixed 1 s": "(today's baseline)",
    }
    lines = []
    for m in f.modes:
        missed = f", {len(m.missed)} missed" if m.missed else ""
        lines.append(
            f"A->H {m.mode.name:<9} busy p50/p95/p99 {figures(m.busy_stats)}, after quiet "
            f"{figures(m.quiet_stats)}{missed}   {targets[m.mode.name]}"
        )
    rates = ", ".join(f"{m.mode.name} {m.idle_accredo_per_s:.2f}" for m in f.modes)
    hubspot = sum(m.idle_hubspot_calls for m in f.modes)
    lines.append(
        f"idle      Accredo requests/s: {rates}; HubSpot calls {hubspot}   target <= fixed, "
        f"no HubSpot call: {verdict(f.idle_target_met)}"
    )
    return lines


#: Debtors of the simulators when this benchmark runs alone (``python -m bench.latency``).
ALONE_DEBTORS = 500


async def _alone(console: Console, changes: int) -> None:
    """Simulators of its own (``ALONE_DEBTORS`` debtors), setup and a backfill, then the run."""
    config = load_config(None)
    with (
        tempfile.TemporaryDirectory(prefix="accredo-hubspot-bench-") as tmp,
        simulators(ALONE_DEBTORS, Path(tmp)) as sims,
    ):
        settings = bench_settings(sims, Path(tmp) / "state.db")
        async with (
            connect(settings, config) as conn,
            accredo_client(settings.require_accredo()) as accredo,
            httpx.AsyncClient(timeout=60) as http,
        ):
            await set_up_and_backfill(conn)
            figures = await run_latency_bench(
                conn, sims, http, accredo, changes, console, settings=settings
            )
    print_latency(console, figures)
    for line in latency_summary(figures):
        console.print(line, highlight=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument(
        "--changes", type=int, default=20, help="changes per mode in the busy stretch (20)"
    )
    args = parser.parse_args()
    configure_logging()
    asyncio.run(_alone(Console(highlight=False, width=132), args.changes))


if __name__ == "__main__":
    main()
