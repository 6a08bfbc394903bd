"""Reconcile: compare both sides through the mapping now, and with ``repair`` heal the drift.

The convergence pass (DESIGN invariant 6): a missed webhook, an outage or a hand edit of a
field its master owns leaves the other side wrong, and the shadow (what was last written) no
longer says so. Every debtor is read (page by page, with its open transactions, as the
backfill reads them) and every linked company listed once; ``sync.drift`` compares them. A
repair writes the drifted records through the write pipeline, planned against what HubSpot
holds now instead of the shadow, so exactly the drifted values are sent, in batches of 100
within the rate limits, and audited with the source ``reconcile``. Fields the mapping masters
in HubSpot are compared the other way, company against debtor, and repaired onto the debtor
(``CompanyToAccredoSpec``, a PATCH with its eTag).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.hubspot.models import HubSpotObject
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.companies import (
    COMPANIES,
    COMPANY_RECORD,
    CompanySpec,
    DebtorDocuments,
    customer_fields,
)
from accredo_hubspot.sync.companies_in import CompanyToAccredoSpec, debtor_baseline
from accredo_hubspot.sync.drift import DriftReport, compare, compared_fields
from accredo_hubspot.sync.matcher import normalise_code
from accredo_hubspot.sync.owners import SalesPersons
from accredo_hubspot.sync.pipeline import Clock, Pipeline, SyncReport
from accredo_hubspot.sync.ports import AccredoPort, HubSpotPort
from accredo_hubspot.sync.records import LINK, SourceRecord, Target, values_read

#: The source named in the audit of a repair.
RECONCILE_SOURCE = "reconcile"


@dataclass
class ReconcileReport(DriftReport):
    """The drift found and, after a repair, what was written."""

    repaired: SyncReport = field(default_factory=SyncReport)


class Reconcile:
    """One reconcile pass of debtors and their companies."""

    def __init__(
        self,
        accredo: AccredoPort,
        hubspot: HubSpotPort,
        store: AsyncStateStore,
        config: MappingConfig,
        clock: Clock,
    ) -> None:
        self._accredo = accredo
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._clock = clock
        self._spec = CompanySpec(accredo, hubspot, store, config, clock)
        self._pipeline = Pipeline(self._spec, store, clock)
        self._inward: Pipeline[HubSpotObject] | None = None
        self._inward_spec: CompanyToAccredoSpec | None = None
        if config.company_rules("hubspot"):
            owners = SalesPersons(hubspot, accredo, config.sales_person_overrides)
            inward = CompanyToAccredoSpec(accredo, accredo, hubspot, store, config, owners)
            self._inward, self._inward_spec = Pipeline(inward, store, clock), inward

    async def run(self, *, repair: bool = False) -> ReconcileReport:
        await self._clock.refresh()  # day counts from Accredo's business date
        report = ReconcileReport()
        links = await self._store.get_links(COMPANY_RECORD)
        companies = await self._linked_companies(set(links.values()))
        rules = self._spec.rules
        async for customers, documents in self._debtors():
            records = {r.key: r for r in self._spec.records(customers, documents)}
            held = {
                key: company.properties if (company := companies.get(links[key])) else None
                for key in records
                if key in links
            }
            now = self._clock.now()
            drifted = compare(
                report, "hubspot", {k: r.values for k, r in records.items()}, held, rules, now
            )
            if repair and drifted:
                current = {k: {n: v or "" for n, v in (held[k] or {}).items()} for k in drifted}
                report.repaired.add(
                    await self._pipeline.write(
                        [records[k] for k in drifted],
                        [Target(k, links[k], LINK) for k in drifted],
                        reason=RECONCILE_SOURCE,
                        current=current,
                        sources=dict.fromkeys(drifted, RECONCILE_SOURCE),
                        read_at=now,
                    )
                )
            if self._inward is not None:
                await self._inward_chunk(
                    self._inward, report, customers, links, companies, repair=repair
                )
        return report

    async def _inward_chunk(
        self,
        pipeline: Pipeline[HubSpotObject],
        report: ReconcileReport,
        customers: list[ARCustomer],
        links: Mapping[str, str],
        companies: Mapping[str, HubSpotObject],
        *,
        repair: bool,
    ) -> None:
        """The HubSpot-mastered fields of a chunk's linked debtors: each company's values
        against its debtor's, keyed by customer code; drifted debtors repaired from their
        companies (re-read for their eTags)."""
        rules = pipeline.spec.rules
        names = [rule.source for rule in rules.rules]
        fields = [rule.target for rule in rules.rules]
        linked = {
            code: (customer, company)
            for customer in customers
            if (code := normalise_code(customer.CustomerCode)) in links
            and (company := companies.get(links[code])) is not None
        }
        values = {code: values_read(co.properties, names) for code, (_, co) in linked.items()}
        if self._inward_spec is not None:  # an owner compared as its sales person
            read = [SourceRecord(code, v, linked[code][1]) for code, v in values.items()]
            values = {r.key: dict(r.values) for r in await self._inward_spec.resolved(read)}
        held = {code: debtor_baseline(cu, fields) for code, (cu, _) in linked.items()}
        inward = DriftReport()
        now = self._clock.now()
        drifted = compare(inward, "accredo", values, dict(held), rules, now)
        report.drift.extend(inward.drift)
        report.unmapped.extend(k for k in inward.unmapped if k not in report.unmapped)
        if not (repair and drifted):
            return
        fresh = {
            normalise_code(c.CustomerCode): c for c in await self._accredo.get_customers(drifted)
        }
        writable = [code for code in drifted if code in fresh]
        report.repaired.add(
            await pipeline.write(
                [SourceRecord(links[c], values[c], linked[c][1]) for c in writable],
                [Target(links[c], c, LINK, version=fresh[c].etag) for c in writable],
                reason=RECONCILE_SOURCE,
                current={links[c]: debtor_baseline(fresh[c], fields) for c in writable},
                sources=dict.fromkeys((links[c] for c in writable), RECONCILE_SOURCE),
                read_at=now,
            )
        )

    async def _linked_companies(self, ids: set[str]) -> dict[str, HubSpotObject]:
        """Every linked company, listed once, with the properties compared either way
        (archived ones are left out: gone)."""
        names = compared_fields(self._spec.rules)
        if self._inward is not None:
            names += [rule.source for rule in self._inward.spec.rules.rules]
        return {
            company.id: company
            async for company in self._hubspot.iter_objects(COMPANIES, names)
            if company.id in ids and not company.archived
        }

    async def _debtors(
        self,
    ) -> AsyncIterator[tuple[list[ARCustomer], DebtorDocuments]]:
        """Debtors a page at a time, each page with its open transactions and orders."""
        page_size = self._config.sync.accredo_page_size
        chunk: list[ARCustomer] = []
        fields = customer_fields(self._config)
        async for customer in self._accredo.iter_customers(page_size=page_size, fields=fields):
            chunk.append(customer)
            if len(chunk) >= page_size:
                yield chunk, await self._documents(chunk)
                chunk = []
        if chunk:
            yield chunk, await self._documents(chunk)

    async def _documents(self, chunk: list[ARCustomer]) -> DebtorDocuments:
        return await self._spec.documents_between(chunk[0].CustomerCode, chunk[-1].CustomerCode)
