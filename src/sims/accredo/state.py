"""The simulated Accredo company: tables, clock, postings, change tracking, writes.

All mutations go through :class:`SimState` inside :meth:`SimState.writing` (its lock, and a
change of the data version, which forgets the remembered query orderings), and each writes its
delta rows in the same step as the data change (reference 9.4 "Simulator obligations").
"""

from __future__ import annotations

import copy
import gc
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sims.accredo import fx, ledger, seed
from sims.accredo.auth import TokenStore
from sims.accredo.company import BASE_CURRENCY
from sims.accredo.config import SimConfig
from sims.accredo.memos import memo_values
from sims.accredo.schema import (
    EntityDef,
    FieldDef,
    build_entities,
    default_value,
    definition_fields,
)
from sims.accredo.tables import DataVersion, Orderings, Row, Table
from sims.accredo.validation import ValidationFailed, check_value, clean_body

SIM_USER = "SIM"
#: [assumed] the company's default customer group for a POST without one (reference 6.3).
DEFAULT_GROUP = "TRADE"
_CODE_RE = re.compile(r"^[A-Z0-9]{1,16}$")
#: Query orderings remembered (a client pages one or two large queries at a time).
REMEMBERED_ORDERINGS = 4

#: Default change-tracking set-up (reference 9.3, "Simulator heat map").
DEFAULT_TRACKED = (
    "ARCUST",
    "ARCONTCT",
    "ARADDR",
    "ARTRAN",
    "ARALLOC",
    "INHEAD",
    "OEHEAD",
    "OELINE",
)
DEFAULT_HEAT_LIMIT = 2
DEFAULT_TRACKED_FIELDS = {
    "ARCUST": [
        "CustomerName",
        "CreditLimit",
        "StopCredit",
        "SalesPersonCode",
        "PriceCode",
        "BusinessNo",
        "EmailAddress",
    ]
}
#: AccountFile -> (entity definition used for field heats, key field)
ACCOUNT_FILES: dict[str, tuple[str, str]] = {
    "ARCUST": ("ARCustomer", "CustomerCode"),
    "ARCONTCT": ("ARContact", "ContactID"),
    "ARADDR": ("TABLE_ARADDR", "AddressID"),
    "ARTRAN": ("ARTransaction", "TransactionID"),
    "ARALLOC": ("ARAllocation", "AllocationID"),
    "ARGROUP": ("ARCustomerGroup", "CustomerGroupCode"),
    "ARPERS": ("ARSalesPerson", "SalesPersonCode"),
    "INHEAD": ("INInvoice", "DocumentID"),
    "OEHEAD": ("OEOrder", "DocumentID"),
    "OELINE": ("OEOrder_Line", "LineID"),
}
#: Fields with heat 6 (reference 9.3): balances, statistics, allocation state, statuses.
HEAT6 = frozenset(
    {
        "UnallocatedAmount",
        "DateFullyPaid",
        "PeriodFullyAllocated",
        "HoldAmount",
        "PostStatus",
        "PrintStatus",
        "DateOfLastSale",
        "DateOfLastReceipt",
        "AmountOfLastReceipt",
        "NumberOfInvoicesPaid",
        "TotalDaysToPay",
        "AverageDaysToPay",
    }
)
_HEAT6_PREFIXES = ("Balance", "Sales", "PeriodOpening", "YearOpening", "Discount")

#: Line types that carry a product (reference 3.3 LineType: all but narratives).
PRODUCT_LINE_TYPES = frozenset({"P", "A", "M", "C", "U"})
#: ARTransaction properties a PATCH may change once posted [assumed].
TXN_EDITABLE = frozenset(
    {
        "DueDate",
        "HoldAmount",
        "Reference",
        "OrderNo",
        "Comment",
        "Narration",
        "InternalReference",
        "DiscountDate",
    }
)


class SimError(Exception):
    """An HTTP error answer (the simulator raises nothing to users: this becomes a response)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        target: str | None = None,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details or []


def field_error(status: int, code: str, message: str, target: str) -> SimError:
    """An error naming the property it is about (``target``, and a ``details`` entry)."""
    details = [{"code": code, "message": message, "target": target}]
    return SimError(status, code, message, target=target, details=details)


def invalid(exc: ValidationFailed) -> SimError:
    return field_error(400, "ValidationFailed", exc.message, exc.target)


def _now_time() -> str:
    return datetime.now().strftime("%H:%M:%S")


@dataclass
class TableTracking:
    heat_limit: int = DEFAULT_HEAT_LIMIT
    fields: list[str] = field(default_factory=list)


class SimState:
    """One simulated company. ``lock`` serialises every read-modify-write; a change to the
    data is made inside :meth:`writing` only."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.entities = build_entities(config.custom_fields)
        self.lock = threading.RLock()
        self.version = DataVersion()
        self.orderings = Orderings(self.version, REMEMBERED_ORDERINGS)
        self.auth = TokenStore(config)
        self.fault_rng = random.Random(config.seed)
        self.stats: Counter[str] = Counter()
        self.requests = 0
        self.started = datetime.now()
        self.tracking: dict[str, TableTracking] = {}
        #: Records saved since start (never reset): the event hook posts a hint when it moves.
        self.saves = 0
        # Built once: every expanded row of every page reads them.
        self._nav_fields = {
            (name, nav): definition_fields(item_def) if item_def else {}
            for name, e in self.entities.items()
            for nav in e.navs
            for item_def in (e.fields[nav].item_def,)
        }
        self.nav_defaults = {
            key: {f.name: default_value(f) for f in fields.values()}
            for key, fields in self._nav_fields.items()
        }
        self._line_fields = self.nav_fields("OEOrder", "Line")
        self.defaults = {
            name: {f.name: default_value(f) for f in e.fields.values()}
            for name, e in self.entities.items()
        }
        self.reset_tracking()
        self.reset()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The lock, for a change to the data (rows inserted, deleted or changed in place,
        the clock moved, seeding): the one way in, so the data version moves with every change
        and a remembered query ordering is never served stale."""
        with self.lock, self.version.change():
            yield

    # ----- set-up -------------------------------------------------------------------------

    def reset_tracking(self) -> None:
        self.tracking = {
            t: TableTracking(DEFAULT_HEAT_LIMIT, list(DEFAULT_TRACKED_FIELDS.get(t, [])))
            for t in DEFAULT_TRACKED
        }

    def reseed(self, seed_value: int, customers: int) -> None:
        self.config.seed = seed_value
        self.config.customers = customers
        self.reset()

    def reset(self) -> None:
        """Back to the seeded state (data, clock, delta tables, statistics)."""
        # Building hundreds of thousands of small dicts: the cyclic GC would rescan them
        # over and over; pause it during the build and freeze the result afterwards.
        gc.disable()
        try:
            self._build()
        finally:
            gc.enable()
            gc.freeze()

    def _build(self) -> None:
        with self.writing():
            v = self.version
            self.clock = self.config.start_date or date.today()
            data = seed.build(self.config.seed, self.config.customers, self.clock)
            t: dict[str, Table] = {
                "ARCustomer": Table("CustomerCode", v),
                "ARContact": Table("ContactID", v, ("CustomerCode",)),
                "TABLE_ARADDR": Table("AddressID", v, ("CustomerCode",)),
                "ARCustomerGroup": Table("CustomerGroupCode", v),
                "ARSalesPerson": Table("SalesPersonCode", v),
                "ARMemo": Table("MemoID", v, ("CustomerCode",)),
                "TABLE_COPRICE": Table("PriceCode", v),
                "ARTransaction": Table("TransactionID", v, ("CustomerCode",)),
                "ARAllocation": Table(
                    "AllocationID", v, ("CustomerCode", "DebitTransactionID", "CreditTransactionID")
                ),
                "INInvoice": Table("DocumentID", v, ("CustomerCode",)),
                "OEOrder": Table("DocumentID", v, ("CustomerCode",)),
                "TABLE_OELINE": Table("LineID", v, ("DocumentID",)),
                "TABLE_COEVENT": Table("EventID", v),
            }
            for mod in ("AR", "IN", "OE"):
                t[f"TABLE_{mod}DELTA"] = Table("DeltaID", v)
                t[f"TABLE_{mod}DTFLD"] = Table("RecNo", v, ("DeltaID",))
            t["ARCustomer"].load(data.customers)
            t["ARContact"].load(data.contacts)
            t["TABLE_ARADDR"].load(data.addresses)
            t["ARCustomerGroup"].load(data.groups)
            t["ARSalesPerson"].load(data.sales_people)
            t["TABLE_COPRICE"].load(data.price_codes)
            t["ARMemo"].load(seed.memos(self.config.seed, data.customers, self.clock))
            t["ARTransaction"].load(data.transactions)
            t["ARAllocation"].load(data.allocations)
            t["INInvoice"].load(data.invoices)
            t["OEOrder"].load(data.orders)
            order_lines: list[Row] = []
            for o in data.orders:
                for ln in o["Line"]:  # the raw line table shares the order's line dicts
                    ln["DocumentID"], ln["CustomerCode"] = o["DocumentID"], o["CustomerCode"]
                    order_lines.append(ln)
            t["TABLE_OELINE"].load(order_lines)
            self.tables = t
            self.next_line_id = max(
                (ln["LineID"] for o in data.orders for ln in o["Line"]), default=0
            )
            self.next_line_id = max(self.next_line_id, 0) + 1
            self.next_delta = {"AR": 1, "IN": 1, "OE": 1}
            today = self.clock
            txns = t["ARTransaction"]
            _fill_base_amounts(data, t["ARAllocation"])
            for cust in t["ARCustomer"].rows.values():
                cust.update(
                    ledger.customer_figures(
                        txns.rows_for("CustomerCode", cust["CustomerCode"]),
                        today,
                        fx.rate(cust.get("CurrencyCode")),
                    )
                )
            self.stats.clear()
            self.requests = 0

    # ----- helpers ------------------------------------------------------------------------

    def table(self, name: str) -> Table:
        return self.tables[name]

    def entity(self, name: str) -> EntityDef:
        return self.entities[name]

    def etag(self, entity: str, row: Row) -> str:
        if entity in VIEWS:
            # A list row's eTag is not a valid If-Match for its entity (reference 10.2
            # [assumed]: re-read the entity before a PATCH): it names the view.
            return f"{entity}:{self.etag(VIEWS[entity][0], row)}"
        if self.entities[entity].has_edit_revision():
            return f"{row.get('EditRevision', 0)}/{row.get('RecordRevision', 0)}"
        return str(row.get("RecordRevision", 0))

    def field_heat(self, afile: str, name: str) -> int:
        if name.endswith("Bs"):  # a base-currency twin is as hot as its amount
            return self.field_heat(afile, name[:-2])
        ent_name, key = ACCOUNT_FILES.get(afile, ("", ""))
        if name == key or name.startswith("Created") or name == "CurrencyCode":
            return 1
        if name == "RecordRevision":
            return 9
        if name.startswith("Modified") or name == "EditRevision":
            return 3
        if name in HEAT6 or name.startswith(_HEAT6_PREFIXES):
            return 6
        fields = (
            self.entities[ent_name].fields
            if ent_name in self.entities
            else self._line_fields
            if ent_name == "OEOrder_Line"
            else {}
        )
        f = fields.get(name)
        if f is not None and f.read_only and not name.startswith("Z_"):
            return 6
        return 2

    def log(
        self,
        afile: str,
        code: Any,
        change: str,
        changes: dict[str, tuple[Any, Any]],
        user: str,
    ) -> None:
        """Count the save (what a Data.AfterSave script sees) and write the delta row (and
        field rows) for one change, if tracking admits it."""
        if change not in ("A", "D") and not changes:
            return
        self.saves += 1
        cfg = self.tracking.get(afile)
        if cfg is None:
            return
        heat = 1 if change in ("A", "D") else min(self.field_heat(afile, f) for f in changes)
        if heat > cfg.heat_limit:
            return
        mod = afile[:2]
        delta_id = self.next_delta[mod]
        self.next_delta[mod] += 1
        self.tables[f"TABLE_{mod}DELTA"].insert(
            {
                "RecNo": delta_id,
                "DeltaID": delta_id,
                "AccountFile": afile,
                "AccountCode": str(code)[:28],
                "ChangeType": change,
                "ChangeHeat": heat,
                "CreatedUserCode": user[:8],
                "CreatedDate": self.clock.isoformat(),
                "CreatedTime": _now_time(),
            }
        )
        fld_table = self.tables[f"TABLE_{mod}DTFLD"]
        line = 0
        for name in cfg.fields:
            if name not in changes:
                continue
            old, new = changes[name]
            line += 1
            fld_table.insert(
                {
                    "RecNo": fld_table.next_int_key(),
                    "DeltaID": delta_id,
                    "LineNo": line,
                    "Name": name,
                    "OldValue": old[:120] if isinstance(old, str) else old,
                    "NewValue": new[:120] if isinstance(new, str) else new,
                }
            )

    def _apply(
        self, row: Row, values: dict[str, Any], defaults: dict[str, Any]
    ) -> dict[str, tuple[Any, Any]]:
        changes: dict[str, tuple[Any, Any]] = {}
        for name, new in values.items():
            old = row.get(name, defaults.get(name))
            if old != new:
                changes[name] = (old, new)
            row[name] = new
        return changes

    def _stamp_update(
        self, entity: str, row: Row, user: str, edit: bool, changes: dict[str, tuple[Any, Any]]
    ) -> None:
        fields = self.entities[entity].fields
        stamps: dict[str, Any] = {}
        if edit:
            if "ModifiedUserCode" in fields:
                stamps["ModifiedUserCode"] = user[:8]
            if "ModifiedDate" in fields:
                stamps["ModifiedDate"] = self.clock.isoformat()
            if "ModifiedTime" in fields:
                stamps["ModifiedTime"] = _now_time()
            if "EditRevision" in fields:
                stamps["EditRevision"] = int(row.get("EditRevision", 0)) + 1
        stamps["RecordRevision"] = int(row.get("RecordRevision", 0)) + 1
        for name, new in stamps.items():
            changes[name] = (row.get(name), new)
            row[name] = new

    def _create_stamps(self, entity: str, row: Row, user: str) -> None:
        fields = self.entities[entity].fields
        today, now = self.clock.isoformat(), _now_time()
        for name, value in (
            ("CreatedUserCode", user[:8]),
            ("CreatedDate", today),
            ("CreatedTime", now),
            ("ModifiedUserCode", user[:8]),
            ("ModifiedDate", today),
            ("ModifiedTime", now),
            ("EditRevision", 1),
            ("RecordRevision", 1),
        ):
            if name in fields:
                row[name] = value

    def check_etag(self, entity: str, row: Row, if_match: str | None, required: bool) -> None:
        if if_match is None:
            if required:
                raise SimError(
                    428,
                    "PreconditionRequired",
                    f"An If-Match header with the record's etag is required to change {entity}.",
                )
            return
        if if_match.strip() == "*":
            raise SimError(400, "BadRequest", "If-Match: * is not accepted; send the etag.")
        from sims.accredo.validation import parse_if_match

        current = self.etag(entity, row)
        if parse_if_match(if_match) != current:
            key = self.entities[entity].key or ""
            raise SimError(
                412,
                "PreconditionFailed",
                f"The etag supplied in If-Match does not match the current version of "
                f"{entity}({key_literal(row.get(key))}).",
                details=[{"code": "CurrentETag", "message": current}],
            )

    def _require_ref(self, table: str, field_name: str, value: Any, allow_empty: bool) -> None:
        if value in ("", None, 0) and allow_empty:
            return
        if value not in self.tables[table]:
            msg = f"{field_name} '{value}' does not exist."
            raise field_error(400, "ValidationFailed", msg, field_name)

    def _check_refs(self, values: dict[str, Any]) -> None:
        for fname, table in (
            ("CustomerGroupCode", "ARCustomerGroup"),
            ("SalesPersonCode", "ARSalesPerson"),
            ("PriceCode", "TABLE_COPRICE"),
            ("DefaultPriceCode", "TABLE_COPRICE"),
            ("BillToAccountCode", "ARCustomer"),
        ):
            if fname in values:
                self._require_ref(table, fname, values[fname], allow_empty=True)
        currency = values.get("CurrencyCode")
        if currency and currency not in fx.RATES:
            raise ValidationFailed("CurrencyCode", f"Currency '{currency}' is not set up.")

    # ----- reads --------------------------------------------------------------------------

    def get_row(self, entity: str, key: Any) -> Row:
        view = VIEWS.get(entity)
        base = view[0] if view else entity
        if entity.endswith("DTFLD"):
            tbl = self.tables[entity]
            keys = tbl.by_index("DeltaID", key)
            row = tbl.get(keys[0]) if keys else None
        else:
            row = self.tables[base].get(key)
        if row is None:
            raise SimError(404, "NotFound", f"{entity} not found")
        return self.view_row(entity, row)

    def view_row(self, entity: str, row: Row) -> Row:
        view = VIEWS.get(entity)
        return view[1](self, row) if view else row

    def nav_items(self, entity: str, row: Row, nav: str) -> list[Row] | dict[str, Any]:
        if entity == "ARCustomer" and nav == "Contact":
            return [
                c for c in self.tables["ARContact"].rows_for("CustomerCode", row["CustomerCode"])
            ]
        if entity == "ARCustomer" and nav == "DeliveryAddress":
            return list(self.tables["TABLE_ARADDR"].rows_for("CustomerCode", row["CustomerCode"]))
        if nav == "Information":
            return {}
        if nav == "Memo":
            memo: dict[str, Any] = row.get("Memo") or {"Text": ""}
            return memo
        if nav == "Line" and entity == "INInvoice":
            if "Line" not in row:
                # Not a change (the seed's lines, made when first read, the same every time):
                # no query filters or orders on them, so no remembered ordering goes stale.
                row["Line"] = seed.invoice_lines(self.config.seed, row)
                _fill_lines(row)
            lines: list[Row] = row["Line"]
            return lines
        if nav == "Line" and entity == "OEOrder":
            olines: list[Row] = row.get("Line", [])
            return olines
        return []

    def nav_fields(self, entity: str, nav: str) -> dict[str, FieldDef]:
        return self._nav_fields[(entity, nav)]

    # ----- postings (reference 10.5) ------------------------------------------------------

    def post(
        self,
        kind: str,
        customer_code: str,
        amount: float,
        user: str,
        txn_date: date | None = None,
        reference: str | None = None,
        net_amount: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Row:
        """Post an invoice (I), credit (C), receipt (R) or journal (J) to a customer."""
        with self.writing():
            customers = self.tables["ARCustomer"]
            entered = customers.get(customer_code)
            if entered is None:
                msg = f"CustomerCode '{customer_code}' does not exist."
                raise SimError(400, "ValidationFailed", msg, target="CustomerCode")
            if kind == "I":
                # at the screens as through the API (reference 10.1 CustomerType)
                self._check_customer_type(entered, "invoices")
            cust = entered
            bill_from = ""
            bill_to = entered.get("BillToAccountCode") or ""
            if bill_to and bill_to in customers:
                cust = customers.rows[bill_to]
                bill_from = customer_code
            code = cust["CustomerCode"]
            tdate = txn_date or self.clock
            if kind in ("I", "C"):
                gross = ledger.money(amount)
                net = (
                    ledger.money(net_amount)
                    if net_amount is not None
                    else ledger.money(gross / (1 + ledger.GST_RATE))
                )
            else:
                gross = net = ledger.money(amount)
            txns = self.tables["ARTransaction"]
            tid = txns.next_int_key()
            source_id = 0
            if kind in ("I", "C") and user == SIM_USER:
                source_id = self.tables["INInvoice"].next_int_key()
            prefix = {"I": "INV", "C": "CN", "R": "RCPT", "J": "JNL"}[kind]
            row: Row = {
                "TransactionID": tid,
                "CustomerCode": code,
                "TransactionType": kind,
                "TransactionDate": tdate.isoformat(),
                "PeriodID": ledger.period_id(tdate),
                "Reference": reference or f"{prefix}{100000 + (source_id or tid)}",
                "TransactionAmount": gross,
                "NetAmount": net,
                "GstIncluded": ledger.money(gross - net),
                "UnallocatedAmount": gross,
                "SourceModule": "IN" if source_id else "AR",
                "SourceID": source_id,
                "BillFromAccountCode": bill_from,
                "SalesPersonCode": entered.get("SalesPersonCode", ""),
                "CurrencyCode": cust.get("CurrencyCode", BASE_CURRENCY),
                "AutoAllocate": cust.get("AutoAllocate", "A"),
                "StopCredit": bool(cust.get("StopCredit")),
                "CreditLimit": cust.get("CreditLimit", 0),
                "CreatedDate": self.clock.isoformat(),
                "ModifiedDate": self.clock.isoformat(),
                "RecordRevision": 1,
            }
            if extra:
                row.update(extra)
            fx.fill(row, fx.TRANSACTION_AMOUNTS, row["CurrencyCode"])
            if kind in ("I", "J") and gross > 0 and not row.get("DueDate"):
                row["DueDate"] = ledger.due_date(
                    tdate,
                    cust.get("PaymentUnit", "M"),
                    int(cust.get("PaymentCount", 1)),
                    int(cust.get("PaymentDayOfMonth", 20)),
                ).isoformat()
            txns.insert(row)
            self.log("ARTRAN", tid, "A", {}, user)
            if source_id:
                self._invoice_document(row, entered, user)
            self.auto_allocate(code, user)
            if kind == "R" and self.config.auto_clear_stop_credit:
                self.refresh_customer(code, user)
                if cust.get("StopCredit") and cust.get("BalanceTotal", 0) <= 0:
                    changes = self._apply(cust, {"StopCredit": False}, {})
                    self._stamp_update("ARCustomer", cust, user, True, changes)
                    self.log("ARCUST", code, "U", changes, user)
            self.refresh_customer(code, user)
            return row

    def _invoice_document(self, txn: Row, cust: Row, user: str) -> None:
        doc: Row = {
            "DocumentID": txn["SourceID"],
            "DocumentNo": txn["Reference"],
            "DocumentType": "N",
            "DocumentClass": "I" if txn["TransactionType"] == "I" else "C",
            "PostStatus": "P",
            "PrintStatus": "U",
            "CustomerCode": cust["CustomerCode"],
            "ContactID": cust.get("PrimaryContactID", 0),
            "DocumentDate": txn["TransactionDate"],
            "DueDate": txn.get("DueDate"),
            "PeriodID": txn["PeriodID"],
            "PriceCode": cust.get("PriceCode", ""),
            "SellPriceBasis": "E",
            "SalesPersonCode": cust.get("SalesPersonCode", ""),
            "ExclusiveAmount": txn["NetAmount"],
            "GstAmount": txn["GstIncluded"],
            "GrossAmount": txn["TransactionAmount"],
            "CurrencyCode": txn["CurrencyCode"],
            "ARTransactionID": txn["TransactionID"],
            "RecordRevision": 1,
            "AccountFile": "INHEAD",
            "AccountCode": str(txn["SourceID"]),
        }
        fx.fill(doc, fx.DOCUMENT_AMOUNTS, doc["CurrencyCode"])
        self.tables["INInvoice"].insert(doc)
        self.log("INHEAD", doc["DocumentID"], "A", {}, user)

    def auto_allocate(self, code: str, user: str) -> None:
        cust = self.tables["ARCustomer"].rows[code]
        txns = self.tables["ARTransaction"]
        debits: list[Row] = []
        credits: list[Row] = []
        for t in txns.rows_for("CustomerCode", code):
            if abs(float(t.get("UnallocatedAmount") or 0)) < 0.005:
                continue
            (debits if ledger.is_debit(t) else credits).append(t)
        if not debits or not credits:
            return
        plan = ledger.allocation_plan(debits, credits, cust.get("AutoAllocate", "A"))
        allocs = self.tables["ARAllocation"]
        pid = ledger.period_id(self.clock)
        for debit_id, credit_id, amount in plan:
            aid = allocs.next_int_key()
            alloc: Row = {
                "AllocationID": aid,
                "CustomerCode": code,
                "DebitTransactionID": debit_id,
                "CreditTransactionID": credit_id,
                "Date": self.clock.isoformat(),
                "PeriodID": pid,
                "Amount": amount,
                "Discount": 0.0,
                "CreatedUserCode": user[:8],
                "CreatedDate": self.clock.isoformat(),
                "CreatedTime": _now_time(),
                "RecordRevision": 1,
            }
            allocs.insert(_allocation_base(alloc, txns.rows[debit_id], txns.rows[credit_id]))
            self.log("ARALLOC", aid, "A", {}, user)
            for tid in (debit_id, credit_id):
                t = txns.rows[tid]
                left = ledger.money(float(t["UnallocatedAmount"]) - amount)
                values: dict[str, Any] = {"UnallocatedAmount": left}
                if abs(left) < 0.005:
                    values.update(
                        UnallocatedAmount=0.0,
                        DateFullyPaid=self.clock.isoformat(),
                        PeriodFullyAllocated=pid,
                    )
                values.update(fx.base_values(values, ("UnallocatedAmount",), _rate_of(t)))
                changes = self._apply(t, values, {})
                self._stamp_update("ARTransaction", t, user, False, changes)
                self.log("ARTRAN", tid, "U", changes, user)

    def refresh_customer(self, code: str, user: str) -> None:
        """Recompute a customer's cached balances; bump RecordRevision when they move."""
        cust = self.tables["ARCustomer"].rows[code]
        figures = ledger.customer_figures(
            self.tables["ARTransaction"].rows_for("CustomerCode", code),
            self.clock,
            fx.rate(cust.get("CurrencyCode")),
        )
        changes = self._apply(cust, figures, {})
        if changes:
            self._stamp_update("ARCustomer", cust, user, False, changes)
            self.log("ARCUST", code, "U", changes, user)

    def advance_clock(self, days: int) -> date:
        """Move the business date on; crossing a month end runs AR End of Period."""
        if days < 0:
            raise SimError(400, "BadRequest", "days must not be negative")
        with self.writing():
            old = self.clock
            self.clock = old + timedelta(days=days)
            if ledger.period_id(old) != ledger.period_id(self.clock):
                for code in list(self.tables["ARCustomer"].keys):
                    self.refresh_customer(code, SIM_USER)
            return self.clock

    # ----- writes through the API or /_sim/ -----------------------------------------------

    def create(self, entity: str, body: Any, user: str) -> Row:
        with self.writing():
            ent = self.entities[entity]
            if "POST" not in ent.methods_collection:
                raise SimError(405, "MethodNotAllowed", f"POST is not allowed on {entity}.")
            try:
                if entity == "ARCustomer":
                    return self._create_customer(body, user)
                if entity == "ARContact":
                    values, _ = clean_body(ent, body)
                    return self._create_contact(values, user)
                if entity == "ARTransaction":
                    return self._create_transaction(body, user)
                if entity == "OEOrder":
                    return self._create_order(body, user)
                if entity == "ARMemo":
                    return self._create_memo(body, user)
                return self._create_simple(entity, body, user)
            except ValidationFailed as exc:
                raise invalid(exc) from exc

    def add_price_list(self, body: Any, user: str) -> Row:
        """A user adds a price list (Company > Price Lists): ``TABLE_COPRICE`` is read-only
        through the API (reference 10.8), so only the ``/_sim/`` control gets here. Validated
        as the table's fields; a name is required."""
        with self.writing():
            try:
                if not isinstance(body, dict) or not str(body.get("PriceListName") or "").strip():
                    raise ValidationFailed("PriceListName", "PriceListName is required.")
                return self._create_simple("TABLE_COPRICE", body, user)
            except ValidationFailed as exc:
                raise invalid(exc) from exc

    def _key_from_body(self, ent: EntityDef, body: Any) -> str:
        key = ent.key or ""
        raw = body.get(key) if isinstance(body, dict) else None
        if not isinstance(raw, str) or not raw.strip():
            raise ValidationFailed(key, f"{key} is required.")
        value = check_value(FieldDef(key, "string", ent.fields[key].max_length, False), raw)
        assert isinstance(value, str)
        value = value.upper()
        if not _CODE_RE.match(value):
            raise ValidationFailed(key, f"{key} may only use the characters A-Z and 0-9.")
        if value in self.tables[ent.name]:
            raise field_error(409, "Conflict", f"{ent.name}('{value}') already exists.", key)
        return value

    def _create_simple(self, entity: str, body: Any, user: str) -> Row:
        ent = self.entities[entity]
        code = self._key_from_body(ent, body)
        values, _ = clean_body(ent, body)
        # the new record's own key is not a reference (a new ARSalesPerson names itself)
        self._check_refs({k: v for k, v in values.items() if k != ent.key})
        row: Row = {**values, ent.key or "": code}
        self._create_stamps(entity, row, user)
        self.tables[entity].insert(row)
        if ent.account_file:
            self.log(ent.account_file, code, "A", {}, user)
        return row

    def _create_customer(self, body: Any, user: str) -> Row:
        ent = self.entities["ARCustomer"]
        code = self._key_from_body(ent, body)
        values, navs = clean_body(
            ent,
            body,
            ("Contact", "DeliveryAddress"),
            {
                "Contact": self.nav_fields("ARCustomer", "Contact"),
                "DeliveryAddress": self.nav_fields("ARCustomer", "DeliveryAddress"),
            },
        )
        if not str(values.get("CustomerName") or "").strip():
            raise ValidationFailed("CustomerName", "CustomerName is required.")
        if values.get("PrimaryContactID"):
            raise ValidationFailed(
                "PrimaryContactID", "A new customer has no contacts yet; mark one IsPrimary."
            )
        values.setdefault("CustomerGroupCode", DEFAULT_GROUP)
        self._check_refs(values)
        group = self.tables["ARCustomerGroup"].rows[values["CustomerGroupCode"]]
        row: Row = {
            "CustomerType": "N",
            "CurrencyCode": group.get("CurrencyCode", BASE_CURRENCY),
            "RegimeCode": "NZ",
            "PriceCode": group.get("DefaultPriceCode", ""),
            "PaymentUnit": group.get("PaymentUnit", "M"),
            "PaymentCount": group.get("PaymentCount", 1),
            "PaymentDayOfMonth": group.get("PaymentDayOfMonth", 20),
            "StatementAgingUnit": group.get("StatementAgingUnit", "P"),
            "StatementAgingCount": group.get("StatementAgingCount", 1),
            "StatementStyle": "O",
            "AutoAllocate": "A",
            **values,
            "CustomerCode": code,
            "AccountFile": "ARCUST",
            "AccountCode": code,
        }
        row.update(ledger.customer_figures([], self.clock, fx.rate(row["CurrencyCode"])))
        self._create_stamps("ARCustomer", row, user)
        self.tables["ARCustomer"].insert(row)
        self.log("ARCUST", code, "A", {f: (None, row.get(f)) for f in row}, user)
        for item in navs.get("Contact", []):
            self._create_contact({**item, "CustomerCode": code}, user)
        for item in navs.get("DeliveryAddress", []):
            addresses = self.tables["TABLE_ARADDR"]
            aid = addresses.next_int_key()
            addr = {
                **item,
                "AddressID": aid,
                "CustomerCode": code,
                "AddressNo": len(addresses.by_index("CustomerCode", code)) + 1,
                "RecordRevision": 1,
            }
            addresses.insert(addr)
            self.log("ARADDR", aid, "A", {}, user)
        return row

    def _writable_navs(self, entity: str) -> tuple[tuple[str, ...], dict[str, dict[str, FieldDef]]]:
        """Nested properties a PATCH/PUT of ``entity`` may carry (ARMemo's ``Memo`` text)."""
        if entity == "ARMemo":
            return ("Memo",), {"Memo": self.nav_fields("ARMemo", "Memo")}
        return (), {}

    def _create_memo(self, body: Any, user: str) -> Row:
        ent = self.entities["ARMemo"]
        values, navs = clean_body(ent, body, *self._writable_navs("ARMemo"))
        today = {"MemoDate": self.clock.isoformat(), "MemoTime": _now_time()}
        values = memo_values(today, values, navs)
        self._require_ref("ARCustomer", "CustomerCode", values["CustomerCode"], False)
        memos = self.tables["ARMemo"]
        row: Row = {
            **today,
            "MemoType": "M",
            "Memo": {"Text": ""},
            **values,
            "MemoID": memos.next_int_key(),
        }
        self._create_stamps("ARMemo", row, user)
        memos.insert(row)
        return row

    def _derive_names(self, row: Row) -> None:
        first, last = row.get("FirstName", ""), row.get("LastName", "")
        parts = [
            row.get("Title", ""),
            first,
            row.get("MiddleName", ""),
            last,
            row.get("Suffix", ""),
        ]
        if any(k in row for k in ("FirstName", "LastName", "MiddleName")):
            row["FullName"] = " ".join(p for p in parts if p)[:84]
            row["FirstNameLastName"] = " ".join(p for p in (first, last) if p)[:41]
            row["LastNameFirstName"] = ", ".join(p for p in (last, first) if p)[:42]
            row["ContactName"] = row["FullName"]

    def _create_contact(self, values: dict[str, Any], user: str) -> Row:
        code = values.get("CustomerCode")
        if not code:
            raise ValidationFailed("CustomerCode", "CustomerCode is required.")
        self._require_ref("ARCustomer", "CustomerCode", code, allow_empty=False)
        contacts = self.tables["ARContact"]
        cid = contacts.next_int_key()
        siblings = list(contacts.rows_for("CustomerCode", code))
        row: Row = {k: v for k, v in values.items() if k != "ContactID"}
        row.update(
            ContactID=cid,
            CustomerCode=code,
            LineNo=len(siblings) + 1,
            AccountFile="ARCONTCT",
            AccountCode=str(cid),
        )
        if not siblings and "IsPrimary" not in values:
            row["IsPrimary"] = True
        self._derive_names(row)
        self._create_stamps("ARContact", row, user)
        contacts.insert(row)
        self.log("ARCONTCT", cid, "A", {}, user)
        if row.get("IsPrimary"):
            self._make_primary(row, user)
        return row

    def _follow_primary_id(self, cust: Row, user: str) -> None:
        """PrimaryContactID written on the customer: that contact alone is flagged primary."""
        primary = cust.get("PrimaryContactID") or 0
        for c in self.tables["ARContact"].rows_for("CustomerCode", cust["CustomerCode"]):
            flag = c["ContactID"] == primary
            changes = self._apply(c, {"IsPrimary": flag, "PrimaryContact": flag}, {})
            if changes:
                self._stamp_update("ARContact", c, user, True, changes)
                self.log("ARCONTCT", c["ContactID"], "U", changes, user)

    def _clear_primary(self, contact: Row, user: str) -> None:
        """The primary contact stops being primary: the customer is left without one."""
        contact["PrimaryContact"] = False
        cust = self.tables["ARCustomer"].rows[contact["CustomerCode"]]
        if cust.get("PrimaryContactID") == contact["ContactID"]:
            changes = self._apply(cust, {"PrimaryContactID": 0}, {})
            self._stamp_update("ARCustomer", cust, user, True, changes)
            self.log("ARCUST", cust["CustomerCode"], "U", changes, user)

    def _make_primary(self, contact: Row, user: str) -> None:
        code = contact["CustomerCode"]
        contact["PrimaryContact"] = True
        for other in self.tables["ARContact"].rows_for("CustomerCode", code):
            if other is not contact and other.get("IsPrimary"):
                changes = self._apply(other, {"IsPrimary": False, "PrimaryContact": False}, {})
                self._stamp_update("ARContact", other, user, True, changes)
                self.log("ARCONTCT", other["ContactID"], "U", changes, user)
        cust = self.tables["ARCustomer"].rows[code]
        changes = self._apply(cust, {"PrimaryContactID": contact["ContactID"]}, {})
        if changes:
            self._stamp_update("ARCustomer", cust, user, True, changes)
            self.log("ARCUST", code, "U", changes, user)

    def _create_transaction(self, body: Any, user: str) -> Row:
        ent = self.entities["ARTransaction"]
        values, _ = clean_body(ent, body)
        code = values.get("CustomerCode")
        if not code:
            raise ValidationFailed("CustomerCode", "CustomerCode is required.")
        self._require_ref("ARCustomer", "CustomerCode", code, allow_empty=False)
        kind = values.get("TransactionType")
        if not kind:
            raise ValidationFailed("TransactionType", "TransactionType is required.")
        net = values.get("NetAmount")
        if not isinstance(net, int | float) or net == 0:
            raise ValidationFailed("NetAmount", "NetAmount is required and may not be 0.")
        if kind == "I":
            self._check_can_sell(self.tables["ARCustomer"].rows[code], "invoices")
        tdate = (
            date.fromisoformat(values["TransactionDate"]) if values.get("TransactionDate") else None
        )
        if values.get("DueDate") and values["DueDate"] < (tdate or self.clock).isoformat():
            raise ValidationFailed("DueDate", "DueDate may not be before the transaction date.")
        gross = net * (1 + ledger.GST_RATE) if kind in ("I", "C") else net
        if abs(values.get("HoldAmount") or 0) > abs(gross) + 0.005:
            # never more than the unallocated amount, as on PATCH (reference 10.5)
            raise ValidationFailed("HoldAmount", "HoldAmount exceeds the unallocated amount.")
        extra = {
            k: v
            for k, v in values.items()
            if k
            not in (
                "CustomerCode",
                "TransactionType",
                "TransactionDate",
                "NetAmount",
                "PeriodID",
                "UnallocatedAmount",
            )
        }
        return self.post(kind, code, gross, user, tdate, values.get("Reference"), net, extra)

    def _order_line(self, item: dict[str, Any], line_no: int) -> Row:
        qty = float(item.get("QuantityOrdered", item.get("QuantitySupplied", 0)) or 0)
        price = float(item.get("SellingPrice", 0) or 0)
        disc = float(item.get("DiscountPercentage", 0) or 0)
        excl = ledger.money(qty * price * (1 - disc / 100))
        supplied = float(item.get("QuantitySupplied", 0) or 0)
        excl_sup = ledger.money(supplied * price * (1 - disc / 100))
        line = {
            "LineType": "P",
            "LineStatus": "U",
            "Unit": "EA",
            **item,
            "LineID": self.next_line_id,
            "LineNo": line_no,
            "QuantityOrdered": qty,
            "ExclusiveAmountOrdered": excl,
            "ExclusiveAmount": excl_sup,
            "GstAmount": ledger.money(excl_sup * ledger.GST_RATE),
            "InclusiveAmount": ledger.money(excl_sup * (1 + ledger.GST_RATE)),
        }
        self.next_line_id += 1
        return line

    def _create_order(self, body: Any, user: str) -> Row:
        ent = self.entities["OEOrder"]
        values, navs = clean_body(ent, body, ("Line",), {"Line": self._line_fields})
        code = values.get("CustomerCode")
        if not code:
            raise ValidationFailed("CustomerCode", "CustomerCode is required.")
        self._require_ref("ARCustomer", "CustomerCode", code, allow_empty=False)
        self._check_refs(values)
        cust = self.tables["ARCustomer"].rows[code]
        self._check_can_sell(cust, "orders")
        contact = self.tables["ARContact"].get(values.get("ContactID") or 0)
        if values.get("ContactID") and (contact is None or contact["CustomerCode"] != code):
            raise ValidationFailed("ContactID", f"ContactID is not a contact of {code}.")
        for i, item in enumerate(navs.get("Line", [])):
            if item.get("LineType", "P") in PRODUCT_LINE_TYPES and not item.get("ProductCode"):
                raise ValidationFailed(
                    f"Line[{i}]/ProductCode", "A product line needs its ProductCode."
                )
        orders = self.tables["OEOrder"]
        doc_id = orders.next_int_key()
        lines = [self._order_line(item, i + 1) for i, item in enumerate(navs.get("Line", []))]
        excl_ord = ledger.money(sum(ln["ExclusiveAmountOrdered"] for ln in lines))
        excl = ledger.money(sum(ln["ExclusiveAmount"] for ln in lines))
        row: Row = {
            "DocumentType": "N",
            "DocumentClass": "O",
            "PostStatus": "O",
            "PrintStatus": "U",
            "DocumentDate": self.clock.isoformat(),
            "PeriodID": ledger.period_id(self.clock),
            "PriceCode": cust.get("PriceCode", ""),
            "SellPriceBasis": "E",
            "SalesPersonCode": cust.get("SalesPersonCode", ""),
            "ContactID": cust.get("PrimaryContactID", 0),
            **values,
            "DocumentID": doc_id,
            "CurrencyCode": cust.get("CurrencyCode", BASE_CURRENCY),
            "ExclusiveAmount": excl,
            "GstAmount": ledger.money(excl * ledger.GST_RATE),
            "GrossAmount": ledger.money(excl * (1 + ledger.GST_RATE)),
            "ExclusiveAmountOrdered": excl_ord,
            "GstAmountOrdered": ledger.money(excl_ord * ledger.GST_RATE),
            "GrossAmountOrdered": ledger.money(excl_ord * (1 + ledger.GST_RATE)),
            "AccountFile": "OEHEAD",
            "AccountCode": str(doc_id),
            "Line": lines,
        }
        _fill_document(row)
        self._create_stamps("OEOrder", row, user)
        orders.insert(row)
        self.log("OEHEAD", doc_id, "A", {}, user)
        for ln in lines:
            ln["DocumentID"], ln["CustomerCode"] = doc_id, code
            self.tables["TABLE_OELINE"].insert(ln)
            self.log("OELINE", ln["LineID"], "A", {}, user)
        return row

    def update(
        self,
        entity: str,
        key: Any,
        body: Any,
        user: str,
        if_match: str | None,
        replace: bool = False,
        require_etag: bool = True,
    ) -> Row:
        """PATCH (or PUT with ``replace``) one record; If-Match checked first."""
        with self.writing():
            ent = self.entities[entity]
            method = "PUT" if replace else "PATCH"
            if method not in ent.methods_key:
                raise SimError(405, "MethodNotAllowed", f"{method} is not allowed on {entity}.")
            row = self.tables[entity].get(key)
            if row is None:
                raise SimError(404, "NotFound", f"{entity} not found")
            self.check_etag(entity, row, if_match, required=require_etag)
            try:
                if isinstance(body, dict):
                    body = self._without_key(ent, row, body)
                values, navs = clean_body(ent, body, *self._writable_navs(entity))
                if replace:
                    for f in ent.fields.values():
                        if (
                            not f.read_only
                            and f.type not in ("array", "ref")
                            and f.name != ent.key
                            and f.name not in values
                        ):
                            values[f.name] = default_value(f)
                if entity == "ARMemo":
                    values = memo_values(row, values, navs)
                return self._update_row(entity, row, values, user)
            except ValidationFailed as exc:
                raise invalid(exc) from exc

    def _without_key(self, ent: EntityDef, row: Row, body: dict[str, Any]) -> dict[str, Any]:
        """A write body without its key: the same key is fine (SDKs send whole records), a
        different one is refused; codes are set only on creation (reference 10.1)."""
        key = ent.key or ""
        if key in body:
            sent, current = body[key], row.get(key)
            same = sent == current or (
                isinstance(sent, str) and isinstance(current, str) and sent.upper() == current
            )
            if not same:
                raise ValidationFailed(key, f"{key} cannot be changed; it is set on creation.")
        return {k: v for k, v in body.items() if k != key}

    def _check_customer_type(self, cust: Row, what: str) -> None:
        """A prospect takes quotes only; a one-time customer a single invoice (reference 10.1)."""
        code, ctype = cust["CustomerCode"], cust.get("CustomerType")
        if ctype == "P":
            raise SimError(
                400,
                "ValidationFailed",
                f"Customer {code} is a prospect (quotes only): no {what}.",
                target="CustomerCode",
            )
        if ctype == "O" and what == "invoices":
            txns = self.tables["ARTransaction"].rows_for("CustomerCode", code)
            if any(t.get("TransactionType") == "I" for t in txns):
                raise SimError(
                    400,
                    "ValidationFailed",
                    f"Customer {code} is a one-time customer and already has its invoice.",
                    target="CustomerCode",
                )

    def _check_can_sell(self, cust: Row, what: str) -> None:
        """Invoices and orders: not for a prospect (quotes only), nor when the customer or its
        Bill-To customer is on stop credit (reference 10.1 CustomerType, StopCredit)."""
        self._check_customer_type(cust, what)
        bill_to = self.tables["ARCustomer"].get(cust.get("BillToAccountCode") or "")
        for payer in (cust, bill_to):
            if payer is not None and payer.get("StopCredit"):
                raise ValidationFailed(
                    "CustomerCode", f"Customer {payer['CustomerCode']} is on stop credit."
                )

    def _update_row(self, entity: str, row: Row, values: dict[str, Any], user: str) -> Row:
        ent = self.entities[entity]
        self._check_refs(values)
        key = row[ent.key or ""]
        if entity == "ARCustomer":
            if "CustomerName" in values and not str(values["CustomerName"]).strip():
                # required on POST, so a PATCH or PUT may not blank it (reference 6.3)
                raise ValidationFailed("CustomerName", "CustomerName is required.")
            if values.get("BillToAccountCode") == key:
                raise ValidationFailed("BillToAccountCode", "A customer cannot bill to itself.")
            if values.get("Inactive") and not row.get("Inactive"):
                self._check_can_inactivate(key)
            primary = values.get("PrimaryContactID")
            if primary:
                contact = self.tables["ARContact"].get(primary)
                if contact is None or contact["CustomerCode"] != key:
                    raise ValidationFailed(
                        "PrimaryContactID", f"Contact {primary} is not a contact of {key}."
                    )
        if entity == "ARTransaction":
            for name in values:
                if name not in TXN_EDITABLE and not name.startswith("Z_"):
                    raise ValidationFailed(
                        name, f"{name} cannot be changed on a posted transaction."
                    )
            open_amount = abs(float(row.get("UnallocatedAmount") or 0))
            for name in ("DueDate", "HoldAmount"):
                if name in values and open_amount < 0.005:
                    raise ValidationFailed(
                        name, f"{name} cannot be changed once the transaction is fully allocated."
                    )
            due = values.get("DueDate")
            if due and due < row["TransactionDate"]:
                raise ValidationFailed("DueDate", "DueDate may not be before the transaction date.")
            hold = values.get("HoldAmount", row.get("HoldAmount", 0)) or 0
            if abs(hold) > abs(float(row.get("UnallocatedAmount") or 0)) + 0.005:
                raise ValidationFailed("HoldAmount", "HoldAmount exceeds the unallocated amount.")
        if entity == "OEOrder" and values.get("ContactID"):
            contact = self.tables["ARContact"].get(values["ContactID"])
            if contact is None or contact["CustomerCode"] != row["CustomerCode"]:
                raise ValidationFailed("ContactID", "ContactID is not a contact of the customer.")
        if entity in ("ARContact", "ARMemo") and "CustomerCode" in values:
            self._require_ref("ARCustomer", "CustomerCode", values["CustomerCode"], False)
        old_code = row.get("CustomerCode")
        changes = self._apply(row, values, self.defaults[entity])
        if old_code != row.get("CustomerCode"):
            self.tables[entity].reindex(key, "CustomerCode", old_code, row["CustomerCode"])
        if entity == "ARContact":
            self._derive_names(row)
        self._stamp_update(entity, row, user, True, changes)
        if ent.account_file:
            self.log(ent.account_file, key, "U", changes, user)
        if entity == "ARContact" and "IsPrimary" in changes:
            if row["IsPrimary"]:
                self._make_primary(row, user)
            else:
                self._clear_primary(row, user)
        if entity == "ARCustomer" and "PrimaryContactID" in changes:
            self._follow_primary_id(row, user)
        if entity == "ARCustomer" and "Inactive" in changes:
            for c in self.tables["ARContact"].rows_for("CustomerCode", key):
                cchanges = self._apply(c, {"Inactive": row["Inactive"]}, {})
                if cchanges:
                    self._stamp_update("ARContact", c, user, True, cchanges)
                    self.log("ARCONTCT", c["ContactID"], "U", cchanges, user)
        return row

    def _contact_on_active_document(self, contact: Row) -> bool:
        """An unprocessed/open order or unposted/open invoice names the contact."""
        code, cid = contact["CustomerCode"], contact["ContactID"]
        return any(
            doc.get("ContactID") == cid and doc.get("PostStatus") in ("U", "O")
            for table in ("OEOrder", "INInvoice")
            for doc in self.tables[table].rows_for("CustomerCode", code)
        )

    def _check_can_inactivate(self, code: str) -> None:
        for t in self.tables["ARTransaction"].rows_for("CustomerCode", code):
            if abs(float(t.get("UnallocatedAmount") or 0)) > 0.005:
                raise ValidationFailed(
                    "Inactive", "The customer has unallocated transactions and cannot be inactive."
                )
        for table, what in (("OEOrder", "orders"), ("INInvoice", "invoices")):
            for doc in self.tables[table].rows_for("CustomerCode", code):
                if doc.get("PostStatus") in ("U", "O"):
                    raise ValidationFailed(
                        "Inactive", f"The customer has active {what} and cannot be inactive."
                    )

    def delete(self, entity: str, key: Any, user: str, if_match: str | None) -> None:
        with self.writing():
            ent = self.entities[entity]
            if "DELETE" not in ent.methods_key:
                raise SimError(405, "MethodNotAllowed", f"DELETE is not allowed on {entity}.")
            table = self.tables[entity]
            row = table.get(key)
            if row is None:
                raise SimError(404, "NotFound", f"{entity} not found")
            self.check_etag(entity, row, if_match, required=False)
            if entity == "ARCustomer":
                if (
                    table_has(self.tables["ARTransaction"], key)
                    or table_has(self.tables["OEOrder"], key)
                    or table_has(self.tables["INInvoice"], key)
                ):
                    raise SimError(
                        409, "Conflict", f"Customer {key} has transactions or documents."
                    )
                for c in list(self.tables["ARContact"].rows_for("CustomerCode", key)):
                    self.tables["ARContact"].delete(c["ContactID"])
                    self.log("ARCONTCT", c["ContactID"], "D", {}, user)
                for a in list(self.tables["TABLE_ARADDR"].rows_for("CustomerCode", key)):
                    self.tables["TABLE_ARADDR"].delete(a["AddressID"])
                    self.log("ARADDR", a["AddressID"], "D", {}, user)
            elif entity == "ARTransaction":
                allocs = self.tables["ARAllocation"]
                if allocs.by_index("DebitTransactionID", key) or allocs.by_index(
                    "CreditTransactionID", key
                ):
                    raise SimError(409, "Conflict", "The transaction has allocations.")
            elif entity == "OEOrder" and row.get("PostStatus") == "P":
                raise SimError(409, "Conflict", "A processed order cannot be deleted.")
            elif entity in ("ARCustomerGroup", "ARSalesPerson", "ARContact"):
                fname = {
                    "ARCustomerGroup": "CustomerGroupCode",
                    "ARSalesPerson": "SalesPersonCode",
                    "ARContact": "PrimaryContactID",
                }[entity]
                if entity != "ARContact" and any(
                    c.get(fname) == key for c in self.tables["ARCustomer"].rows.values()
                ):
                    raise SimError(409, "Conflict", f"{entity}('{key}') is in use.")
                if entity == "ARContact" and self._contact_on_active_document(row):
                    raise SimError(
                        409, "Conflict", f"Contact {key} is on active documents (reference 10.3)."
                    )
            table.delete(key)
            if ent.account_file:
                self.log(ent.account_file, key, "D", {}, user)
            if entity == "ARContact":
                cust = self.tables["ARCustomer"].get(row["CustomerCode"])
                if cust is not None and cust.get("PrimaryContactID") == key:
                    changes = self._apply(cust, {"PrimaryContactID": 0}, {})
                    self._stamp_update("ARCustomer", cust, user, True, changes)
                    self.log("ARCUST", cust["CustomerCode"], "U", changes, user)
            if entity == "OEOrder":
                for ln in row.get("Line", []):
                    self.tables["TABLE_OELINE"].delete(ln["LineID"])
                    self.log("OELINE", ln["LineID"], "D", {}, user)
            if entity == "ARTransaction":
                self.refresh_customer(row["CustomerCode"], user)

    # ----- tracking configuration ---------------------------------------------------------

    def tracking_json(self) -> dict[str, Any]:
        return {
            "tables": {
                t: {"heat_limit": c.heat_limit, "fields": list(c.fields)}
                for t, c in sorted(self.tracking.items())
            }
        }

    def set_tracking(self, body: Any) -> None:
        """Replace the configuration of the tables named; ``null`` stops tracking one."""
        if not isinstance(body, dict) or not isinstance(body.get("tables"), dict):
            raise SimError(400, "BadRequest", 'Expected {"tables": {TABLE: {...} | null}}')
        new = copy.deepcopy(self.tracking)
        for tname, cfg in body["tables"].items():
            if tname not in ACCOUNT_FILES:
                raise SimError(400, "BadRequest", f"Unknown table {tname}", target=tname)
            if cfg is None:
                new.pop(tname, None)
                continue
            if not isinstance(cfg, dict):
                raise SimError(400, "BadRequest", f"Bad configuration for {tname}")
            limit = cfg.get("heat_limit", DEFAULT_HEAT_LIMIT)
            fields = cfg.get("fields", [])
            if not isinstance(limit, int) or not 1 <= limit <= 9:
                raise SimError(400, "BadRequest", "heat_limit must be 1..9", target=tname)
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise SimError(400, "BadRequest", "fields must be a list of names")
            hottest = max((self.field_heat(tname, f) for f in fields), default=1)
            if hottest > limit:
                raise SimError(
                    400,
                    "BadRequest",
                    f"The heat limit of {tname} cannot be lower than its tracked fields' "
                    f"highest heat ({hottest}).",
                    target=tname,
                )
            new[tname] = TableTracking(limit, list(fields))
        self.tracking = new


def _rate_of(row: Row) -> float:
    return float(row.get("ExchangeRate") or 1.0)


def _fill_lines(doc: Row) -> None:
    fx_rate = _rate_of(doc)
    for ln in doc.get("Line", ()):
        ln["CurrencyCode"] = doc.get("CurrencyCode", BASE_CURRENCY)
        fx.set_base(ln, fx.LINE_AMOUNTS, fx_rate)


def _fill_document(doc: Row) -> None:
    """Rate and base-currency amounts of a document and its lines (reference 3.3)."""
    fx.fill(doc, fx.DOCUMENT_AMOUNTS, doc.get("CurrencyCode"))
    _fill_lines(doc)


def _allocation_base(alloc: Row, debit: Row, credit: Row) -> Row:
    """An allocation's currency and its amount in base currency on each side's rate."""
    alloc["CurrencyCode"] = debit.get("CurrencyCode", BASE_CURRENCY)
    alloc["DebitAmountBs"] = fx.to_base(alloc["Amount"], _rate_of(debit))
    alloc["CreditAmountBs"] = fx.to_base(alloc["Amount"], _rate_of(credit))
    alloc["VariationBs"] = ledger.money(alloc["DebitAmountBs"] - alloc["CreditAmountBs"])
    return alloc


def _fill_base_amounts(data: seed.SeedData, allocations: Table) -> None:
    """The seed's rows get their rates and ``Bs`` amounts (reference 3.3)."""
    for txn in data.transactions:
        fx.fill(txn, fx.TRANSACTION_AMOUNTS, txn.get("CurrencyCode"))
    for doc in data.invoices:
        fx.fill(doc, fx.DOCUMENT_AMOUNTS, doc.get("CurrencyCode"))
    for order in data.orders:
        _fill_document(order)
    by_id = {t["TransactionID"]: t for t in data.transactions}
    for alloc in data.allocations:
        debit, credit = by_id[alloc["DebitTransactionID"]], by_id[alloc["CreditTransactionID"]]
        _allocation_base(alloc, debit, credit)
        alloc.setdefault("CreatedUserCode", "ADMIN")
        alloc.setdefault("CreatedDate", alloc["Date"])


def table_has(table: Table, code: str) -> bool:
    return bool(table.by_index("CustomerCode", code))


def key_literal(key: Any) -> str:
    return str(key) if isinstance(key, int) else "'" + str(key).replace("'", "''") + "'"


# ----- read-only list views (reference 4, 10.2, 10.5) ---------------------------------------


def _customer_list(state: SimState, row: Row) -> Row:
    out = dict(row)
    code = row["CustomerCode"]
    contact = state.tables["ARContact"].get(row.get("PrimaryContactID") or -1)
    if contact is not None:
        for k, v in contact.items():
            if k not in ("CustomerCode", "AccountFile", "AccountCode", "ContactID"):
                out[f"Contact{k}"] = v
    addrs = state.tables["TABLE_ARADDR"].by_index("CustomerCode", code)
    if addrs:
        addr = state.tables["TABLE_ARADDR"].rows[addrs[0]]
        for k, v in addr.items():
            if k in ("RecordRevision", "Latitude", "Longitude"):
                out[f"{k}_1"] = v
            elif k != "CustomerCode":
                out[k] = v
    return out


def _transaction_list(state: SimState, row: Row) -> Row:
    out = dict(row)
    amount = float(row.get("TransactionAmount") or 0)
    debit = ledger.is_debit(row)
    out["ExclusiveAmount"] = row.get("NetAmount", 0.0)
    out["ExclusiveAmountBs"] = row.get("NetAmountBs", 0.0)
    out["ExchangeRateRaw"] = row.get("ExchangeRate", 1.0)
    out["DebitAmount"] = abs(amount) if debit else 0.0
    out["CreditAmount"] = 0.0 if debit else abs(amount)
    if row.get("DateFullyPaid"):
        out["DaysToPay"] = (
            date.fromisoformat(row["DateFullyPaid"]) - date.fromisoformat(row["TransactionDate"])
        ).days
    if row.get("SourceModule") == "IN":
        doc = state.tables["INInvoice"].get(row.get("SourceID"))
        out["InvoiceOrderNo"] = doc.get("OrderNo", "") if doc else ""
    return out


#: Customer columns the document lists join in (OEOrderList, INInvoiceList) [spec].
_JOINED_CUSTOMER = (
    "CustomerName",
    "BillToAccountCode",
    "CreditLimit",
    "StopCredit",
    "RegimeCode",
    "BalanceCurrent",
    "Balance1",
    "Balance2",
    "Balance3",
    "BalanceTotal",
    "BalanceTotalExclFuture",
)


def _document_list(state: SimState, row: Row) -> Row:
    """A document header with its customer's, contact's, delivery and period columns."""
    out = dict(row)
    out.pop("Line", None)
    cust = state.tables["ARCustomer"].get(row.get("CustomerCode"))
    if cust is not None:
        defaults = state.defaults["ARCustomer"]
        for name in _JOINED_CUSTOMER:
            out[name] = cust.get(name, defaults.get(name))
    contact = state.tables["ARContact"].get(row.get("ContactID") or -1)
    if contact is not None:
        out["ContactName"] = contact.get("FirstNameLastName", "")
    addrs = state.tables["TABLE_ARADDR"].by_index("CustomerCode", row.get("CustomerCode"))
    if addrs:
        addr = state.tables["TABLE_ARADDR"].rows[addrs[0]]
        out["DeliveryAddressCode"] = addr.get("DeliveryCode", "")
        for name in ("Address1", "Address2", "Address3", "Address4", "Address5"):
            out[f"Delivery{name}"] = addr.get(f"Delivery{name}", "")
        out["DeliveryPostCode"] = addr.get("DeliveryPostCode", "")
        out["DeliveryCountryCode"] = addr.get("DeliveryCountryCode", "")
    out["OrderNoAlpha"] = row.get("OrderNo", "")
    out["ExchangeRateRaw"] = row.get("ExchangeRate", 1.0)
    period = row.get("PeriodID") or 0
    if period:
        out["YearNo"], out["PeriodNo"], out["PeriodName"] = _period_columns(period)
    return out


@cache
def _period_columns(period: int) -> tuple[int, int, str]:
    """Year, month and name of a calendar-month period (list views read them per row)."""
    start = ledger.period_start(period)
    return start.year, start.month, start.strftime("%b %Y")


def _invoice_list(state: SimState, row: Row) -> Row:
    """INInvoiceList: the invoice, its customer and its AR transaction's open amount."""
    out = _document_list(state, row)
    out["DocumentNoAlpha"] = row.get("DocumentNo", "")
    txn = state.tables["ARTransaction"].get(row.get("ARTransactionID") or -1)
    if txn is not None:
        for name in (
            "UnallocatedAmount",
            "UnallocatedAmountBs",
            "HoldAmount",
            "PeriodFullyAllocated",
            "DiscountDate",
            "Narration",
        ):
            if name in txn:
                out[name] = txn[name]
        out["FullyAllocated"] = abs(float(txn.get("UnallocatedAmount") or 0)) < 0.005
    return out


VIEWS: dict[str, tuple[str, Any]] = {
    "ARCustomerList": ("ARCustomer", _customer_list),
    "ARTransactionList": ("ARTransaction", _transaction_list),
    "OEOrderList": ("OEOrder", _document_list),
    "INInvoiceList": ("INInvoice", _invoice_list),
}


def monotonic_s() -> float:
    return time.monotonic()
