"""The ``accredo-hubspot`` command line: init, setup, backfill, run, migrate, status, demo.

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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from accredo_hubspot import logs, views
from accredo_hubspot.accredo.errors import AccredoError
from accredo_hubspot.errors import ClassifiedError, ConfigError, ConnectorError
from accredo_hubspot.mapping.config import MappingConfig, default_config_text, load_config
from accredo_hubspot.mapping.subscriptions import webhooks_hsmeta
from accredo_hubspot.runtime import accredo_client, connect, hubspot_client, open_store, web_app
from accredo_hubspot.settings import STATUS_TOKEN, Settings, load_settings
from accredo_hubspot.sync.backfill import Backfill, BackfillReport
from accredo_hubspot.sync.dryrun import Commit, plan_backfill
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.plan_rows import plan_rows, skipped
from accredo_hubspot.sync.setup import run_setup
from accredo_hubspot.tasks import task_group
from accredo_hubspot.web import (
    DEFAULT_LISTEN,
    WEBHOOK_PATH,
    Listen,
    bound_url,
    checked_webhook_url,
    listening,
    require_token_beyond_loopback,
    serve,
)

DEFAULT_CONFIG = Path("accredo-hubspot.toml")

app = typer.Typer(
    name="accredo-hubspot",
    help="Real-time sync of Accredo debtors and their financial state into HubSpot companies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
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
            help=f"Default: ${logs.LEVEL_ENV}, else INFO for run and WARNING for the rest.",
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
    """Real-time sync of Accredo debtors and their financial state into HubSpot companies."""
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
    """Create (idempotently) the Accredo property group and company properties in HubSpot."""

    async def go() -> None:
        settings = load_settings(require_accredo=False)
        mapping = resolve_config(config)
        async with hubspot_client(settings.require_hubspot(), mapping.sync) as hubspot:
            report = await run_setup(hubspot, mapping)
        console.print(
            f"property group [bold]{report.group}[/bold]: {len(report.properties)} properties "
            f"({len(report.created)} created, {len(report.updated)} updated)"
        )

    configure_logging()
    run_command(go)


@app.command()
def backfill(config: ConfigOption = None) -> None:
    """Match and write every Accredo debtor to HubSpot (resumable; unchanged records send
    nothing)."""

    async def go() -> BackfillReport:
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
                    return await Backfill(
                        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock
                    ).run(progress)
                except BaseException:
                    bar.live.transient = True  # a failed backfill shows only why it failed
                    raise

    configure_logging()
    report = run_command(go)
    console.print(
        f"backfill: {report.debtors} debtors, {report.created} companies created, "
        f"{report.updated} updated ({report.linked} newly linked), {report.unchanged} "
        f"unchanged, {report.failed} dead-lettered; {report.calls} HubSpot write calls"
    )
    for line in report.failures[:10]:
        console.print(f"  dead letter: {line}", highlight=False)


@app.command()
def plan(
    config: ConfigOption = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="A JSON list of {side, record, action, field, old, new, why}."),
    ] = False,
) -> None:
    """Dry run: the writes a backfill would make now, field by field, for both systems
    (writes nothing: not HubSpot, not Accredo, not the state store)."""

    async def go() -> list[Commit]:
        settings = load_settings()
        async with connect(settings, resolve_config(config)) as conn:
            return await plan_backfill(
                conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock
            )

    configure_logging()
    commits = run_command(go)
    rows = plan_rows(commits)
    if as_json:
        typer.echo(json.dumps([row.as_json() for row in rows], indent=2, ensure_ascii=False))
    else:
        console.print(views.plan_table(rows))
    for letter in skipped(commits):
        err_console.print(
            f"not written: {letter.record_key} {letter.field or ''}: {letter.reason}",
            highlight=False,
            markup=False,
        )


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
) -> None:
    """Live sync: poll Accredo's change tracking and bring each change to HubSpot; serve the
    web app that takes HubSpot's webhooks.

    Several run processes may share one PostgreSQL state store (they share the queue; one polls
    at a time); on SQLite one runs at a time."""

    async def go() -> None:
        settings = load_settings()
        mapping = resolve_config(config)
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
                live = LiveSync(
                    conn.accredo,
                    conn.hubspot,
                    conn.store,
                    conn.config,
                    conn.clock,
                    metrics=conn.metrics,
                )

                def started() -> None:  # on SQLite, not before it holds the store
                    if sock is not None and not log_options.json:  # json: stderr is for logs
                        err_console.print(
                            f"live sync: polling every {mapping.sync.poll_interval_s:g} s as "
                            f"worker {live.worker.owner}, webhooks at {bound_url(sock)}"
                            f"{WEBHOOK_PATH} (Ctrl-C to stop)",
                            highlight=False,
                        )

                if sock is not None:
                    app = web_app(settings, conn, webhook_url=public_url)
                    group.create_task(serve(app, sock, stop))
                await live.run(stop, once=once, started=started)
                stop.set()  # the web app stops with the sync

    configure_logging("WARNING" if once else "INFO")
    run_command(go)


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
        latest = await _latest_delta_ids(settings) if settings.accredo else None
        table = Table(title="accredo-hubspot status", show_header=False)
        table.add_row("database", settings.database_url_display)
        table.add_row("linked debtors", str(state.links))
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
