"""Record types and sides: links unique both ways within a type, shadows per side, the inbox,
the change feed's state, audit retention."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from accredo_hubspot.store import TO_HUBSPOT, AuditEntry, LinkConflictError, Side, StateStore

CO = "company"


def test_links_are_unique_both_ways_within_a_record_type(store: StateStore) -> None:
    store.put_links(CO, {"ACME": "101"}, via={"ACME": "nzbn"})
    store.put_links("contact", {"ACME": "101"})  # the same ids in another record type
    assert store.get_links(CO) == {"ACME": "101"} == store.get_links("contact")
    assert store.get_links_by_hubspot_id(CO, ["101", "999"]) == {"101": "ACME"}
    with pytest.raises(LinkConflictError):
        store.put_links(CO, {"BETA": "101"})
    assert store.link_count() == 2 and store.link_count(CO) == 1


def test_shadows_are_kept_per_side(store: StateStore) -> None:
    store.put_shadows("hubspot", CO, {"ACME": {"name": "Acme Ltd"}})
    store.put_shadows("accredo", CO, {"ACME": {"CustomerName": "ACME LTD"}})
    store.put_shadows("hubspot", "contact", {"ACME": {"email": "a@acme.nz"}})
    assert store.get_shadows("hubspot", CO) == {"ACME": {"name": "Acme Ltd"}}
    assert store.get_shadows("accredo", CO) == {"ACME": {"CustomerName": "ACME LTD"}}
    assert store.get_shadows("hubspot", "contact", ["ACME"]) == {"ACME": {"email": "a@acme.nz"}}


def test_a_record_s_shadow_is_one_row(store: StateStore) -> None:
    from sqlalchemy import func, select

    from accredo_hubspot.store import schema

    store.put_shadows("hubspot", CO, {"ACME": {f"p{n}": str(n) for n in range(30)}})
    store.put_shadows("hubspot", CO, {"ACME": {"p0": "zero"}})
    with store.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(schema.shadows)).scalar_one()
    assert rows == 1
    assert store.get_shadows("hubspot", CO)["ACME"]["p0"] == "zero"
    assert len(store.get_shadows("hubspot", CO)["ACME"]) == 30


def test_the_inbox_adds_each_event_once(store: StateStore) -> None:
    new = store.add_inbox("hubspot", {"e1": {"objectId": 1}, "e2": {"objectId": 2}})
    assert new == ["e1", "e2"]
    assert store.add_inbox("hubspot", {"e2": {"objectId": 2}, "e3": {"objectId": 3}}) == ["e3"]
    assert store.add_inbox("other", {"e1": {}}) == ["e1"]  # event ids are per source
    events = store.take_inbox("hubspot")
    assert [(e.event_id, e.payload) for e in events] == [
        ("e1", {"objectId": 1}),
        ("e2", {"objectId": 2}),
        ("e3", {"objectId": 3}),
    ]
    assert store.mark_inbox_processed([events[0].id, events[1].id, events[0].id]) == 2
    assert [e.event_id for e in store.take_inbox("hubspot")] == ["e3"]
    assert [e.event_id for e in store.take_inbox("other", limit=1)] == ["e1"]


def test_the_feed_state_moves_with_the_cursors(store: StateStore) -> None:
    assert store.get_feed_state("accredo") is None
    state = {"floor": {"ARDELTA": 4}, "seen": {"ARDELTA": [3, 4]}, "missing_entities": []}
    store.enqueue_and_advance(TO_HUBSPOT, CO, ["C1"], "delta", {"ARDELTA": 4}, {"accredo": state})
    assert store.get_feed_state("accredo") == state
    store.set_cursors({"ARDELTA": 5}, {"accredo": {**state, "missing_entities": ["X"]}})
    assert store.get_feed_state("accredo") == {**state, "missing_entities": ["X"]}
    assert store.get_cursors() == {"ARDELTA": 5}


def test_prune_audit_deletes_what_is_older(store: StateStore) -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    store.add_audit(
        [
            AuditEntry(t0 + timedelta(days=d), "hubspot", CO, f"C{d}", None, {"a": (None, "1")}, "")
            for d in range(5)
        ]
    )
    assert store.prune_audit(t0 + timedelta(days=2)) == 2
    assert sorted(e.record_key for e in store.list_audit()) == ["C2", "C3", "C4"]
    assert store.prune_audit(t0) == 0


def test_the_audit_s_time_is_found_by_id_on_a_longer_log(store: StateStore) -> None:
    """Retention and the status page's recent writes bisect the ids (no index on the time):
    right at every cut, on a log with gaps (pruned entries) and on one emptied."""
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    sides: list[Side] = ["accredo" if m % 3 == 2 else "hubspot" for m in range(300)]
    store.add_audit(
        [
            AuditEntry(t0 + timedelta(minutes=m), side, CO, f"C{m}", None, {}, "")
            for m, side in enumerate(sides)
        ]
    )

    def since(minute: int) -> dict[str, int]:
        return dict(Counter(sides[minute:]))

    kept = 0
    for cut in (37, 38, 101, 299, 300):
        assert store.prune_audit(t0 + timedelta(minutes=cut)) == cut - kept
        kept = cut
        for minute in (0, cut, cut + 1, 250, 299, 300):
            assert store.overview(t0 + timedelta(minutes=minute)).writes == since(max(minute, cut))
    assert store.list_audit() == []
