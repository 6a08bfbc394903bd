"""Everything the simulator keeps between requests: the portal, budgets, stats and faults."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from sims.hubspot.config import HubSpotSimConfig
from sims.hubspot.events import WriteSource
from sims.hubspot.ratelimit import DailyCounter, RollingWindow
from sims.hubspot.store import Portal
from sims.hubspot.webhooks import WebhookDispatcher

JsonDict = dict[str, Any]
UI_USER_ID = 9586504
"""The HubSpot user who makes ``/_sim/`` edits (the first default owner's userId)."""


@dataclass
class Stats:
    requests: int = 0
    writes: int = 0
    rate_limited: int = 0
    by_route: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> JsonDict:
        return asdict(self)


@dataclass
class Faults:
    error_rate: float = 0.0
    storm_429_rate: float = 0.0
    latency_ms: int = 0
    drop_rate: float = 0.0

    def to_json(self) -> JsonDict:
        return asdict(self)


class SimState:
    """The state behind ``app.state.sim``."""

    def __init__(self, config: HubSpotSimConfig) -> None:
        self.config = config
        self.portal = Portal(
            config.portal_id,
            config.app_id,
            config.indexing_delay_ms,
            config.max_unique_properties,
            config.indexing_jitter_ms,
        )
        self.webhooks = WebhookDispatcher(config)
        self.portal.listeners.append(self.webhooks.on_change)
        self.stats = Stats()
        self.faults = Faults(
            config.error_rate, config.storm_429_rate, config.latency_ms, config.drop_rate
        )
        self.rng = random.Random(config.seed)
        self.api_source = WriteSource.integration(config.app_id)
        self.ui_source = WriteSource.crm_ui(UI_USER_ID)
        self.reset_limits()

    def reset_limits(self) -> None:
        self.windows: dict[str, RollingWindow] = {}
        self.association_windows: dict[str, RollingWindow] = {}
        self.search_window = RollingWindow(
            self.config.search_rate_limit, self.config.search_window_s
        )
        self.daily = DailyCounter(self.config.daily_limit)

    def window(self, token: str) -> RollingWindow:
        if token not in self.windows:
            self.windows[token] = RollingWindow(self.config.rate_limit, self.config.rate_window_s)
        return self.windows[token]

    def association_window(self, token: str) -> RollingWindow:
        if token not in self.association_windows:
            self.association_windows[token] = RollingWindow(
                self.config.associations_rate_limit, self.config.rate_window_s
            )
        return self.association_windows[token]

    def reset(self) -> None:
        """A fresh portal: no records, default properties, limits and stats cleared."""
        self.portal.reset()
        self.webhooks.pending.clear()
        self.webhooks.deliveries.clear()
        self.stats = Stats()
        self.reset_limits()
