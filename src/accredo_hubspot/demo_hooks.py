"""The demo's fast paths, as a site with a public URL and Accredo's hint script has them:
HubSpot posts signed webhooks to the connector's web app, and the Accredo simulator plays the
push-hint script against it. This module wires the simulators to the web app's address and
tells, for each change the demo times, which path carried it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.mapping.subscriptions import webhooks_hsmeta
from accredo_hubspot.settings import Secret, Settings
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.polling import PollSchedule
from accredo_hubspot.web import HINT_PATH, WEBHOOK_PATH

#: The demo app's client secret (signs HubSpot's webhooks) and id (its own writes' sourceId).
CLIENT_SECRET = "demo-client-secret-of-the-hubspot-app"
APP_ID = "1234567"
#: The secret the Accredo simulator's hints carry (``ACCREDO_HUBSPOT_HINT_SECRET``).
HINT_SECRET = "demo-hint-secret-0123456789abcdef"
#: How long the HubSpot simulator gathers events before it posts them. HubSpot itself takes
#: up to a second or two; the demo says so where it starts the live sync.
WEBHOOK_WINDOW_MS = 250
#: How the audit log names a write's source when a webhook event brought it
#: (``sync.inbound.event_source``).
WEBHOOK_SOURCE = "webhook event "


class HooksDemoError(ConnectorError):
    """A simulator did not say what its hooks did."""


@dataclass(frozen=True)
class Hooks:
    """The simulators' flags that point their hooks at the web app at ``base_url``."""

    base_url: str
    hsmeta: Path

    @classmethod
    def write(cls, base_url: str, config: MappingConfig, work: Path) -> Hooks:
        """Write the subscriptions ``accredo-hubspot webhooks`` prints into ``work``."""
        hsmeta = work / "webhooks-hsmeta.json"
        document = webhooks_hsmeta(config, f"{base_url}{WEBHOOK_PATH}")
        hsmeta.write_text(json.dumps(document), encoding="utf-8")
        return cls(base_url, hsmeta)

    @property
    def accredo_args(self) -> list[str]:
        return [
            "--event-hook-url",
            f"{self.base_url}{HINT_PATH}",
            "--event-hook-secret",
            HINT_SECRET,
        ]

    @property
    def hubspot_args(self) -> list[str]:
        return [
            "--webhook-subscriptions",
            str(self.hsmeta),
            "--webhook-secret",
            CLIENT_SECRET,
            "--webhook-batch-window-ms",
            str(WEBHOOK_WINDOW_MS),
            "--app-id",
            APP_ID,
        ]


def with_hooks(settings: Settings) -> Settings:
    """``settings`` with the client secret, app id and hint secret ``run`` would be given."""
    hubspot = replace(
        settings.require_hubspot(), client_secret=Secret(CLIENT_SECRET), app_id=APP_ID
    )
    return replace(settings, hubspot=hubspot, hint_secret=Secret(HINT_SECRET))


async def hints_taken(http: httpx.AsyncClient, accredo_url: str) -> int:
    """Hints the Accredo simulator has posted that the web app accepted (answered 2xx)."""
    answer = await http.get(f"{accredo_url}/_sim/event-hook")
    if answer.status_code != 200:
        raise HooksDemoError(f"the Accredo simulator's event hook: {answer.status_code}")
    return int(answer.json()["sent"])


async def webhooks_taken(http: httpx.AsyncClient, hubspot_url: str) -> tuple[int, int]:
    """HubSpot's webhook deliveries the web app accepted (2xx), and those it did not."""
    answer = await http.get(f"{hubspot_url}/_sim/webhooks")
    if answer.status_code != 200:
        raise HooksDemoError(f"the HubSpot simulator's webhook log: {answer.status_code}")
    statuses = [d.get("status") for d in answer.json()["deliveries"]]
    accepted = sum(1 for s in statuses if s is not None and 200 <= s < 300)
    return accepted, len(statuses) - accepted


@dataclass(frozen=True)
class Mark:
    """Just before a change in Accredo: the hints accepted so far, and whether the poll was
    at its busy pace (then a hint brings nothing forward: ``sync.polling``)."""

    hints: int
    busy: bool


@dataclass
class HintWatch:
    """Says when Accredo was polled for each change the demo times: at the hint its save
    sent, in a busy stretch (polled as soon with or without one), or on the idle schedule."""

    http: httpx.AsyncClient
    accredo_url: str
    schedule: PollSchedule

    async def mark(self) -> Mark:
        return Mark(await hints_taken(self.http, self.accredo_url), self.schedule.busy)

    async def path(self, mark: Mark) -> str:
        """Once the change is visible: ``polled ...``."""
        intervals = self.schedule.intervals
        if mark.busy:
            return f"polled in a busy stretch, every {intervals.busy_s:g} s"
        if await hints_taken(self.http, self.accredo_url) > mark.hints:
            return "polled at Accredo's hint"
        return f"polled on schedule, every {intervals.idle_s:g} s"


async def inbound_path(store: AsyncStateStore, record_type: str, hubspot_id: str) -> str:
    """What brought a HubSpot record's newest write into Accredo: HubSpot's webhook or its
    search (the source the audit log gives the write)."""
    for entry in await store.list_audit(record_type, hubspot_id, limit=10):
        if entry.side == "accredo":
            webhook = (entry.source or "").startswith(WEBHOOK_SOURCE)
            return "HubSpot's webhook" if webhook else "HubSpot's search"
    raise HooksDemoError(f"no write into Accredo is audited for {record_type} {hubspot_id}")
