"""What the store keeps for the operating commands: each audit entry's source, read time and
call; the change behind a queued record; dead letters by id, reopened with a new reason; the
ambiguous matches waiting for a decision. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accredo_hubspot.store import AuditBatch, DeadLetter, StateStore

T0 = datetime(2026, 11, 30, tzinfo=UTC)


def test_an_audit_entry_keeps_its_source_read_time_and_call(store_url: str) -> None:
    batch = AuditBatch(
        T0,
        "hubspot",
        "company",
        "accredo change",
        rows=[("A1", "77", {"x": ("1", "2")}), ("B2", "78", {"x": (None, "3")})],
        sources={"A1": "ARDELTA DeltaID 9 (ARCUST A1)"},
        calls={"A1": "batch/update c-1"},
        read_at=T0 - timedelta(seconds=2),
    )
    with StateStore.open(store_url) as store:
        store.add_audit(batch)
        (a1,) = store.list_audit("company", "A1")
        (b2,) = store.list_audit("company", "B2")
    assert a1.source == "ARDELTA DeltaID 9 (ARCUST A1)"
    assert a1.call == "batch/update c-1"
    assert a1.read_at == T0 - timedelta(seconds=2)
    assert (b2.source, b2.call, b2.read_at) == (None, None, T0 - timedelta(seconds=2))


def test_a_queued_record_keeps_the_change_that_last_queued_it(store_url: str) -> None:
    with StateStore.open(store_url) as store:
        store.enqueue(
            "to_hubspot",
            "company",
            ["A1", "B2"],
            "accredo change",
            {"A1": "ARDELTA DeltaID 1 (ARCUST A1)"},
        )
        store.enqueue_and_advance(
            "to_hubspot",
            "company",
            ["A1"],
            "accredo change",
            {"ARDELTA": 2},
            None,
            {"A1": "ARDELTA DeltaID 2 (ARTRAN 5)"},
        )
        entries = {e.key: e.source for e in store.claim("me", 10, 30.0)}
    assert entries == {"A1": "ARDELTA DeltaID 2 (ARTRAN 5)", "B2": None}


def test_dead_letters_by_id_reopened_with_a_new_reason_and_ambiguous_matches(
    store_url: str,
) -> None:
    with StateStore.open(store_url) as store:
        store.add_dead_letters(
            [
                DeadLetter(
                    "company",
                    "A1",
                    "hubspot",
                    "accredo_x",
                    "INVALID: Retail",
                    {"properties": {"accredo_x": "Retail"}},
                ),
                DeadLetter(
                    "company",
                    "T1",
                    "hubspot",
                    "match",
                    "ambiguous match (NZBN 1 is on 2 companies); candidates: 5, 6",
                    {"candidates": ["5", "6"]},
                ),
            ]
        )
        first, twin = store.list_dead_letters()
        store.update_dead_letter(first.id, "INVALID: abc", {"properties": {"accredo_x": "abc"}})
        reopened = store.get_dead_letter(first.id)
        assert reopened is not None
        assert (reopened.reason, reopened.payload, reopened.resolved_at) == (
            "INVALID: abc",
            {"properties": {"accredo_x": "abc"}},
            None,
        )
        assert [r.id for r in store.list_dead_letters(record_key="A1")] == [first.id]
        assert [r.id for r in store.list_dead_letters(matches=False)] == [first.id]
        assert [r.id for r in store.list_dead_letters(matches=True)] == [twin.id]
        (match,) = store.list_ambiguous_matches()
        assert (match.letter_id, match.record_key, match.candidates) == (twin.id, "T1", ("5", "6"))
        store.resolve_dead_letters([twin.id])
        assert store.list_ambiguous_matches() == []
        closed = store.get_dead_letter(twin.id)
        assert closed is not None and closed.resolved_at is not None
        assert store.get_dead_letter(10_000) is None
