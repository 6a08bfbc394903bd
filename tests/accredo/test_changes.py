"""Following delta rows to customers (reference §9.4)."""

from __future__ import annotations

from accredo_hubspot.accredo.changes import LateRowWindow, plan_lookups, resolve
from accredo_hubspot.accredo.models import DeltaRow


def row(delta_id: int, file: str, code: str, change: str = "A") -> DeltaRow:
    return DeltaRow(DeltaID=delta_id, AccountFile=file, AccountCode=code, ChangeType=change)


def test_plan_lookups_groups_integer_keys_by_entity() -> None:
    rows = [
        row(1, "ARCUST", "BOWEN", "U"),
        row(2, "ARTRAN", "58211"),
        row(3, "ARALLOC", "901"),
        row(4, "ARTRAN", "58211", "U"),
        row(5, "ARCONTCT", "17"),
        row(6, "ARADDR", "3"),
        row(7, "ARGROUP", "WHOLESALE"),
        row(8, "ARTRAN", "not-a-number"),
    ]
    assert plan_lookups(rows) == {
        "ARTransaction": [58211],
        "ARAllocation": [901],
        "ARContact": [17],
        "TABLE_ARADDR": [3],
    }


def test_resolve_orders_dedupes_and_moves_cursors() -> None:
    ar = [
        row(10, "ARTRAN", "100"),
        row(11, "ARCUST", "zeta", "U"),
        row(12, "ARALLOC", "5"),
        row(13, "ARCONTCT", "9", "D"),
        row(14, "ARGROUP", "G1"),
        row(15, "ARTRAN", "101"),
    ]
    inv = [row(40, "INHEAD", "7")]
    oe = [row(70, "OEHEAD", "8"), row(71, "OEHEAD", "8", "U")]
    found: dict[str, dict[int, dict[str, object]]] = {
        "ARTransaction": {
            100: {"CustomerCode": "BETA", "BillFromAccountCode": "ALPHA"},
            101: {"CustomerCode": "ZETA", "BillFromAccountCode": None},
        },
        "ARAllocation": {5: {"CustomerCode": "BETA"}},
        "INInvoice": {7: {"CustomerCode": "GAMMA"}},
        "OEOrder": {8: {"CustomerCode": "BETA"}},
    }
    batch = resolve({"OEDELTA": oe, "ARDELTA": ar, "INDELTA": inv}, found, {"ARDELTA": 9})
    assert batch.customer_codes == ["BETA", "ALPHA", "ZETA", "GAMMA"]
    assert batch.cursors == {"ARDELTA": 15, "INDELTA": 40, "OEDELTA": 71}
    assert batch.rows_seen == 9
    assert batch.unresolved == ["ARCONTCT:9"]
    assert batch.order_customer_codes == ["BETA"]  # its orders changed; GAMMA's invoice did not


def test_resolve_with_no_rows_keeps_cursors() -> None:
    batch = resolve({}, {}, {"ARDELTA": 5, "INDELTA": 6, "OEDELTA": 7})
    assert batch.customer_codes == [] and batch.rows_seen == 0
    assert batch.cursors == {"ARDELTA": 5, "INDELTA": 6, "OEDELTA": 7}


def test_rows_that_cannot_be_followed_are_unresolved_once() -> None:
    rows = [row(1, "ARTRAN", "x1"), row(2, "ARTRAN", "x1"), row(3, "ARCUST", " ")]
    batch = resolve({"ARDELTA": rows}, {}, {})
    assert batch.unresolved == ["ARTRAN:x1", "ARCUST: "]
    assert batch.customer_codes == []
    assert batch.cursors["ARDELTA"] == 3


def _poll(window: LateRowWindow, visible: list[int], cursor: int) -> tuple[list[int], int]:
    """One poll against a table whose visible DeltaIDs are ``visible``: (fresh ids, cursor)."""
    after = window.read_after("ARDELTA", cursor)
    rows = [row(i, "ARCUST", f"C{i}") for i in sorted(visible) if i > after]
    fresh = window.fresh("ARDELTA", rows, cursor)
    return [r.DeltaID for r in fresh], max([cursor, *(r.DeltaID for r in rows)])


def test_a_row_that_becomes_visible_late_is_followed_once() -> None:
    """Reference 9.4 hazard (a): concurrent writers can make DeltaID 11 visible after 12."""
    window = LateRowWindow(overlap_ids=5)
    fresh, cursor = _poll(window, [10], cursor=9)
    assert (fresh, cursor) == ([10], 10)
    fresh, cursor = _poll(window, [10, 12], cursor)
    assert (fresh, cursor) == ([12], 12)
    fresh, cursor = _poll(window, [10, 11, 12], cursor)  # 11 shows up below the cursor
    assert (fresh, cursor) == ([11], 12)
    fresh, cursor = _poll(window, [10, 11, 12], cursor)
    assert (fresh, cursor) == ([], 12)


def test_the_window_never_reaches_below_the_first_cursor() -> None:
    """Rows below the cursor a process starts from were handled before it started."""
    window = LateRowWindow(overlap_ids=100)
    assert window.read_after("ARDELTA", 40) == 40
    fresh, cursor = _poll(window, [30, 41], cursor=40)
    assert (fresh, cursor) == ([41], 41)
    assert window.read_after("ARDELTA", 400) == 300


def test_the_window_survives_a_restart_through_its_state() -> None:
    """The state is plain JSON data: kept in the store, a new window picks up where it was."""
    import json

    window = LateRowWindow(overlap_ids=5)
    fresh, cursor = _poll(window, [10], cursor=9)
    fresh, cursor = _poll(window, [10, 12], cursor)
    restored = LateRowWindow.from_state(json.loads(json.dumps(window.state())), overlap_ids=5)
    fresh, cursor = _poll(restored, [10, 11, 12], cursor)
    assert (fresh, cursor) == ([11], 12)  # 10 and 12 were handled before the restart
    assert restored.read_after("ARDELTA", 12) == 9  # the first cursor seen, not 12
    assert LateRowWindow.from_state(None).state() == {"floor": {}, "seen": {}}
