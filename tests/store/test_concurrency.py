"""Two writers on one database (a CLI command beside the service): they wait, they never fail."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from accredo_hubspot.store import TO_HUBSPOT, StateStore
from tests.store.conftest import queued

CO = "company"


def test_concurrent_writers_do_not_collide(store_url: str) -> None:
    StateStore.open(store_url).close()

    def writer(name: str) -> None:
        with StateStore.open(store_url) as store:
            for n in range(40):
                store.enqueue_and_advance(TO_HUBSPOT, CO, [f"{name}{n}"], "delta", {name: n})
                if n % 5 == 0:
                    entries = store.claim(name, 3, 60, direction=TO_HUBSPOT, record_type=CO)
                    claimed = [entry.key for entry in entries]
                    store.record_sync(
                        CO,
                        "hubspot",
                        links={},
                        shadows={c: {"x": name} for c in claimed},
                        audit=[],
                        completed=claimed,
                        owner=name,
                    )

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(writer, ["A", "B", "C"]))
    with StateStore.open(store_url) as store:
        assert store.get_cursors() == {"A": 39, "B": 39, "C": 39}
        codes = set(queued(store)) | set(store.get_shadows("hubspot", CO))
    assert codes == {f"{name}{n}" for name in "ABC" for n in range(40)}
