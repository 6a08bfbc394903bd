"""What moves together commits together (DESIGN invariants 4 and 3): nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

import pytest

from accredo_hubspot.store import (
    TO_HUBSPOT,
    AuditEntry,
    DeadLetter,
    LinkConflictError,
    StateStore,
    StoreError,
)
from accredo_hubspot.store import state as state_module
from tests.store.conftest import queued

CO = "company"


class BreaksMidway(Mapping[str, int]):
    """A mapping that fails after its first item: an error in the middle of a transaction."""

    def __init__(self, first: dict[str, int]) -> None:
        self._first = first

    def __getitem__(self, key: str) -> int:
        return self._first[key]

    def __len__(self) -> int:
        return len(self._first) + 1

    def __iter__(self) -> Iterator[str]:
        yield from self._first
        raise RuntimeError("crash in the middle of the transaction")

    def items(self) -> Iterator[tuple[str, int]]:  # type: ignore[override]
        for key in self:
            yield key, self._first[key]


AT = datetime(2026, 3, 1, tzinfo=UTC)


def _snapshot(store: StateStore) -> tuple[object, ...]:
    return (
        store.get_links(CO),
        store.get_shadows("hubspot", CO),
        store.get_cursors(),
        store.get_feed_state("accredo"),
        queued(store),
        store.list_audit(),
        store.dead_letter_count(),
        store.status().last_sync_at,
    )


def test_invariant_4_enqueue_and_advance_is_all_or_nothing(store: StateStore) -> None:
    store.enqueue_and_advance(TO_HUBSPOT, CO, ["C1"], "delta", {"ARDELTA": 1})
    with pytest.raises(RuntimeError, match="middle"):
        store.enqueue_and_advance(
            TO_HUBSPOT, CO, ["C2", "C3"], "delta", BreaksMidway({"ARDELTA": 9})
        )
    assert store.get_cursors() == {"ARDELTA": 1}
    assert queued(store) == ["C1"]


def test_a_database_error_in_enqueue_and_advance_leaves_the_queue_alone(store: StateStore) -> None:
    with pytest.raises((StoreError, OverflowError)):
        store.enqueue_and_advance(
            TO_HUBSPOT, CO, ["C1"], "delta", {"ARDELTA": 2**70}
        )  # beyond BIGINT
    assert store.queue_depth() == 0
    assert store.get_cursors() == {}


def _full_sync(store: StateStore, links: dict[str, str], audit_at: datetime = AT) -> None:
    store.record_sync(
        CO,
        "hubspot",
        links=links,
        shadows={"BETA": {"accredo_balance_total": "99.00"}},
        audit=[AuditEntry(audit_at, "hubspot", CO, "BETA", "101", {"a": (None, "1")}, "live")],
        completed=["BETA"],
        dead_letters=[DeadLetter(CO, "GAMMA", "hubspot", None, "bad")],
        cursors={"ARDELTA": 50},
    )


def test_a_link_conflict_in_record_sync_rolls_back_everything(store: StateStore) -> None:
    store.put_links(CO, {"ACME": "101"})
    store.enqueue_and_advance(TO_HUBSPOT, CO, ["BETA"], "delta", {"ARDELTA": 5})
    before = _snapshot(store)
    with pytest.raises(LinkConflictError, match=r"'ACME'.*'BETA'"):
        _full_sync(store, {"BETA": "101"})
    assert _snapshot(store) == before


def test_a_unique_violation_caught_by_the_database_rolls_back_everything(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the up-front check (a concurrent writer got there first), the database refuses."""
    store.put_links(CO, {"ACME": "101"})
    store.enqueue_and_advance(TO_HUBSPOT, CO, ["BETA"], "delta", {"ARDELTA": 5})
    before = _snapshot(store)
    monkeypatch.setattr(state_module, "_check_link_conflicts", lambda conn, kind, links: None)
    with pytest.raises(StoreError, match="link conflict"):
        _full_sync(store, {"BETA": "101"})
    assert _snapshot(store) == before


def test_a_bad_audit_entry_rolls_back_the_links_and_shadows(store: StateStore) -> None:
    store.enqueue_and_advance(TO_HUBSPOT, CO, ["BETA"], "delta", {"ARDELTA": 5})
    before = _snapshot(store)
    with pytest.raises((StoreError, ValueError)):
        _full_sync(store, {"BETA": "202"}, audit_at=datetime(2026, 3, 1))  # naive: refused
    assert _snapshot(store) == before


def test_record_sync_moves_cursors_with_the_rest(store: StateStore) -> None:
    store.enqueue_and_advance(TO_HUBSPOT, CO, ["BETA"], "delta", {"ARDELTA": 5})
    _full_sync(store, {"BETA": "202"})
    assert store.get_cursors() == {"ARDELTA": 50}
    assert store.get_links(CO) == {"BETA": "202"}
    assert store.queue_depth() == 0
