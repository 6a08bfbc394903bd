"""Workers sharing one queue on PostgreSQL: claims skip the rows another worker has locked
(``FOR UPDATE SKIP LOCKED``), no entry is handed to two workers, and a lapsed lease is taken
over by another process."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import make_url

from accredo_hubspot.store import TO_HUBSPOT, QueueEntry, StateStore
from accredo_hubspot.store.engine import write_transaction
from accredo_hubspot.store.queue import claim
from accredo_hubspot.store.state import utc_now

pytestmark = pytest.mark.postgres

CO = "company"
RECORDS = 2000
WORKERS = 4


@pytest.fixture
def url(postgres_url: str) -> str:
    """The test schema, with a lock wait capped: a claim that blocks on another worker's rows
    fails in seconds instead of hanging the suite."""
    parsed = make_url(postgres_url)
    options = f"{parsed.query.get('options', '')} -clock_timeout=3000"
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


def test_workers_claiming_at_once_never_share_an_entry(url: str) -> None:
    with StateStore.open(url) as store:
        store.enqueue(TO_HUBSPOT, CO, [f"C{n:04d}" for n in range(RECORDS)], "backfill")
    handled: list[list[str]] = [[] for _ in range(WORKERS)]
    start = threading.Barrier(WORKERS)
    failures: list[BaseException] = []

    def worker(number: int) -> None:
        owner = f"w{number}"
        try:
            with StateStore.open(url) as store:
                start.wait()
                while entries := store.claim(owner, 25, 60):
                    handled[number].extend(entry.key for entry in entries)
                    store.record_sync(
                        CO,
                        "hubspot",
                        links={},
                        shadows={e.key: {"by": owner} for e in entries},
                        audit=[],
                        completed=[e.key for e in entries],
                        owner=owner,
                    )
        except BaseException as exc:  # reported below, with the thread's own traceback
            failures.append(exc)
            raise

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    counts = Counter(key for keys in handled for key in keys)
    assert len(counts) == RECORDS, "every queued record was handled"
    assert max(counts.values()) == 1, "no record was handled by two workers"
    assert sum(1 for keys in handled if keys) >= 2, "the work was shared"
    with StateStore.open(url) as store:
        assert store.queue_depth() == 0
        owners = {values["by"] for values in store.get_shadows("hubspot", CO).values()}
    assert len(owners) >= 2


def test_a_claim_skips_rows_another_worker_holds_locked(url: str) -> None:
    """While one worker's claim transaction is still open, another claims the next rows at
    once instead of waiting for it (or taking the same rows)."""
    with StateStore.open(url) as store:
        store.enqueue(TO_HUBSPOT, CO, ["C1", "C2", "C3"], "delta")
        with write_transaction(store.engine) as conn:
            held = claim(conn, utc_now(), "w1", 2, 60)
            assert [e.key for e in held] == ["C1", "C2"]
            # w1 has not committed: its rows are locked, still unclaimed to other readers
            assert store.claim("w2", 10, 60) == [QueueEntry(TO_HUBSPOT, CO, "C3")]
        assert store.claim("w3", 10, 60) == []


def test_a_dead_worker_s_claim_is_taken_over_after_its_lease(url: str) -> None:
    now = utc_now()
    with StateStore.open(url, clock=lambda: now) as first:
        first.enqueue(TO_HUBSPOT, CO, ["C1", "C2"], "delta")
        claimed = first.claim("dead", 10, 30)
        assert len(claimed) == 2  # and then the process dies, claims and all
    later = now + timedelta(seconds=31)
    with StateStore.open(url, clock=lambda: now + timedelta(seconds=5)) as early:
        assert early.claim("alive", 10, 30) == []
    with StateStore.open(url, clock=lambda: later) as second:
        assert second.claim("alive", 10, 30) == claimed
        second.complete("alive", claimed)
        assert second.queue_depth() == 0
