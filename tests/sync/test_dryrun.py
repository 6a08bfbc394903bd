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
