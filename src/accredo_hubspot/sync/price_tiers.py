"""The company's price tier: ``accredo_price_tier``, an enumeration whose options are Accredo's
price codes with their names (``TABLE_COPRICE``, reference accredo-api.md 10.8), and each
company's value, the debtor's ``PriceCode``.

``PriceTiers`` keeps the options in step: it creates the property when missing, and when
Accredo gains a price code it adds the option, merged into the property's options (HubSpot
replaces an enumeration's options with what a PATCH sends, so every option it has is sent
again as it is: a label changed or an option added in HubSpot stays). It looks when the sync
starts and every ``PRICE_CODES_CHECK_S``, and at once when a customer's code is not an option
yet, before that customer's value is written (else HubSpot refuses the value).

``PriceTierSpec`` writes a customer's code to its linked company (record type ``price_tier``,
key: the customer code), queued with every changed customer; ``PriceTierSync`` is the whole
pass (backfill, and once per business day).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from datetime import date
from typing import Protocol

import structlog

from accredo_hubspot.accredo.models import ARCustomer, PriceList
from accredo_hubspot.hubspot.errors import HubSpotNotFound
from accredo_hubspot.hubspot.models import (
    Property,
    PropertyCreate,
    PropertyGroup,
    PropertyOption,
    PropertyUpdate,
)
from accredo_hubspot.mapping.config import MappingConfig, accredo_rule
from accredo_hubspot.mapping.objects import (
    PRICE_TIER_PROPERTY,
    merged_options,
    price_tier_options,
    price_tier_property,
)
from accredo_hubspot.mapping.properties import PROPERTY_GROUP, Option
from accredo_hubspot.shared import ChangeBatch
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.business_date import BusinessDate
from accredo_hubspot.sync.documents import (
    COMPANIES,
    CompanyValuesSpec,
    DocumentPass,
    DocumentReport,
    DocumentSink,
    chunked,
)
from accredo_hubspot.sync.matcher import normalise_code
from accredo_hubspot.sync.pipeline import Clock, Pipeline
from accredo_hubspot.sync.planner import RecordPlan
from accredo_hubspot.sync.records import SourceRecord
from accredo_hubspot.sync.spec import ApplyOutcome

log = structlog.get_logger(__name__)

#: The state store's record type of a company's price tier (key: the customer code).
PRICE_TIER_RECORD = "price_tier"
#: Seconds between looks at Accredo's price codes while the sync runs.
PRICE_CODES_CHECK_S = 600.0
#: Debtors per chunk of the whole pass (one Accredo page).
CHUNK_SIZE = 2000


class PriceTierSource(Protocol):
    """The Accredo reads the price tier needs (``AccredoClient`` has them)."""

    async def system_date(self) -> date: ...

    async def price_lists(self) -> list[PriceList]: ...

    def iter_customers(
        self, *, page_size: int = 1000, fields: Sequence[str] = ()
    ) -> AsyncIterator[ARCustomer]: ...

    async def get_customers(self, codes: Sequence[str]) -> list[ARCustomer]: ...


class PropertyAdmin(Protocol):
    """The HubSpot calls that keep a property's options (``HubSpotClient`` has them)."""

    async def get_property_group(self, object_type: str, name: str) -> PropertyGroup: ...

    async def get_property(self, object_type: str, name: str) -> Property: ...

    async def create_property(self, object_type: str, definition: PropertyCreate) -> Property: ...

    async def update_property(
        self, object_type: str, name: str, changes: PropertyUpdate
    ) -> Property: ...


class PriceTierSink(DocumentSink, PropertyAdmin, Protocol):
    """What the price tier writes in HubSpot."""


class PriceTiers:
    """``accredo_price_tier``'s options, kept in step with Accredo's price codes."""

    def __init__(
        self,
        accredo: PriceTierSource,
        hubspot: PropertyAdmin,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._accredo = accredo
        self._hubspot = hubspot
        self._monotonic = monotonic
        self._known: set[str] | None = None
        self._next_check = 0.0
        self._lock = asyncio.Lock()

    async def sync(self) -> list[str]:
        """Create the property, or add the options it lacks; the price codes added."""
        async with self._lock:
            return await self._sync()

    async def sync_if_due(self) -> list[str]:
        """``sync`` when ``PRICE_CODES_CHECK_S`` have passed since the last look."""
        if self._monotonic() < self._next_check:
            return []
        return await self.sync()

    async def cover(self, codes: Collection[str]) -> None:
        """Make sure these codes are options (a look at Accredo for any that is not yet).
        A code Accredo does not have either is not looked for again: its value is refused
        and dead-lettered, and the next look adds it if Accredo gains it."""
        wanted = {code for code in codes if code}
        if self._known is not None and wanted <= self._known:
            return
        async with self._lock:
            if self._known is None or not wanted <= self._known:
                await self._sync()
            assert self._known is not None
            self._known |= wanted

    async def _sync(self) -> list[str]:
        self._next_check = self._monotonic() + PRICE_CODES_CHECK_S
        price_lists = sorted(
            await self._accredo.price_lists(), key=lambda p: (p.LineNo or 0, p.PriceCode)
        )
        wanted = price_tier_options(
            [
                (normalise_code(p.PriceCode), p.PriceListName or "", bool(p.Inactive))
                for p in price_lists
            ]
        )
        try:
            existing = await self._hubspot.get_property(COMPANIES, PRICE_TIER_PROPERTY)
        except HubSpotNotFound:
            if not wanted:  # HubSpot needs an option on an enumeration
                self._known = set()
                return []
            definition = PropertyCreate.model_validate(price_tier_property(wanted).to_hubspot())
            await self._hubspot.create_property(COMPANIES, definition)
            self._known = {option.value for option in wanted}
            log.info("price tier created", options=sorted(self._known))
            return [option.value for option in wanted]
        have = [
            Option(o.label, o.value, o.display_order or 0, o.description or "", o.hidden)
            for o in existing.options
        ]
        merged = merged_options(have, wanted)
        if merged is None:
            self._known = {option.value for option in have}
            return []
        options = [PropertyOption.model_validate(o.to_hubspot()) for o in merged]
        await self._hubspot.update_property(
            COMPANIES, PRICE_TIER_PROPERTY, PropertyUpdate(options=options)
        )
        self._known = {option.value for option in merged}
        added = [option.value for option in merged[len(have) :]]
        log.info("price tier options added", added=added)
        return added


class PriceTierSpec(CompanyValuesSpec[ARCustomer]):
    """A debtor's price code onto its linked company (``RecordSpec[ARCustomer]``)."""

    def __init__(
        self,
        accredo: PriceTierSource,
        hubspot: DocumentSink,
        store: AsyncStateStore,
        config: MappingConfig,
        tiers: PriceTiers,
    ) -> None:
        rules = (accredo_rule(PRICE_TIER_PROPERTY, "text"),)
        super().__init__(PRICE_TIER_RECORD, rules, config, hubspot, store)
        self._accredo = accredo
        self.tiers = tiers

    def records(self, customers: Sequence[ARCustomer]) -> list[SourceRecord[ARCustomer]]:
        return [
            SourceRecord(
                normalise_code(c.CustomerCode),
                {PRICE_TIER_PROPERTY: normalise_code(c.PriceCode or "")},
                c,
            )
            for c in customers
        ]

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[ARCustomer]]:
        return self.records(await self._accredo.get_customers(keys))

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        """Every code written an option first, then the companies' values."""
        await self.tiers.cover({p.values.get(PRICE_TIER_PROPERTY, "") for p in plans})
        return await super().apply(plans)


class PriceTierSync(DocumentPass[list[ARCustomer]]):
    """Every debtor's price tier (``run``); once per business day, and the options looked at
    every ``PRICE_CODES_CHECK_S`` (``recompute_if_new_day``); a changed customer's queued."""

    name = "price tiers"
    meta_key = "price_tiers_for"

    def __init__(
        self,
        accredo: PriceTierSource,
        hubspot: PriceTierSink,
        store: AsyncStateStore,
        config: MappingConfig,
        clock: Clock,
    ) -> None:
        super().__init__(clock.business_date or BusinessDate(accredo.system_date), store, None)
        self._accredo = accredo
        self._hubspot = hubspot
        self.tiers = PriceTiers(accredo, hubspot)
        self.spec = PriceTierSpec(accredo, hubspot, store, config, self.tiers)
        self.pipeline = Pipeline(self.spec, store, clock)
        self.pipelines[PRICE_TIER_RECORD] = self.pipeline

    def queued(self, batch: ChangeBatch) -> dict[str, list[str]]:
        return {PRICE_TIER_RECORD: list(batch.customer_codes)}

    async def available(self) -> bool:
        """Whether setup has run (the property goes in its Accredo group)."""
        try:
            await self._hubspot.get_property_group(COMPANIES, PROPERTY_GROUP.name)
        except HubSpotNotFound:
            log.debug("price tiers not synced", reason="no Accredo property group: run setup")
            return False
        return True

    async def recompute_if_new_day(self) -> DocumentReport | None:
        await self.tiers.sync_if_due()
        return await super().recompute_if_new_day()

    async def start(self) -> None:
        await self.tiers.sync()

    def chunks(self) -> AsyncIterator[list[ARCustomer]]:
        customers = self._accredo.iter_customers(page_size=CHUNK_SIZE, fields=["PriceCode"])
        return chunked(customers, CHUNK_SIZE)

    def records(self, chunk: list[ARCustomer]) -> list[SourceRecord[ARCustomer]]:
        return self.spec.records(chunk)
