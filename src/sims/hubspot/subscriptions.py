"""Webhook subscriptions, as a project app declares them in ``webhooks-hsmeta.json``
(reference 11.1) or, in tests, as short strings.

Like HubSpot, the simulator sends only subscribed events: a ``propertyChange`` only for the
property its subscription names, nothing for a paused (``active: false``) subscription, and
nothing at all without subscriptions. The short form is ``TYPE[@OBJECT][:PROPERTY]``:
``company.creation``, ``company.propertyChange:industry``, ``contact.privacyDeletion``,
``object.creation`` (any custom object) or ``object.propertyChange@contact:firstname`` (a
``crmObjects`` entry: generic events for the named object type).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sims.hubspot.portal import ObjectType

MAX_SUBSCRIPTIONS = 1000
UNSUBSCRIBABLE = frozenset({"hs_lastmodifieddate", "num_unique_conversion_events"})
"""Properties no ``propertyChange`` subscription may name (reference 11.2)."""
FIRST_SUBSCRIPTION_ID = 1000
OBJECT_EVENTS = frozenset(
    {"creation", "deletion", "propertyChange", "associationChange", "merge", "restore"}
)
"""The CRM object events of reference 11.2 (``product`` has no associationChange)."""
OBJECT_PREFIXES = frozenset({"company", "contact", "deal", "ticket", "line_item", "product"})
GENERIC_PREFIX = "object"
HUB_EVENTS = frozenset({"contact.privacyDeletion"})
"""Classic types that are not object events and go in ``hubEvents`` (conversations are not
simulated)."""


class SubscriptionRefused(ValueError):
    """A subscription HubSpot would not create (reference 11.1, 11.2)."""


@dataclass(frozen=True)
class Subscription:
    """One active subscription: which events of which objects (and, for a property change,
    which property) are sent."""

    id: int
    object_prefix: str
    event: str
    property_name: str | None
    object_type: str | None = None
    """For ``object.*``: the object type named (any custom object when None)."""

    @property
    def subscription_type(self) -> str:
        return f"{self.object_prefix}.{self.event}"

    @property
    def is_generic(self) -> bool:
        return self.object_prefix == GENERIC_PREFIX

    @staticmethod
    def parse(index: int, text: str) -> Subscription:
        kind, _, prop = text.partition(":")
        kind, _, object_type = kind.partition("@")
        prefix, _, event = kind.partition(".")
        if kind not in HUB_EVENTS and not (
            event in OBJECT_EVENTS and (prefix in OBJECT_PREFIXES or prefix == GENERIC_PREFIX)
        ):
            raise SubscriptionRefused(f"{text}: not a subscription type HubSpot offers")
        if object_type and prefix != GENERIC_PREFIX:
            raise SubscriptionRefused(f"{text}: only object.* subscriptions name an objectType")
        if event == "propertyChange" and not prop:
            raise SubscriptionRefused(f"{text}: a propertyChange subscription needs propertyName")
        if prop and event != "propertyChange":
            raise SubscriptionRefused(f"{text}: only propertyChange takes a propertyName")
        if prop in UNSUBSCRIBABLE:
            raise SubscriptionRefused(f"{text}: HubSpot does not allow subscribing to {prop}")
        return Subscription(
            FIRST_SUBSCRIPTION_ID + index, prefix, event, prop or None, object_type or None
        )

    def covers(self, kind: str, object_type: ObjectType, property_name: str | None) -> bool:
        """Whether a change of this kind, to this object type (and property), is sent."""
        if kind != self.event:
            return False
        if self.property_name is not None and self.property_name != property_name:
            return False
        if not self.is_generic:
            return object_type.webhook_prefix == self.object_prefix
        if self.object_type is None:
            return object_type.is_custom
        names = {object_type.type_id, object_type.name, object_type.plural}
        if object_type.fully_qualified_name:
            names.add(object_type.fully_qualified_name)
        return self.object_type in names


def parse_subscriptions(texts: list[str]) -> list[Subscription]:
    if len(texts) > MAX_SUBSCRIPTIONS:
        raise SubscriptionRefused(
            f"{len(texts)} subscriptions: an app has at most {MAX_SUBSCRIPTIONS}"
        )
    return [Subscription.parse(i, s) for i, s in enumerate(texts)]


@dataclass(frozen=True)
class WebhookComponent:
    """What a ``webhooks-hsmeta.json`` declares: the target, the concurrency cap and the
    active subscriptions in short form."""

    target_url: str
    max_concurrent_requests: int
    subscriptions: list[str]


def read_hsmeta(document: Any) -> WebhookComponent:
    """A project app's webhook component: ``{"uid", "type": "webhooks", "config": {...}}``
    (developer platform 2025.2), or its ``config`` alone (``webhooks.json`` of earlier project
    apps). Raises ``SubscriptionRefused`` where HubSpot's upload would fail."""
    if not isinstance(document, dict):
        raise SubscriptionRefused("the webhooks file is not a JSON object")
    if "config" in document:
        if document.get("type") != "webhooks":
            raise SubscriptionRefused('the component\'s "type" must be "webhooks"')
        document = document["config"]
    settings, subscriptions = document.get("settings"), document.get("subscriptions")
    if not isinstance(settings, dict) or not isinstance(subscriptions, dict):
        raise SubscriptionRefused('a webhooks file needs "settings" and "subscriptions" objects')
    target = settings.get("targetUrl")
    if not isinstance(target, str) or not target.startswith(("http://", "https://")):
        raise SubscriptionRefused("settings.targetUrl must be an http(s) URL")
    concurrency = settings.get("maxConcurrentRequests", 10)
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency <= 5:
        raise SubscriptionRefused("settings.maxConcurrentRequests must be a number above five")
    texts: list[str] = []
    for group in ("crmObjects", "legacyCrmObjects", "hubEvents"):
        entries = subscriptions.get(group, [])
        if not isinstance(entries, list):
            raise SubscriptionRefused(f"subscriptions.{group} must be an array")
        texts.extend(_short_form(group, entry) for entry in entries if _active(group, entry))
    parse_subscriptions(texts)  # refused here as at start
    return WebhookComponent(target, concurrency, texts)


def _active(group: str, entry: Any) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("subscriptionType"), str):
        raise SubscriptionRefused(f"subscriptions.{group}: each entry needs a subscriptionType")
    return entry.get("active", False) is True  # new subscriptions start paused (11.1)


def _short_form(group: str, entry: dict[str, Any]) -> str:
    kind: str = entry["subscriptionType"]
    prefix = kind.partition(".")[0]
    if group == "crmObjects":
        object_type = entry.get("objectType")
        if prefix != GENERIC_PREFIX or not isinstance(object_type, str) or not object_type:
            raise SubscriptionRefused(f"crmObjects: {kind} needs object.* and an objectType")
        kind = f"{kind}@{object_type}"
    elif group == "legacyCrmObjects" and (prefix == GENERIC_PREFIX or kind in HUB_EVENTS):
        raise SubscriptionRefused(f"legacyCrmObjects: {kind} belongs in another array")
    elif group == "hubEvents" and kind not in HUB_EVENTS:
        raise SubscriptionRefused(f"hubEvents: {kind} is not a hub event")
    prop = entry.get("propertyName")
    return f"{kind}:{prop}" if prop else kind
