"""Links following HubSpot merges, deletions, restores and GDPR deletes, each idempotent
(SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from accredo_hubspot.store import DELETED_FIELD, AuditEntry, LinkChange, StateStore


def change(kind: str, hubspot_id: str, *merged: str, record_type: str = "contact") -> LinkChange:
    return LinkChange(kind, record_type, hubspot_id, merged, f"test {kind}")  # type: ignore[arg-type]


def apply(store: StateStore, *changes: LinkChange) -> None:
    store.apply_link_changes(changes)
    store.apply_link_changes(changes)  # a redelivery changes nothing more


def deleted_letters(store: StateStore) -> Sequence[tuple[str, str]]:
    return [
        (row.record_key, str(row.payload.get("hubspot_id")))
        for row in store.list_dead_letters()
        if row.field == DELETED_FIELD
    ]


def test_a_merge_moves_the_link_to_the_survivor_with_the_same_key(store: StateStore) -> None:
    store.put_links("contact", {"7": "10"})
    apply(store, change("merge", "30", "10", "20"))
    assert store.get_links("contact") == {"7": "30"}
    [entry] = [e for e in store.list_audit("contact", "7") if e.reason == "merged in HubSpot"]
    assert entry.changes == {"hubspot_id": ("10", "30")}


def test_a_merge_after_the_merged_ids_deletion_links_from_the_letter(store: StateStore) -> None:
    store.put_links("contact", {"7": "10"})
    apply(store, change("delete", "10"), change("merge", "30", "10", "20"))
    assert store.get_links("contact") == {"7": "30"}
    assert deleted_letters(store) == []


def test_merging_two_linked_records_keeps_one_link_and_reports_the_other(
    store: StateStore,
) -> None:
    store.put_links("company", {"ACME": "10", "ACME2": "20"})
    apply(store, change("merge", "30", "10", "20", record_type="company"))
    assert store.get_links("company") == {"ACME": "30"}
    assert deleted_letters(store) == [("ACME2", "20")]


def test_a_deletion_unlinks_and_reports_and_a_restore_links_again(store: StateStore) -> None:
    store.put_links("company", {"ACME": "10", "OTHER": "11"})
    apply(store, change("delete", "10", record_type="company"))
    assert store.get_links("company") == {"OTHER": "11"}
    [letter] = store.list_dead_letters()
    assert (letter.record_key, letter.field) == ("ACME", DELETED_FIELD)
    assert "10 was deleted in HubSpot" in letter.reason
    apply(store, change("restore", "10", record_type="company"))
    assert store.get_links("company") == {"ACME": "10", "OTHER": "11"}
    assert store.list_dead_letters() == []


def test_a_restore_never_takes_a_key_linked_again_since(store: StateStore) -> None:
    store.put_links("company", {"ACME": "10"})
    apply(store, change("delete", "10", record_type="company"))
    store.put_links("company", {"ACME": "12"})
    apply(store, change("restore", "10", record_type="company"))
    assert store.get_links("company") == {"ACME": "12"}


def test_a_gdpr_delete_unlinks_and_drops_the_contacts_personal_data(store: StateStore) -> None:
    at = datetime(2026, 11, 30, tzinfo=UTC)
    store.put_links("contact", {"7": "10", "8": "11"})
    store.put_shadows("accredo", "contact", {"10": {"Email": "ana@example.co.nz"}})
    store.put_shadows("hubspot", "contact", {"7": {"email": "ana@example.co.nz"}, "8": {"x": "y"}})
    store.add_audit(
        [
            AuditEntry(
                at, "accredo", "contact", "10", "7", {"Email": (None, "ana@example.co.nz")}, "r"
            )
        ]
    )
    apply(store, change("erase", "10"), change("delete", "10"))
    assert store.get_links("contact") == {"8": "11"}
    assert store.get_shadows("accredo", "contact") == {}
    assert store.get_shadows("hubspot", "contact") == {"8": {"x": "y"}}
    [written] = store.list_audit("contact", "10")
    assert written.changes == {"Email": (None, None)}  # that it was written stays, not what
    [erased] = [e for e in store.list_audit("contact", "7") if e.reason.startswith("personal")]
    assert erased.changes == {"hubspot_id": ("10", None)}
    assert deleted_letters(store) == []
