"""Polling HubSpot: the records changed since the last poll, found by search, into the queue.

The fallback to webhooks, and the only path with a service key or without a public URL. Each
followed object is searched on its last-modified property (``hs_lastmodifieddate``; contacts
``lastmodifieddate``, on which alone a contact search finds anything: reference 4.2), oldest
change first, from a cursor kept in the store beside the Accredo feed's. Search lags writes by
seconds (up to ~30 s, reference 5), so a record changed just before the cursor may surface
after it has moved: every poll reads again from ``overlap_s`` before the cursor, and the ids
already queued for the same change (``seen``) are not queued twice. Paging stops short of the
10,000-result cap (reference 5, pitfall 13.2): the search starts again from the last change
read instead. The found ids and the cursor's new state are stored in one transaction
(DESIGN invariant 4). Events only say which record changed: the pipeline reads it, so the
connector's own writes found here plan nothing and write nothing.

Search shows no merges, deletions or restores as such, so for companies and contacts the poll
finds them as the webhooks' events would tell them (``inbound_links``), and the links follow
before the records are queued: a merge by the survivor's ``hs_merged_object_ids`` (it is a
new record, found like any change); a deletion by the recycle bin, listed with
``archived=true`` (no filter or order there, so the whole bin is read, one page per
``SWEEP_S_PER_PAGE`` seconds at the most); a restore by a record reported deleted that is
out of the bin and readable again. A GDPR delete leaves no trace HubSpot shows (the record is
in neither list), so only its webhook is followed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

import structlog

from accredo_hubspot.hubspot.models import (
    HubSpotObject,
    SearchFilter,
    SearchFilterGroup,
    SearchRequest,
    SearchSort,
)
from accredo_hubspot.hubspot.search import MAX_SEARCH_LIMIT, next_page_crosses_cap
from accredo_hubspot.store import TO_ACCREDO, AsyncStateStore, LinkChange
from accredo_hubspot.sync.inbound_links import (
    deletions_found,
    merged_ids,
    merges_found,
    restores_found,
)
from accredo_hubspot.sync.pipeline import Clock
from accredo_hubspot.sync.ports import HubSpotSource

log = structlog.get_logger(__name__)

#: How far before its cursor each poll reads again (search lags writes, reference 5).
OVERLAP_S = 60.0
#: The queue's reason for records the poll found.
POLL_REASON = "hubspot poll"
#: A survivor's merged ids (reference 4.5).
MERGED_PROPERTY = "hs_merged_object_ids"
#: The recycle bin is read again after this many seconds per page the last read took (a bin
#: of 1,000 records: ten pages, every 50 s; a small one at every poll).
SWEEP_S_PER_PAGE = 5.0


@dataclass(frozen=True, slots=True)
class PolledObject:
    """A HubSpot object the poll follows: its API name, the record type it feeds and the
    property that moves on every change."""

    object_type: str
    record_type: str
    modified_property: str
    #: Whether links follow its merges, deletions and restores.
    follows_links: bool = False

    @property
    def feed(self) -> str:
        """Its cursor's name among the store's feed states."""
        return f"hubspot:{self.object_type}"


#: Record type -> how to poll its HubSpot object (reference 4.2, 5).
POLLED_OBJECTS: Mapping[str, PolledObject] = {
    "company": PolledObject("companies", "company", "hs_lastmodifieddate", follows_links=True),
    "contact": PolledObject("contacts", "contact", "lastmodifieddate", follows_links=True),
    "deal": PolledObject("deals", "deal", "hs_lastmodifieddate"),
}


@dataclass
class PollCursor:
    """Where one object's poll stands: the latest change read (``since_ms``, epoch ms) and
    the changes already queued within the overlap window (id -> its last-modified ms)."""

    since_ms: int
    seen: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Self:
        seen = state.get("seen") or {}
        return cls(int(state.get("since_ms", 0)), {str(k): int(v) for k, v in seen.items()})

    def state(self) -> dict[str, Any]:
        return {"since_ms": self.since_ms, "seen": dict(sorted(self.seen.items()))}

    def window_start_ms(self, overlap_s: float) -> int:
        """Where the next search starts: the overlap before the cursor."""
        return max(0, self.since_ms - int(overlap_s * 1000))

    def absorb(self, found: Sequence[tuple[str, int]], overlap_s: float) -> list[str]:
        """Take a poll's (id, last-modified ms) results: the ids of changes not queued yet (in
        first-seen order), the cursor moved to the latest change, and ``seen`` pruned to the
        overlap window."""
        new: dict[str, None] = {}
        for record_id, modified_ms in found:
            if self.seen.get(record_id, -1) >= modified_ms:
                continue
            self.seen[record_id] = modified_ms
            new[record_id] = None
            self.since_ms = max(self.since_ms, modified_ms)
        floor = self.window_start_ms(overlap_s)
        self.seen = {k: v for k, v in self.seen.items() if v >= floor}
        return list(new)


def modified_ms(record: HubSpotObject, modified_property: str) -> int | None:
    """A search result's last change, epoch ms (its ``updatedAt`` mirrors the property)."""
    stamp = record.updatedAt
    if stamp is None:
        text = record.properties.get(modified_property)
        if not text:
            return None
        try:
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    return int(stamp.timestamp() * 1000)


def changes_request(polled: PolledObject, start_ms: int, after: str | None) -> SearchRequest:
    """Records changed at or after ``start_ms``, oldest change first, one full page."""
    condition = SearchFilter(
        property_name=polled.modified_property, operator="GTE", value=str(start_ms)
    )
    return SearchRequest(
        filter_groups=[SearchFilterGroup(filters=[condition])],
        sorts=[SearchSort(property_name=polled.modified_property, direction="ASCENDING")],
        properties=[polled.modified_property, *([MERGED_PROPERTY] if polled.follows_links else [])],
        limit=MAX_SEARCH_LIMIT,
        after=after,
    )


class HubSpotPoller:
    """Searches each followed object for changes and queues them towards Accredo."""

    def __init__(
        self,
        hubspot: HubSpotSource,
        store: AsyncStateStore,
        clock: Clock,
        *,
        overlap_s: float = OVERLAP_S,
        sweep_s_per_page: float = SWEEP_S_PER_PAGE,
    ) -> None:
        self._hubspot = hubspot
        self._store = store
        self._clock = clock
        self.overlap_s = overlap_s
        self._sweep_s_per_page = sweep_s_per_page
        #: Feed -> when (monotonic) its recycle bin is next read.
        self._next_sweep: dict[str, float] = {}

    async def poll(self, record_types: Sequence[str]) -> dict[str, int]:
        """Poll the objects of ``record_types``; record type -> records queued."""
        queued: dict[str, int] = {}
        for record_type in record_types:
            polled = POLLED_OBJECTS.get(record_type)
            if polled is not None:
                queued[record_type] = await self.poll_object(polled)
        return queued

    async def poll_object(self, polled: PolledObject) -> int:
        """One object: search from the cursor, queue what is new, move the cursor; returns
        how many records were queued. The first poll only places the cursor (history before
        it is the backfill's and the reconcile's)."""
        state = await self._store.get_feed_state(polled.feed)
        if state is None:
            start = PollCursor(await self._newest_ms(polled))
            await self._store.set_cursors({}, {polled.feed: start.state()})
            return 0
        cursor = PollCursor.from_state(state)
        before = cursor.state()
        found = await self._changes(polled, cursor.window_start_ms(self.overlap_s))
        ids = cursor.absorb([(record_id, stamp) for record_id, stamp, _ in found], self.overlap_s)
        if polled.follows_links:
            new = set(ids)
            survivors = {record_id: merged for record_id, _, merged in found if record_id in new}
            await self._follow_links(polled, {k: v for k, v in survivors.items() if v})
        if ids or cursor.state() != before:
            await self._store.enqueue_and_advance(
                TO_ACCREDO, polled.record_type, ids, POLL_REASON, {}, {polled.feed: cursor.state()}
            )
        if ids:
            log.debug("hubspot.poll", object_type=polled.object_type, queued=len(ids))
        return len(ids)

    async def _follow_links(
        self, polled: PolledObject, survivors: Mapping[str, Sequence[str]]
    ) -> None:
        """The links follow the merges found (survivor -> merged ids) and, when the recycle
        bin is due to be read, the deletions and restores; before the records are queued. The
        records reported deleted are read once for both."""
        record_type = polled.record_type
        sweep_due = time.monotonic() >= self._next_sweep.get(polled.feed, 0.0)
        if not survivors and not sweep_due:
            return
        reported = set(await self._store.reported_deletions(record_type))
        changes: list[LinkChange] = []
        if survivors:
            merged = sorted({m for ids in survivors.values() for m in ids})
            known = set(await self._store.get_links_by_hubspot_id(record_type, merged))
            changes += merges_found(record_type, survivors, known | reported)
        if sweep_due:
            changes += await self._sweep(polled, reported)
        if changes:
            await self._store.apply_link_changes(changes)
            log.info(
                "hubspot.poll.links",
                object_type=polled.object_type,
                changes=[f"{c.kind} {c.hubspot_id}" for c in changes],
            )

    async def _sweep(self, polled: PolledObject, reported: Set[str]) -> list[LinkChange]:
        """Deletions of linked records (in the recycle bin) and restores of records reported
        deleted (``reported``: out of the bin and readable, under their id or merged into
        another)."""
        archived: list[str] = []
        pages = 0
        after: str | None = None
        while True:
            page = await self._hubspot.get_page(
                polled.object_type, properties=["hs_object_id"], after=after, archived=True
            )
            pages += 1
            archived.extend(record.id for record in page.results)
            after = page.next_after
            if after is None:
                break
        self._next_sweep[polled.feed] = time.monotonic() + pages * self._sweep_s_per_page
        record_type = polled.record_type
        linked = await self._store.get_links_by_hubspot_id(record_type, archived)
        changes = deletions_found(record_type, archived, linked)
        out_of_bin = reported - set(archived)
        if out_of_bin:
            read = await self._hubspot.batch_read(
                polled.object_type, sorted(out_of_bin), properties=[MERGED_PROPERTY]
            )
            merged = {r.id: merged_ids(r.properties.get(MERGED_PROPERTY)) for r in read}
            changes += restores_found(record_type, out_of_bin, merged)
        return changes

    async def _changes(
        self, polled: PolledObject, start_ms: int
    ) -> list[tuple[str, int, tuple[str, ...]]]:
        """(id, last-modified ms, merged ids) of every record changed since ``start_ms``,
        never paging past the 10,000-result cap: at the cap the search starts again from the
        last change read (the records at that very millisecond are read twice, and ``absorb``
        drops them)."""
        found: list[tuple[str, int, tuple[str, ...]]] = []
        after: str | None = None
        while True:
            page = await self._hubspot.search(
                polled.object_type, changes_request(polled, start_ms, after)
            )
            for record in page.results:
                stamp = modified_ms(record, polled.modified_property)
                if stamp is not None:
                    merged = merged_ids(record.properties.get(MERGED_PROPERTY))
                    found.append((record.id, stamp, merged))
            after = page.next_after
            if after is None:
                return found
            if next_page_crosses_cap(after, MAX_SEARCH_LIMIT):
                latest = found[-1][1] if found else start_ms
                if latest <= start_ms:  # 10,000 changes in one millisecond: go on next poll
                    log.warning("hubspot.poll.cap", object_type=polled.object_type)
                    return found
                start_ms, after = latest, None

    async def _newest_ms(self, polled: PolledObject) -> int:
        """The latest change HubSpot shows now (the connector's clock when there is none)."""
        request = SearchRequest(
            sorts=[SearchSort(property_name=polled.modified_property, direction="DESCENDING")],
            properties=[polled.modified_property],
            limit=1,
        )
        page = await self._hubspot.search(polled.object_type, request)
        for record in page.results:
            stamp = modified_ms(record, polled.modified_property)
            if stamp is not None:
                return stamp
        return int(self._clock.now().timestamp() * 1000)
