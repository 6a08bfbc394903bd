"""Polling HubSpot for changes: the cursor and its overlap window (pure), then the poller
against the HubSpot simulator, whose search lags each write by its own random delay and
refuses to page past 10,000 results (reference 5)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from accredo_hubspot.hubspot.client import HubSpotClient
from accredo_hubspot.store import TO_ACCREDO, AsyncStateStore, StateStore, schema
from accredo_hubspot.sync.hubspot_poll import POLLED_OBJECTS, HubSpotPoller, PollCursor
from accredo_hubspot.sync.pipeline import Clock
from sims.hubspot.app import create_app
from sims.hubspot.config import DEMO_TOKEN, HubSpotSimConfig
from sims.hubspot.events import WriteSource
from sims.hubspot.store import Portal
from sims.serve import BackgroundServer, serve_in_thread
from tests.conftest import await_until
from tests.e2e.world import user_creates

CLOCK = Clock(now=lambda: datetime.now(UTC), today=lambda: date(2026, 11, 30))
CONTACTS = POLLED_OBJECTS["contact"]
OVERLAP_S = 5.0


# -- the cursor -------------------------------------------------------------------------------


def test_a_change_is_queued_once_though_read_again_in_the_overlap() -> None:
    cursor = PollCursor(since_ms=1_000_000)
    assert cursor.absorb([("a", 1_000_500), ("b", 1_001_000)], OVERLAP_S) == ["a", "b"]
    assert cursor.since_ms == 1_001_000
    # The next poll reads from 5 s before the cursor: a and b again, and c, which search
    # showed late although it changed before b.
    assert cursor.window_start_ms(OVERLAP_S) == 996_000
    assert cursor.absorb([("a", 1_000_500), ("c", 1_000_700), ("b", 1_001_000)], OVERLAP_S) == ["c"]
    # A later change of a record already seen is a change again.
    assert cursor.absorb([("a", 1_002_000)], OVERLAP_S) == ["a"]


def test_seen_changes_older_than_the_window_are_forgotten_and_state_round_trips() -> None:
    cursor = PollCursor(since_ms=0)
    cursor.absorb([("old", 1_000), ("new", 10_000)], OVERLAP_S)
    assert cursor.seen == {"new": 10_000}
    assert PollCursor.from_state(cursor.state()) == cursor


# -- the poller against the simulator ---------------------------------------------------------


@dataclass
class Sim:
    server: BackgroundServer
    portal: Portal

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    config = HubSpotSimConfig(
        rate_limit=0, search_rate_limit=0, indexing_delay_ms=100, indexing_jitter_ms=900
    )
    app = create_app(config)
    with serve_in_thread(app) as server:
        yield Sim(server, app.state.sim.portal)


class CountingStore(AsyncStateStore):
    """The real store, counting its reads of the records reported deleted."""

    def __init__(self, store: StateStore) -> None:
        super().__init__(store)
        self.deletion_reads = 0

    async def reported_deletions(self, record_type: str) -> list[str]:
        self.deletion_reads += 1
        return await super().reported_deletions(record_type)


@dataclass
class Rig:
    sim: Sim
    store: StateStore
    offloaded: CountingStore
    poller: HubSpotPoller

    def user_adds_contact(self, n: int) -> str:
        return user_creates(self.sim.url, "contacts", {"email": f"person{n}@example.co.nz"})

    def user_merges(self, primary: str, merged: str) -> str:
        """Merge two contacts through HubSpot's API; the survivor's id (a new record)."""
        answer = httpx.post(
            f"{self.sim.url}/crm/v3/objects/contacts/merge",
            json={"primaryObjectId": primary, "objectIdToMerge": merged},
            headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
        )
        answer.raise_for_status()
        survivor: str = answer.json()["id"]
        return survivor

    async def poll_until(
        self, condition: Callable[[], object], what: str | Callable[[], str]
    ) -> int:
        """Poll as search shows the changes (each after its own lag) until ``condition()``;
        how many polls that took."""
        polls = 0

        async def polled() -> bool:
            nonlocal polls
            if condition():
                return True
            await self.poller.poll_object(CONTACTS)
            polls += 1
            return False

        await await_until(polled, what, timeout_s=30, interval_s=0.1)
        return polls

    def queued(self) -> dict[str, int]:
        """Queued contact ids (towards Accredo) -> how many times each was enqueued."""
        queue = schema.work_queue.c
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(queue.record_key, queue.enqueue_count).where(
                    queue.direction == TO_ACCREDO, queue.record_type == "contact"
                )
            ).all()
        return {key: int(count) for key, count in rows}


@pytest.fixture
async def rig(sim: Sim, tmp_path: Path) -> AsyncIterator[Rig]:
    httpx.post(f"{sim.url}/_sim/reset").raise_for_status()
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    async with (
        CountingStore(store) as offloaded,
        # The simulator here limits no search: the client's own 5 a second (HubSpot's) held the
        # poll of 10,050 changes (a search a page) to over 10 s.
        HubSpotClient(DEMO_TOKEN, base_url=sim.url, search_per_s=100) as hubspot,
    ):
        poller = HubSpotPoller(hubspot, offloaded, CLOCK, overlap_s=OVERLAP_S, sweep_s_per_page=0)
        yield Rig(sim, store, offloaded, poller)


async def test_the_first_poll_places_the_cursor_and_queues_nothing(rig: Rig) -> None:
    rig.user_adds_contact(0)
    httpx.post(f"{rig.sim.url}/_sim/search/index").raise_for_status()
    assert await rig.poller.poll_object(CONTACTS) == 0
    assert rig.queued() == {}
    assert rig.store.get_feed_state(CONTACTS.feed) is not None


async def test_changes_shown_late_and_out_of_order_are_each_queued_once(rig: Rig) -> None:
    await rig.poller.poll_object(CONTACTS)
    made = [rig.user_adds_contact(n) for n in range(1, 13)]
    await rig.poll_until(
        lambda: set(rig.queued()) == set(made), lambda: f"all queued, not {rig.queued()}"
    )
    for _ in range(3):  # polls that read the overlap again queue nothing more
        await rig.poller.poll_object(CONTACTS)
    assert rig.queued() == dict.fromkeys(made, 1)


@pytest.mark.slow
async def test_more_changes_than_search_can_page_through_are_all_queued(rig: Rig) -> None:
    """10,000 results is as far as search pages (reference 5): the poll moves its cursor
    and searches again instead of paging past the cap (which would be refused)."""
    await rig.poller.poll_object(CONTACTS)
    portal = rig.sim.portal
    contacts = portal.types["0-1"]
    user = WriteSource("CRM_UI", "userId:1")
    made = {
        str(portal.create(contacts, {"email": f"bulk{n}@example.co.nz"}, user).id)
        for n in range(10_050)
    }
    httpx.post(f"{rig.sim.url}/_sim/search/index").raise_for_status()
    queued = await rig.poller.poll_object(CONTACTS)
    assert queued == len(made)
    assert set(rig.queued()) == made


def dead_letter_ids(store: StateStore) -> list[str]:
    return store.reported_deletions("contact")


async def test_the_poll_follows_a_linked_contact_deleted_restored_and_merged(rig: Rig) -> None:
    """Without webhooks: the recycle bin shows the deletion (unlinked, reported), the record
    back out of it the restore (linked again), and the survivor's ``hs_merged_object_ids``
    the merge (the link moves to the new id)."""
    contact = rig.user_adds_contact(100)
    rig.store.put_links("contact", {"501": contact})
    await rig.poller.poll_object(CONTACTS)  # places the cursor
    url = f"{rig.sim.url}/_sim/objects/contacts/{contact}"

    httpx.delete(url).raise_for_status()
    await rig.poller.poll_object(CONTACTS)
    assert rig.store.get_links("contact") == {}
    assert dead_letter_ids(rig.store) == [contact]

    httpx.post(f"{url}/restore").raise_for_status()
    await rig.poller.poll_object(CONTACTS)
    assert rig.store.get_links("contact") == {"501": contact}
    assert dead_letter_ids(rig.store) == []

    survivor = rig.user_merges(rig.user_adds_contact(101), contact)
    await rig.poll_until(lambda: rig.store.get_links("contact") == {"501": survivor}, "the merge")
    assert survivor in rig.queued()


async def test_a_poll_that_finds_a_merge_and_sweeps_the_bin_reads_the_deletions_once(
    rig: Rig,
) -> None:
    """The merge (is a merged id reported deleted?) and the sweep (is a reported record
    restored?) share one read of the records reported deleted."""
    contact = rig.user_adds_contact(200)
    rig.store.put_links("contact", {"601": contact})
    await rig.poller.poll_object(CONTACTS)  # places the cursor
    survivor = rig.user_merges(rig.user_adds_contact(201), contact)
    polls = await rig.poll_until(
        lambda: rig.store.get_links("contact") == {"601": survivor}, "the merge"
    )
    assert rig.offloaded.deletion_reads == polls  # every poll sweeps the bin
