"""Settings of one simulated HubSpot portal.

Defaults follow HubSpot's published numbers for a Professional portal with a legacy private app
(reference ``hubspot-api.md`` section 3); every limit can be turned off with 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
"""The documented demo token: it looks like a real private-app token and is accepted by default."""

TIERS = ("enterprise", "professional")
"""Portal subscriptions the simulator tells apart (only custom objects differ so far)."""

WEBHOOK_RETRY_DELAYS_S: tuple[float, ...] = (
    60.0,
    300.0,
    900.0,
    1800.0,
    3600.0,
    7200.0,
    10800.0,
    14400.0,
    21600.0,
    25200.0,
)
"""Ten retries spread over about 24 hours (reference 11.4: "up to 10 times, spread over the next
24 hours"; the exact spacing is [assumed]). Tests pass short delays instead."""


@dataclass
class HubSpotSimConfig:
    """Everything that can be configured on the HubSpot simulator."""

    token: str | list[str] = DEMO_TOKEN
    token_scopes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Tokens granted only these scopes (reference 1); a token not named here has them all.
    Each is accepted, as ``token`` is."""
    portal_id: int = 99999999
    app_id: int = 1234567
    rate_limit: int = 190
    """Requests per rolling window per token (private app, Professional); 0 turns it off."""
    rate_window_s: float = 10.0
    """Length of the rolling window; HubSpot's is 10 s, tests shorten it."""
    daily_limit: int = 625_000
    search_rate_limit: int = 5
    """Search requests per second per portal; 0 turns it off."""
    search_window_s: float = 1.0
    associations_rate_limit: int = 150
    """Associations v4 requests per rolling window (Pro/Enterprise); 0 turns it off."""
    indexing_delay_ms: int = 2000
    indexing_jitter_ms: int = 3000
    """A new or changed record shows up in search after ``indexing_delay_ms`` plus up to
    ``indexing_jitter_ms`` (each write its own lag, so records written in one order may show
    in another): 2 to 5 s by default (reference 5, "Consistency")."""
    seed: int | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_subscriptions: list[str] = field(default_factory=list)
    """Short forms (``sims.hubspot.subscriptions``); none by default, so nothing is sent."""
    webhook_batch_window_ms: int = 1000
    webhook_retry_delays_s: tuple[float, ...] = WEBHOOK_RETRY_DELAYS_S
    webhook_timeout_s: float = 5.0
    webhook_max_concurrent: int = 10
    error_rate: float = 0.0
    """Share of API requests answered with a 5xx."""
    storm_429_rate: float = 0.0
    """Share of API requests answered with a ten-secondly 429 although the budget is not spent."""
    latency_ms: int = 0
    drop_rate: float = 0.0
    """Share of API requests whose connection is dropped before an answer."""
    max_unique_properties: int = 10
    max_custom_objects: int = 10
    """Custom object types an Enterprise portal may define (reference 7: "commonly cited as
    10", a simulator setting [assumed]); 0 means no limit."""
    max_uri_chars: int = 8192
    """Longest request URI (path and query) answered; a longer one is a 414 (reference 2.5:
    too many ``properties=``). HubSpot's limit is not documented: 8,192 is [assumed]."""
    tier: str = "enterprise"
    """The portal's subscription: ``enterprise`` has custom objects; ``professional`` refuses
    schema creation (reference 7: custom objects are Enterprise-only)."""

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise ValueError(f"tier must be one of {', '.join(TIERS)}, not {self.tier!r}")

    @property
    def custom_objects(self) -> bool:
        """Whether this portal may create custom object schemas."""
        return self.tier == "enterprise"

    @property
    def tokens(self) -> frozenset[str]:
        """All accepted bearer tokens."""
        named = [self.token] if isinstance(self.token, str) else self.token
        return frozenset([*named, *self.token_scopes])

    def grants(self, token: str, scope: str) -> bool:
        """Whether ``token`` was granted ``scope``."""
        limited = self.token_scopes.get(token)
        return limited is None or scope in limited
