"""``accredo-hubspot demo``: both simulators plus the connector, a live sync you can watch.

The simulators run as their own processes (``accredo-sim`` and ``hubspot-sim``, started from
this environment's scripts), so the connector talks to them exactly as to the real APIs, over
HTTP. The demo plays the accounts team through the Accredo simulator's ``/_sim/`` controls and
times each change until it shows on the HubSpot company.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.demo_contacts import await_rollout, play_contact_edit, queue_contacts
from accredo_hubspot.demo_invoices import play_invoice
from accredo_hubspot.demo_provision import play_provision
from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.mapping.config import MappingConfig, default_config_text, parse_config
from accredo_hubspot.mapping.identity import debtor_nzbn, debtor_web_domain
from accredo_hubspot.mapping.transforms import money
from accredo_hubspot.runtime import Connector, connect
from accredo_hubspot.settings import AccredoSettings, HubSpotSettings, Secret, Settings
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.document_syncs import document_syncs
from accredo_hubspot.sync.documents import CustomObjects
from accredo_hubspot.sync.invoice_sync import InvoiceSync
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.setup import run_setup
from accredo_hubspot.tasks import task_group

#: The simulators' documented demo credentials (README, "The simulators").
DEMO_COMPANY = "DEMO"
DEMO_CLIENT_ID = "accredo-hubspot-demo"
DEMO_USERNAME = "SYNC"
DEMO_PASSWORD = "sync-demo-password"
DEMO_TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
START_TIMEOUT_S = 60.0
VISIBLE_TIMEOUT_S = 15.0
#: How often the demo's live sync searches HubSpot for its users' changes (no webhooks here).
HUBSPOT_POLL_S = 1.0
#: The distribution whose ``sim`` extra brings what only the simulators use.
DISTRIBUTION = "accredo-hubspot"
SIM_EXTRA = "sim"


class DemoError(ConnectorError):
    """The demo could not start or a change never arrived."""


@dataclass
class Sims:
    accredo_url: str  # http://127.0.0.1:P (the service root is this + /saturn)
    hubspot_url: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing_requirements(requirements: Iterable[str], extra: str) -> list[str]:
    """The distributions that ``extra`` needs (of these ``Requires-Dist`` lines) and that are
    not installed, by name."""
    marker = re.compile(rf"""extra\s*==\s*["']{re.escape(extra)}["']""")
    missing = []
    for requirement in requirements:
        spec, _, markers = requirement.partition(";")
        name = re.match(r"[A-Za-z0-9._-]+", spec.strip())
        if name is None or not marker.search(markers):
            continue
        try:
            importlib.metadata.distribution(name.group())
        except importlib.metadata.PackageNotFoundError:
            missing.append(name.group())
    return missing


def sim_extra_problem(requirements: Iterable[str]) -> str | None:
    """One line naming the fix when the simulators' own dependencies are not installed (a
    plain ``pip install accredo-hubspot`` leaves them out); None when they are."""
    missing = missing_requirements(requirements, SIM_EXTRA)
    if not missing:
        return None
    return (
        f"the simulators need the [{SIM_EXTRA}] extra: pip install "
        f"'{DISTRIBUTION}[{SIM_EXTRA}]' (missing: {', '.join(missing)})"
    )


def check_sim_extra() -> None:
    """Stop before starting the simulators when they could not run."""
    try:
        requirements = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:  # a source tree, not installed
        return
    problem = sim_extra_problem(requirements)
    if problem is not None:
        raise DemoError(problem)


def _script(name: str) -> str:
    """A console script of this environment (next to the running Python), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise DemoError(f"cannot find the {name} command; run 'make venv' first")
    return found


@contextmanager
def simulators(
    customers: int,
    log_dir: Path,
    *,
    hubspot_args: Sequence[str] = ("--seed", "7"),
    start_timeout_s: float = START_TIMEOUT_S,
) -> Iterator[Sims]:
    """Start both simulators on free loopback ports; stop them on the way out.

    ``hubspot_args`` are extra ``hubspot-sim`` flags (the benchmarks set limits and tokens).
    """
    check_sim_extra()
    accredo_port, hubspot_port = _free_port(), _free_port()
    commands = [
        [_script("accredo-sim"), "--port", str(accredo_port), "--customers", str(customers)],
        [_script("hubspot-sim"), "--port", str(hubspot_port), *hubspot_args],
    ]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for index, command in enumerate(commands):
            log = (log_dir / f"sim-{index}.log").open("wb")
            processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
        sims = Sims(f"http://127.0.0.1:{accredo_port}", f"http://127.0.0.1:{hubspot_port}")
        urls = [f"{sims.accredo_url}/_sim/clock", f"{sims.hubspot_url}/_sim/stats"]
        _wait_ready(urls, log_dir, start_timeout_s)
        yield sims
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_ready(urls: list[str], log_dir: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    for url in urls:
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise DemoError(f"a simulator did not start (see the logs in {log_dir})")
            time.sleep(0.1)


def demo_settings(sims: Sims, database: Path, *, token: str = DEMO_TOKEN) -> Settings:
    return Settings(
        accredo=AccredoSettings(
            base_url=f"{sims.accredo_url}/saturn",
            company=DEMO_COMPANY,
            client_id=DEMO_CLIENT_ID,
            username=DEMO_USERNAME,
            password=Secret(DEMO_PASSWORD),
        ),
        hubspot=HubSpotSettings(access_token=Secret(token), base_url=sims.hubspot_url),
        database_url=Secret(f"sqlite:///{database}"),
    )


async def seed_existing_companies(
    conn: Connector, sims: Sims, http: httpx.AsyncClient
) -> tuple[int, int]:
    """Put some debtors in HubSpot already, as a sales team would have: some with their NZBN,
    some with only their web domain (entered by hand in HubSpot, so names differ a little)."""
    nzbn_property = conn.config.nzbn_property
    with_nzbn = with_domain = 0
    index = 0
    async for customer in conn.accredo.iter_customers():
        index += 1
        properties: dict[str, str] = {}
        nzbn = debtor_nzbn(customer)
        domain = debtor_web_domain(customer, conn.config.generic_email_domains)
        if index % 4 == 0 and nzbn:
            properties = {"name": _as_sales_would_type(customer), nzbn_property: nzbn}
            with_nzbn += 1
        elif index % 4 == 1 and domain and not nzbn:
            properties = {"name": _as_sales_would_type(customer), "domain": domain}
            with_domain += 1
        if properties:
            answer = await http.post(
                f"{sims.hubspot_url}/_sim/objects/companies", json={"properties": properties}
            )
            _check(answer)
    return with_nzbn, with_domain


def _check(answer: httpx.Response) -> None:
    if answer.status_code >= 400:
        raise DemoError(
            f"simulator refused {answer.request.method} {answer.request.url.path}: "
            f"{answer.status_code} {answer.text[:200]}"
        )


def _as_sales_would_type(customer: ARCustomer) -> str:
    name = customer.CustomerName or customer.CustomerCode
    return name.replace(" Limited", "").replace(" Ltd", "")


@dataclass
class Scenario:
    """One thing the accounts team does, and what it should look like in HubSpot."""

    describe: str
    code: str
    act: Callable[[], Awaitable[None]]
    prop: str
    expected: Callable[[ARCustomer], str]


#: The simulated HubSpot portal's owners sign in with other e-mail addresses than their sales
#: person records in Accredo, as on many sites: the demo maps them the way a site would, in
#: ``[owners.sales_persons]`` (an owner with no sales person would be reported, not guessed).
DEMO_OWNERS = {
    "aroha.sales@example.co.nz": "AROHA",
    "mere.accounts@example.co.nz": "MOBRIEN",
    "sam.admin@example.co.nz": "JSMITH",
}


def demo_config() -> MappingConfig:
    """The shipped default configuration, with the demo portal's owners mapped."""
    section = "[owners.sales_persons]\n"
    text = default_config_text()
    if section not in text:
        raise DemoError("the default configuration has no [owners.sales_persons] table")
    lines = "".join(f'"{email}" = "{code}"\n' for email, code in DEMO_OWNERS.items())
    return parse_config(text.replace(section, section + lines, 1), "demo configuration")


async def run_demo(console: Console, *, customers: int = 500, forever: bool = False) -> None:
    console.rule("[bold]accredo-hubspot demo")
    with tempfile.TemporaryDirectory(prefix="accredo-hubspot-demo-") as tmp:
        work = Path(tmp)
        console.print(f"starting the Accredo and HubSpot simulators ({customers} debtors) ...")
        with simulators(customers, work) as sims:
            console.print(f"  Accredo Web Service  {sims.accredo_url}/saturn (company DEMO)")
            console.print(f"  HubSpot CRM API      {sims.hubspot_url}")
            settings = demo_settings(sims, work / "state.db")
            config = demo_config()
            async with (
                connect(settings, config) as conn,
                httpx.AsyncClient(timeout=30) as http,
            ):
                await _demo(console, conn, sims, http, forever)


async def _demo(
    console: Console, conn: Connector, sims: Sims, http: httpx.AsyncClient, forever: bool
) -> None:
    setup = await run_setup(conn.hubspot, conn.config)
    console.print(
        f"setup: HubSpot property group '{setup.group}' with {len(setup.properties)} "
        f"properties ({len(setup.created)} created)"
    )
    with_nzbn, with_domain = await seed_existing_companies(conn, sims, http)
    console.print(
        f"HubSpot already holds {with_nzbn + with_domain} of the debtors: {with_nzbn} with "
        f"their NZBN, {with_domain} with only a web domain"
    )
    await http.post(f"{sims.hubspot_url}/_sim/stats/reset")
    backfill = Backfill(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    started = time.monotonic()
    with Progress(
        "backfill", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("debtors", total=None)
        report = await backfill.run(
            lambda done, total: bar.update(task, completed=done, total=total)
        )
    stats = (await http.get(f"{sims.hubspot_url}/_sim/stats")).json()
    console.print(
        f"backfill: {report.debtors} debtors in {time.monotonic() - started:.1f} s: "
        f"{report.created} companies created, {report.linked} matched to existing ones, "
        f"{report.failed} reported; {stats.get('requests')} HubSpot calls, "
        f"{stats.get('rate_limited', 0)} rate-limited"
    )
    documents = await document_syncs(
        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, CustomObjects(conn.hubspot)
    )
    for document in documents:
        done = await document.run()
        inline = ", each with its company association in the create call" if done.created else ""
        console.print(
            f"{document.name}: {done.documents} read, {done.created} created{inline}, "
            f"{done.updated} updated ({done.calls} HubSpot calls)"
        )
    invoices = next((d for d in documents if isinstance(d, InvoiceSync)), None)
    contacts = await queue_contacts(console, conn)
    stop = asyncio.Event()
    live = LiveSync(
        conn.accredo,
        conn.hubspot,
        conn.store,
        conn.config,
        conn.clock,
        documents=documents,
        hubspot_poll_s=HUBSPOT_POLL_S,
    )
    async with task_group() as tasks:  # a live-sync failure stops the play, and is raised
        tasks.create_task(live.run(stop))
        try:
            console.print(
                f"live sync: polling Accredo's change tracking {live.schedule.intervals.describe()}"
            )
            await await_rollout(console, conn, contacts)
            await _play(console, conn, sims, http)
            if invoices is not None:
                code = sorted(await conn.store.get_links(COMPANY_RECORD))[0]
                await play_invoice(console, conn, invoices, sims.accredo_url, http, code)
            await play_contact_edit(console, conn, sims.hubspot_url, http, HUBSPOT_POLL_S)
            await play_provision(console, conn, sims.hubspot_url, http)
            if forever:
                console.print(
                    "syncing until Ctrl-C; make changes through the simulators' /_sim/ routes"
                )
                await asyncio.Event().wait()
        finally:
            stop.set()


async def _play(console: Console, conn: Connector, sims: Sims, http: httpx.AsyncClient) -> None:
    links = await conn.store.get_links(COMPANY_RECORD)
    rng = random.Random(5)
    codes = rng.sample(sorted(links), 4)
    base = sims.accredo_url

    async def post(kind: str, code: str, amount: float) -> None:
        answer = await http.post(
            f"{base}/_sim/post/{kind}", json={"items": [{"CustomerCode": code, "Amount": amount}]}
        )
        _check(answer)

    async def edit(code: str, changes: dict[str, Any]) -> None:
        answer = await http.patch(f"{base}/_sim/customers/{code}", json=changes)
        _check(answer)

    before = {c.CustomerCode: c for c in await conn.accredo.get_customers(codes)}
    raised = (before[codes[2]].CreditLimit or Decimal(0)) + Decimal(5000)
    scenarios = [
        Scenario(
            "invoice posted for $1,850.00",
            codes[0],
            lambda: post("invoices", codes[0], 1850.00),
            "accredo_balance_total",
            lambda c: money(c.BalanceTotal, "accredo_balance_total"),
        ),
        Scenario(
            "receipt of $400.00 banked",
            codes[1],
            lambda: post("receipts", codes[1], 400.00),
            "accredo_last_payment_amount",
            lambda c: money(c.AmountOfLastReceipt, "accredo_last_payment_amount"),
        ),
        Scenario(
            f"credit limit raised to ${raised:,.2f}",
            codes[2],
            lambda: edit(codes[2], {"CreditLimit": float(raised)}),
            "accredo_credit_limit",
            lambda c: money(c.CreditLimit, "accredo_credit_limit"),
        ),
        Scenario(
            "customer put on stop credit",
            codes[3],
            lambda: edit(codes[3], {"StopCredit": True}),
            "accredo_credit_status",
            lambda c: "on_stop",
        ),
    ]
    table = Table(title="Accredo change -> HubSpot company")
    table.add_column("change in Accredo")
    table.add_column("debtor")
    table.add_column("HubSpot property", no_wrap=True, min_width=27)
    table.add_column("value", no_wrap=True)
    table.add_column("latency", no_wrap=True)
    for scenario in scenarios:
        started = time.monotonic()
        await scenario.act()
        customer = (await conn.accredo.get_customers([scenario.code]))[0]
        expected = scenario.expected(customer)
        company_id = links[scenario.code]
        latency_s = await _until_visible(conn, company_id, scenario.prop, expected, started)
        table.add_row(
            scenario.describe,
            f"{customer.CustomerName} ({scenario.code})",
            scenario.prop,
            expected,
            f"{latency_s:.2f} s",
        )
        console.print(f"  {scenario.describe}: visible in HubSpot after {latency_s:.2f} s")
    console.print(table)


async def _until_visible(
    conn: Connector, company_id: str, prop: str, expected: str, started: float
) -> float:
    deadline = started + VISIBLE_TIMEOUT_S
    while time.monotonic() < deadline:
        company = await conn.hubspot.get("companies", company_id, properties=[prop])
        if company.properties.get(prop) == expected:
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise DemoError(f"{prop} on company {company_id} did not become {expected!r} in time")
