"""Child process for the crash test: writes like the live sync until it is killed.

Usage: python crash_writer.py DATABASE_URL. Round after round it queues one record and moves the
cursor past it (``enqueue_and_advance``), and every third round commits a sync of the two oldest
queued records (``record_sync``), printing each committed cursor position.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from accredo_hubspot.store import SINGLE_WORKER, AuditEntry, StateStore

CO = "company"


def main(url: str) -> None:
    with StateStore.open(url) as store:
        position = store.get_cursors().get("ARDELTA", 0)
        while True:
            position += 1
            store.enqueue_and_advance(
                "to_hubspot", CO, [f"C{position}"], "delta", {"ARDELTA": position}
            )
            if position % 3 == 0:
                entries = store.claim(SINGLE_WORKER, 2, 600, direction="to_hubspot", record_type=CO)
                claimed = [entry.key for entry in entries]
                store.record_sync(
                    CO,
                    "hubspot",
                    links={code: f"hs-{code}" for code in claimed},
                    shadows={code: {"accredo_balance_total": str(position)} for code in claimed},
                    audit=[
                        AuditEntry(
                            datetime.now(UTC), "hubspot", CO, c, None, {"x": (None, "1")}, ""
                        )
                        for c in claimed
                    ],
                    completed=claimed,
                )
            print(position, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
