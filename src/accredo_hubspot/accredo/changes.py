"""Following change-tracking rows to the customers they concern (reference §9.4). Pure.

A poll reads ``TABLE_xxDELTA`` rows. Each row names a table (``AccountFile``) and a key
(``AccountCode``). ``ARCUST`` rows name the customer directly; the others name a contact,
address, transaction, allocation, invoice or order that must be looked up to find its
customer. :func:`plan_lookups` says which records to read (so they can be fetched in batches, by
key lists); :func:`resolve` turns the rows plus what was found into a ``ChangeBatch``.

What the feed must remember between polls besides the cursors (the late-row window, entity
sets the site does not have) is plain JSON-ready data, ``FeedState`` (in ``shared``): the
caller keeps it with the cursors and hands it back on the next poll, so a restart loses
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from accredo_hubspot.accredo.models import DeltaRow
from accredo_hubspot.shared import ChangeBatch, FeedState

#: The delta tables polled, in the order their rows are reported (reference §9.1).
DELTA_TABLES: tuple[str, ...] = ("ARDELTA", "INDELTA", "OEDELTA")
#: Order Entry's delta table: its rows' customers are listed apart (their orders changed).
ORDER_DELTA = "OEDELTA"


#: DeltaIDs re-read below each cursor [assumed, reference 9.4 hazard (a)]: rows written by
#: concurrent writers can become visible slightly out of DeltaID order.
OVERLAP_IDS = 200


class LateRowWindow:
    """Remembers the DeltaIDs read near each cursor, so that a row which becomes visible after
    a higher one was read is still followed, exactly once.

    Each poll reads from ``OVERLAP_IDS`` below the cursor (never below the cursor this window
    first saw: older rows were handled before the process started) and keeps only the rows it
    has not seen.
    """

    def __init__(self, overlap_ids: int = OVERLAP_IDS) -> None:
        self.overlap_ids = overlap_ids
        self._floor: dict[str, int] = {}
        self._seen: dict[str, set[int]] = {}

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | None, overlap_ids: int = OVERLAP_IDS) -> Self:
        """The window as ``state`` left it (an empty window for None)."""
        window = cls(overlap_ids)
        if state:
            window._floor = {t: int(i) for t, i in state.get("floor", {}).items()}
            window._seen = {t: {int(i) for i in ids} for t, ids in state.get("seen", {}).items()}
        return window

    def state(self) -> FeedState:
        """What the window remembers, as JSON-ready data (for ``from_state``)."""
        return {
            "floor": dict(self._floor),
            "seen": {table: sorted(ids) for table, ids in self._seen.items()},
        }

    def read_after(self, table: str, cursor: int) -> int:
        """The DeltaID to read after for ``table`` now."""
        floor = self._floor.setdefault(table, cursor)
        return max(floor, cursor - self.overlap_ids)

    def fresh(self, table: str, rows: Sequence[DeltaRow], cursor: int) -> list[DeltaRow]:
        """The rows not handled before: above the cursor, or at or below it but never seen."""
        seen = self._seen.setdefault(table, set())
        new = [row for row in rows if row.DeltaID > cursor or row.DeltaID not in seen]
        seen.update(row.DeltaID for row in rows)
        top = max([cursor, *(row.DeltaID for row in rows)])
        self._seen[table] = {i for i in seen if i > top - self.overlap_ids}
        return new


@dataclass(frozen=True)
class FollowRule:
    """How to find the customer of a changed row: read ``entity`` by its integer ``key_field``
    and take the customers named in ``customer_fields`` (first one first)."""

    entity: str
    key_field: str
    customer_fields: tuple[str, ...]


#: AccountFile -> how to follow it. Entity and key names per reference §9.4 and §10; the
#: ``ARAllocation``/``AllocationID`` and ``TABLE_ARADDR``/``AddressID`` names are [assumed]
#: (neither is in the spec subset). ``ARCUST`` is not here: its AccountCode is the customer.
FOLLOW_RULES: Mapping[str, FollowRule] = {
    "ARTRAN": FollowRule("ARTransaction", "TransactionID", ("CustomerCode", "BillFromAccountCode")),
    "ARALLOC": FollowRule("ARAllocation", "AllocationID", ("CustomerCode",)),
    "ARCONTCT": FollowRule("ARContact", "ContactID", ("CustomerCode",)),
    "ARADDR": FollowRule("TABLE_ARADDR", "AddressID", ("CustomerCode",)),
    "INHEAD": FollowRule("INInvoice", "DocumentID", ("CustomerCode",)),
    "OEHEAD": FollowRule("OEOrder", "DocumentID", ("CustomerCode",)),
    "INLINE": FollowRule("TABLE_INLINE", "LineID", ("CustomerCode",)),
    "OELINE": FollowRule("TABLE_OELINE", "LineID", ("CustomerCode",)),
}
CUSTOMER_FILE = "ARCUST"
CONTACT_FILE = "ARCONTCT"


def unresolved_label(row: DeltaRow) -> str:
    """How an unfollowable row is reported: ``"ARCONTCT:123"`` (AccountFile:AccountCode)."""
    return f"{row.AccountFile}:{row.AccountCode}"


def _int_key(code: str) -> int | None:
    text = code.strip()
    return int(text) if text.isdigit() else None


def plan_lookups(rows: Sequence[DeltaRow]) -> dict[str, list[int]]:
    """Entity set -> distinct integer keys to read (first-seen order) to follow ``rows``."""
    wanted: dict[str, dict[int, None]] = {}
    for row in rows:
        rule = FOLLOW_RULES.get(row.AccountFile.upper())
        key = _int_key(row.AccountCode)
        if rule is None or key is None:
            continue
        wanted.setdefault(rule.entity, {})[key] = None
    return {entity: list(keys) for entity, keys in wanted.items()}


def resolve(
    rows_by_table: Mapping[str, Sequence[DeltaRow]],
    found: Mapping[str, Mapping[int, Mapping[str, object]]],
    cursors: Mapping[str, int],
    state: FeedState | None = None,
    own_user: str | None = None,
) -> ChangeBatch:
    """Customers named by the rows, de-duplicated in first-seen order, and the new cursors
    (``state``, the feed's state after this poll, travels with them).

    ``found`` maps entity set -> key -> the record read (only the customer fields matter).
    A row whose record was not found (typically deleted since) goes to ``unresolved``; rows of
    an unknown AccountFile are ignored. Tables are reported in ``DELTA_TABLES`` order. Contacts
    added or changed by anyone but ``own_user`` (the connector's Accredo user) are listed in
    ``contact_ids``.
    """
    codes: dict[str, None] = {}
    order_codes: dict[str, None] = {}
    sources: dict[str, str] = {}
    contacts: dict[str, None] = {}
    unresolved: dict[str, None] = {}
    new_cursors = {table: cursors.get(table, 0) for table in DELTA_TABLES}
    new_cursors.update({t: c for t, c in cursors.items() if t not in new_cursors})
    rows_seen = 0
    ordered = [t for t in DELTA_TABLES if t in rows_by_table]
    ordered += [t for t in rows_by_table if t not in DELTA_TABLES]
    for table in ordered:
        for row in rows_by_table[table]:
            rows_seen += 1
            new_cursors[table] = max(new_cursors.get(table, 0), row.DeltaID)
            for code in _customers_of(row, found):
                codes[code] = None
                sources[code] = change_source(table, row)
                if table == ORDER_DELTA:
                    order_codes[code] = None
            if _is_others_contact_change(row, own_user):
                contacts[row.AccountCode.strip()] = None
            if _is_unresolved(row, found):
                unresolved[unresolved_label(row)] = None
    return ChangeBatch(
        customer_codes=list(codes),
        cursors=new_cursors,
        rows_seen=rows_seen,
        unresolved=list(unresolved),
        state=dict(state or {}),
        sources=sources,
        contact_ids=list(contacts),
        order_customer_codes=list(order_codes),
    )


def change_source(table: str, row: DeltaRow) -> str:
    """A change row as an audit entry's source: ``ARDELTA DeltaID 57 (ARTRAN 12)``."""
    return f"{table} DeltaID {row.DeltaID} ({row.AccountFile} {row.AccountCode})"


def _is_others_contact_change(row: DeltaRow, own_user: str | None) -> bool:
    if row.AccountFile.upper() != CONTACT_FILE or row.ChangeType.upper() not in ("A", "U"):
        return False
    if _int_key(row.AccountCode) is None:
        return False
    user = (row.CreatedUserCode or "").strip().upper()
    return own_user is None or user != own_user.strip().upper()


def _record_of(
    row: DeltaRow, found: Mapping[str, Mapping[int, Mapping[str, object]]]
) -> tuple[FollowRule | None, Mapping[str, object] | None]:
    rule = FOLLOW_RULES.get(row.AccountFile.upper())
    if rule is None:
        return None, None
    key = _int_key(row.AccountCode)
    if key is None:
        return rule, None
    return rule, found.get(rule.entity, {}).get(key)


def _customers_of(
    row: DeltaRow, found: Mapping[str, Mapping[int, Mapping[str, object]]]
) -> list[str]:
    if row.AccountFile.upper() == CUSTOMER_FILE:
        code = row.AccountCode.strip().upper()
        return [code] if code else []
    rule, record = _record_of(row, found)
    if rule is None or record is None:
        return []
    out: list[str] = []
    for field in rule.customer_fields:
        value = record.get(field)
        if isinstance(value, str) and value.strip():
            out.append(value.strip().upper())
    return out


def _is_unresolved(row: DeltaRow, found: Mapping[str, Mapping[int, Mapping[str, object]]]) -> bool:
    if row.AccountFile.upper() == CUSTOMER_FILE:
        return not row.AccountCode.strip()
    rule, record = _record_of(row, found)
    return rule is not None and record is None
