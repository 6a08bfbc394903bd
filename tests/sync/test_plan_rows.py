"""The plan's rows from the commits a dry run kept (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from accredo_hubspot.store import AuditEntry, DeadLetter
from accredo_hubspot.sync.dryrun import Commit, OptionAdded
from accredo_hubspot.sync.plan_rows import PlanRow, plan_rows, skipped, why_written

AT = datetime(2026, 11, 30, tzinfo=UTC)


def entry(
    key: str, remote_id: str, changes: dict[str, tuple[str | None, str | None]]
) -> AuditEntry:
    return AuditEntry(AT, "hubspot", "company", key, remote_id, changes, "backfill")


def test_a_create_an_update_and_a_first_link_each_say_why() -> None:
    commit = Commit(
        "company",
        "hubspot",
        links={"NEW1": "new:NEW1", "FOUND": "77"},
        via={"NEW1": "new", "FOUND": "email_domain"},
        audit=[
            entry("NEW1", "new:NEW1", {"name": (None, "Kiwi Ltd")}),
            entry("FOUND", "77", {"accredo_balance_total": ("1.00", "2.00")}),
            entry("LINKED", "12", {"accredo_credit_limit": ("500.00", "900.00")}),
        ],
        dead_letters=[],
    )
    assert plan_rows([commit]) == [
        PlanRow(
            "hubspot",
            "NEW1",
            "create",
            "name",
            None,
            "Kiwi Ltd",
            why_written("create", "new", "hubspot"),
        ),
        PlanRow(
            "hubspot",
            "FOUND",
            "update",
            "accredo_balance_total",
            "1.00",
            "2.00",
            "first link (matched by email domain); the current value differs",
        ),
        PlanRow(
            "hubspot",
            "LINKED",
            "update",
            "accredo_credit_limit",
            "500.00",
            "900.00",
            "Accredo's value differs from the value last written",
        ),
    ]
    assert why_written("create", "new", "hubspot") == "no matching record in HubSpot: a new one"


def test_rows_of_an_accredo_write_name_the_accredo_key() -> None:
    audit = [
        AuditEntry(AT, "accredo", "company", "901", "ACME01", {"Z_Industry": ("", "Retail")}, "x")
    ]
    (row,) = plan_rows([Commit("company", "accredo", {}, {}, audit, [])])
    assert (row.side, row.record, row.why) == (
        "accredo",
        "ACME01",
        "HubSpot's value differs from the value last written",
    )
    assert set(row.as_json()) == {"side", "record", "action", "field", "old", "new", "why"}


def test_dead_letters_are_skipped_not_rows() -> None:
    letter = DeadLetter("company", "TWIN", "hubspot", "match", "ambiguous match")
    commit = Commit("company", "hubspot", {}, {}, [], [letter])
    assert plan_rows([commit]) == []
    assert skipped([commit]) == [letter]


def test_an_invoice_says_what_it_is_and_an_archive_is_one_row() -> None:
    created = Commit(
        "invoice",
        "hubspot",
        links={"501": "new:501"},
        via={"501": "new"},
        audit=[
            AuditEntry(
                AT, "hubspot", "invoice", "501", "new:501", {"status": (None, "open")}, "backfill"
            )
        ],
        dead_letters=[],
    )
    gone = Commit("invoice", "hubspot", {}, {}, [], [], archived=["400"])
    assert plan_rows([created, gone]) == [
        PlanRow(
            "hubspot",
            "501",
            "create",
            "status",
            None,
            "open",
            "invoice: no matching record in HubSpot: a new one",
        ),
        PlanRow(
            "hubspot",
            "400",
            "archive",
            "archived",
            None,
            "true",
            "invoice: no longer open or recent in Accredo: archived",
        ),
    ]


def test_an_option_a_property_would_gain_is_a_row_before_the_writes() -> None:
    option = OptionAdded("accredo_price_tier", "VIP", "VIP customers")
    audit = [AuditEntry(AT, "hubspot", "company", "A1", "1", {"name": ("a", "b")}, "backfill")]
    rows = plan_rows([Commit("company", "hubspot", {}, {}, audit, [])], [option])
    assert [(r.record, r.action, r.field, r.old, r.new) for r in rows] == [
        ("accredo_price_tier", "create", "option", None, "VIP"),
        ("A1", "update", "name", "a", "b"),
    ]
    assert rows[0].why.startswith("VIP customers: ")
