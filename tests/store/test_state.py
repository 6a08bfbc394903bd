"""Every ``StateStore`` method, on SQLite on disk and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from accredo_hubspot.store import (
    SINGLE_WORKER,
    TO_HUBSPOT,
    AuditBatch,
    AuditEntry,
    DeadLetter,
    LinkConflictError,
    QueueEntry,
    StateStore,
    StoreError,
)
from tests.store.conftest import StepClock, queued

CO = "company"


# -- links ------------------------------------------------------------------------------------


def test_links_round_trip_and_filter_by_code(store: StateStore) -> None:
    store.put_links(CO, {"ACME": "101", "BETA": "102"}, via={"ACME": "nzbn"})
    store.put_links(CO, {"GAMMA": "103"})
    assert store.get_links(CO) == {"ACME": "101", "BETA": "102", "GAMMA": "103"}
    assert store.get_links(CO, ["BETA", "NOPE", "BETA"]) == {"BETA": "102"}
    assert store.get_links(CO, []) == {}
    assert store.link_count() == 3


def test_put_links_is_an_upsert(store: StateStore) -> None:
    store.put_links(CO, {"ACME": "101"})
    store.put_links(CO, {"ACME": "101"})
    store.put_links(CO, {"ACME": "201"})
    assert store.get_links(CO) == {"ACME": "201"}
    assert store.link_count() == 1


def test_a_company_linked_to_a_second_code_is_refused_naming_both(store: StateStore) -> None:
    store.put_links(CO, {"ACME": "101"})
    with pytest.raises(LinkConflictError, match=r"101.*'ACME'.*'BETA'") as info:
        store.put_links(CO, {"BETA": "101", "GAMMA": "103"})
    assert isinstance(info.value, StoreError)
    assert store.get_links(CO) == {"ACME": "101"}


def test_a_database_error_is_raised_as_the_stores_saying_what_failed(store: StateStore) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE links"))
    with pytest.raises(StoreError, match="state store could not read links: "):
        store.get_links(CO)
    with pytest.raises(StoreError, match="state store could not write links: "):
        store.put_links(CO, {"ACME": "101"})


def test_one_batch_linking_a_company_twice_is_refused(store: StateStore) -> None:
    with pytest.raises(LinkConflictError, match=r"'ACME'.*'BETA'"):
        store.put_links(CO, {"ACME": "101", "BETA": "101"})
    assert store.link_count() == 0


def test_links_in_bulk_cross_the_in_list_chunks(store: StateStore) -> None:
    links = {f"C{n:05d}": str(900_000 + n) for n in range(1_234)}
    for start in range(0, len(links), 100):
        store.put_links(CO, dict(list(links.items())[start : start + 100]))
    assert store.link_count() == len(links)
    assert store.get_links(CO, list(links)) == links
    assert store.get_links(CO) == links


# -- shadow values ----------------------------------------------------------------------------


def test_shadows_merge_per_property(store: StateStore) -> None:
    store.put_shadows(
        "hubspot", CO, {"ACME": {"accredo_balance_total": "10.00", "nzbn": "9429041234567"}}
    )
    store.put_shadows(
        "hubspot", CO, {"ACME": {"accredo_balance_total": "12.50"}, "BETA": {"nzbn": ""}}
    )
    assert store.get_shadows("hubspot", CO, ["ACME", "BETA", "NOPE"]) == {
        "ACME": {"accredo_balance_total": "12.50", "nzbn": "9429041234567"},
        "BETA": {"nzbn": ""},
    }
    assert store.get_shadows("hubspot", CO, ["BETA"]) == {"BETA": {"nzbn": ""}}
    assert set(store.get_shadows("hubspot", CO)) == {"ACME", "BETA"}


def test_shadows_keep_unicode_text(store: StateStore) -> None:
    store.put_shadows(
        "hubspot", CO, {"MAORI": {"name": "Te Whare Pūrākau o Ngāti Kahungunu — O'Brien's"}}
    )
    assert store.get_shadows("hubspot", CO, ["MAORI"])["MAORI"]["name"].endswith("O'Brien's")


# -- cursors ----------------------------------------------------------------------------------


def test_cursors_round_trip(store: StateStore) -> None:
    assert store.get_cursors() == {}
    store.set_cursors({"ARDELTA": 10, "INDELTA": 3})
    store.set_cursors({"ARDELTA": 12})
    assert store.get_cursors() == {"ARDELTA": 12, "INDELTA": 3}
    store.set_cursors({"OEDELTA": 2**40})  # DeltaIDs can outgrow 32 bits
    assert store.get_cursors()["OEDELTA"] == 2**40


# -- work queue -------------------------------------------------------------------------------


def claimed_keys(store: StateStore, limit: int) -> list[str]:
    """Claim as the one worker of a single process does."""
    entries = store.claim(SINGLE_WORKER, limit, 600, direction=TO_HUBSPOT, record_type=CO)
    return [entry.key for entry in entries]


def test_queue_is_oldest_first_and_coalesced(timed_store: StateStore, clock: StepClock) -> None:
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["C3", "C1"], "delta")
    clock.advance(1)
    store.enqueue(TO_HUBSPOT, CO, ["C2", "C3", "C2"], "webhook")
    assert store.queue_depth() == 3
    assert queued(store) == ["C3", "C1", "C2"]
    assert claimed_keys(store, 2) == ["C3", "C1"]
    assert claimed_keys(store, 10) == ["C3", "C1", "C2"]  # its own claims, and the rest
    assert claimed_keys(store, 0) == []


def test_coalesced_enqueue_updates_reason_and_last_time(
    timed_store: StateStore, clock: StepClock
) -> None:
    from sqlalchemy import select

    from accredo_hubspot.store import schema

    timed_store.enqueue(TO_HUBSPOT, CO, ["C1"], "delta")
    first = clock()
    clock.advance(5)
    timed_store.enqueue(TO_HUBSPOT, CO, ["C1"], "webhook")
    with timed_store.engine.connect() as conn:
        row = conn.execute(select(schema.work_queue)).one()
    assert (row.reason, row.enqueue_count) == ("webhook", 2)
    assert (row.first_enqueued_at, row.last_enqueued_at) == (first, clock())


def test_complete_removes_records(store: StateStore) -> None:
    store.enqueue(TO_HUBSPOT, CO, ["C1", "C2", "C3"], "backfill")
    store.complete(SINGLE_WORKER, [QueueEntry(TO_HUBSPOT, CO, k) for k in ["C1", "C3", "NOPE"]])
    assert queued(store) == ["C2"]
    assert store.queue_depth() == 1


def test_a_change_arriving_during_the_write_survives_complete(store: StateStore) -> None:
    store.enqueue(TO_HUBSPOT, CO, ["C1", "C2"], "delta")
    batch = claimed_keys(store, 10)
    store.enqueue(
        TO_HUBSPOT, CO, ["C1"], "delta"
    )  # C1 changes again while the batch is being written
    store.complete(SINGLE_WORKER, [QueueEntry(TO_HUBSPOT, CO, key) for key in batch])
    assert claimed_keys(store, 10) == ["C1"]
    store.complete(SINGLE_WORKER, [QueueEntry(TO_HUBSPOT, CO, "C1")])
    assert store.queue_depth() == 0


def test_oldest_pending_age(timed_store: StateStore, clock: StepClock) -> None:
    assert timed_store.oldest_pending_age_s() is None
    timed_store.enqueue(TO_HUBSPOT, CO, ["C1"], "delta")
    clock.advance(2.5)
    timed_store.enqueue(TO_HUBSPOT, CO, ["C2", "C1"], "delta")
    clock.advance(1)
    assert timed_store.oldest_pending_age_s() == pytest.approx(3.5)
    assert timed_store.oldest_pending_age_s(clock() + timedelta(seconds=10)) == pytest.approx(13.5)


def test_enqueue_and_advance(store: StateStore) -> None:
    store.enqueue_and_advance(TO_HUBSPOT, CO, ["C1", "C2"], "delta", {"ARDELTA": 7, "INDELTA": 2})
    assert queued(store) == ["C1", "C2"]
    assert store.get_cursors() == {"ARDELTA": 7, "INDELTA": 2}


# -- meta, last error -------------------------------------------------------------------------


def test_meta_round_trip(store: StateStore) -> None:
    assert store.get_meta("backfill.after") is None
    store.set_meta("backfill.after", "C00100")
    store.set_meta("backfill.after", "C00200")
    assert store.get_meta("backfill.after") == "C00200"


def test_last_error(store: StateStore) -> None:
    assert store.get_last_error() is None
    store.set_last_error("Accredo unreachable: connection refused")
    assert store.get_last_error() == "Accredo unreachable: connection refused"
    store.set_last_error(None)
    assert store.get_last_error() is None


# -- dead letters -----------------------------------------------------------------------------


def test_dead_letters_list_count_and_resolve(timed_store: StateStore, clock: StepClock) -> None:
    store = timed_store
    store.add_dead_letters(
        [
            DeadLetter(CO, "ACME", "hubspot", "email", "INVALID_EMAIL", {"email": "not an email"}),
            DeadLetter(CO, "BETA", "accredo", None, "412 eTag mismatch", {"etag": 'W/"3"', "n": 1}),
        ]
    )
    clock.advance(1)
    store.add_dead_letters([DeadLetter(CO, "GAMMA", "hubspot", "name", "too long")])
    assert store.dead_letter_count() == 3
    rows = store.list_dead_letters()
    assert [r.record_key for r in rows] == ["ACME", "BETA", "GAMMA"]
    assert rows[1].payload == {"etag": 'W/"3"', "n": 1}
    assert rows[1].side == "accredo" and rows[1].field is None
    assert rows[2].created_at == clock() and rows[2].payload == {}
    assert rows[0].letter() == DeadLetter(
        CO, "ACME", "hubspot", "email", "INVALID_EMAIL", {"email": "not an email"}
    )
    assert [r.record_key for r in store.list_dead_letters(limit=1)] == ["ACME"]
    assert store.resolve_dead_letters([rows[0].id, rows[0].id, 999_999]) == 1
    assert store.resolve_dead_letters([rows[0].id]) == 0
    assert store.dead_letter_count() == 2
    assert [r.record_key for r in store.list_dead_letters()] == ["BETA", "GAMMA"]


def test_the_same_open_problem_is_one_dead_letter(timed_store: StateStore) -> None:
    """A rerun meeting the same problem does not grow the list; once resolved, it may return."""
    store = timed_store
    letter = DeadLetter(CO, "ACME", "hubspot", "match", "ambiguous match", {"ids": ["1", "2"]})
    store.add_dead_letters([letter, letter])
    store.add_dead_letters([letter, DeadLetter(CO, "ACME", "hubspot", "match", "another reason")])
    assert store.dead_letter_count() == 2
    first = store.list_dead_letters()[0]
    store.resolve_dead_letters([first.id])
    store.add_dead_letters([letter])
    assert store.dead_letter_count() == 2


def test_record_sync_heals_the_open_letters_of_records_it_writes(timed_store: StateStore) -> None:
    store = timed_store
    store.add_dead_letters(
        [
            DeadLetter(CO, "ACME", "hubspot", "industry", "INVALID_OPTION"),
            DeadLetter(CO, "ACME", "accredo", "CreditLimit", "412"),
            DeadLetter(CO, "BETA", "hubspot", "name", "too long"),
        ]
    )
    store.record_sync(
        CO,
        "hubspot",
        links={},
        shadows={"ACME": {"industry": "RETAIL"}},
        audit=[],
        completed=[],
        healed=["ACME"],
    )
    left = [(r.record_key, r.side) for r in store.list_dead_letters()]
    assert left == [("ACME", "accredo"), ("BETA", "hubspot")]


def test_a_dead_letter_side_is_checked() -> None:
    with pytest.raises(ValueError, match="side"):
        DeadLetter(CO, "ACME", "salesforce", None, "x")  # type: ignore[arg-type]


# -- audit ------------------------------------------------------------------------------------


def _audit(code: str, field: str, new: str, at: datetime) -> AuditEntry:
    return AuditEntry(at, "hubspot", CO, code, "101", {field: (None, new)}, "backfill")


def test_audit_newest_first_and_per_record(store: StateStore) -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    store.add_audit([_audit("ACME", "a", "1", t0), _audit("BETA", "a", "2", t0)])
    later = AuditEntry(
        t0 + timedelta(seconds=1), "accredo", CO, "ACME", None, {"b": ("old", "new")}, "live"
    )
    store.add_audit([later])
    assert store.list_audit() == [later, _audit("BETA", "a", "2", t0), _audit("ACME", "a", "1", t0)]
    assert store.list_audit(CO, "ACME") == [later, _audit("ACME", "a", "1", t0)]
    assert store.list_audit(CO, "ACME", limit=1) == [later]


def test_an_audit_batch_is_stored_as_its_entries(store: StateStore) -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    batch = AuditBatch(t0, "hubspot", CO, "backfill")
    batch.rows.extend([("ACME", "101", {"a": (None, "1")}), ("BETA", "102", {"b": ("old", "2")})])
    store.add_audit(batch)
    assert len(batch) == 2
    assert store.list_audit() == list(reversed(batch.entries()))
    second = AuditEntry(t0, "hubspot", CO, "BETA", "102", {"b": ("old", "2")}, "backfill")
    assert batch.entries()[1] == second
    store.add_audit(AuditBatch(t0, "hubspot", CO, "empty"))  # nothing to add
    assert len(store.list_audit()) == 2


def test_an_audit_batch_side_is_checked() -> None:
    with pytest.raises(ValueError, match="side"):
        AuditBatch(datetime(2026, 3, 1, tzinfo=UTC), "salesforce", CO, "x")  # type: ignore[arg-type]


def test_naive_times_are_refused(store: StateStore) -> None:
    with pytest.raises((StoreError, ValueError)):
        store.add_audit([_audit("ACME", "a", "1", datetime(2026, 3, 1))])


# -- record_sync and status -------------------------------------------------------------------


def test_record_sync_commits_everything(timed_store: StateStore, clock: StepClock) -> None:
    store = timed_store
    store.enqueue(TO_HUBSPOT, CO, ["ACME", "BETA"], "backfill")
    claimed = claimed_keys(store, 10)
    store.record_sync(
        CO,
        "hubspot",
        links={"ACME": "101"},
        shadows={"ACME": {"accredo_credit_limit": "5000.00"}},
        audit=[_audit("ACME", "accredo_credit_limit", "5000.00", clock())],
        completed=claimed,
        dead_letters=[DeadLetter(CO, "BETA", "hubspot", "name", "too long", {"name": "x" * 300})],
        via={"ACME": "nzbn"},
    )
    assert store.get_links(CO) == {"ACME": "101"}
    assert store.get_shadows("hubspot", CO, ["ACME"]) == {
        "ACME": {"accredo_credit_limit": "5000.00"}
    }
    assert len(store.list_audit(CO, "ACME")) == 1
    assert store.queue_depth() == 0
    status = store.status()
    assert status.links == 1 and status.dead_letters == 1 and status.queue_depth == 0
    assert status.last_sync_at == clock()


def test_status(timed_store: StateStore, clock: StepClock) -> None:
    store = timed_store
    empty = store.status()
    assert (empty.links, empty.queue_depth, empty.dead_letters) == (0, 0, 0)
    assert (empty.cursors, empty.last_error, empty.last_sync_at) == ({}, None, None)
    assert empty.oldest_pending_age_s is None
    store.enqueue_and_advance(TO_HUBSPOT, CO, ["C1"], "delta", {"ARDELTA": 4})
    store.set_last_error("HubSpot 503")
    clock.advance(3)
    status = store.status()
    assert (status.queue_depth, status.cursors, status.last_error) == (
        1,
        {"ARDELTA": 4},
        "HubSpot 503",
    )
    assert status.oldest_pending_age_s == pytest.approx(3)
