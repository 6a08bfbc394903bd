"""The company's price tier: ``accredo_price_tier``, an enumeration whose options are Accredo's
price codes with their names (``TABLE_COPRICE``, reference accredo-api.md 10.8). Each
company's value, the debtor's ``PriceCode``, is a company rule (``sync.companies``), written
with the rest of the company.

``PriceTiers`` keeps the options in step: it creates the property when missing, and when
Accredo gains a price code it adds the option, merged into the property's options (HubSpot
replaces an enumeration's options with what a PATCH sends, so every option it has is sent
again as it is: a label changed or an option added in HubSpot stays). It looks when the sync
starts and every ``PRICE_CODES_CHECK_S``, and at once when a customer's code is not an option
yet, before that customer's value is written (else HubSpot refuses the value). When HubSpot
refuses a value all the same (a user deleted the option by hand), ``heal`` forgets the options
remembered, reads HubSpot's again and adds the price codes it lacks, so the company can be
written again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from typing import Protocol

import structlog

from accredo_hubspot.accredo.models import PriceList
from accredo_hubspot.hubspot.errors import HubSpotNotFound, HubSpotValidationError
from accredo_hubspot.hubspot.models import (
    Property,
    PropertyCreate,
    PropertyOption,
    PropertyUpdate,
)
from accredo_hubspot.mapping.objects import (
    PRICE_TIER_PROPERTY,
    merged_options,
    price_tier_options,
    price_tier_property,
)
from accredo_hubspot.mapping.properties import Option
from accredo_hubspot.sync.matcher import normalise_code

log = structlog.get_logger(__name__)

#: HubSpot's object type the property is on.
COMPANIES = "companies"
#: Seconds between looks at Accredo's price codes while the sync runs.
PRICE_CODES_CHECK_S = 600.0
#: The store's meta key of the options HubSpot was last seen with (comma-separated codes).
OPTIONS_META = "price_tier_options"


def _codes(price_lists: list[PriceList]) -> set[str]:
    return {normalise_code(p.PriceCode) for p in price_lists}


class PriceTierSource(Protocol):
    """The Accredo read the price tier needs (``AccredoClient`` has it)."""

    async def price_lists(self) -> list[PriceList]: ...


class PropertyAdmin(Protocol):
    """The HubSpot calls that keep a property's options (``HubSpotClient`` has them)."""

    async def get_property(self, object_type: str, name: str) -> Property: ...

    async def create_property(self, object_type: str, definition: PropertyCreate) -> Property: ...

    async def update_property(
        self, object_type: str, name: str, changes: PropertyUpdate
    ) -> Property: ...


class OptionsMemory(Protocol):
    """Where the options HubSpot was last seen with are kept between processes (the store)."""

    async def get_meta(self, key: str) -> str | None: ...

    async def set_meta(self, key: str, value: str) -> None: ...


class PriceTiers:
    """``accredo_price_tier``'s options, kept in step with Accredo's price codes.

    The options HubSpot has are remembered in the store (``OPTIONS_META``), so a look finds
    nothing to do from Accredo's price codes alone: an idle sync makes no HubSpot call."""

    def __init__(
        self,
        accredo: PriceTierSource,
        hubspot: PropertyAdmin,
        memory: OptionsMemory,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._accredo = accredo
        self._hubspot = hubspot
        self._memory = memory
        self._monotonic = monotonic
        self._known: set[str] | None = None
        #: Whether HubSpot has the property (not while Accredo has no price code).
        self.exists = False
        self._next_check = 0.0
        self._lock = asyncio.Lock()

    async def sync_if_due(self) -> list[str]:
        """Every ``PRICE_CODES_CHECK_S``, a look at Accredo's price codes; HubSpot's options
        are read and merged only when one is not an option yet. The price codes added."""
        if self._monotonic() < self._next_check:
            return []
        async with self._lock:
            self._next_check = self._monotonic() + PRICE_CODES_CHECK_S
            price_lists = await self._accredo.price_lists()
            await self._recall()
            if self._known is not None and _codes(price_lists) <= self._known:
                return []
            return await self._sync(price_lists)

    async def _recall(self) -> None:
        """The options last seen in HubSpot, from the store, if this process has none yet."""
        if self._known is None and (kept := await self._memory.get_meta(OPTIONS_META)):
            self._known = set(kept.split(","))
            self.exists = True

    async def cover(self, codes: Collection[str]) -> None:
        """Make sure these codes are options (a look at Accredo for any that is not yet).
        A code Accredo does not have either is not looked for again: its value is refused
        and dead-lettered, and the next look adds it if Accredo gains it."""
        wanted = {code for code in codes if code}
        if self._known is not None and wanted <= self._known:
            return
        async with self._lock:
            await self._recall()
            if self._known is None or not wanted <= self._known:
                await self._sync(await self._accredo.price_lists())
            assert self._known is not None
            self._known |= wanted

    async def heal(self, refused: Collection[str]) -> set[str]:
        """After HubSpot refused these codes as not options (a user deleted one by hand, so
        what is remembered is wrong): forget the options remembered, here and in the store,
        read HubSpot's again and add Accredo's price codes it lacks. The refused codes that
        are options now (one Accredo lacks is not: HubSpot is not read again for it)."""
        wanted = {code for code in refused if code}
        async with self._lock:
            price_lists = await self._accredo.price_lists()
            if not wanted & _codes(price_lists):
                return set()
            self._known = None
            await self._memory.set_meta(OPTIONS_META, "")
            await self._sync(price_lists)
            healed = wanted & (self._known or set())
            log.info("price tier options read again after a refusal", refused=sorted(wanted))
            return healed

    async def _sync(self, price_lists: list[PriceList]) -> list[str]:
        """Create the property, or add the options it lacks; the price codes added."""
        added = await self._merged(price_lists)
        if self.exists and self._known is not None:
            await self._memory.set_meta(OPTIONS_META, ",".join(sorted(self._known)))
        return added

    async def _merged(self, price_lists: list[PriceList]) -> list[str]:
        price_lists = sorted(price_lists, key=lambda p: (p.LineNo or 0, p.PriceCode))
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
            try:
                await self._hubspot.create_property(COMPANIES, definition)
            except HubSpotValidationError as exc:  # no Accredo property group: setup not run
                log.warning("price tier not created: run `accredo-hubspot setup`", error=str(exc))
                self._known = set()
                return []
            self.exists = True
            self._known = {option.value for option in wanted}
            log.info("price tier created", options=sorted(self._known))
            return [option.value for option in wanted]
        self.exists = True
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
