"""``AccredoClient``: the connector's async client for Accredo's Web Service API.

It implements the sync's ``AccredoSource`` (``sync/ports.py``, checked in ``runtime``) plus the
generic reads and writes. URLs, paging, eTags, errors and change tracking follow
``shared/reference/accredo-api.md`` (section numbers in the docstrings below).

    async with AccredoClient(base_url, "DEMO", client_id, username, password) as accredo:
        async for customer in accredo.iter_customers():
            ...
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx
import stamina
import structlog
from pydantic import SecretStr

from accredo_hubspot.accredo.auth import TokenManager
from accredo_hubspot.accredo.changes import (
    DELTA_TABLES,
    FOLLOW_RULES,
    LateRowWindow,
    plan_lookups,
    resolve,
)
from accredo_hubspot.accredo.errors import (
    AccredoAuthError,
    AccredoError,
    AccredoNotFound,
    AccredoRateLimited,
    AccredoTransientError,
    RequestNotSent,
    error_from_response,
)
from accredo_hubspot.accredo.models import (
    ARContact,
    ARCustomer,
    ARMemo,
    ARSalesPerson,
    ARTransaction,
    DeltaFieldRow,
    DeltaRow,
    OEOrder,
    OEOrderLine,
    PriceList,
)
from accredo_hubspot.accredo.query import (
    MAX_URL_CHARS,
    F,
    Filter,
    Query,
    check_name,
    key_segment,
    literal,
    split_for_url,
    with_query,
)
from accredo_hubspot.accredo.retry import RetryDecider, RetryPolicy
from accredo_hubspot.shared import (
    AsyncClosing,
    ChangeBatch,
    FeedState,
    ResponseHook,
    http_event_hooks,
)
from accredo_hubspot.tasks import gather

log = structlog.get_logger(__name__)

#: Path from the service root to the company's entity sets (reference §1).
ODATA_PATH = "/odata4/v1"
#: Rows asked for per delta table in one poll (reference §9.4 step 2: ``$top=1000``).
POLL_MAX_ROWS = 1000
#: Room left in a key-list URL for what the server adds to its ``@odata.nextLink`` (the
#: ``$skiptoken``, an absolute host), so the next pages also stay within the limit [assumed].
NEXTLINK_MARGIN_CHARS = 120
#: Page size the server may serve at most (reference §5.2: default maximum 2000).
SERVER_MAX_PAGE_SIZE = 2000
#: The orders synced: Order Entry orders (``DocumentClass`` O), not deleted (reference 10.7).
ORDER_CLASS, DELETED_STATUS = "O", "D"
#: An order's lines, only the fields the sync reads.
ORDER_LINES = (f"Line($select={','.join(OEOrderLine.declared_fields())})",)

Record = dict[str, Any]


def _customer_keys(codes: Sequence[str]) -> list[str]:
    """Customer codes as Accredo keys them (upper case, §3.3), trimmed; blank ones left out."""
    return [c.strip().upper() for c in codes if c.strip()]


class AccredoClient(AsyncClosing):
    """One Accredo company, one token, a pooled HTTP connection. Use as an async context manager.

    ``base_url`` is the service root, e.g. ``https://host:6570/saturn`` (reference §1: taken whole
    from configuration). ``ca_bundle`` is a PEM file for servers with their own certificate;
    TLS is always verified. ``transport`` replaces the network (tests). ``on_response`` is told
    the status of every answer (the process's metrics).
    """

    def __init__(
        self,
        base_url: str,
        company: str,
        client_id: str,
        username: str,
        password: str,
        *,
        ca_bundle: str | None = None,
        timeout_s: float = 60.0,
        max_concurrency: int = 4,
        page_size: int = 1000,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        max_url_chars: int = MAX_URL_CHARS,
        on_response: ResponseHook | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._company = company
        self._username = username
        self._company_url = (
            f"{self._base_url}{ODATA_PATH}/Company({quote(literal(company), safe=chr(39))})"
        )
        self._page_size = _page_size(page_size)
        self._retry = retry or RetryPolicy()
        self._max_url_chars = max_url_chars
        self._slots = asyncio.Semaphore(max_concurrency)
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)),
            limits=httpx.Limits(
                max_connections=max_concurrency, max_keepalive_connections=max_concurrency
            ),
            verify=ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True,
            transport=transport,
            headers={"Accept": "application/json", "OData-Version": "4.0"},
            event_hooks=http_event_hooks(on_response),
        )
        self._tokens = TokenManager(
            self._http,
            self._base_url,
            client_id=client_id,
            username=username,
            password=SecretStr(password),
        )

    def __repr__(self) -> str:
        return f"AccredoClient(base_url={self._base_url!r}, company={self._company!r})"

    async def aclose(self) -> None:
        """Revoke the tokens (quietly) and close the connection pool."""
        try:
            await self._tokens.revoke()
        finally:
            await self._http.aclose()

    # ------------------------------------------------------------------ URLs

    def entity_url(self, entity: str, key: str | int | None = None) -> str:
        """``{base}/odata4/v1/Company('X')/{Entity}`` or ``.../{Entity}('key')``."""
        url = f"{self._company_url}/{check_name(entity)}"
        return url if key is None else url + key_segment(key)

    # ------------------------------------------------------------------ reads

    async def get_entity(
        self,
        entity: str,
        key: str | int,
        *,
        select: Sequence[str] = (),
        expand: Sequence[str] = (),
    ) -> Record:
        """One record by key (with its ``@odata.etag``); ``AccredoNotFound`` if there is none."""
        params = Query(select=select, expand=expand).params()
        return await self._get_json(with_query(self.entity_url(entity, key), params))

    async def iter_entities(
        self,
        entity: str,
        *,
        filter: Filter | None = None,
        select: Sequence[str] = (),
        orderby: Sequence[str] = (),
        expand: Sequence[str] = (),
        top: int | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[Record]:
        """Every matching record, page by page, following ``@odata.nextLink`` (§5.2)."""
        query = Query(filter=filter, select=select, orderby=orderby, expand=expand, top=top)
        url = with_query(self.entity_url(entity), query.params())
        async for page in self._iter_pages(url, _page_size(page_size or self._page_size)):
            # Each record leaves the page as it is handed on: a caller that turns records into
            # models does not hold a whole page of them twice (backfill memory).
            page.reverse()
            while page:
                yield page.pop()

    async def fetch_by_keys(
        self,
        entity: str,
        key_field: str,
        keys: Sequence[str | int],
        *,
        also: Filter | None = None,
        select: Sequence[str] = (),
        orderby: Sequence[str] = (),
        expand: Sequence[str] = (),
    ) -> list[Record]:
        """Records whose ``key_field`` is one of ``keys`` (plus the ``also`` condition).

        Keys are sent as ``(K eq 'a' or K eq 'b' ...)`` lists split so that every URL, next
        links included, stays within ``max_url_chars`` (§5.2); the batches run concurrently and
        the results keep batch order.
        """
        unique = list(dict.fromkeys(keys))
        if not unique:
            return []
        field = F(key_field)

        def query_for(batch: Sequence[str | int]) -> Query:
            condition = field.in_(batch) if also is None else field.in_(batch) & also
            return Query(filter=condition, select=select, orderby=orderby, expand=expand)

        def render(batch: Sequence[str | int]) -> str:
            return with_query(self.entity_url(entity), query_for(batch).params())

        async def fetch(batch: Sequence[str | int]) -> list[Record]:
            return [r async for page in self._iter_pages(render(batch)) for r in page]

        limit = self._max_url_chars - NEXTLINK_MARGIN_CHARS
        batches = split_for_url(unique, render, max_chars=limit)
        results = await gather(*(fetch(b) for b in batches))
        return [record for batch_result in results for record in batch_result]

    # ------------------------------------------------------------------ AccredoSource

    async def iter_customers(
        self, *, page_size: int = 1000, fields: Sequence[str] = ()
    ) -> AsyncIterator[ARCustomer]:
        """Every debtor in ``CustomerCode`` order, streamed page by page; with ``fields``, only
        those (and the code) are read (``$select``)."""
        select = list(dict.fromkeys(["CustomerCode", *fields])) if fields else []
        records = self.iter_entities(
            "ARCustomer", select=select, orderby=["CustomerCode"], page_size=page_size
        )
        async for record in records:
            yield ARCustomer.model_validate(record)

    async def iter_contacts(self) -> AsyncIterator[ARContact]:
        """Every contact's id and customer code, in ``ContactID`` order, page by page."""
        records = self.iter_entities(
            "ARContact", select=["ContactID", "CustomerCode"], orderby=["ContactID"]
        )
        async for record in records:
            yield ARContact.model_validate(record)

    async def get_customer(self, code: str, *, expand: Sequence[str] = ()) -> ARCustomer:
        """One debtor by code (upper-cased, §3.3), with its eTag."""
        record = await self.get_entity("ARCustomer", code.upper(), expand=expand)
        return ARCustomer.model_validate(record)

    async def get_customers(
        self, codes: Sequence[str], *, expand: Sequence[str] = ()
    ) -> list[ARCustomer]:
        """Current records for these codes; codes with no debtor are left out."""
        wanted = _customer_keys(codes)
        records = await self.fetch_by_keys("ARCustomer", "CustomerCode", wanted, expand=expand)
        return [ARCustomer.model_validate(r) for r in records]

    async def customers_where(self, field: str, values: Sequence[str]) -> list[ARCustomer]:
        """Debtors whose ``field`` (a custom ``Z_`` field, say) holds one of ``values``."""
        records = await self.fetch_by_keys("ARCustomer", field, [v for v in values if v])
        return [ARCustomer.model_validate(r) for r in records]

    async def customer_codes_starting(self, prefix: str) -> set[str]:
        """Every customer code that starts with ``prefix`` (upper case, §3.3)."""
        records = self.iter_entities(
            "ARCustomer",
            filter=F("CustomerCode").startswith(prefix.strip().upper()),
            select=["CustomerCode"],
        )
        return {str(r["CustomerCode"]).upper() async for r in records}

    async def get_contacts(self, contact_ids: Sequence[int]) -> list[ARContact]:
        """Current ``ARContact`` records for these ids (each with its eTag); ids with no
        contact are left out (§10.3)."""
        records = await self.fetch_by_keys("ARContact", "ContactID", list(contact_ids))
        return [ARContact.model_validate(r) for r in records]

    async def contacts_of(self, codes: Sequence[str]) -> list[ARContact]:
        """Every contact of these customers, with eTags."""
        wanted = _customer_keys(codes)
        records = await self.fetch_by_keys(
            "ARContact", "CustomerCode", wanted, orderby=["ContactID"]
        )
        return [ARContact.model_validate(r) for r in records]

    async def sales_persons(self) -> list[ARSalesPerson]:
        """Every sales person (reference 10.4; a site has a handful)."""
        return [ARSalesPerson.model_validate(r) async for r in self.iter_entities("ARSalesPerson")]

    async def open_transactions(self, codes: Sequence[str]) -> list[ARTransaction]:
        """Open AR transactions (``UnallocatedAmount ne 0``) of these customers (§10.5)."""
        wanted = _customer_keys(codes)
        records = await self.fetch_by_keys(
            "ARTransaction",
            "CustomerCode",
            wanted,
            also=F("UnallocatedAmount").ne(0),
            orderby=["TransactionID"],
        )
        return [ARTransaction.model_validate(r) for r in records]

    async def iter_open_transactions_between(
        self, first_code: str, last_code: str
    ) -> AsyncIterator[ARTransaction]:
        """Open AR transactions of the customers whose codes run from ``first_code`` to
        ``last_code``, in one range query: for debtors read in code order, a page of them.
        Only the model's fields are read: a backfill holds thousands at once."""
        in_range = F("CustomerCode").ge(first_code) & F("CustomerCode").le(last_code)
        records = self.iter_entities(
            "ARTransaction",
            filter=in_range & F("UnallocatedAmount").ne(0),
            select=ARTransaction.declared_fields(),
            page_size=2000,
        )
        async for record in records:
            yield ARTransaction.model_validate(record)

    async def system_date(self) -> date:
        """Accredo's business date (the ``SystemDate`` function, reference 10.9): what its own
        aging counts days overdue from. Read as an object carrying ``SystemDate`` or an OData
        ``value`` (reference 4)."""
        url = self.entity_url("SystemDate")
        body = await self._get_json(url)
        raw = body.get("SystemDate", body.get("value"))
        try:
            return date.fromisoformat(str(raw)[:10])
        except ValueError as exc:
            raise AccredoError(f"GET {_path(url)}: no date in the answer ({raw!r})") from exc

    def iter_invoices(
        self, *, paid_since: date, page_size: int = 2000
    ) -> AsyncIterator[ARTransaction]:
        """Every AR invoice still owing, or paid in full on or after ``paid_since``, in
        ``TransactionID`` order (reference 10.5: open = ``UnallocatedAmount`` not zero)."""
        return self._invoices(F("TransactionType").eq("I"), paid_since, page_size)

    def iter_invoices_of(
        self, codes: Sequence[str], *, paid_since: date
    ) -> AsyncIterator[ARTransaction]:
        """As ``iter_invoices``, for these customers only (a live change's customers)."""
        wanted = _customer_keys(codes)
        condition = F("TransactionType").eq("I") & F("CustomerCode").in_(wanted)
        return self._invoices(condition, paid_since, 2000)

    async def get_transactions(self, ids: Sequence[str]) -> list[ARTransaction]:
        """These AR transactions by ``TransactionID`` (ids not found are left out)."""
        keys = [int(i) for i in ids if i.isdigit()]
        records = await self.fetch_by_keys(
            "ARTransaction", "TransactionID", keys, select=ARTransaction.declared_fields()
        )
        return [ARTransaction.model_validate(r) for r in records]

    async def _invoices(
        self, condition: Filter, paid_since: date, page_size: int
    ) -> AsyncIterator[ARTransaction]:
        owing = F("UnallocatedAmount").ne(0) | F("DateFullyPaid").ge(paid_since)
        records = self.iter_entities(
            "ARTransaction",
            filter=condition & owing,
            select=ARTransaction.declared_fields(),
            orderby=["TransactionID"],
            page_size=page_size,
        )
        async for record in records:
            yield ARTransaction.model_validate(record)

    async def iter_orders(self, *, since: date, page_size: int = 2000) -> AsyncIterator[OEOrder]:
        """Every Order Entry order dated ``since`` or later, with its lines, in customer code
        order (reference 10.7; deleted orders and other document classes left out)."""
        records = self.iter_entities(
            "OEOrder",
            filter=_orders_since(since),
            select=OEOrder.declared_fields(),
            expand=ORDER_LINES,
            orderby=["CustomerCode", "DocumentID"],
            page_size=page_size,
        )
        async for record in records:
            yield OEOrder.model_validate(record)

    async def iter_orders_between(
        self, first_code: str, last_code: str, *, since: date
    ) -> AsyncIterator[OEOrder]:
        """As ``iter_orders``, for the customers whose codes run from ``first_code`` to
        ``last_code``, in one range query (a page of debtors read in code order)."""
        in_range = F("CustomerCode").ge(first_code) & F("CustomerCode").le(last_code)
        records = self.iter_entities(
            "OEOrder",
            filter=in_range & _orders_since(since),
            select=OEOrder.declared_fields(),
            expand=ORDER_LINES,
            orderby=["CustomerCode", "DocumentID"],
            page_size=2000,
        )
        async for record in records:
            yield OEOrder.model_validate(record)

    async def orders_of(self, codes: Sequence[str], *, since: date) -> list[OEOrder]:
        """As ``iter_orders``, for these customers only (a live change's customers)."""
        wanted = _customer_keys(codes)
        records = await self.fetch_by_keys(
            "OEOrder",
            "CustomerCode",
            wanted,
            also=_orders_since(since),
            select=OEOrder.declared_fields(),
            expand=ORDER_LINES,
            orderby=["CustomerCode", "DocumentID"],
        )
        return [OEOrder.model_validate(r) for r in records]

    async def order_customers(self, ids: Sequence[str]) -> list[str]:
        """The customers of these orders (by ``DocumentID``; ids not found are left out)."""
        keys = [int(i) for i in ids if i.isdigit()]
        records = await self.fetch_by_keys(
            "OEOrder", "DocumentID", keys, select=["DocumentID", "CustomerCode"]
        )
        return [str(r["CustomerCode"]) for r in records]

    async def price_lists(self) -> list[PriceList]:
        """Every price code (``TABLE_COPRICE``, reference 10.8; a site has a handful)."""
        records = self.iter_entities("TABLE_COPRICE", orderby=["PriceCode"])
        return [PriceList.model_validate(r) async for r in records]

    async def count_customers(self) -> int:
        """How many debtors there are (their codes alone, in large pages)."""
        codes = self.iter_entities("ARCustomer", select=["CustomerCode"], page_size=2000)
        return sum([1 async for _ in codes])

    async def latest_delta_ids(self) -> dict[str, int]:
        """Highest ``DeltaID`` in each delta table now, 0 for an empty table (§9.4)."""

        async def latest(table: str) -> int:
            url = with_query(
                self.entity_url(f"TABLE_{table}"),
                Query(select=["DeltaID"], orderby=["DeltaID desc"], top=1).params(),
            )
            body = await self._get_json(url)
            rows = _value_of(body, url)
            return int(rows[0]["DeltaID"]) if rows else 0

        ids = await gather(*(latest(t) for t in DELTA_TABLES))
        return dict(zip(DELTA_TABLES, ids, strict=True))

    async def poll_changes(
        self, cursors: Mapping[str, int], state: FeedState | None = None
    ) -> ChangeBatch:
        """Delta rows after ``cursors`` (at most ``POLL_MAX_ROWS`` per table), followed to their
        customers with batched look-ups (§9.4 steps 2-3).

        ``state`` is the previous batch's ``state`` (the late-row window, entity sets this site
        answered 404 for); the caller keeps it with the cursors, so a restart loses nothing.
        """
        window = LateRowWindow.from_state(state)
        missing = set((state or {}).get("missing_entities", []))

        async def rows_after(table: str) -> list[DeltaRow]:
            cursor = cursors.get(table, 0)
            records = self.iter_entities(
                f"TABLE_{table}",
                filter=F("DeltaID").gt(window.read_after(table, cursor)),
                orderby=["DeltaID"],
                top=POLL_MAX_ROWS,
                page_size=POLL_MAX_ROWS,
            )
            rows = [DeltaRow.model_validate(r) async for r in records]
            return window.fresh(table, rows, cursor)

        fetched = await gather(*(rows_after(t) for t in DELTA_TABLES))
        rows_by_table = dict(zip(DELTA_TABLES, fetched, strict=True))
        all_rows = [row for rows in fetched for row in rows]
        lookups = plan_lookups(all_rows)
        found_lists = await gather(
            *(self._follow(entity, keys, missing) for entity, keys in lookups.items())
        )
        found = dict(zip(lookups, found_lists, strict=True))
        new_state = {**window.state(), "missing_entities": sorted(missing)}
        batch = resolve(rows_by_table, found, cursors, new_state, own_user=self._username)
        log.debug(
            "accredo.poll",
            rows=batch.rows_seen,
            customers=len(batch.customer_codes),
            unresolved=len(batch.unresolved),
        )
        return batch

    async def delta_fields(self, table: str, first_id: int, last_id: int) -> list[DeltaFieldRow]:
        """Old and new values of tracked fields for changes ``first_id..last_id`` of a delta
        table (``"ARDELTA"`` reads ``TABLE_ARDTFLD``), for planners that want them (§9.4 5)."""
        if table not in DELTA_TABLES:
            raise ValueError(f"not a delta table: {table!r}")
        records = self.iter_entities(
            f"TABLE_{table.removesuffix('DELTA')}DTFLD",
            filter=F("DeltaID").ge(first_id) & F("DeltaID").le(last_id),
            orderby=["DeltaID", "LineNo"],
        )
        return [DeltaFieldRow.model_validate(r) async for r in records]

    async def _follow(
        self, entity: str, keys: Sequence[int], missing: set[str]
    ) -> dict[int, Record]:
        """Read the records ``keys`` of ``entity`` that still exist, keyed by their key
        (nothing for an entity set in ``missing``, which gains those the site lacks)."""
        rule = next(r for r in FOLLOW_RULES.values() if r.entity == entity)
        if entity in missing:
            return {}
        try:
            records = await self.fetch_by_keys(
                entity,
                rule.key_field,
                keys,
                select=[rule.key_field, *rule.customer_fields],
            )
        except AccredoNotFound:
            # The site does not expose this entity set: its rows stay unresolved, and it is not
            # asked again while the feed's state remembers it. (A 404 on a key-list filter means
            # the set is missing; records that do not exist are simply absent from the answer.)
            log.warning("accredo.poll.entity_missing", entity=entity)
            missing.add(entity)
            return {}
        return {int(r[rule.key_field]): r for r in records if r.get(rule.key_field) is not None}

    # ------------------------------------------------------------------ writes

    async def patch(
        self, entity: str, key: str | int, etag: str, changes: Mapping[str, Any]
    ) -> Record:
        """Change only the given properties, if the record is still at ``etag`` (§6.1, §6.2).

        Raises ``PreconditionFailed`` (with ``current_etag``) when someone else changed it
        first: re-read, re-plan, and PATCH again. A 204 answer is followed by a re-read.
        A PATCH is retried on transient errors: a repeat of one that did land gets a 412.
        """
        url = self.entity_url(entity, key)
        response = await self._send(
            "PATCH", url, body=changes, headers={"If-Match": etag}, idempotent=True
        )
        if response.status_code == 204 or not response.content:
            return await self.get_entity(entity, key)
        return _decode(response, url)

    async def post(self, entity: str, body: Mapping[str, Any]) -> Record:
        """Create a record; returns it as created (with server-assigned keys and eTag).

        Not retried once the request may have reached the server (only on 429 or when the
        connection was never made): the caller must check whether the record exists first.
        """
        url = self.entity_url(entity)
        response = await self._send("POST", url, body=body, idempotent=False)
        return _decode(response, url)

    async def patch_customer(self, code: str, etag: str, changes: Mapping[str, Any]) -> ARCustomer:
        record = await self.patch("ARCustomer", code.upper(), etag, changes)
        return ARCustomer.model_validate(record)

    async def patch_contact(
        self, contact_id: int, etag: str, changes: Mapping[str, Any]
    ) -> ARContact:
        """Change a contact's fields if it is still at ``etag`` (``PreconditionFailed`` if not)."""
        return ARContact.model_validate(await self.patch("ARContact", contact_id, etag, changes))

    async def create_contact(self, body: Mapping[str, Any]) -> ARContact:
        """POST a new contact (``CustomerCode`` and its fields); not retried once it may have
        landed: the caller finds it by e-mail on its next attempt instead."""
        return ARContact.model_validate(await self.post("ARContact", body))

    async def memos_with_reference(self, code: str, reference: str) -> list[ARMemo]:
        """The debtor's memos whose ``Reference`` is ``reference`` (reference 10.8a)."""
        condition = F("CustomerCode").eq(code.strip().upper()) & F("Reference").eq(reference)
        records = self.iter_entities("ARMemo", filter=condition)
        return [ARMemo.model_validate(r) async for r in records]

    async def create_memo(self, body: Mapping[str, Any]) -> ARMemo:
        """POST a memo (reference 10.8a); not retried once it may have landed: the caller
        looks for its ``Reference`` first on its next attempt instead."""
        return ARMemo.model_validate(await self.post("ARMemo", body))

    async def create_customer(self, body: Mapping[str, Any]) -> ARCustomer:
        """POST a new debtor. After an ambiguous failure (the server may have created it), the
        code is looked up before trying again, so a retry never makes a second debtor (§7)."""
        code = str(body.get("CustomerCode") or "").strip().upper()
        if not code:
            raise ValueError("a new customer needs a CustomerCode")
        payload = {**body, "CustomerCode": code}
        attempts = max(1, self._retry.attempts)
        for attempt in range(1, attempts + 1):
            try:
                return ARCustomer.model_validate(await self.post("ARCustomer", payload))
            except AccredoTransientError:
                try:
                    return await self.get_customer(code)
                except AccredoNotFound:
                    if attempt == attempts:
                        raise
                    log.info("accredo.create.retry", entity="ARCustomer", attempt=attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ transport

    async def _iter_pages(
        self, url: str, page_size: int | None = None
    ) -> AsyncIterator[list[Record]]:
        """Pages of a collection; the ``@odata.nextLink`` is followed as given (§5.2)."""
        size = page_size or self._page_size
        headers = {"Prefer": f"odata.maxpagesize={size}"}
        next_url: str | None = url
        seen: set[str] = set()
        while next_url is not None:
            if next_url in seen:
                raise AccredoError(f"GET {_path(next_url)}: the server repeated a nextLink")
            seen.add(next_url)
            body = await self._get_json(next_url, headers)
            page = _value_of(body, next_url)
            link = body.get("@odata.nextLink")
            del body  # not kept alive while the next page is read
            next_url = urljoin(next_url, link) if isinstance(link, str) and link else None
            yield page
            del page

    async def _get_json(self, url: str, headers: Mapping[str, str] | None = None) -> Record:
        response = await self._send("GET", url, headers=headers, idempotent=True)
        return _decode(response, url)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> httpx.Response:
        """Send with auth, retrying transient failures with jittered backoff (stamina)."""
        policy = self._retry
        retrying = stamina.retry_context(
            on=RetryDecider(policy, idempotent),
            attempts=policy.attempts,
            timeout=policy.timeout_s,
            wait_initial=policy.wait_initial_s,
            wait_max=policy.wait_max_s,
            wait_jitter=policy.wait_jitter_s,
        )
        content = None if body is None else _encode_body(body)
        async for attempt in retrying:
            with attempt:
                return await self._send_authorised(method, url, content, headers)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_authorised(
        self,
        method: str,
        url: str,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        """One attempt; on a 401, re-authenticate once and resend; a second 401 is final."""
        token = await self._token_before_sending(self._tokens.access_token())
        response = await self._send_once(method, url, content, headers, token)
        if response.status_code == 401:
            log.info("accredo.token.rejected", method=method, path=_path(url))
            token = await self._token_before_sending(self._tokens.reauthenticate(token))
            response = await self._send_once(method, url, content, headers, token)
            if response.status_code == 401:
                raise AccredoAuthError(
                    f"{method} {_path(url)}: 401 after re-authenticating", status_code=401
                )
        if response.is_success:
            return response
        raise error_from_response(
            response.status_code,
            _json_or_none(response),
            response.headers,
            method=method,
            path=_path(url),
        )

    @staticmethod
    async def _token_before_sending(getting: Awaitable[str]) -> str:
        """A token; a transient failure getting it means the data request was not sent (or was
        refused with a 401), so even a POST may be retried."""
        try:
            return await getting
        except (RequestNotSent, AccredoRateLimited):
            raise
        except AccredoTransientError as exc:
            raise RequestNotSent(f"token: {exc.message}", status_code=exc.status_code) from None

    async def _send_once(
        self,
        method: str,
        url: str,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        token: str,
    ) -> httpx.Response:
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        if content is not None:
            all_headers["Content-Type"] = "application/json"
        started = time.monotonic()
        async with self._slots:
            try:
                response = await self._http.request(
                    method, url, content=content, headers=all_headers
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise RequestNotSent(f"{method} {_path(url)}: {type(exc).__name__}") from None
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                raise AccredoTransientError(
                    f"{method} {_path(url)}: {type(exc).__name__}"
                ) from None
        log.debug(
            "accredo.request",
            method=method,
            path=_path(url),
            status=response.status_code,
            elapsed_ms=round((time.monotonic() - started) * 1000, 1),
        )
        return response


def _orders_since(since: date) -> Filter:
    return (
        F("DocumentDate").ge(since)
        & F("DocumentClass").eq(ORDER_CLASS)
        & F("PostStatus").ne(DELETED_STATUS)
    )


def _page_size(size: int) -> int:
    if not 1 <= size <= SERVER_MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {SERVER_MAX_PAGE_SIZE}")
    return size


def _path(url: str) -> str:
    """The URL's path, for messages and logs (never the query or credentials)."""
    return urlsplit(url).path


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return None


def _decode(response: httpx.Response, url: str) -> Record:
    """A JSON object body, with numbers as ``Decimal`` (§3.3: never float)."""
    body = _json_or_none(response)
    if not isinstance(body, dict):
        raise AccredoError(f"{response.request.method} {_path(url)}: body is not a JSON object")
    return body


def _value_of(body: Mapping[str, Any], url: str) -> list[Record]:
    value = body.get("value")
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise AccredoError(f"GET {_path(url)}: collection without a 'value' list")
    return value


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        # Money has at most a few decimals; float's shortest repr writes them back exactly.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to Accredo")


def _encode_body(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, default=_json_default, ensure_ascii=False).encode("utf-8")
