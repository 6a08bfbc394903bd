"""Inbox events into queued records, and a feed's work of several record types queued with
its cursors: each in one transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from accredo_hubspot.store import TO_ACCREDO, TO_HUBSPOT, InboxEvent, StateStore
from tests.store.conftest import queued


def by_object(events: Sequence[InboxEvent]) -> Mapping[str, Mapping[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for event in events:
        out.setdefault(event.payload["type"], {})[str(event.payload["id"])] = event.event_id
    return out


def test_inbox_events_become_queued_records_and_are_marked_processed(store: StateStore) -> None:
    store.add_inbox(
        "hubspot",
        {
            "e1": {"type": "contact", "id": 1},
            "e2": {"type": "contact", "id": 2},
            "e3": {"type": "company", "id": 9},
            "e4": {"type": "contact", "id": 1},  # a second change of contact 1
        },
    )
    # Four events, three records: contact 1 is queued once.
    assert store.queue_inbox("hubspot", TO_ACCREDO, by_object, "hubspot webhook") == (4, 3)
    assert store.take_inbox("hubspot") == []
    assert sorted(queued(store, TO_ACCREDO, "contact")) == ["1", "2"]
    assert queued(store, TO_ACCREDO, "company") == ["9"]
    (company,) = store.claim("me", 10, 60, direction=TO_ACCREDO, record_type="company")
    assert company.source == "e3"  # the event behind it, for the audit entry
    assert store.queue_inbox("hubspot", TO_ACCREDO, by_object, "hubspot webhook") == (0, 0)


def test_a_failing_plan_leaves_the_events_unprocessed_and_nothing_queued(
    store: StateStore,
) -> None:
    store.add_inbox("hubspot", {"e1": {"type": "contact", "id": 1}})

    def broken(events: Sequence[InboxEvent]) -> Mapping[str, Mapping[str, str]]:
        raise RuntimeError("plan failed")

    with pytest.raises(RuntimeError):
        store.queue_inbox("hubspot", TO_ACCREDO, broken, "hubspot webhook")
    assert [e.event_id for e in store.take_inbox("hubspot")] == ["e1"]
    assert store.queue_depth() == 0


def test_inbox_events_are_taken_in_batches(store: StateStore) -> None:
    store.add_inbox("hubspot", {f"e{n}": {"type": "contact", "id": n} for n in range(5)})
    assert store.queue_inbox("hubspot", TO_ACCREDO, by_object, "w", limit=3) == (3, 3)
    assert store.queue_inbox("hubspot", TO_ACCREDO, by_object, "w", limit=3) == (2, 2)


def test_a_feed_queues_records_of_several_types_with_its_cursors(store: StateStore) -> None:
    store.enqueue_and_advance(
        TO_HUBSPOT,
        "company",
        ["ACME"],
        "accredo change",
        {"ARDELTA": 42},
        {"accredo": {"window": []}},
        also={"contact": ["7", "8"], "deal": []},
    )
    assert queued(store, TO_HUBSPOT, "company") == ["ACME"]
    assert sorted(queued(store, TO_HUBSPOT, "contact")) == ["7", "8"]
    assert store.get_cursors() == {"ARDELTA": 42}
