"""What the sync needs from each side, as Protocols.

The runners depend on these, not on the concrete clients, so the planner and runners can be
read (and type-checked) without the HTTP details. ``AccredoClient`` and ``HubSpotClient``
implement them (``runtime`` checks it), and never import this module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from accredo_hubspot.accredo.models import (
    ARContact,
    ARCustomer,
    ARMemo,
    ARSalesPerson,
    ARTransaction,
    OEOrder,
    PriceList,
)
from accredo_hubspot.hubspot.models import (
    AssociatedObject,
    BatchOutcome,
    HubSpotObject,
    ObjectPage,
    Owner,
    Pipeline,
    Property,
    PropertyCreate,
    PropertyGroup,
    PropertyUpdate,
    SearchPage,
    SearchRequest,
    WriteInput,
)
from accredo_hubspot.shared import ChangeBatch, FeedState


class AccredoSource(Protocol):
    def iter_customers(
        self, *, page_size: int = 1000, fields: Sequence[str] = ()
    ) -> AsyncIterator[ARCustomer]:
        """Every debtor, streamed page by page (with ``@odata.nextLink``); only ``fields`` (and
        the code) when given."""
        ...

    async def get_customers(self, codes: Sequence[str]) -> list[ARCustomer]:
        """Current records for these codes (missing codes are left out), batched by URL length."""
        ...

    async def open_transactions(self, codes: Sequence[str]) -> list[ARTransaction]:
        """Open (``UnallocatedAmount ne 0``) transactions of these customers."""
        ...

    async def get_contacts(self, contact_ids: Sequence[int]) -> list[ARContact]:
        """Current contacts for these ids, with eTags (missing ids are left out)."""
        ...

    async def contacts_of(self, codes: Sequence[str]) -> list[ARContact]:
        """Every contact of these customers, with eTags."""
        ...

    def iter_open_transactions_between(
        self, first_code: str, last_code: str
    ) -> AsyncIterator[ARTransaction]:
        """Open transactions of the customers whose codes run from ``first_code`` to
        ``last_code`` (both included)."""
        ...

    def iter_orders_between(
        self, first_code: str, last_code: str, *, since: date
    ) -> AsyncIterator[OEOrder]:
        """Order Entry orders dated ``since`` or later of the customers whose codes run from
        ``first_code`` to ``last_code`` (both included), in customer code order."""
        ...

    async def orders_of(self, codes: Sequence[str], *, since: date) -> list[OEOrder]:
        """Order Entry orders dated ``since`` or later of these customers."""
        ...

    async def price_lists(self) -> list[PriceList]:
        """Every price code (a site has a handful)."""
        ...

    async def count_customers(self) -> int:
        """How many debtors there are."""
        ...

    async def latest_delta_ids(self) -> dict[str, int]:
        """Highest ``DeltaID`` now in each tracked delta table (0 when empty)."""
        ...

    async def poll_changes(
        self, cursors: Mapping[str, int], state: FeedState | None = None
    ) -> ChangeBatch:
        """Delta rows after the cursors, followed to the customers they concern; ``state`` is
        the previous batch's ``state`` (None: nothing remembered)."""
        ...


class AccredoSink(Protocol):
    """Writes to Accredo: PATCH with the record's eTag (a stale one raises
    ``PreconditionFailed``), POST for new contacts."""

    async def patch_customer(
        self, code: str, etag: str, changes: Mapping[str, Any]
    ) -> ARCustomer: ...

    async def patch_contact(
        self, contact_id: int, etag: str, changes: Mapping[str, Any]
    ) -> ARContact: ...

    async def create_contact(self, body: Mapping[str, Any]) -> ARContact: ...


class SalesPersonSource(Protocol):
    """Accredo's sales persons (a HubSpot owner is one by e-mail)."""

    async def sales_persons(self) -> list[ARSalesPerson]: ...


class MemoSink(Protocol):
    """A debtor's memos: found by ``Reference`` before one is added (no second memo after a
    crash)."""

    async def memos_with_reference(self, code: str, reference: str) -> list[ARMemo]: ...

    async def create_memo(self, body: Mapping[str, Any]) -> ARMemo: ...


class DebtorSink(Protocol):
    """New debtors (a won deal's company): found by the company id they carry before any is
    created, and given a code no debtor has."""

    async def customers_where(self, field: str, values: Sequence[str]) -> list[ARCustomer]: ...

    async def customer_codes_starting(self, prefix: str) -> set[str]: ...

    async def create_customer(self, body: Mapping[str, Any]) -> ARCustomer: ...


class AccredoPort(AccredoSource, AccredoSink, SalesPersonSource, MemoSink, DebtorSink, Protocol):
    """Accredo read and written (the live sync's two directions)."""


class HubSpotSink(Protocol):
    def iter_objects(
        self, object_type: str, properties: Sequence[str]
    ) -> AsyncIterator[HubSpotObject]:
        """Every record of the type, listed with ``limit=100``/``after`` paging."""
        ...

    async def batch_upsert(
        self, object_type: str, id_property: str, inputs: Sequence[WriteInput]
    ) -> BatchOutcome:
        """Upsert by a unique property, split into calls of at most 100, per-input results."""
        ...

    async def batch_update(self, object_type: str, inputs: Sequence[WriteInput]) -> BatchOutcome:
        """Update by record id, split into calls of at most 100, per-input results."""
        ...

    async def batch_create(self, object_type: str, inputs: Sequence[WriteInput]) -> BatchOutcome:
        """Create, split into calls of at most 100, per-input results."""
        ...

    async def get_properties(self, object_type: str) -> list[dict[str, Any]]:
        """All property definitions of the type, as HubSpot returns them."""
        ...

    def search_all(self, object_type: str, request: SearchRequest) -> AsyncIterator[HubSpotObject]:
        """Every search match (own 5/s budget; lags writes by a moment)."""
        ...

    async def get_property(self, object_type: str, name: str) -> Property:
        """One property definition (``HubSpotNotFound`` when there is none)."""
        ...

    async def create_property(self, object_type: str, definition: PropertyCreate) -> Property:
        """A new property (the price tier's, when Accredo has price codes)."""
        ...

    async def update_property(
        self, object_type: str, name: str, changes: PropertyUpdate
    ) -> Property:
        """Change a property (the price tier's options)."""
        ...


class HubSpotProperties(Protocol):
    """What ``setup`` needs: the property group and the properties the mapping writes."""

    async def ensure_property_group(
        self, object_type: str, name: str, label: str, *, display_order: int | None = None
    ) -> PropertyGroup:
        """Create the group, or relabel an existing one."""
        ...

    async def list_properties(self, object_type: str) -> list[Property]:
        """Every property definition of the type."""
        ...

    async def ensure_property(self, object_type: str, definition: PropertyCreate) -> Property:
        """Create the property, or bring an existing one in line."""
        ...


class HubSpotSource(Protocol):
    """Reads the specs writing Accredo make of HubSpot: records by id, and the poll's
    searches."""

    async def search(self, object_type: str, request: SearchRequest) -> SearchPage:
        """One page of a search (``after`` is an offset; 10,000 results at most)."""
        ...

    async def get_page(
        self,
        object_type: str,
        *,
        properties: Sequence[str] = (),
        limit: int = 100,
        after: str | None = None,
        archived: bool = False,
    ) -> ObjectPage:
        """One page of the type's records, or of its recycle bin (``archived``)."""
        ...

    async def batch_read(
        self,
        object_type: str,
        ids: Sequence[str],
        *,
        properties: Sequence[str] = (),
        id_property: str | None = None,
        archived: bool = False,
    ) -> list[HubSpotObject]:
        """Records for these ids, in input order; missing ones left out."""
        ...


class OwnerSource(Protocol):
    """HubSpot's owners (reference 9): an owner id on a record is one of them."""

    async def list_owners(
        self, *, email: str | None = None, archived: bool = False
    ) -> list[Owner]: ...


class DealSource(Protocol):
    """A deal's companies and its pipeline's stages (reference 4.2, 10)."""

    async def list_associations(
        self, from_type: str, from_id: str, to_type: str
    ) -> list[AssociatedObject]: ...

    async def batch_read_associations(
        self, from_type: str, to_type: str, ids: Sequence[str]
    ) -> dict[str, list[AssociatedObject]]: ...

    async def get_pipelines(self, object_type: str) -> list[Pipeline]: ...


class HubSpotPort(HubSpotSink, HubSpotSource, OwnerSource, DealSource, Protocol):
    """HubSpot read and written (the live sync's two directions)."""
