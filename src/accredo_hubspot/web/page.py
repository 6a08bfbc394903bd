"""The status page as plain HTML: no script, refreshes itself, one column on a phone.

Pure: a ``Snapshot`` in, a document out. Every value from a record or an error is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from html import escape

from accredo_hubspot.metrics import Percentiles
from accredo_hubspot.store import DeadLetterRow
from accredo_hubspot.web.status import DirectionStatus, Snapshot

#: Seconds between the page's own reloads.
REFRESH_S = 10
_DIRECTION_NAMES = {"to_hubspot": "to HubSpot", "to_accredo": "to Accredo"}

_STYLE = """
:root { color-scheme: light dark; --ok: #1a7f37; --warn: #b35900; --bad: #c62828; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       padding: 12px; max-width: 980px; margin-inline: auto; }
h1 { font-size: 1.25rem; margin: 0 0 4px; }
h2 { font-size: 1.05rem; margin: 20px 0 6px; }
.meta { color: GrayText; font-size: .85rem; margin: 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
         font-size: .8rem; vertical-align: middle; }
.ok { background: var(--ok); } .warn { background: var(--warn); } .bad { background: var(--bad); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #8884; vertical-align: top; }
th { font-weight: 600; }
tr:first-child th { white-space: nowrap; }
td.n { font-variant-numeric: tabular-nums; white-space: nowrap; }
.letter { padding: 6px 0; border-bottom: 1px solid #8884; }
.letter .meta { display: inline; }
.reason { overflow-wrap: anywhere; font-size: .9rem; }
.empty { color: GrayText; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; font-size: .85rem; }
code { font-size: .85rem; }
"""


def render(snap: Snapshot) -> str:
    """The whole page."""
    store = snap.store
    state, label = _overall(snap)
    parts = [
        *_head(),
        f'<h1>accredo-hubspot <span class="badge {state}" id="overall">{label}</span></h1>',
        f'<p class="meta">as of {_time(snap.at)}; refreshes every {REFRESH_S} s</p>',
        _directions(snap),
        _tables(snap),
        _rates(snap),
        _letters(
            "matches",
            "Ambiguous matches waiting for a decision",
            store.matches,
            store.match_count,
            snap.at,
            "accredo-hubspot matches resolve CODE --company ID|--new",
        ),
        _letters(
            "dead-letters",
            "Dead letters",
            store.dead_letters,
            store.dead_letter_count,
            snap.at,
            "accredo-hubspot dead-letters show ID",
        ),
        _last_error(store.last_error),
        "</body></html>",
    ]
    return "\n".join(parts)


def render_unavailable(reason: str) -> str:
    """The page when there is nothing to show but why (it keeps reloading)."""
    return "\n".join(
        [
            *_head(),
            '<h1>accredo-hubspot <span class="badge bad" id="overall">error</span></h1>',
            f'<p class="reason">{escape(reason)}</p>',
            "</body></html>",
        ]
    )


def _head() -> list[str]:
    return [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="refresh" content="{REFRESH_S}">',
        "<title>accredo-hubspot status</title>",
        f"<style>{_STYLE}</style></head><body>",
    ]


def _overall(snap: Snapshot) -> tuple[str, str]:
    store = snap.store
    if store.last_error or snap.accredo_problem:
        return "bad", "error"
    if store.dead_letter_count or store.match_count:
        return "warn", "needs attention"
    return "ok", "ok"


def _directions(snap: Snapshot) -> str:
    """One column per direction, one row per figure: three columns fit a phone."""
    ds = snap.directions

    def latency(d: DirectionStatus, pick: Callable[[Percentiles], float]) -> str:
        return "-" if d.latency is None else _seconds(pick(d.latency))

    figures: list[tuple[str, Callable[[DirectionStatus], str]]] = [
        ("queued", lambda d: _n(d.queue.depth)),
        ("oldest queued", lambda d: _n(_age(d.queue.oldest_age_s))),
        ("last sync", lambda d: f"<td>{_ago(d.last_sync, snap.at)}</td>"),
        ("latency p50, 1 h", lambda d: _n(latency(d, lambda p: p.p50_s))),
        ("latency p95, 1 h", lambda d: _n(latency(d, lambda p: p.p95_s))),
        ("changes timed, 1 h", lambda d: _n(d.latency.samples if d.latency else 0)),
        ("records written, 1 min", lambda d: _n(d.writes_last_minute)),
    ]
    rows = [_row([f"<th>{escape(label)}</th>", *(cell(d) for d in ds)]) for label, cell in figures]
    head = ["", *(_DIRECTION_NAMES.get(d.direction, d.direction) for d in ds)]
    return _section("sync", "Sync", _table(head, rows))


def _tables(snap: Snapshot) -> str:
    rows = [
        _row(
            [
                escape(t.table),
                _n("-" if t.cursor is None else t.cursor),
                _n("-" if t.latest is None else t.latest),
                _n("?" if t.behind is None else t.behind),
            ]
        )
        for t in snap.tables
    ]
    body = _table(["table", "cursor", "newest", "rows behind"], rows)
    if snap.accredo_problem:
        body += f'<p class="reason">{escape(snap.accredo_problem)}</p>'
    return _section("lag", "Accredo change tables", body)


def _rates(snap: Snapshot) -> str:
    rows = [
        _row([escape(system), _n(rates.requests), _n(rates.rate_limited)])
        for system, rates in snap.rates.items()
    ]
    return _section(
        "requests", "Requests, last minute", _table(["system", "requests", "429s"], rows)
    )


def _letters(
    anchor: str,
    title: str,
    letters: Sequence[DeadLetterRow],
    count: int,
    now: datetime,
    hint: str,
) -> str:
    """Each letter as a short block (record, field, when; then the reason in full): a table of
    long reasons does not fit a phone."""
    if not letters:
        return _section(anchor, f"{title} (0)", '<p class="empty">none</p>')
    items = [
        '<div class="letter">'
        f"<div><b>{escape(letter.record_key)}</b> "
        f"<code>{escape(letter.field or 'record')}</code> "
        f'<span class="meta">#{letter.id}, to {escape(letter.side)}, '
        f"{_ago(letter.created_at, now)}</span></div>"
        f'<div class="reason">{escape(letter.reason)}</div>'
        "</div>"
        for letter in letters
    ]
    more = f"; the oldest {len(letters)} shown" if count > len(letters) else ""
    body = "".join(items) + f'<p class="meta">{count} open{more}. <code>{escape(hint)}</code></p>'
    return _section(anchor, f"{title} ({count})", body)


def _last_error(error: str | None) -> str:
    body = '<p class="empty">none</p>' if not error else f"<pre>{escape(error)}</pre>"
    return _section("last-error", "Last error", body)


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{body}</section>'


def _table(head: Iterable[str], rows: Sequence[str]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f'<div class="scroll"><table><tr>{header}</tr>{"".join(rows)}</table></div>'


def _row(cells: Iterable[str]) -> str:
    """A table row of cells already escaped (or marked up)."""
    marked = (c if c.startswith(("<td", "<th")) else f"<td>{c}</td>" for c in cells)
    return "<tr>" + "".join(marked) + "</tr>"


def _n(value: object) -> str:
    return f'<td class="n">{escape(str(value))}</td>'


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else _seconds(seconds)


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.1f} s"
    if value < 3600:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def _time(at: datetime) -> str:
    return escape(at.strftime("%Y-%m-%d %H:%M:%S UTC"))


def _ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "never"
    ago = _seconds(max(0.0, (now - at).total_seconds()))
    return f'<span title="{_time(at)}">{escape(ago)} ago</span>'
