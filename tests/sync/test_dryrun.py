"""The dry-run store reads the real store and keeps every write to itself."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accredo_hubspot.store import AsyncStateStore, AuditBatch, StateStore
from accredo_hubspot.sync.dryrun import DryRunStore, DryRunWriteError


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
                with pytest.raises(DryRunWriteError, match="enqueue"):
                    await view.enqueue("to_hubspot", "company", ["A"], "x")
            finally:
                await view.aclose()
            (commit,) = view.commits
            assert (commit.links, commit.audit[0].record_key) == ({"B": "2"}, "B")
            assert await store.get_links("company") == {"A": "1"}  # still open, untouched
            assert await store.get_cursors() == {}
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
