"""The status page's HTML from a snapshot (pure): the overall state, every value escaped, the
letters listed and counted, and the lag of a change table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accredo_hubspot.metrics import Percentiles, Rates
from accredo_hubspot.store import MATCH_FIELD, DeadLetterRow, QueueState, StoreOverview
from accredo_hubspot.web.page import REFRESH_S, render
from accredo_hubspot.web.status import DirectionStatus, Snapshot, TableLag

AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def letter(n: int, key: str, field: str | None, reason: str) -> DeadLetterRow:
    return DeadLetterRow(n, AT - timedelta(minutes=5), "company", key, "hubspot", field, reason, {})


def snapshot(
    *,
    letters: list[DeadLetterRow] | None = None,
    letter_count: int | None = None,
    matches: list[DeadLetterRow] | None = None,
    last_error: str | None = None,
    accredo_problem: str | None = None,
) -> Snapshot:
    letters = letters or []
    matches = matches or []
    store = StoreOverview(
        queues={"to_hubspot": QueueState(4, 75.0), "to_accredo": QueueState(0, None)},
        last_sync={"to_hubspot": AT - timedelta(seconds=12)},
        writes={"hubspot": 9},
        cursors={"ARDELTA": 10},
        dead_letters=letters,
        dead_letter_count=len(letters) if letter_count is None else letter_count,
        matches=matches,
        match_count=len(matches),
        last_error=last_error,
    )
    return Snapshot(
        at=AT,
        tables=[TableLag.of("ARDELTA", 10, 14), TableLag.of("INDELTA", None, None)],
        accredo_problem=accredo_problem,
        directions=[
            DirectionStatus("to_hubspot", QueueState(4, 75.0), AT, Percentiles(1.5, 4.0, 30), 9),
            DirectionStatus("to_accredo", QueueState(0, None), None, None, 0),
        ],
        rates={"accredo": Rates(12, 0), "hubspot": Rates(20, 3)},
        store=store,
    )


def test_a_quiet_sync_reads_ok_and_refreshes_itself() -> None:
    html = render(snapshot())
    assert '<span class="badge ok" id="overall">ok</span>' in html
    assert f'content="{REFRESH_S}"' in html
    assert "Dead letters (0)" in html and "Ambiguous matches waiting for a decision (0)" in html
    assert "1.2 min" in html  # the oldest queued record, 75 s
    assert "1.5 s" in html and "4.0 s" in html  # p50, p95
    assert "never" in html  # to Accredo has not synced


def test_letters_and_matches_need_attention_and_are_escaped() -> None:
    html = render(
        snapshot(
            letters=[letter(1, "A&B", "nzbn", "<img src=x onerror=alert(1)>")],
            letter_count=120,
            matches=[letter(2, "TWIN", MATCH_FIELD, "ambiguous match; candidates: 7, 8")],
        )
    )
    assert "needs attention" in html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>A&amp;B</b>" in html
    assert "Dead letters (120)" in html
    assert "120 open; the oldest 1 shown" in html
    assert "TWIN" in html and "candidates: 7, 8" in html


def test_an_error_or_a_silent_accredo_reads_as_an_error() -> None:
    html = render(snapshot(last_error="HubSpotAuthError: 401 <token expired>"))
    assert '<span class="badge bad" id="overall">error</span>' in html
    assert "HubSpotAuthError: 401 &lt;token expired&gt;" in html
    html = render(snapshot(accredo_problem="Accredo did not answer within 5 s"))
    assert "Accredo did not answer within 5 s" in html
    assert "badge bad" in html


def test_a_change_table_shows_rows_behind_and_unknowns() -> None:
    assert TableLag.of("ARDELTA", 10, 14).behind == 4
    assert TableLag.of("INDELTA", None, 3).behind == 3
    assert TableLag.of("OEDELTA", 5, None).behind is None
    # Accredo's newest read a few seconds ago may be older than the cursor read now
    assert TableLag.of("ARDELTA", 12, 10) == TableLag("ARDELTA", 12, 12)
    html = render(snapshot())
    assert '<td class="n">?</td>' in html  # INDELTA: Accredo's newest unknown
