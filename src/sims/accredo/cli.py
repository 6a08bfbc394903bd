"""``accredo-sim``: run the Accredo Web Service simulator on a local port."""

from __future__ import annotations

import time

import typer
import uvicorn

from sims.accredo.app import create_app
from sims.accredo.config import SimConfig

cli = typer.Typer(add_completion=False, help="Accredo Web Service simulator.")
_DEFAULTS = SimConfig()


@cli.command()
def run(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8081, help="Port to listen on."),
    seed: int = typer.Option(1, help="Seed of the generated company data."),
    customers: int = typer.Option(500, help="Number of debtors to generate."),
    company: str = typer.Option("DEMO", help="Company code in the URLs."),
    client_id: str = typer.Option(_DEFAULTS.client_id, help="Registered web client id."),
    username: str = typer.Option(_DEFAULTS.username, help="Accredo user code."),
    password: str = typer.Option(_DEFAULTS.password, help="That user's password."),
    token_lifetime_s: float = typer.Option(3600, help="Access token idle lifetime (seconds)."),
    absolute_token_expiry: bool = typer.Option(
        False, help="Expire tokens after the lifetime even when in use."
    ),
    page_size: int = typer.Option(100, help="Default records per response."),
    max_page_size: int = typer.Option(2000, help="Maximum records per response."),
    latency_ms: float = typer.Option(0, help="Fault: added latency per request (ms)."),
    error_rate: float = typer.Option(0.0, help="Fault: fraction of 500/503 answers."),
    rate_limit_429_rate: float = typer.Option(0.0, help="Fault: fraction of 429 answers."),
    drop_rate: float = typer.Option(0.0, help="Fault: fraction of dropped connections."),
    early_token_expiry: float = typer.Option(
        0.0, help="Fault: fraction of requests whose token expires early."
    ),
    max_requests_per_minute: int = typer.Option(
        0, help="Rate limit: requests per minute (0 = no limit)."
    ),
    event_hook_url: str | None = typer.Option(
        None,
        help="Play the site's push-hint script: POST a hint here after each save "
        "(e.g. http://127.0.0.1:8400/hooks/accredo).",
    ),
    event_hook_secret: str | None = typer.Option(
        None, help="The hint's shared secret, sent as 'Authorization: Bearer <secret>'."
    ),
) -> None:
    """Serve the simulator until interrupted."""
    config = SimConfig(
        seed=seed,
        customers=customers,
        company=company,
        client_id=client_id,
        username=username,
        password=password,
        token_lifetime_s=token_lifetime_s,
        absolute_token_expiry=absolute_token_expiry,
        default_page_size=page_size,
        max_page_size=max_page_size,
        latency_ms=latency_ms,
        error_rate=error_rate,
        rate_limit_429_rate=rate_limit_429_rate,
        drop_rate=drop_rate,
        early_token_expiry=early_token_expiry,
        max_requests_per_minute=max_requests_per_minute or None,
        event_hook_url=event_hook_url,
        event_hook_secret=event_hook_secret,
    )
    started = time.monotonic()
    app = create_app(config)
    sim = app.state.sim
    base = f"http://{host}:{port}/{config.edition}"
    typer.echo(f"Accredo Web Service simulator ({config.customers} customers, seed {seed},")
    typer.echo(f"  built in {time.monotonic() - started:.1f} s, business date {sim.clock})")
    typer.echo(f"  base URL:  {base}")
    typer.echo(f"  company:   {config.company}")
    typer.echo(f"  data:      {base}/odata4/v1/Company('{config.company}')/ARCustomer")
    typer.echo(f"  token:     POST {base}/oauth2/v1/token")
    typer.echo(
        f"  demo credentials: client_id={config.client_id} username={config.username} "
        f"password={config.password}"
    )
    typer.echo(f"  controls:  http://{host}:{port}/_sim/ (reset, clock, post, tracking, faults)")
    if event_hook_url is not None:
        typer.echo(f"  hints:     POST {event_hook_url} after each save")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
