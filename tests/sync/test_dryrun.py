"""The dry-run store reads the real store and keeps every write to itself; a dry run counts
the contacts a backfill then queues."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.mapping.properties import CUSTOMER_CODE_PROPERTY
from accredo_hubspot.store import TO_HUBSPOT, AsyncStateStore, AuditBatch, StateStore
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.contacts_rollout import queue_existing_contacts
from accredo_hubspot.sync.dryrun import (
    DryRunStore,
    DryRunWriteError,
    RecordingSink,
    plan_backfill,
)
from accredo_hubspot.sync.setup import run_setup
from tests.e2e.world import user_creates
from tests.sync.two_sims import CLOCK, Sims, connected

#: HubSpot's association type of a contact to its primary company.
CONTACT_TO_COMPANY = 1


def test_reads_pass_commits_are_kept_and_other_writes_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with StateStore.open(url) as real:
        real.put_links("company", {"A": "1"})

    async def go() -> None:
        async with await AsyncStateStore.open(url) as store:
            view = DryRunStore(store)
            try:
                assert await view.get_links("company") == {"A": "1"}
                batch = AuditBatch(datetime.now(UTC), "hubspot", "company", "backfill")
                batch.rows.append(("B", "2", {"name": (None, "B Ltd")}))
                await view.record_sync(
                    "company", "hubspot", links={"B": "2"}, shadows={}, audit=batch
                )
                await view.set_cursors({"ARDELTA": 5})
                await view.enqueue(TO_HUBSPOT, "contact", ["7", "8"], "rollout")
                with pytest.raises(DryRunWriteError, match="put_links"):
                    await view.put_links("company", {"C": "3"})
            finally:
                await view.aclose()
            (commit,) = view.commits
            assert (commit.links, commit.audit[0].record_key) == ({"B": "2"}, "B")
            assert await store.get_links("company") == {"A": "1"}  # still open, untouched
            assert await store.get_cursors() == {}
            assert await store.queue_depth() == 0
            assert await store.list_audit() == []

    asyncio.run(go())


def test_links_a_commit_made_are_read_back_and_a_forget_is_kept(tmp_path: Path) -> None:
    """The invoices of a plan find the companies the plan would create; an archive is kept."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with StateStore.open(url) as real:
        real.put_links("company", {"A": "1"})
        real.put_links("invoice", {"9": "90"})

    async def go() -> None:
        async with await AsyncStateStore.open(url) as store:
            view = DryRunStore(store)
            try:
                await view.record_sync(
                    "company", "hubspot", links={"B": "new:B"}, shadows={}, audit=[]
                )
                assert await view.get_links("company", ["B", "C"]) == {"B": "new:B"}
                assert await view.get_links("company") == {"A": "1", "B": "new:B"}
                await view.forget("invoice", ["9"])
                assert await view.get_links("invoice") == {}
            finally:
                await view.aclose()
            assert view.commits[-1].archived == ["9"]
            assert await store.get_links("invoice") == {"9": "90"}  # untouched

    asyncio.run(go())


async def test_plan_counts_the_contacts_the_backfill_then_queues(
    sims: Sims, tmp_path: Path
) -> None:
    """HubSpot holds contacts on a company the plan would link (by its customer code) and on
    one it would not; Accredo holds the debtors' contacts. The plan counts exactly what the
    backfill after it queues, and queues nothing itself."""
    config = load_config(None)
    async with connected(sims, tmp_path) as on:
        await run_setup(on.hubspot, config)
        hub = sims.hubspot.url
        matched = user_creates(hub, "companies", {"name": "Rātā", CUSTOMER_CODE_PROPERTY: on.code})
        other = user_creates(hub, "companies", {"name": "Not a debtor of Accredo's"})
        for n, company in enumerate((matched, matched, other)):
            email = {"email": f"ap{n}@example.co.nz"}
            user_creates(hub, "contacts", email, to=company, type_id=CONTACT_TO_COMPANY)

        planned = await plan_backfill(on.accredo, on.hubspot, on.offloaded, config, CLOCK)

        assert (await on.offloaded.queue_depth(), await on.offloaded.link_count()) == (0, 0)
        await Backfill(on.accredo, on.hubspot, on.offloaded, config, CLOCK).run()
        queued = await queue_existing_contacts(on.accredo, on.hubspot, on.offloaded)
        assert queued.to_accredo == 2, "the two on the matched company, not the other's"
        assert queued.to_hubspot > 0, "the seed's debtors have contacts"
        assert planned.contacts == queued


async def test_a_company_the_plan_would_create_is_not_asked_about(
    sims: Sims, tmp_path: Path
) -> None:
    """Its placeholder id is none HubSpot issued: it has no contacts, and no call is made."""
    async with connected(sims, tmp_path) as on:
        httpx.post(f"{sims.hubspot.url}/_sim/stats/reset").raise_for_status()
        sink = RecordingSink(on.hubspot)
        found = await sink.batch_read_associations("companies", "contacts", ["new:ACME"])
        assert found == {"new:ACME": []}
        stats = httpx.get(f"{sims.hubspot.url}/_sim/stats").json()
        assert [r for r in stats["by_route"] if "associations" in r] == []
