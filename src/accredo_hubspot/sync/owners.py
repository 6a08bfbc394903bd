"""HubSpot owners as Accredo sales persons: the owner's e-mail is the sales person's.

A company's ``hubspot_owner_id`` becomes the debtor's ``SalesPersonCode`` (a rule with
``transform = "owner"``): the owner's e-mail (HubSpot's owners, reference 9) is looked up in
``[owners.sales_persons]`` first, then among ``ARSalesPerson.EmailAddress`` (accredo-api
10.4). An owner with no sales person becomes ``NoSalesPerson``, which the planner turns into
a dead letter naming the owner (listed once while it stays open), never a guess. Both lists
are small and change rarely: they are read once and read again only when an id or e-mail is
not in them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import structlog

from accredo_hubspot.mapping.transforms import NoSalesPerson
from accredo_hubspot.sync.ports import OwnerSource, SalesPersonSource

log = structlog.get_logger(__name__)


class SalesPersons:
    """Owner id -> SalesPersonCode (or ``NoSalesPerson``), with the two lists cached."""

    def __init__(
        self,
        hubspot: OwnerSource,
        accredo: SalesPersonSource,
        overrides: Mapping[str, str],
    ) -> None:
        self._hubspot = hubspot
        self._accredo = accredo
        self._overrides = dict(overrides)
        self._emails: dict[str, str | None] | None = None  # owner id -> e-mail (lower case)
        self._codes: dict[str, str] | None = None  # e-mail (lower case) -> SalesPersonCode
        self._reported: set[str] = set()

    async def codes(self, owner_ids: Iterable[str]) -> dict[str, str | NoSalesPerson]:
        """The sales person of each owner id."""
        wanted = set(owner_ids)
        if not wanted:
            return {}
        emails = await self._owner_emails(wanted)
        known = await self._sales_person_codes({e for e in emails.values() if e})
        out: dict[str, str | NoSalesPerson] = {}
        for owner_id in sorted(wanted):
            email = emails.get(owner_id)
            code = self._overrides.get(email or "") or known.get(email or "")
            if code is None:
                out[owner_id] = NoSalesPerson(owner_id, email)
                if owner_id not in self._reported:  # the log says it once a process
                    self._reported.add(owner_id)
                    log.warning("owner is no Accredo sales person", owner_id=owner_id, email=email)
            else:
                out[owner_id] = code
        return out

    async def _owner_emails(self, wanted: set[str]) -> dict[str, str | None]:
        if self._emails is None or not wanted <= self._emails.keys():
            owners = await self._hubspot.list_owners()
            owners += await self._hubspot.list_owners(archived=True)
            self._emails = {o.id: (o.email or "").strip().lower() or None for o in owners}
        return self._emails

    async def _sales_person_codes(self, emails: set[str]) -> dict[str, str]:
        needed = emails - self._overrides.keys()
        if self._codes is None or not needed <= self._codes.keys():
            people = await self._accredo.sales_persons()
            codes: dict[str, str] = {}
            for person in sorted(people, key=lambda p: (bool(p.Inactive), p.SalesPersonCode)):
                email = (person.EmailAddress or "").strip().lower()
                if email:  # an active one wins over an inactive one with the same e-mail
                    codes.setdefault(email, person.SalesPersonCode.upper())
            self._codes = codes
        return self._codes
