"""The ``accredo-hubspot`` command line: init, setup, backfill, run, webhooks, status, migrate,
the operating commands (plan, reconcile, explain, dead-letters, matches) and demo.

Every command exits non-zero with a one-line reason on failure; secrets never reach output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn
from rich.table import Table

from accredo_hubspot import logs, views
from accredo_hubspot.accredo.errors import AccredoError
from accredo_hubspot.errors import ClassifiedError, ConfigError, ConnectorError
from accredo_hubspot.mapping.config import (
    MappingConfig,
    default_config_text,
    load_config,
    with_polling,
)
from accredo_hubspot.mapping.subscriptions import webhooks_hsmeta
from accredo_hubspot.runtime import (
    Connector,
    accredo_client,
    connect,
    default_hubspot_poll_s,
    hubspot_client,
    open_store,
)
from accredo_hubspot.service import live_sync, serve_beside
from accredo_hubspot.settings import STATUS_TOKEN, Settings, load_settings
from accredo_hubspot.store import AmbiguousMatch, AuditEntry, DeadLetterRow
from accredo_hubspot.sync.backfill import Backfill, BackfillReport
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.contacts_rollout import ContactsQueued, queue_existing_contacts
from accredo_hubspot.sync.document_syncs import document_syncs
from accredo_hubspot.sync.documents import CustomObjects, DocumentReport, documents_config
from accredo_hubspot.sync.dryrun import DryRun, plan_backfill
from accredo_hubspot.sync.fixes import Fixes, ReplayResult, discard_letter
from accredo_hubspot.sync.invoices import INVOICE_RECORD
from accredo_hubspot.sync.matcher import normalise_code
from accredo_hubspot.sync.orders import ORDER_RECORD
from accredo_hubspot.sync.pipeline import SyncReport
from accredo_hubspot.sync.plan_rows import plan_rows, skipped
from accredo_hubspot.sync.reconcile import Reconcile, ReconcileReport
from accredo_hubspot.sync.setup import run_setup
from accredo_hubspot.tasks import task_group
from accredo_hubspot.web import (
    DEFAULT_LISTEN,
    HINT_PATH,
    WEBHOOK_PATH,
    Listen,
    bound_url,
    checked_webhook_url,
    listening,
    require_token_beyond_loopback,
)

DEFAULT_CONFIG = Path("accredo-hubspot.toml")

app = typer.Typer(
    name="accredo-hubspot",
    help="Real-time two-way sync between Accredo (debtors, invoices, orders) and HubSpot CRM.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)  # a path or URL printed is one line, whole, to copy
err_console = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Mapping and tuning (TOML). Default: ./accredo-hubspot.toml if present, "
        "else the built-in mapping.",
    ),
]

T = TypeVar("T")


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class LogFormatChoice(StrEnum):
    CONSOLE = "console"
    JSON = "json"


@dataclass
class LogOptions:
    """The global ``--log-level`` / ``--log-format``; each command applies them with its own
    default level. ``json`` is what was finally chosen (options, then environment)."""

    level: str | None = None
    format: str | None = None
    json: bool = False


log_options = LogOptions()


@app.callback()
def global_options(
    log_level: Annotated[
        LogLevel | None,
        typer.Option(
            case_sensitive=False,
            help=f"Default: ${logs.LEVEL_ENV}, else INFO for run (WARNING with --once) and "
            "WARNING for the rest.",
        ),
    ] = None,
    log_format: Annotated[
        LogFormatChoice | None,
        typer.Option(
            case_sensitive=False,
            help=f"console (for people) or json (one object per line). Default: "
            f"${logs.FORMAT_ENV}, else console.",
        ),
    ] = None,
) -> None:
    """Real-time two-way sync between Accredo (debtors, invoices, orders) and HubSpot CRM."""
    log_options.level = log_level.value if log_level else None
    log_options.format = log_format.value if log_format else None


def configure_logging(default_level: str = "WARNING") -> None:
    """Logs on stderr in the chosen format (``logs.configure``); a bad choice stops here."""
    try:
        chosen = logs.configure(log_options.level, log_options.format, default_level=default_level)
    except ConfigError as exc:
        err_console.print(f"error: {exc}", highlight=False)
        raise typer.Exit(1) from None
    log_options.json = chosen == "json"


def resolve_config(path: Path | None) -> MappingConfig:
    if path is not None:
        return load_config(path)
    return load_config(DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)


def run_command(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a command's coroutine; known failures become one line on stderr and exit 1."""
    try:
        return asyncio.run(make())
    except ClassifiedError as exc:  # Accredo's, HubSpot's and the connector's own
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise typer.Exit(130) from None


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the configuration")] = DEFAULT_CONFIG,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file")] = False,
) -> None:
    """Write a commented starter configuration (the built-in mapping) to edit."""
    if path.exists() and not force:
        err_console.print(f"error: {path} exists; use --force to overwrite it")
        raise typer.Exit(1)
    path.write_text(default_config_text(), encoding="utf-8")
    console.print(f"wrote {path}: edit it, then run [bold]accredo-hubspot setup[/bold]")


@app.command()
def setup(config: ConfigOption = None) -> None:
    """Create (idempotently) the Accredo properties and the invoice and order objects in HubSpot."""

    async def go() -> None:
        settings = load_settings(require_accredo=False)
        mapping = resolve_config(config)
        async with hubspot_client(settings.require_hubspot(), mapping.sync) as hubspot:
            report = await run_setup(hubspot, mapping)
        console.print(
            f"property group [bold]{report.group}[/bold]: {len(report.properties)} properties "
            f"({len(report.created)} created, {len(report.updated)} updated)"
        )
        objects = report.objects
        if objects.custom_objects:
            console.print(
                f"custom objects: {len(objects.created)} created, {len(objects.kept)} kept "
                f"({', '.join(objects.created + objects.kept)})"
            )
        else:
            why = f"refused by HubSpot: {objects.refused}" if objects.refused else "configured"
            console.print(f"no custom objects ({why}): invoices and orders go on the company")
        for difference in objects.differences:
            err_console.print(f"schema differs, left as it is: {difference}")

    configure_logging()
    run_command(go)


@app.command()
def backfill(config: ConfigOption = None) -> None:
    """Match and write every Accredo debtor to HubSpot (resumable; unchanged records send
    nothing)."""

    async def go() -> tuple[
        BackfillReport, list[tuple[str, DocumentReport]], ContactsQueued | None
    ]:
        settings = load_settings()
        mapping = resolve_config(config)
        async with connect(settings, mapping) as conn:
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console,
                transient=False,
                disable=log_options.json,  # stderr is for log collectors then
            ) as bar:
                task = bar.add_task("debtors", total=None)

                def progress(done: int, total: int | None) -> None:
                    bar.update(task, completed=done, total=total)

                try:
                    objects = CustomObjects(conn.hubspot)
                    conn.config = await documents_config(objects, conn.config)
                    report = await Backfill(
                        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock
                    ).run(progress)
                    documents = await document_syncs(
                        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, objects
                    )
                    done: list[tuple[str, DocumentReport]] = []
                    for document in documents:
                        counted = bar.add_task(document.name, total=None)

                        def counter(n: int, task: TaskID = counted) -> None:
                            bar.update(task, completed=n, total=n)

                        done.append((document.name, await document.run(progress=counter)))
                    contacts = None
                    if conn.config.contact_fields:
                        contacts = await queue_existing_contacts(
                            conn.accredo, conn.hubspot, conn.store
                        )
                    return report, done, contacts
                except BaseException:
                    bar.live.transient = True  # a failed backfill shows only why it failed
                    raise

    configure_logging()
    report, documents, contacts = run_command(go)
    console.print(
        f"backfill: {report.debtors} debtors, {report.created} companies created, "
        f"{report.updated} updated ({report.linked} newly linked), {report.unchanged} "
        f"unchanged, {report.failed} dead-lettered; {report.calls} HubSpot write calls"
    )
    for line in report.failures[:10]:
        console.print(f"  dead letter: {line}", highlight=False)
    for name, done in documents:
        console.print(
            f"{name}: {done.documents} read, {done.created} created, {done.updated} updated, "
            f"{done.archived} archived, {done.failed} dead-lettered; {done.calls} HubSpot "
            "write calls"
        )
        for line in done.failures[:10]:
            console.print(f"  dead letter: {line}", highlight=False)
    if contacts is not None:
        console.print(views.contacts_queued(contacts), highlight=False)


@app.command()
def plan(
    config: ConfigOption = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="A JSON list of {side, record, action, field, old, new, why}."),
    ] = False,
) -> None:
    """Dry run: the writes a backfill would make now, field by field, for both systems, and
    the contacts it would queue (writes nothing: not HubSpot, not Accredo, not the state
    store)."""

    async def go() -> DryRun:
        settings = load_settings()
        async with connect(settings, resolve_config(config)) as conn:
            return await plan_backfill(
                conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock
            )

    configure_logging()
    dry_run = run_command(go)
    commits = dry_run.commits
    rows = plan_rows(commits, dry_run.options_added)
    if as_json:
        typer.echo(json.dumps([row.as_json() for row in rows], indent=2, ensure_ascii=False))
    else:
        console.print(views.plan_table(rows))
    if dry_run.contacts is not None:  # stdout stays the JSON list with --json
        out = err_console if as_json else console
        out.print(views.contacts_queued(dry_run.contacts, planned=True), highlight=False)
    for letter in skipped(commits):
        err_console.print(
            f"not written: {letter.record_key} {letter.field or ''}: {letter.reason}",
            highlight=False,
            markup=False,
        )


@app.command()
def reconcile(
    config: ConfigOption = None,
    repair: Annotated[
        bool, typer.Option("--repair", help="Write the master's values where they drifted.")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="A JSON object: counts per field, the drift, the repair."),
    ] = False,
) -> None:
    """Compare both sides field by field through the mapping (only what each master owns)
    and report the drift; --repair writes the master's values (batched, rate-limited)."""

    async def go() -> ReconcileReport:
        settings = load_settings()
        async with connect(settings, resolve_config(config)) as conn:
            return await Reconcile(
                conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock
            ).run(repair=repair)

    configure_logging()
    report = run_command(go)
    if as_json:
        typer.echo(json.dumps(views.reconcile_json(report, repaired=repair), indent=2))
    else:
        for table in views.reconcile_tables(report, repaired=repair):
            console.print(table)


@app.command()
def explain(
    code: Annotated[str, typer.Argument(help="The debtor's customer code")],
    field: Annotated[
        str | None, typer.Argument(help="One property: its every write, newest first")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="A JSON list of {field, side, old, new, source, read_at, written_at, call, "
            "reason}.",
        ),
    ] = False,
) -> None:
    """Where each value on the debtor's company came from: the change (delta table and
    DeltaID, webhook event, reconcile), when it was read, when and in which call it was
    written, the old and the new value (from the audit log)."""
    configure_logging()

    async def go() -> list[AuditEntry]:
        settings = load_settings(require_accredo=False, require_hubspot=False)
        key = normalise_code(code)
        async with await open_store(settings) as store:
            entries = await store.list_audit(COMPANY_RECORD, key, limit=10_000)
            # Writes onto the debtor are keyed by its company's id (the side they came from).
            for company_id in (await store.get_links(COMPANY_RECORD, [key])).values():
                inward = await store.list_audit(COMPANY_RECORD, company_id, limit=10_000)
                entries += [e for e in inward if e.side == "accredo"]
        return sorted(entries, key=lambda e: e.at, reverse=True)

    entries = run_command(go)
    if not entries:
        err_console.print(f"error: no audit entries for {normalise_code(code)}", highlight=False)
        raise typer.Exit(1)
    if field is not None and not any(field in entry.changes for entry in entries):
        err_console.print(
            f"error: the audit log holds no write of {field} for {normalise_code(code)}",
            highlight=False,
        )
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(views.explain_json(entries, field), indent=2, ensure_ascii=False))
    else:
        console.print(views.explain_table(normalise_code(code), entries, field))


letters_app = typer.Typer(
    name="dead-letters", help="Records the sync could not write: list, show, replay, discard."
)
app.add_typer(letters_app)


@letters_app.command("list")
def letters_list() -> None:
    """Open dead letters, oldest first (ambiguous matches: see matches list)."""
    configure_logging()

    async def go() -> list[DeadLetterRow]:
        settings = load_settings(require_accredo=False, require_hubspot=False)
        async with await open_store(settings) as store:
            return await store.list_dead_letters(limit=10_000, matches=False)

    console.print(views.letters_table(run_command(go)))


@letters_app.command("show")
def letters_show(letter_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """One dead letter: record, side, field, reason and the payload that was refused."""
    configure_logging()

    async def go() -> DeadLetterRow | None:
        settings = load_settings(require_accredo=False, require_hubspot=False)
        async with await open_store(settings) as store:
            return await store.get_dead_letter(letter_id)

    letter = run_command(go)
    if letter is None:
        err_console.print(f"error: no dead letter {letter_id}", highlight=False)
        raise typer.Exit(1)
    console.print(views.letter_table(letter))


@letters_app.command("replay")
def letters_replay(
    letter_id: Annotated[int | None, typer.Argument(metavar="[ID]")] = None,
    replay_all: Annotated[
        bool, typer.Option("--all", help="Every open dead letter (not ambiguous matches)")
    ] = False,
    settings_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="PROPERTY=VALUE",
            help="Write VALUE instead of the mapped value of PROPERTY, this once (repeatable).",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Write the record of a dead letter again, from its current state; a replay that fails
    stays open with the new reason."""
    configure_logging()
    if (letter_id is None) == (not replay_all):
        err_console.print("error: give one dead letter ID, or --all", highlight=False)
        raise typer.Exit(2)
    overrides = _parse_settings(settings_ or [])

    async def go() -> list[ReplayResult]:
        settings = load_settings()
        async with connect(settings, resolve_config(config)) as conn:
            fixes = await _fixes(conn)
            if letter_id is not None:
                return [await fixes.replay(letter_id, overrides)]
            return await fixes.replay_open(overrides)

    results = run_command(go)
    for result in results:
        outcome = "landed" if result.landed else f"still open: {result.reason}"
        console.print(
            f"dead letter {result.letter_id} ({result.record_key}): {outcome}",
            highlight=False,
            markup=False,
        )
    if any(not result.landed for result in results):
        raise typer.Exit(1)


async def _fixes(conn: Connector) -> Fixes:
    """The operator's actions with every pipeline ``run`` would write with (the portal's
    document syncs included)."""
    objects = CustomObjects(conn.hubspot)
    conn.config = await documents_config(objects, conn.config)
    documents = await document_syncs(
        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, objects
    )
    return Fixes(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, documents)


@letters_app.command("discard")
def letters_discard(
    letter_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log)")],
) -> None:
    """Close a dead letter without writing anything."""
    configure_logging()

    async def go() -> DeadLetterRow:
        settings = load_settings(require_accredo=False, require_hubspot=False)
        async with await open_store(settings) as store:
            return await discard_letter(store, letter_id, reason)

    letter = run_command(go)
    console.print(
        f"dead letter {letter.id} ({letter.record_key}) discarded", highlight=False, markup=False
    )


matches_app = typer.Typer(
    name="matches", help="Debtors whose HubSpot company is ambiguous: list, resolve."
)
app.add_typer(matches_app)


@matches_app.command("list")
def matches_list() -> None:
    """Ambiguous matches waiting for a decision, oldest first."""
    configure_logging()

    async def go() -> list[AmbiguousMatch]:
        settings = load_settings(require_accredo=False, require_hubspot=False)
        async with await open_store(settings) as store:
            return await store.list_ambiguous_matches(limit=10_000)

    console.print(views.matches_table(run_command(go)))


@matches_app.command("resolve")
def matches_resolve(
    code: Annotated[str, typer.Argument(help="The debtor's customer code")],
    company: Annotated[
        str | None, typer.Option("--company", metavar="ID", help="Link to this company")
    ] = None,
    new: Annotated[bool, typer.Option("--new", help="Give the debtor a new company")] = False,
    config: ConfigOption = None,
) -> None:
    """Decide an ambiguous match: link the debtor to a company, or a new one; the choice is
    audited and the debtor is written at once."""
    configure_logging()
    if (company is None) == (not new):
        err_console.print("error: give --company ID or --new", highlight=False)
        raise typer.Exit(2)

    async def go() -> SyncReport:
        settings = load_settings()
        async with connect(settings, resolve_config(config)) as conn:
            return await (await _fixes(conn)).resolve_match(code, company)

    report = run_command(go)
    if report.failed:
        for line in report.failures:
            err_console.print(f"not written: {line}", highlight=False, markup=False)
        raise typer.Exit(1)
    what = f"company {company}" if company else "a new company"
    console.print(f"{normalise_code(code)} linked to {what} and written", highlight=False)


def _parse_settings(items: list[str]) -> dict[str, str]:
    """``--set PROPERTY=VALUE`` options as a mapping; a malformed one stops the command."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            err_console.print(f"error: --set {item}: expected PROPERTY=VALUE", highlight=False)
            raise typer.Exit(2)
        out[name.strip()] = value
    return out


@app.command()
def run(
    config: ConfigOption = None,
    once: Annotated[bool, typer.Option("--once", help="Drain what is pending and exit")] = False,
    listen: Annotated[
        str,
        typer.Option(
            envvar="ACCREDO_HUBSPOT_LISTEN",
            help="HOST:PORT of the web app (webhooks, health, status page, metrics); not with "
            "--once. Beyond loopback it needs ACCREDO_HUBSPOT_STATUS_TOKEN.",
        ),
    ] = DEFAULT_LISTEN,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            help="The public URL HubSpot posts webhooks to, as it signs them (behind a proxy). "
            "Default: the URL a request arrives at."
        ),
    ] = None,
    hubspot_poll_s: Annotated[
        float | None,
        typer.Option(
            "--hubspot-poll-s",
            min=0,
            help="Seconds between searches of HubSpot for changed records (0: off). Default: "
            "5 without HUBSPOT_CLIENT_SECRET (polling carries the sync), 60 with one.",
        ),
    ] = None,
    poll_interval_s: Annotated[
        float | None,
        typer.Option(
            "--poll-interval-s",
            help="Seconds between polls of Accredo while it is quiet ([sync] poll_interval_s, "
            "default 1).",
        ),
    ] = None,
    busy_poll_interval_s: Annotated[
        float | None,
        typer.Option(
            "--busy-poll-interval-s",
            help="Seconds between polls of Accredo after a change ([sync] "
            "busy_poll_interval_s, default 0.2).",
        ),
    ] = None,
    busy_poll_for_s: Annotated[
        float | None,
        typer.Option(
            "--busy-poll-for-s",
            help="How long after a change Accredo is polled at the busy pace ([sync] "
            "busy_poll_for_s, default 10; 0: one pace).",
        ),
    ] = None,
) -> None:
    """Live sync both ways: poll Accredo's change tracking and bring each change to HubSpot,
    and HubSpot's changes (webhooks, search) to Accredo; serve the web app beside it.

    Several run processes may share one PostgreSQL state store (they share the queue; one polls
    at a time); on SQLite one runs at a time."""

    async def go() -> None:
        settings = load_settings()
        mapping = with_polling(
            resolve_config(config),
            poll_interval_s=poll_interval_s,
            busy_poll_interval_s=busy_poll_interval_s,
            busy_poll_for_s=busy_poll_for_s,
        )
        public_url = None if webhook_url is None else checked_webhook_url(webhook_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        with contextlib.ExitStack() as bound:
            sock = None if once else bound.enter_context(listening(Listen.parse(listen)))
            if sock is not None:
                require_token_beyond_loopback(sock, STATUS_TOKEN, settings.status_token is not None)
            async with connect(settings, mapping) as conn, task_group() as group:
                hubspot = settings.require_hubspot()
                poll_s = (
                    default_hubspot_poll_s(hubspot) if hubspot_poll_s is None else hubspot_poll_s
                )
                try:  # HubSpot's first answers: an error is kept for status, as the loop's
                    objects = CustomObjects(conn.hubspot)
                    conn.config = await documents_config(objects, conn.config)
                    documents = await document_syncs(
                        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, objects
                    )
                except ClassifiedError as exc:
                    await conn.store.set_last_error(f"{type(exc).__name__}: {exc}")
                    raise
                live = live_sync(settings, conn, documents, hubspot_poll_s=poll_s)

                def started() -> None:  # on SQLite, not before it holds the store
                    if sock is not None and not log_options.json:  # json: stderr is for logs
                        err_console.print(
                            f"live sync: polling Accredo {live.schedule.intervals.describe()}"
                            f"{_hubspot_polling(poll_s)} as worker {live.worker.owner}, "
                            f"webhooks at {bound_url(sock)}{WEBHOOK_PATH}"
                            f"{_hints_at(settings, bound_url(sock))} (Ctrl-C to stop)",
                            highlight=False,
                        )

                if sock is not None:
                    group.create_task(
                        serve_beside(live, settings, conn, sock, stop, webhook_url=public_url)
                    )
                await live.run(stop, once=once, started=started)
                stop.set()  # the web app stops with the sync

    configure_logging("WARNING" if once else "INFO")
    run_command(go)


def _hints_at(settings: Settings, base_url: str) -> str:
    if settings.hint_secret is None:
        return ""
    return f", Accredo's hints at {base_url}{HINT_PATH}"


def _hubspot_polling(poll_s: float) -> str:
    return f" and HubSpot every {poll_s:g} s" if poll_s > 0 else " (HubSpot polling off)"


@app.command()
def webhooks(
    config: ConfigOption = None,
    webhook_url: Annotated[
        str,
        typer.Option(
            help="The public https URL HubSpot posts to: run's /webhooks/hubspot behind your "
            "proxy (the app's targetUrl)."
        ),
    ] = f"http://{DEFAULT_LISTEN}{WEBHOOK_PATH}",
) -> None:
    """Print the webhooks-hsmeta.json of a HubSpot project app: the subscriptions the mapping
    needs, nothing more (reads only the configuration)."""
    configure_logging()
    try:
        document = webhooks_hsmeta(resolve_config(config), checked_webhook_url(webhook_url))
    except ConnectorError as exc:
        err_console.print(f"error: {exc}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(document, indent=2))
    if not webhook_url.startswith("https://"):
        err_console.print(
            "note: HubSpot posts only to a public https:// URL; give yours with --webhook-url "
            "(this one suits the HubSpot simulator)",
            highlight=False,
        )


@app.command()
def migrate() -> None:
    """Create or upgrade the state store's schema (every command also does it on start)."""
    configure_logging()

    async def go() -> str:
        settings = load_settings(require_accredo=False, require_hubspot=False)
        async with await open_store(settings) as store:
            return store.sync.revision or "-"

    revision = run_command(go)
    console.print(f"state store schema at revision {revision}", highlight=False)


@app.command()
def status() -> None:
    """Links, queue depth, cursors and lag, last error, dead letters."""
    configure_logging()

    async def go() -> None:
        settings = load_settings(require_accredo=False, require_hubspot=False)
        async with await open_store(settings) as store:
            state = await store.status()
            letters = await store.list_dead_letters(limit=5)
            debtors = await store.link_count(COMPANY_RECORD)
            invoices = await store.link_count(INVOICE_RECORD)
            orders = await store.link_count(ORDER_RECORD)
        latest = await _latest_delta_ids(settings) if settings.accredo else None
        table = Table(title="accredo-hubspot status", show_header=False)
        table.add_row("database", settings.database_url_display)
        table.add_row("linked debtors", str(debtors))
        if invoices:
            table.add_row("linked invoices", str(invoices))
        if orders:
            table.add_row("linked orders", str(orders))
        table.add_row("queue depth", str(state.queue_depth))
        lag = state.oldest_pending_age_s
        table.add_row("oldest queued", "-" if lag is None else f"{lag:.1f} s ago")
        cursors = ", ".join(f"{k} {v}" for k, v in sorted(state.cursors.items())) or "-"
        table.add_row("cursors (DeltaID)", cursors)
        if isinstance(latest, dict):
            behind = {k: max(0, v - state.cursors.get(k, 0)) for k, v in sorted(latest.items())}
            table.add_row(
                "change rows not yet read", ", ".join(f"{k} {n}" for k, n in behind.items()) or "-"
            )
        elif latest is not None:
            table.add_row("change rows not yet read", f"unknown: {latest}")
        table.add_row("last sync", state.last_sync_at.isoformat() if state.last_sync_at else "-")
        table.add_row("last error", state.last_error or "-")
        table.add_row("dead letters", str(state.dead_letters))
        console.print(table)
        for letter in letters:
            console.print(
                f"  dead letter {letter.id}: {letter.record_key} {letter.field or ''}: "
                f"{letter.reason}",
                highlight=False,
            )

    run_command(go)


async def _latest_delta_ids(settings: Settings) -> dict[str, int] | str:
    """Accredo's newest DeltaID per change table, or why it could not be read (status must
    still print when Accredo is down)."""
    try:
        async with accredo_client(settings.require_accredo()) as accredo:
            return await accredo.latest_delta_ids()
    except AccredoError as exc:
        return f"Accredo did not answer ({type(exc).__name__}: {exc})"


@app.command()
def demo(
    forever: Annotated[bool, typer.Option(help="Keep syncing until Ctrl-C")] = False,
    customers: Annotated[int, typer.Option(help="Debtors in the Accredo simulator")] = 500,
) -> None:
    """Both simulators plus the connector: a live sync on realistic data, no account needed."""
    from accredo_hubspot.demo import run_demo

    configure_logging()
    run_command(lambda: run_demo(console, customers=customers, forever=forever))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
