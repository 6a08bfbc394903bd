"""The webhook subscriptions the mapping needs, as a HubSpot project app declares them
(``webhooks-hsmeta.json``, reference 11.1), so a user deploys exactly what the sync reads.

Pure: read from the configuration alone. HubSpot sends only subscribed events, and a
``propertyChange`` only for the property its subscription names (reference 11.2), so the file
holds one ``propertyChange`` per field HubSpot masters, and the record events (creation,
deletion, merge, restore, association changes) of the objects the sync follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accredo_hubspot.mapping.config import MappingConfig, MappingConfigError

#: HubSpot objects whose records the sync follows (issue 9: companies, contacts, deals).
FOLLOWED_OBJECTS = ("company", "contact", "deal")
#: Record events of each followed object: a record appears, goes, merges into another, comes
#: back (same id) or changes its associations.
RECORD_EVENTS = ("creation", "deletion", "merge", "restore", "associationChange")
#: Events outside the object events, in ``hubEvents``: a GDPR delete drops a contact's data.
HUB_EVENTS = ("contact.privacyDeletion",)
#: Deal properties the sync acts on: a deal reaching a closed-won stage (its memo on the debtor).
DEAL_PROPERTIES = ("dealstage",)
#: Properties HubSpot refuses a subscription to (reference 11.2).
UNSUBSCRIBABLE = frozenset({"hs_lastmodifieddate", "num_unique_conversion_events"})
MAX_SUBSCRIPTIONS = 1000
#: The default concurrency cap (reference 11.4; it must be above five).
MAX_CONCURRENT_REQUESTS = 10
COMPONENT_UID = "accredo_hubspot_webhooks"


@dataclass(frozen=True, order=True)
class Subscription:
    """``company.propertyChange`` of ``industry``, or ``deal.creation`` (no property)."""

    subscription_type: str
    property_name: str | None = None

    def entry(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subscriptionType": self.subscription_type}
        if self.property_name is not None:
            out["propertyName"] = self.property_name
        out["active"] = True  # new subscriptions otherwise start paused (reference 11.1)
        return out


def property_subscriptions(config: MappingConfig) -> list[Subscription]:
    """One ``propertyChange`` per HubSpot-mastered company and contact property, in name
    order (companies first), then the deal properties the sync acts on."""
    mastered = {
        ("company", "company_fields"): [r.hubspot for r in config.company_rules("hubspot")],
        ("contact", "contact_fields"): [r.hubspot for r in config.contact_fields],
    }
    subscriptions = []
    for (kind, section), names in mastered.items():
        for name in sorted(set(names)):
            if name in UNSUBSCRIBABLE:
                raise MappingConfigError(
                    f"{config.source}: {section}: {name} is mastered in HubSpot, but HubSpot "
                    "sends no webhook for it; choose another property"
                )
            subscriptions.append(Subscription(f"{kind}.propertyChange", name))
    subscriptions += [Subscription("deal.propertyChange", name) for name in DEAL_PROPERTIES]
    return subscriptions


def record_subscriptions() -> list[Subscription]:
    """The record events of every followed object."""
    return [Subscription(f"{obj}.{event}") for obj in FOLLOWED_OBJECTS for event in RECORD_EVENTS]


def webhooks_hsmeta(config: MappingConfig, target_url: str) -> dict[str, Any]:
    """The ``webhooks-hsmeta.json`` component of a project app (developer platform 2025.2)."""
    legacy = [*record_subscriptions(), *property_subscriptions(config)]
    hub = [Subscription(kind) for kind in HUB_EVENTS]
    if len(legacy) + len(hub) > MAX_SUBSCRIPTIONS:
        raise MappingConfigError(
            f"{config.source}: the mapping needs {len(legacy) + len(hub)} webhook "
            f"subscriptions; a HubSpot app may have at most {MAX_SUBSCRIPTIONS}"
        )
    return {
        "uid": COMPONENT_UID,
        "type": "webhooks",
        "config": {
            "settings": {
                "targetUrl": target_url,
                "maxConcurrentRequests": MAX_CONCURRENT_REQUESTS,
            },
            "subscriptions": {
                "crmObjects": [],
                "legacyCrmObjects": [s.entry() for s in legacy],
                "hubEvents": [s.entry() for s in hub],
            },
        },
    }
