"""The company record type the other way: HubSpot-mastered company fields onto the debtor.

``CompanyToAccredoSpec`` (side ``accredo``, key: the HubSpot company id) reads the properties
the mapping masters in HubSpot (``master = "hubspot"`` in ``[[company_fields]]``) and PATCHes
them onto the linked debtor with its eTag (an owner as its sales person: ``sync.owners``); a
company linked to no debtor is not written (a closed-won deal makes it one:
``sync.provision``). Accredo's limits for the debtor's string fields are checked before
sending. A debtor that changed while being written (412) is re-read and re-planned by the
pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.hubspot.models import HubSpotObject
from accredo_hubspot.mapping.accredo_fields import CUSTOMER_FIELDS
from accredo_hubspot.mapping.config import OWNER_TRANSFORM, MappingConfig
from accredo_hubspot.store import AsyncStateStore, Side
from accredo_hubspot.sync.companies import COMPANIES, COMPANY_RECORD
from accredo_hubspot.sync.owners import SalesPersons
from accredo_hubspot.sync.planner import RecordPlan, RuleSet, compile_rules
from accredo_hubspot.sync.ports import AccredoSink, AccredoSource, HubSpotSource
from accredo_hubspot.sync.records import ABSENT, LINK, SourceRecord, Target, values_read
from accredo_hubspot.sync.spec import ApplyOutcome, accredo_write, apply_each


def company_to_accredo_rules(config: MappingConfig) -> RuleSet:
    """The HubSpot-mastered company rules, compiled to write debtor fields."""
    return RuleSet(
        compile_rules(config.company_rules("hubspot"), "accredo", config.tz, CUSTOMER_FIELDS),
        missing="company not found in HubSpot",
        partial=True,
    )


def debtor_baseline(customer: ARCustomer, fields: Sequence[str]) -> dict[str, str]:
    """What a debtor holds now in ``fields``, as text ("" when empty)."""
    out: dict[str, str] = {}
    for name in fields:
        if name in ARCustomer.model_fields:
            value = getattr(customer, name)
        else:
            value = (customer.model_extra or {}).get(name)
        out[name] = "" if value is None else str(value)
    return out


class CompanyToAccredoSpec:
    """HubSpot-mastered company properties onto the linked debtor
    (``RecordSpec[HubSpotObject]``)."""

    record_type = COMPANY_RECORD
    side: Side = "accredo"

    def __init__(
        self,
        accredo: AccredoSource,
        writer: AccredoSink,
        hubspot: HubSpotSource,
        store: AsyncStateStore,
        config: MappingConfig,
        sales_persons: SalesPersons | None = None,
    ) -> None:
        """``sales_persons`` resolves owners for ``transform = "owner"`` rules (without it,
        their values are not read)."""
        self._accredo = accredo
        self._writer = writer
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._sales_persons = sales_persons
        self.rules = company_to_accredo_rules(config)

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[HubSpotObject]]:
        rules = self._config.company_rules("hubspot")
        names = [rule.hubspot for rule in rules]
        records = await self._hubspot.batch_read(COMPANIES, keys, properties=names)
        return await self.resolved(
            [SourceRecord(r.id, values_read(r.properties, names), r) for r in records]
        )

    async def resolved(
        self, sources: Sequence[SourceRecord[HubSpotObject]]
    ) -> list[SourceRecord[HubSpotObject]]:
        """The values as the rules take them: an owner id as its sales person code."""
        rules = self._config.company_rules("hubspot")
        owners = [rule.hubspot for rule in rules if rule.transform == OWNER_TRANSFORM]
        return await self._owners_resolved(sources, owners) if owners else list(sources)

    async def _owners_resolved(
        self, sources: Sequence[SourceRecord[HubSpotObject]], names: Sequence[str]
    ) -> list[SourceRecord[HubSpotObject]]:
        """Owner ids as sales person codes. A company with no owner leaves the debtor's
        sales person as it is (``ABSENT``): an owner is never taken away by a gap."""
        ids = {
            str(v) for s in sources for n in names if isinstance(v := s.values.get(n), str) and v
        }
        codes = await self._sales_persons.codes(ids) if self._sales_persons else {}
        out = []
        for source in sources:
            values = dict(source.values)
            for name in names:
                value = values.get(name)
                values[name] = codes.get(value, ABSENT) if isinstance(value, str) else ABSENT
            out.append(SourceRecord(source.key, values, source.origin))
        return out

    async def match(self, records: Sequence[SourceRecord[HubSpotObject]]) -> list[Target]:
        """The linked debtor, with its eTag and current values (unlinked: not written)."""
        codes = await self._store.get_links_by_hubspot_id(COMPANY_RECORD, [r.key for r in records])
        customers = {
            c.CustomerCode.upper(): c
            for c in await self._accredo.get_customers(sorted(set(codes.values())))
        }
        fields = [rule.target for rule in self.rules.rules]
        targets = []
        for record in records:
            customer = customers.get(codes.get(record.key, "").upper())
            if customer is not None:
                targets.append(
                    Target(
                        record.key,
                        customer.CustomerCode.upper(),
                        LINK,
                        baseline=debtor_baseline(customer, fields),
                        version=customer.etag,
                    )
                )
        return targets

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        return await apply_each(plans, self._patch)

    async def _patch(self, plan: RecordPlan) -> ApplyOutcome:
        outcome = ApplyOutcome(calls=1)
        code = plan.remote_id or ""
        with accredo_write(outcome, plan.key):
            await self._writer.patch_customer(code, plan.target.version or "", plan.values)
            outcome.written[plan.key] = code
        return outcome
