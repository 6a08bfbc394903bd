"""Tables, the data version and the remembered orderings."""

from __future__ import annotations

import pytest

from sims.accredo.tables import DataVersion, Ordering, Orderings, Table, UnversionedWrite


def _ordering(n: int) -> Ordering:
    return Ordering(rows=[{"K": n}], values=[[n]], ranks=[(n,)])


def test_orderings_keep_the_most_recently_used_few() -> None:
    remembered = Orderings(DataVersion(), size=2)
    first, second, third = _ordering(1), _ordering(2), _ordering(3)
    remembered.put("first", first)
    remembered.put("second", second)
    assert remembered.get("first") is first  # now the most recently used
    remembered.put("third", third)
    assert len(remembered) == 2
    assert remembered.get("second") is None
    assert remembered.get("first") is first and remembered.get("third") is third


def test_a_change_forgets_every_ordering() -> None:
    version = DataVersion()
    remembered = Orderings(version, size=2)
    remembered.put("q", _ordering(1))
    with version.change():
        assert remembered.get("q") is None  # not even to a read in the middle of the change
        remembered.put("q", _ordering(2))
    assert remembered.get("q") is None and len(remembered) == 0


def test_a_table_refuses_writes_outside_a_change() -> None:
    version = DataVersion()
    table = Table("K", version, ("F",))
    with pytest.raises(UnversionedWrite):
        table.insert({"K": 1, "F": "a"})
    with version.change():
        table.insert({"K": 1, "F": "a"})
    for write in (
        lambda: table.delete(1),
        lambda: table.reindex(1, "F", "a", "b"),
        lambda: table.load([{"K": 2, "F": "a"}]),
    ):
        with pytest.raises(UnversionedWrite):
            write()
    assert table.keys == [1] and table.by_index("F", "a") == [1]
