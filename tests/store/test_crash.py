"""Invariant 4 under SIGKILL: kill a writer at random instants, re-open, nothing lost or doubled."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from accredo_hubspot.store import StateStore
from tests.store.conftest import queued

WRITER = Path(__file__).with_name("crash_writer.py")
ROUNDS = 3


def _run_and_kill(url: str, rng: random.Random) -> None:
    """Start the writer, let it commit a few positions, then SIGKILL it at a random moment."""
    child = subprocess.Popen(
        [sys.executable, str(WRITER), url], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        for _ in range(rng.randint(5, 25)):
            if not child.stdout.readline():
                raise AssertionError(f"writer exited early: {child.stderr.read()!r}")  # type: ignore[union-attr]
        time.sleep(rng.uniform(0, 0.02))
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=10)
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def test_invariant_4_the_cursor_never_passes_queued_work(store_url: str) -> None:
    rng = random.Random(20260301)
    for _ in range(ROUNDS):
        _run_and_kill(store_url, rng)
        with StateStore.open(store_url) as store:
            cursor = store.get_cursors()["ARDELTA"]
            in_queue = set(queued(store))
            synced = set(store.get_shadows("hubspot", "company"))
            links = store.get_links("company")
        covered = {f"C{n}" for n in range(1, cursor + 1)}
        assert in_queue | synced == covered, "work the cursor covers was lost, or work past it"
        assert not in_queue & synced, "a record both synced and still queued: half a commit"
        assert set(links) == synced
