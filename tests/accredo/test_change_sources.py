"""Each customer a poll names carries the change row that last named it, for provenance."""

from __future__ import annotations

from accredo_hubspot.accredo.changes import change_source, resolve
from accredo_hubspot.accredo.models import DeltaRow


def row(delta_id: int, file: str, code: str) -> DeltaRow:
    return DeltaRow(DeltaID=delta_id, AccountFile=file, AccountCode=code, ChangeType="U")


def test_each_customer_names_the_last_row_that_named_it() -> None:
    ar = [row(10, "ARCUST", "beta"), row(11, "ARTRAN", "100"), row(12, "ARCUST", "ZETA")]
    inv = [row(40, "INHEAD", "7")]
    found: dict[str, dict[int, dict[str, object]]] = {
        "ARTransaction": {100: {"CustomerCode": "BETA"}},
        "INInvoice": {7: {"CustomerCode": "BETA"}},
    }
    batch = resolve({"ARDELTA": ar, "INDELTA": inv}, found, {})
    assert batch.sources == {
        "BETA": "INDELTA DeltaID 40 (INHEAD 7)",
        "ZETA": "ARDELTA DeltaID 12 (ARCUST ZETA)",
    }
    assert change_source("ARDELTA", ar[1]) == "ARDELTA DeltaID 11 (ARTRAN 100)"
