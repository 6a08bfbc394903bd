"""``accredo-hubspot demo``: both simulators plus the connector, a live sync you can watch.

The simulators run as their own processes (``accredo-sim`` and ``hubspot-sim``, started from
this environment's scripts), so the connector talks to them exactly as to the real APIs, over
HTTP. The connector runs as ``run`` does, its web app served beside the live sync: HubSpot
posts signed webhooks to it and the Accredo simulator plays the site's push-hint script
(``demo_hooks``). The demo plays the accounts team through the Accredo simulator's ``/_sim/``
controls and times each change until it shows on the HubSpot company, saying which path
carried it.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.demo_accredo import check, play_accredo_changes
from accredo_hubspot.demo_contacts import await_rollout, play_contact_edit, queue_contacts
from accredo_hubspot.demo_hooks import (
    WEBHOOK_WINDOW_MS,
    HintWatch,
    Hooks,
    hints_taken,
    webhooks_taken,
    with_hooks,
)
from accredo_hubspot.demo_invoices import play_invoice
from accredo_hubspot.demo_provision import play_provision
from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.mapping.config import MappingConfig, default_config_text, parse_config
from accredo_hubspot.mapping.identity import debtor_nzbn, debtor_web_domain
from accredo_hubspot.runtime import Connector, connect, default_hubspot_poll_s
from accredo_hubspot.service import live_sync, serve_beside
from accredo_hubspot.settings import AccredoSettings, HubSpotSettings, Secret, Settings
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.document_syncs import document_syncs
from accredo_hubspot.sync.documents import CustomObjects, DocumentPass
from accredo_hubspot.sync.invoice_sync import InvoiceSync
from accredo_hubspot.sync.setup import run_setup
from accredo_hubspot.tasks import task_group
from accredo_hubspot.web import Listen, bound_url, listening

#: The simulators' documented demo credentials (README, "The simulators").
DEMO_COMPANY = "DEMO"
DEMO_CLIENT_ID = "accredo-hubspot-demo"
DEMO_USERNAME = "SYNC"
DEMO_PASSWORD = "sync-demo-password"
DEMO_TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
START_TIMEOUT_S = 60.0
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
    accredo_args: Sequence[str] = (),
    start_timeout_s: float = START_TIMEOUT_S,
) -> Iterator[Sims]:
    """Start both simulators on free loopback ports; stop them on the way out.

    ``hubspot_args`` and ``accredo_args`` are extra flags of ``hubspot-sim`` and
    ``accredo-sim`` (the benchmarks set limits and tokens, the demo its hooks).
    """
    check_sim_extra()
    accredo_port, hubspot_port = _free_port(), _free_port()
    commands = [
        [
            _script("accredo-sim"),
            "--port",
            str(accredo_port),
            "--customers",
            str(customers),
            *accredo_args,
        ],
        [_script("hubspot-sim"), "--port", str(hubspot_port), *hubspot_args],
    ]
    processes: list[subprocess.Popen[bytes]] = []
    with ExitStack() as logs:  # each log closed once its simulator has stopped
        try:
            for index, command in enumerate(commands):
                log = logs.enter_context((log_dir / f"sim-{index}.log").open("wb"))
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
            check(answer)
    return with_nzbn, with_domain


def _as_sales_would_type(customer: ARCustomer) -> str:
    name = customer.CustomerName or customer.CustomerCode
    return name.replace(" Limited", "").replace(" Ltd", "")


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
    config = demo_config()
    with (
        tempfile.TemporaryDirectory(prefix="accredo-hubspot-demo-") as tmp,
        listening(Listen("127.0.0.1", 0)) as sock,
    ):
        work = Path(tmp)
        hooks = Hooks.write(bound_url(sock), config, work)
        console.print(f"starting the Accredo and HubSpot simulators ({customers} debtors) ...")
        with simulators(
            customers,
            work,
            hubspot_args=("--seed", "7", *hooks.hubspot_args),
            accredo_args=hooks.accredo_args,
        ) as sims:
            console.print(f"  Accredo Web Service  {sims.accredo_url}/saturn (company DEMO)")
            console.print(f"  HubSpot CRM API      {sims.hubspot_url}")
            console.print(
                f"  connector's web app  {hooks.base_url} (HubSpot's webhooks, Accredo's hints)"
            )
            settings = with_hooks(demo_settings(sims, work / "state.db"))
            async with (
                connect(settings, config) as conn,
                httpx.AsyncClient(timeout=30) as http,
            ):
                await _demo(console, Served(settings, conn, sock), sims, http, forever)


@dataclass
class Served:
    """The connector as ``run`` serves it: its settings, its parts, the web app's socket."""

    settings: Settings
    conn: Connector
    sock: socket.socket


async def _demo(
    console: Console, served: Served, sims: Sims, http: httpx.AsyncClient, forever: bool
) -> None:
    conn, settings = served.conn, served.settings
    setup = await run_setup(conn.hubspot, conn.config)
    console.print(
        f"setup: HubSpot property group '{setup.group}' with {len(setup.properties)} "
        f"properties ({len(setup.created)} created)"
    )
    documents = await document_syncs(
        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, CustomObjects(conn.hubspot)
    )
    poll_s = default_hubspot_poll_s(settings.require_hubspot())
    live = live_sync(settings, conn, documents, hubspot_poll_s=poll_s)
    stop = asyncio.Event()
    async with task_group() as tasks:  # a live-sync failure stops the play, and is raised
        # Served from here on, as run serves it: no webhook finds the web app not yet up.
        tasks.create_task(serve_beside(live, settings, conn, served.sock, stop))
        try:
            await _before_live(console, conn, sims, http, documents)
            invoices = next((d for d in documents if isinstance(d, InvoiceSync)), None)
            contacts = await queue_contacts(console, conn)
            tasks.create_task(live.run(stop))
            console.print(
                f"live sync: polling Accredo's change tracking "
                f"{live.schedule.intervals.describe()}, and at once on Accredo's hints; "
                f"HubSpot's webhooks taken as they arrive (the simulator posts them "
                f"{WEBHOOK_WINDOW_MS} ms after a change, HubSpot itself within a second or "
                f"two), HubSpot searched every {poll_s:g} s as the fallback, as run does"
            )
            await await_rollout(console, conn, contacts)
            hints = HintWatch(http, sims.accredo_url, live.schedule)
            await play_accredo_changes(console, conn, sims.accredo_url, http, hints)
            if invoices is not None:
                code = sorted(await conn.store.get_links(COMPANY_RECORD))[0]
                await play_invoice(console, conn, invoices, sims.accredo_url, http, code, hints)
            await play_contact_edit(console, conn, sims.hubspot_url, http)
            await play_provision(console, conn, sims.hubspot_url, http)
            await _hooks_report(console, sims, http)
            if forever:
                console.print(
                    "syncing until Ctrl-C; make changes through the simulators' /_sim/ routes"
                )
                await asyncio.Event().wait()
        finally:
            stop.set()


async def _before_live(
    console: Console,
    conn: Connector,
    sims: Sims,
    http: httpx.AsyncClient,
    documents: Sequence[DocumentPass[Any]],
) -> None:
    """The rollout before live sync: HubSpot's existing companies, the backfill, the
    documents."""
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
    for document in documents:
        done = await document.run()
        inline = ", each with its company association in the create call" if done.created else ""
        console.print(
            f"{document.name}: {done.documents} read, {done.created} created{inline}, "
            f"{done.updated} updated ({done.calls} HubSpot calls)"
        )


async def _hooks_report(console: Console, sims: Sims, http: httpx.AsyncClient) -> None:
    """What the web app took: HubSpot's deliveries and Accredo's hints (the simulators' own
    counts of what it answered 2xx, and of what it did not)."""
    accepted, refused = await webhooks_taken(http, sims.hubspot_url)
    hints = await hints_taken(http, sims.accredo_url)
    console.print(
        f"web app: {accepted} webhook deliveries from HubSpot accepted ({refused} not), "
        f"{hints} hints from Accredo accepted"
    )
