"""The demo's summary table of Accredo changes: readable in an 80-column terminal (it was
cut to nothing in its first columns and to an ellipsis in the rest below about 130)."""

from __future__ import annotations

import io

from rich.console import Console

from accredo_hubspot.demo_accredo import results_table

ROWS = [
    (
        "credit limit raised to $15,000.00, Williams & Parata Plumbing (WILLIA05)",
        "accredo_last_payment_amount",
        "15000.00",
        "0.19 s",
    ),
    (
        "customer put on stop credit, O'Connor Traders Ltd (OCONNO02)",
        "accredo_credit_status",
        "on_stop",
        "0.18 s",
    ),
]


def test_every_cell_is_shown_whole_at_80_columns() -> None:
    table = results_table()
    for row in ROWS:
        table.add_row(*row)
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(table)
    text = console.export_text()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    flat = " ".join(text.split())
    for change, prop, value, after in ROWS:
        assert prop in text and value in text and after in text
        assert all(word in flat for word in change.split())
