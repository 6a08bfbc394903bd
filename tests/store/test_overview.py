"""``StateStore.overview``: what the status page reads, on SQLite and PostgreSQL; and a claim
saying when each record's change was first seen (the sync's latency)."""

from __future__ import annotations

from datetime import timedelta

from accredo_hubspot.store import (
    MATCH_FIELD,
    TO_ACCREDO,
    TO_HUBSPOT,
    AuditBatch,
    DeadLetter,
    QueueState,
    StateStore,
)
from tests.store.conftest import StepClock

CO = "company"


def test_an_empty_store_reads_as_nothing_waiting(timed_store: StateStore, clock: StepClock) -> None:
    view = timed_store.overview(clock.now - timedelta(minutes=1))
    assert view.queues == {TO_ACCREDO: QueueState(0, None), TO_HUBSPOT: QueueState(0, None)}
    assert view.last_sync == {}
    assert view.writes == {}
    assert (view.dead_letters, view.dead_letter_count) == ([], 0)
    assert (view.matches, view.match_count) == ([], 0)
    assert view.last_error is None


def test_the_queue_is_read_per_direction(timed_store: StateStore, clock: StepClock) -> None:
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["C1", "C2"], "accredo change")
    clock.advance(30)
    store.enqueue(TO_HUBSPOT, CO, ["C3"], "accredo change")
    store.enqueue(TO_ACCREDO, CO, ["C9"], "hubspot change")
    clock.advance(15)
    view = store.overview(clock.now)
    assert view.queues == {TO_HUBSPOT: QueueState(3, 45.0), TO_ACCREDO: QueueState(1, 15.0)}


def test_a_claim_says_when_each_change_was_first_seen(
    timed_store: StateStore, clock: StepClock
) -> None:
    store = timed_store
    first_seen = clock.now
    store.enqueue(TO_HUBSPOT, CO, ["C1"], "accredo change")
    clock.advance(20)
    store.enqueue(TO_HUBSPOT, CO, ["C1", "C2"], "accredo change")  # C1 coalesced
    entries = {e.key: e for e in store.claim("w", 10, 30.0)}
    assert entries["C1"].seen_at == first_seen
    assert entries["C2"].seen_at == first_seen + timedelta(seconds=20)


def test_last_sync_and_recent_writes_per_direction(
    timed_store: StateStore, clock: StepClock
) -> None:
    store = timed_store
    store.record_sync(
        CO,
        "hubspot",
        links={"C1": "101"},
        shadows={"C1": {"name": "Acme"}},
        audit=AuditBatch(clock.now, "hubspot", CO, "backfill", [("C1", "101", {})]),
    )
    synced = clock.now
    clock.advance(120)
    store.record_sync(
        CO,
        "hubspot",
        links={"C2": "102"},
        shadows={"C2": {"name": "Beta"}},
        audit=AuditBatch(clock.now, "hubspot", CO, "accredo change", [("C2", "102", {})]),
    )
    clock.advance(1)
    view = store.overview(clock.now - timedelta(minutes=1))
    assert view.last_sync == {TO_HUBSPOT: synced + timedelta(seconds=120)}
    assert view.writes == {"hubspot": 1}  # the backfill's write is older than a minute
    assert store.overview(synced).writes == {"hubspot": 2}


def test_ambiguous_matches_are_apart_from_the_dead_letters(
    timed_store: StateStore, clock: StepClock
) -> None:
    store = timed_store
    store.add_dead_letters(
        [
            DeadLetter(CO, "C1", "hubspot", "nzbn", "INVALID_OPTION: not a number"),
            DeadLetter(CO, "C2", "hubspot", MATCH_FIELD, "ambiguous match; candidates: 7, 8"),
            DeadLetter(CO, "C3", "hubspot", None, "missing in Accredo"),
            DeadLetter(CO, "C4", "hubspot", "name", "too long"),
        ]
    )
    store.set_last_error("HubSpotRateLimitError: daily limit")
    view = store.overview(clock.now, letters=1)
    assert [letter.record_key for letter in view.dead_letters] == ["C1"]  # the oldest, limit 1
    assert view.dead_letter_count == 3
    assert [letter.record_key for letter in view.matches] == ["C2"]
    assert view.match_count == 1
    assert view.last_error == "HubSpotRateLimitError: daily limit"
    store.resolve_dead_letters([view.matches[0].id])
    assert store.overview(clock.now).match_count == 0


def test_ping_answers(store: StateStore) -> None:
    store.ping()
