"""Webhook delivery (reference 11): batches, headers, v3 signatures, sources and retries."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hubspot.utils.signature import Signature
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sims.hubspot.app import create_app
from sims.hubspot.config import HubSpotSimConfig
from sims.hubspot.subscriptions import SubscriptionRefused, read_hsmeta
from sims.serve import serve_in_thread
from tests.conftest import wait_until

SECRET = "client-secret-for-tests"


class Receiver:
    """A webhook target that records each request and answers the next status in line."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.calls.append({"body": body, "headers": dict(request.headers)})
            status = self.statuses.pop(0) if self.statuses else 204
        return Response(status_code=status)

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [e for c in self.calls for e in json.loads(c["body"])]

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        """The events received, once there are ``count``."""
        wait_until(
            lambda: len(self.events()) >= count,
            lambda: f"{count} events, got {self.events()}",
            timeout_s=5,
            interval_s=0.02,
        )
        return self.events()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    target = Receiver()
    with serve_in_thread(target.app) as server:
        yield target, f"{server.url}/hook"


def _hooked(make_sim: Any, url: str, **more: Any) -> Any:
    settings = {
        "webhook_url": url,
        "webhook_secret": SECRET,
        "webhook_batch_window_ms": 50,
        "webhook_retry_delays_s": (0.05, 0.05, 0.05),
        **more,
    }
    return make_sim(**settings)


def test_events_are_signed_batched_and_sourced(make_sim: Any, receiver: Any) -> None:
    target, url = receiver
    subs = ["company.creation", "company.propertyChange:name"]
    with _hooked(make_sim, url, webhook_subscriptions=subs) as sim:
        made = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "a"}})
        company = made.json()["id"]
        sim.http.patch(f"/crm/v3/objects/companies/{company}", json={"properties": {"name": "b"}})
        sim.http.patch(f"/_sim/objects/companies/{company}", json={"properties": {"name": "c"}})
        events = target.wait_for(3)
    kinds = [(e["subscriptionType"], e.get("propertyName"), e["changeSource"]) for e in events]
    assert kinds == [
        ("company.creation", None, "INTEGRATION"),
        ("company.propertyChange", "name", "INTEGRATION"),
        ("company.propertyChange", "name", "CRM_UI"),
    ]
    first = events[0]
    assert first["objectId"] == int(company)
    assert first["sourceId"] == "1234567"
    assert first["appId"] == 1234567
    assert first["portalId"] == 99999999
    assert first["attemptNumber"] == 0
    assert isinstance(first["eventId"], int) and isinstance(first["subscriptionId"], int)
    assert events[1]["propertyValue"] == "b"
    assert events[2]["sourceId"].startswith("userId:")
    call = target.calls[0]
    headers = call["headers"]
    assert Signature.is_valid(
        headers["x-hubspot-signature-v3"],
        SECRET,
        call["body"].decode(),
        url,
        "POST",
        signature_version="v3",
        timestamp=headers["x-hubspot-request-timestamp"],
    )
    assert Signature.is_valid(
        headers["x-hubspot-signature"], SECRET, call["body"].decode(), signature_version="v1"
    )
    assert headers["x-hubspot-signature-version"] == "v1"


def test_batches_hold_at_most_100_events(make_sim: Any, receiver: Any) -> None:
    target, url = receiver
    subs = ["company.creation"]
    with _hooked(make_sim, url, webhook_batch_window_ms=300, webhook_subscriptions=subs) as sim:
        for chunk in range(2):
            inputs = [{"properties": {"name": f"{chunk}-{i}"}} for i in range(75)]
            answer = sim.http.post(
                "/crm/v3/objects/companies/batch/create", json={"inputs": inputs}
            )
            assert answer.status_code == 201
        target.wait_for(150)
    sizes = [len(json.loads(c["body"])) for c in target.calls]
    assert max(sizes) <= 100
    assert sum(sizes) == 150


def test_failed_delivery_is_retried_with_attempt_number(make_sim: Any, receiver: Any) -> None:
    target, url = receiver
    target.statuses = [500, 400]
    with _hooked(make_sim, url, webhook_subscriptions=["contact.creation"]) as sim:
        sim.http.post("/crm/v3/objects/contacts", json={"properties": {"email": "r@x.nz"}})
        events = target.wait_for(3)
        # The simulator logs a delivery once its answer is back, a moment after the receiver
        # has seen it.
        log = _deliveries_logged(sim, 3)
    assert [e["attemptNumber"] for e in events] == [0, 1, 2]
    assert len({e["eventId"] for e in events}) == 1
    assert [d["status"] for d in log["deliveries"]] == [500, 400, 204]


def _deliveries_logged(sim: Any, count: int) -> dict[str, Any]:
    """The simulator's delivery log once it holds ``count`` deliveries."""

    def log() -> dict[str, Any]:
        shown: dict[str, Any] = sim.http.get("/_sim/webhooks").json()
        return shown

    wait_until(lambda: len(log()["deliveries"]) >= count, f"{count} deliveries logged", timeout_s=5)
    return log()


def test_merge_association_and_deletion_events(make_sim: Any, receiver: Any) -> None:
    target, url = receiver
    subs = [
        f"{obj}.{event}"
        for obj in ("company", "contact")
        for event in ("creation", "deletion", "merge", "associationChange")
    ]
    with _hooked(make_sim, url, webhook_subscriptions=subs) as sim:
        ids = [
            sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": n}}).json()[
                "id"
            ]
            for n in ("p", "o")
        ]
        contact = sim.http.post(
            "/crm/v3/objects/contacts", json={"properties": {"email": "e@x.nz"}}
        )
        sim.http.put(
            f"/crm/v4/objects/contacts/{contact.json()['id']}/associations/default/companies/{ids[0]}"
        )
        sim.http.post(
            "/crm/v3/objects/companies/merge",
            json={"primaryObjectId": ids[0], "objectIdToMerge": ids[1]},
        )
        events = target.wait_for(8)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_type.setdefault(event["subscriptionType"], []).append(event)
    merge = by_type["company.merge"][0]
    assert merge["primaryObjectId"] == int(ids[0])
    assert merge["mergedObjectIds"] == [int(ids[1])]
    assert merge["newObjectId"] not in (int(ids[0]), int(ids[1]))
    assert {e["objectId"] for e in by_type["company.deletion"]} == {int(i) for i in ids}
    assoc = by_type["contact.associationChange"][0]
    assert assoc["associationType"] == "CONTACT_TO_COMPANY"
    assert assoc["associationRemoved"] is False
    assert by_type["company.associationChange"][0]["associationType"] == "COMPANY_TO_CONTACT"


def test_property_subscriptions_and_custom_objects(make_sim: Any, receiver: Any) -> None:
    target, url = receiver
    subs = ["company.propertyChange:phone", "object.creation"]
    with _hooked(make_sim, url, webhook_subscriptions=subs) as sim:
        schema = sim.http.post(
            "/crm-object-schemas/v3/schemas",
            json={
                "name": "accredo_order",
                "labels": {"singular": "Order", "plural": "Orders"},
                "requiredProperties": [],
                "properties": [{"name": "order_no", "label": "Order no"}],
                "associatedObjects": ["COMPANY"],
            },
        ).json()
        company = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "a"}})
        cid = company.json()["id"]
        sim.http.patch(
            f"/crm/v3/objects/companies/{cid}", json={"properties": {"name": "b", "phone": "9"}}
        )
        order = sim.http.post(
            "/crm/v3/objects/p_accredo_order", json={"properties": {"order_no": "SO1"}}
        )
        events = target.wait_for(2)
        time.sleep(0.15)
        events = target.events()
    assert [e["subscriptionType"] for e in events] == ["company.propertyChange", "object.creation"]
    assert events[0]["propertyName"] == "phone"
    assert events[1]["objectTypeId"] == schema["objectTypeId"]
    assert events[1]["objectId"] == int(order.json()["id"])


def test_gdpr_delete_and_restore_events(make_sim: Any, receiver: Any) -> None:
    target, url = receiver
    subs = ["contact.privacyDeletion", "contact.deletion", "contact.restore"]
    with _hooked(make_sim, url, webhook_subscriptions=subs) as sim:
        ids = [
            sim.http.post(
                "/crm/v3/objects/contacts", json={"properties": {"email": f"{n}@x.nz"}}
            ).json()["id"]
            for n in ("forget", "keep")
        ]
        sim.http.post("/crm/v3/objects/contacts/gdpr-delete", json={"objectId": ids[0]})
        sim.http.delete(f"/crm/v3/objects/contacts/{ids[1]}")
        sim.http.post(f"/_sim/objects/contacts/{ids[1]}/restore")
        events = target.wait_for(4)
    seen = [(e["subscriptionType"], str(e["objectId"]), e["changeSource"]) for e in events]
    assert seen == [
        ("contact.privacyDeletion", ids[0], "INTEGRATION"),
        ("contact.deletion", ids[0], "INTEGRATION"),
        ("contact.deletion", ids[1], "INTEGRATION"),
        ("contact.restore", ids[1], "CRM_UI"),
    ]


@pytest.mark.parametrize(
    "subscriptions",
    [
        ["company.propertyChange:hs_lastmodifieddate"],
        ["contact.propertyChange:num_unique_conversion_events"],
        [f"company.propertyChange:p{i}" for i in range(1001)],
    ],
)
def test_subscriptions_hubspot_would_refuse(subscriptions: list[str]) -> None:
    with pytest.raises(SubscriptionRefused):
        create_app(HubSpotSimConfig(webhook_subscriptions=subscriptions))


@pytest.mark.parametrize(
    "subscriptions",
    [
        ["company.propertyChange"],  # HubSpot needs the property (reference 11.2)
        ["company.creation:name"],
        ["company.creation@contact"],
        ["invoice.creation"],
        ["company.sneeze"],
    ],
)
def test_subscriptions_hubspot_does_not_offer(subscriptions: list[str]) -> None:
    with pytest.raises(SubscriptionRefused):
        create_app(HubSpotSimConfig(webhook_subscriptions=subscriptions))


def test_without_subscriptions_nothing_is_sent(make_sim: Any, receiver: Any) -> None:
    """Like HubSpot: an app with a target URL but no subscriptions gets no webhook."""
    target, url = receiver
    with _hooked(make_sim, url) as sim:
        made = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "a"}})
        sim.http.patch(f"/_sim/objects/companies/{made.json()['id']}", json={"properties": {}})
        sim.http.delete(f"/crm/v3/objects/companies/{made.json()['id']}")
        time.sleep(0.2)  # several batch windows: anything queued would have gone
        log = sim.http.get("/_sim/webhooks").json()
    assert target.calls == []
    assert (log["pending"], log["deliveries"], log["subscriptions"]) == (0, [], [])


def hsmeta(**subscriptions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uid": "webhooks",
        "type": "webhooks",
        "config": {
            "settings": {"targetUrl": "https://example.com/webhook", "maxConcurrentRequests": 8},
            "subscriptions": subscriptions,
        },
    }


def test_a_project_app_file_gives_its_active_subscriptions() -> None:
    """The documented example shape (reference 11.1): all three arrays; paused entries and
    entries without ``active`` (new subscriptions start paused) send nothing."""
    component = read_hsmeta(
        hsmeta(
            crmObjects=[
                {
                    "subscriptionType": "object.propertyChange",
                    "objectType": "contact",
                    "propertyName": "firstname",
                    "active": True,
                },
                {"subscriptionType": "object.creation", "objectType": "deal", "active": False},
            ],
            legacyCrmObjects=[
                {
                    "subscriptionType": "contact.propertyChange",
                    "propertyName": "lastname",
                    "active": True,
                },
                {"subscriptionType": "contact.deletion", "active": True},
                {"subscriptionType": "deal.deletion"},
            ],
            hubEvents=[{"subscriptionType": "contact.privacyDeletion", "active": True}],
        )
    )
    assert component.target_url == "https://example.com/webhook"
    assert component.max_concurrent_requests == 8
    assert component.subscriptions == [
        "object.propertyChange@contact:firstname",
        "contact.propertyChange:lastname",
        "contact.deletion",
        "contact.privacyDeletion",
    ]
    bare = read_hsmeta(hsmeta()["config"])  # webhooks.json of earlier project apps
    assert bare.subscriptions == []


@pytest.mark.parametrize(
    "document",
    [
        hsmeta(crmObjects=[{"subscriptionType": "object.creation", "active": True}]),
        hsmeta(
            crmObjects=[
                {"subscriptionType": "contact.creation", "objectType": "contact", "active": True}
            ]
        ),
        hsmeta(legacyCrmObjects=[{"subscriptionType": "contact.privacyDeletion", "active": True}]),
        hsmeta(legacyCrmObjects=[{"subscriptionType": "company.propertyChange", "active": True}]),
        hsmeta(hubEvents=[{"subscriptionType": "contact.creation", "active": True}]),
        hsmeta(legacyCrmObjects=[{"active": True}]),
        {**hsmeta(), "type": "app"},
        {"config": {"settings": {}, "subscriptions": {}}, "type": "webhooks"},
        {"settings": {"targetUrl": "ftp://x"}, "subscriptions": {}},
        {"settings": {"targetUrl": "https://x", "maxConcurrentRequests": 5}, "subscriptions": {}},
        [],
    ],
)
def test_a_file_hubspot_would_refuse_is_refused(document: Any) -> None:
    with pytest.raises(SubscriptionRefused):
        read_hsmeta(document)


def test_generic_subscriptions_name_their_object_type(make_sim: Any, receiver: Any) -> None:
    """``crmObjects`` entries: ``object.*`` events with ``objectTypeId`` for the named type."""
    target, url = receiver
    subs = ["object.propertyChange@contact:firstname", "object.creation@0-3"]
    with _hooked(make_sim, url, webhook_subscriptions=subs) as sim:
        contact = sim.http.post(
            "/crm/v3/objects/contacts", json={"properties": {"email": "g@x.nz"}}
        ).json()["id"]
        sim.http.patch(
            f"/crm/v3/objects/contacts/{contact}",
            json={"properties": {"firstname": "Aroha", "lastname": "Ngata"}},
        )
        deal = sim.http.post(
            "/crm/v3/objects/deals",
            json={"properties": {"dealname": "d", "dealstage": "appointmentscheduled"}},
        ).json()["id"]
        events = target.wait_for(2)
        time.sleep(0.15)
        events = target.events()
    seen = [(e["subscriptionType"], e["objectTypeId"], e.get("propertyName")) for e in events]
    assert seen == [
        ("object.propertyChange", "0-1", "firstname"),
        ("object.creation", "0-3", None),
    ]
    assert [e["objectId"] for e in events] == [int(contact), int(deal)]
