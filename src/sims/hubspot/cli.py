"""``hubspot-sim``: serve the HubSpot simulator with uvicorn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from sims.hubspot.app import create_app
from sims.hubspot.config import DEMO_TOKEN, TIERS, HubSpotSimConfig
from sims.hubspot.subscriptions import SubscriptionRefused, WebhookComponent, read_hsmeta

cli = typer.Typer(add_completion=False, help="A local HubSpot CRM API v3/v4 simulator.")

Opt = typer.Option


@cli.command()
def serve(
    host: Annotated[str, Opt("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, Opt("--port", help="TCP port.")] = 8082,
    token: Annotated[list[str] | None, Opt("--token", help="Accepted token (repeatable).")] = None,
    rate_limit: Annotated[int, Opt("--rate-limit", help="Per 10 s per token; 0 off.")] = 190,
    search_rate_limit: Annotated[
        int, Opt("--search-rate-limit", help="Searches per second; 0 off.")
    ] = 5,
    indexing_delay_ms: Annotated[
        int, Opt("--indexing-delay-ms", help="Least delay before a write shows in search.")
    ] = 2000,
    indexing_jitter_ms: Annotated[
        int,
        Opt("--indexing-jitter-ms", help="Up to this much more, at random, for each write."),
    ] = 3000,
    seed: Annotated[int | None, Opt("--seed", help="Seed demo data.")] = None,
    webhook_subscriptions: Annotated[
        Path | None,
        Opt(
            "--webhook-subscriptions",
            help="A project app's webhooks-hsmeta.json: only its active subscriptions are "
            "sent, to its targetUrl. Without it no webhook is sent.",
        ),
    ] = None,
    webhook_url: Annotated[
        str | None, Opt("--webhook-url", help="Target URL instead of the file's targetUrl.")
    ] = None,
    webhook_secret: Annotated[
        str | None, Opt("--webhook-secret", help="Client secret that signs webhooks.")
    ] = None,
    webhook_batch_window_ms: Annotated[
        int,
        Opt(
            "--webhook-batch-window-ms",
            min=0,
            max=1000,
            help="How long events gather after the first before a delivery is sent "
            "(0-1000: HubSpot flushes within a second, reference 11.3).",
        ),
    ] = 1000,
    app_id: Annotated[int, Opt("--app-id", help="App id (webhooks' sourceId).")] = 1234567,
    portal_id: Annotated[int, Opt("--portal-id", help="Portal (hub) id.")] = 99999999,
    error_rate: Annotated[float, Opt("--error-rate", help="Share of 5xx answers.")] = 0.0,
    storm_429_rate: Annotated[float, Opt("--storm-429-rate", help="Share of forced 429s.")] = 0.0,
    latency_ms: Annotated[int, Opt("--latency-ms", help="Added latency per request.")] = 0,
    drop_rate: Annotated[float, Opt("--drop-rate", help="Share of dropped connections.")] = 0.0,
    tier: Annotated[
        str,
        Opt(
            "--tier",
            help="Portal subscription: enterprise (custom objects) or professional "
            "(schema creation refused).",
        ),
    ] = "enterprise",
) -> None:
    """Serve the simulator until interrupted."""
    tokens = list(token) if token else [DEMO_TOKEN]
    if tier not in TIERS:
        raise typer.BadParameter(f"one of {', '.join(TIERS)}", param_hint="--tier")
    hooks = _webhook_component(webhook_subscriptions)
    config = HubSpotSimConfig(
        token=tokens,
        portal_id=portal_id,
        app_id=app_id,
        rate_limit=rate_limit,
        search_rate_limit=search_rate_limit,
        indexing_delay_ms=indexing_delay_ms,
        indexing_jitter_ms=indexing_jitter_ms,
        seed=seed,
        webhook_url=webhook_url or (hooks.target_url if hooks else None),
        webhook_secret=webhook_secret,
        webhook_subscriptions=hooks.subscriptions if hooks else [],
        webhook_max_concurrent=hooks.max_concurrent_requests if hooks else 10,
        webhook_batch_window_ms=webhook_batch_window_ms,
        error_rate=error_rate,
        storm_429_rate=storm_429_rate,
        latency_ms=latency_ms,
        drop_rate=drop_rate,
        tier=tier,
    )
    typer.echo(f"HubSpot simulator: http://{host}:{port}")
    typer.echo(f"Token: {tokens[0]}")
    typer.echo(f"Control surface: http://{host}:{port}/_sim/stats")
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


def _webhook_component(path: Path | None) -> WebhookComponent | None:
    """The subscriptions file, read as HubSpot reads it on upload; a refusal stops the start."""
    if path is None:
        return None
    try:
        return read_hsmeta(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:  # SubscriptionRefused and JSON errors included
        kind = "refused" if isinstance(exc, SubscriptionRefused) else "unreadable"
        raise typer.BadParameter(
            f"{path}: {kind}: {exc}", param_hint="--webhook-subscriptions"
        ) from exc


def main() -> None:
    cli()
