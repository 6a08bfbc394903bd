"""Where each value came from, read from audit entries (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accredo_hubspot.store import AuditEntry
from accredo_hubspot.sync.provenance import actions, history, origins

T0 = datetime(2026, 11, 30, tzinfo=UTC)


def entries() -> list[AuditEntry]:
    """Newest first, as the store lists them."""
    return [
        AuditEntry(
            T0 + timedelta(hours=2),
            "hubspot",
            "company",
            "A1",
            None,
            {},
            "dead letter 3 discarded: test",
            source="operator",
        ),
        AuditEntry(
            T0 + timedelta(hours=1),
            "hubspot",
            "company",
            "A1",
            "77",
            {"accredo_balance_total": ("10.00", "110.00")},
            "accredo change",
            source="ARDELTA DeltaID 57 (ARTRAN 12)",
            read_at=T0 + timedelta(minutes=59),
            call="batch/update c-1",
        ),
        AuditEntry(
            T0,
            "hubspot",
            "company",
            "A1",
            "77",
            {"accredo_balance_total": (None, "10.00"), "name": (None, "A Ltd")},
            "backfill",
        ),
    ]


def test_each_field_comes_from_its_newest_write() -> None:
    found = {o.field: o for o in origins(entries())}
    balance = found["accredo_balance_total"]
    assert (balance.old, balance.new, balance.source) == (
        "10.00",
        "110.00",
        "ARDELTA DeltaID 57 (ARTRAN 12)",
    )
    assert balance.read_at == T0 + timedelta(minutes=59)
    assert balance.written_at == T0 + timedelta(hours=1)
    assert balance.call is not None and "batch/update" in balance.call
    assert found["name"].source == "backfill"  # no change named: the write's reason


def test_history_lists_every_write_of_one_field_and_actions_stand_apart() -> None:
    assert [o.new for o in history(entries(), "accredo_balance_total")] == ["110.00", "10.00"]
    assert history(entries(), "nothing") == []
    assert [a.reason for a in actions(entries())] == ["dead letter 3 discarded: test"]
