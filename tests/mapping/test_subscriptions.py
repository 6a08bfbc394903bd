"""The webhook subscriptions the mapping needs (``webhooks-hsmeta.json``), from the
configuration alone."""

from __future__ import annotations

import pytest

from accredo_hubspot.mapping.config import MappingConfigError, default_config_text, parse_config
from accredo_hubspot.mapping.subscriptions import webhooks_hsmeta

TARGET = "https://sync.example.co.nz/webhooks/hubspot"
HUBSPOT_MASTERED = """
[[company_fields]]
hubspot = "{name}"
accredo = "{field}"
master = "hubspot"
transform = "text"
"""


def config_with(*fields: tuple[str, str]) -> str:
    extra = "".join(HUBSPOT_MASTERED.format(name=n, field=f) for n, f in fields)
    return default_config_text() + extra


def subscriptions(text: str) -> list[tuple[str, str | None]]:
    document = webhooks_hsmeta(parse_config(text, "test.toml"), TARGET)
    subs = document["config"]["subscriptions"]
    assert subs["crmObjects"] == []
    entries = subs["legacyCrmObjects"] + subs["hubEvents"]
    assert all(entry["active"] is True for entry in entries)  # else deployed paused
    return [(e["subscriptionType"], e.get("propertyName")) for e in entries]


CONTACT_PROPERTIES = ("email", "firstname", "jobtitle", "lastname", "mobilephone", "phone")


def test_the_default_mapping_needs_record_events_and_the_contact_properties() -> None:
    """The default masters the company's owner in HubSpot (its one company propertyChange)
    and every mapped contact field (one contact propertyChange each), and acts on a deal's
    stage."""
    document = webhooks_hsmeta(parse_config(default_config_text(), "default"), TARGET)
    assert (document["type"], document["config"]["settings"]) == (
        "webhooks",
        {"targetUrl": TARGET, "maxConcurrentRequests": 10},
    )
    found = subscriptions(default_config_text())
    changes = [s for s in found if s[0].endswith("propertyChange")]
    assert changes == [
        ("company.propertyChange", "hubspot_owner_id"),
        *[("contact.propertyChange", name) for name in CONTACT_PROPERTIES],
        ("deal.propertyChange", "dealstage"),  # a deal won: its memo on the debtor
    ]
    for obj in ("company", "contact", "deal"):
        for event in ("creation", "deletion", "merge", "restore", "associationChange"):
            assert (f"{obj}.{event}", None) in found
    assert ("contact.privacyDeletion", None) in found
    assert len(found) == len(set(found)) == 18 + len(CONTACT_PROPERTIES)


def test_one_property_change_per_hubspot_mastered_field() -> None:
    found = subscriptions(config_with(("industry", "Category1"), ("type", "Category2")))
    changes = [s for s in found if s[0].startswith("company.propertyChange")]
    assert changes == [
        ("company.propertyChange", name) for name in ("hubspot_owner_id", "industry", "type")
    ]


def test_a_field_hubspot_sends_no_webhook_for_is_named() -> None:
    with pytest.raises(MappingConfigError, match="hs_lastmodifieddate"):
        subscriptions(config_with(("hs_lastmodifieddate", "Category1")))
