"""Settings of the Accredo Web Service simulator (one dataclass, shared by app, CLI and tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class CustomField:
    """A site's Table Designer field (name must start with ``Z_``), reference 10.1."""

    name: str
    type: str = "string"  # string | integer | number | boolean | date
    max_length: int | None = 30


def _default_custom_fields() -> dict[str, tuple[CustomField, ...]]:
    return {
        "ARCustomer": (
            CustomField("Z_HubSpotID", "string", 20),
            CustomField("Z_Industry", "string", 30),
            # mastered in HubSpot (issue 9): the lifecycle stage and the last activity date
            CustomField("Z_LifecycleStage", "string", 30),
            CustomField("Z_LastActivity", "date"),
        ),
        "ARContact": (CustomField("Z_HubSpotID", "string", 20),),
    }


@dataclass
class SimConfig:
    """Everything that shapes one simulator instance. Faults are all off by default."""

    seed: int = 1
    customers: int = 500
    company: str = "DEMO"
    edition: str = "saturn"
    client_id: str = "accredo-hubspot-demo"
    username: str = "SYNC"
    password: str = "sync-demo-password"
    token_lifetime_s: float = 3600
    refresh_token_lifetime_s: float = 24 * 3600
    absolute_token_expiry: bool = False
    create_refresh_tokens: bool = True
    session_limit: int = 200
    default_page_size: int = 100
    max_page_size: int = 2000
    #: the simulator's business date at start (None: today's date)
    start_date: date | None = None
    #: AR setting "clear Stop Credit when a receipt pays the balance" (reference 10.1)
    auto_clear_stop_credit: bool = False
    custom_fields: dict[str, tuple[CustomField, ...]] = field(
        default_factory=_default_custom_fields
    )
    # fault injection (reference 11 item 11), all off by default
    latency_ms: float = 0
    #: a POST is carried out, then its answer held back this long (a slow or lost answer)
    post_answer_delay_ms: float = 0
    error_rate: float = 0.0
    rate_limit_429_rate: float = 0.0
    drop_rate: float = 0.0
    early_token_expiry: float = 0.0
    max_requests_per_minute: int | None = None
    # the site's push-hint script (reference 9.5): after each save, POST a hint here
    event_hook_url: str | None = None
    event_hook_secret: str | None = None  # sent as Authorization: Bearer <secret>
