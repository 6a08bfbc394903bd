"""The work queue shared by workers: claims with an owner and a lease, completion, release."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from accredo_hubspot.store import (
    TO_ACCREDO,
    TO_HUBSPOT,
    AuditEntry,
    DeadLetter,
    QueueEntry,
    StateStore,
)
from tests.store.conftest import StepClock, queued

CO = "company"
AT = datetime(2026, 3, 1, tzinfo=UTC)


def _keys(entries: list[QueueEntry]) -> list[str]:
    return [entry.key for entry in entries]


def test_entries_name_direction_and_record_type(timed_store: StateStore) -> None:
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["C1"], "delta")
    store.enqueue(TO_ACCREDO, CO, ["C1"], "webhook")  # the same record, the other way
    store.enqueue(TO_HUBSPOT, "contact", ["C1"], "delta")
    assert store.queue_depth() == 3
    assert store.claim("w1", 10, 30) == [
        QueueEntry(TO_HUBSPOT, CO, "C1"),
        QueueEntry(TO_ACCREDO, CO, "C1"),
        QueueEntry(TO_HUBSPOT, "contact", "C1"),
    ]
    assert store.claim("w2", 10, 30, direction=TO_ACCREDO) == []  # w1's, lease running
    with pytest.raises(ValueError, match="direction"):
        QueueEntry("sideways", CO, "C1")  # type: ignore[arg-type]


def test_a_claim_skips_what_another_worker_holds(timed_store: StateStore) -> None:
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["C1", "C2", "C3"], "delta")
    assert _keys(store.claim("w1", 2, 30)) == ["C1", "C2"]
    assert _keys(store.claim("w2", 10, 30)) == ["C3"]
    assert store.claim("w3", 10, 30) == []
    assert _keys(store.claim("w1", 10, 30)) == ["C1", "C2"]  # a worker re-claims its own


def test_an_expired_lease_is_taken_over(timed_store: StateStore, clock: StepClock) -> None:
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["C1"], "delta")
    (entry,) = store.claim("w1", 10, 30)
    clock.advance(29)
    assert store.claim("w2", 10, 30) == []
    clock.advance(2)
    assert store.claim("w2", 10, 30) == [entry]
    store.complete("w1", [entry])  # the late worker's completion does not take w2's claim
    assert store.queue_depth() == 1
    store.complete("w2", [entry])
    assert store.queue_depth() == 0


def test_a_change_during_the_work_is_released_not_lost(timed_store: StateStore) -> None:
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["C1", "C2"], "delta")
    claimed = store.claim("w1", 10, 30)
    store.enqueue(TO_HUBSPOT, CO, ["C1"], "delta")
    store.complete("w1", claimed)
    assert _keys(store.claim("w2", 10, 30)) == ["C1"]  # free at once, for any worker


def test_release_gives_entries_back(timed_store: StateStore) -> None:
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["C1", "C2"], "delta")
    claimed = store.claim("w1", 10, 3600)
    store.release("w2", claimed)  # not w2's to give
    assert store.claim("w2", 10, 30) == []
    store.release("w1", claimed)
    assert store.claim("w2", 10, 30) == claimed
    assert store.queue_depth() == 2


def test_record_sync_completes_the_entries_of_its_direction_only(timed_store: StateStore) -> None:
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["C1"], "delta")
    store.enqueue(TO_ACCREDO, CO, ["C1"], "webhook")
    assert store.claim("w1", 10, 30, direction=TO_HUBSPOT, record_type=CO) == [
        QueueEntry(TO_HUBSPOT, CO, "C1")
    ]
    store.record_sync(CO, "hubspot", links={}, shadows={}, audit=[], completed=["C1"], owner="w1")
    assert store.claim("w2", 10, 30) == [QueueEntry(TO_ACCREDO, CO, "C1")]


def test_sqlite_says_one_worker(sqlite_url: str) -> None:
    with StateStore.open(sqlite_url) as store:
        assert store.supports_several_workers is False


@pytest.mark.postgres
def test_postgresql_says_several_workers(postgres_url: str) -> None:
    with StateStore.open(postgres_url) as store:
        assert store.supports_several_workers is True


# -- leader leases ----------------------------------------------------------------------------


def test_one_owner_holds_a_lease_until_it_lapses(timed_store: StateStore, clock: StepClock) -> None:
    store = timed_store
    assert store.acquire_lease("poll:accredo", "p1", 10)
    assert not store.acquire_lease("poll:accredo", "p2", 10)
    assert store.acquire_lease("poll:hubspot", "p2", 10)  # another source: another lease
    clock.advance(8)
    assert store.acquire_lease("poll:accredo", "p1", 10)  # renewed: now until t+18
    clock.advance(8)
    assert not store.acquire_lease("poll:accredo", "p2", 10)
    clock.advance(3)
    assert store.acquire_lease("poll:accredo", "p2", 10)  # lapsed: taken over
    assert not store.acquire_lease("poll:accredo", "p1", 10)
    store.release_lease("poll:accredo", "p1")  # not p1's: nothing happens
    assert not store.acquire_lease("poll:accredo", "p1", 10)
    store.release_lease("poll:accredo", "p2")
    assert store.acquire_lease("poll:accredo", "p1", 10)


def test_a_worker_renews_the_claims_it_still_holds(
    timed_store: StateStore, clock: StepClock
) -> None:
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["C1", "C2"], "delta")
    claimed = store.claim("w1", 10, 30)
    clock.advance(25)
    assert store.renew_claims("w1", claimed, 30) == 0  # none taken; now until t+55
    clock.advance(25)
    assert store.claim("w2", 10, 30) == []  # would have lapsed at t+30 without the renewal
    clock.advance(10)
    assert _keys(store.claim("w2", 1, 30)) == ["C1"]  # lapsed: w2 takes one
    assert store.renew_claims("w1", claimed, 30) == 1  # C1 taken; w1 still holds C2
    assert store.claim("w2", 10, 30) == [QueueEntry(TO_HUBSPOT, CO, "C1")]
    store.complete("w1", [QueueEntry(TO_HUBSPOT, CO, "C2")])
    assert store.renew_claims("w1", claimed, 30) == 1  # C2 finished, not taken


def test_the_lease_holder_is_known(timed_store: StateStore, clock: StepClock) -> None:
    store = timed_store
    assert store.lease_holder("worker") is None
    store.acquire_lease("worker", "host:12:ab", 10)
    assert store.lease_holder("worker") == ("host:12:ab", clock.now + timedelta(seconds=10))
    clock.advance(11)
    assert store.lease_holder("worker") == ("host:12:ab", clock.now - timedelta(seconds=1))


def _sync_by(
    store: StateStore, owner: str, keys: list[str], *, letters: Sequence[str] = ()
) -> list[str]:
    """``owner`` records having written ``keys`` (its name in each shadow, link and audit)."""
    return store.record_sync(
        CO,
        "hubspot",
        links={key: f"{owner}-{key}" for key in keys},
        shadows={key: {"by": owner} for key in keys},
        audit=[
            AuditEntry(AT, "hubspot", CO, key, None, {"by": (None, owner)}, "delta") for key in keys
        ],
        dead_letters=[
            DeadLetter(CO, key, "hubspot", "name", f"refused by {owner}") for key in letters
        ],
        completed=keys,
        owner=owner,
    )


def test_a_late_worker_leaves_records_taken_over_to_their_new_owner(
    timed_store: StateStore, clock: StepClock
) -> None:
    """``slow``'s lease runs out mid-write: ``fast`` takes C1 (still writing it) and C2
    (written and recorded already). ``slow`` records only C3, which nobody took; nothing of
    C1 or C2 is written over ``fast``'s work, and C1 stays queued, ``fast``'s."""
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["C1", "C2", "C3"], "delta")
    assert len(store.claim("slow", 10, 30)) == 3
    clock.advance(31)
    assert _keys(store.claim("fast", 2, 30)) == ["C1", "C2"]
    assert _sync_by(store, "fast", ["C2"]) == []
    assert _sync_by(store, "slow", ["C1", "C2", "C3"], letters=["C1"]) == ["C1", "C2"]
    assert store.get_shadows("hubspot", CO) == {"C2": {"by": "fast"}, "C3": {"by": "slow"}}
    assert store.get_links(CO) == {"C2": "fast-C2", "C3": "slow-C3"}
    audited = sorted((e.record_key, e.changes["by"][1]) for e in store.list_audit(CO))
    assert audited == [("C2", "fast"), ("C3", "slow")]
    assert store.dead_letter_count() == 0
    assert queued(store) == ["C1"]
    assert store.claim("other", 10, 30) == []  # C1 is still fast's
    assert _sync_by(store, "fast", ["C1"]) == []
    assert store.queue_depth() == 0


def test_a_worker_whose_lease_ran_out_unnoticed_still_records_its_own(
    timed_store: StateStore, clock: StepClock
) -> None:
    """A lapsed lease nobody used: the records are still the worker's to record."""
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["C1"], "delta")
    store.claim("slow", 10, 30)
    clock.advance(60)
    assert _sync_by(store, "slow", ["C1"]) == []
    assert store.get_shadows("hubspot", CO) == {"C1": {"by": "slow"}}
    assert store.queue_depth() == 0
