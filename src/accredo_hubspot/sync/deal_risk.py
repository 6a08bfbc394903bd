"""The company's financial risk on its open deals: ``accredo_credit_status`` and
``accredo_days_overdue`` (deal properties ``setup`` creates).

``DealRiskSpec`` (record type ``deal_risk``, side ``hubspot``, key: the HubSpot deal id) reads
each deal and, if it is open (its stage is not closed), its primary company's two values as the
connector last wrote them there; only what differs from the deal's shadow (or, before the first
write, from what the deal holds) is sent, in batch updates of up to 100 deals. The live sync
runs it for the deals HubSpot reports changed (a new deal, a deal moved to another company) and
for the open deals of every company the Accredo side has just written, so the values stay
current as the debtor's state changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from accredo_hubspot.hubspot.models import HubSpotObject, WriteInput
from accredo_hubspot.mapping.properties import DEAL_RISK_PROPERTIES
from accredo_hubspot.store import Side
from accredo_hubspot.sync.companies import COMPANIES
from accredo_hubspot.sync.deals_won import DEALS, DealStages, primary_company
from accredo_hubspot.sync.planner import RecordPlan, Rule, RuleSet
from accredo_hubspot.sync.ports import DealSource, HubSpotSink, HubSpotSource
from accredo_hubspot.sync.records import LINK, SourceRecord, Target, values_read
from accredo_hubspot.sync.spec import ApplyOutcome, outcome_of

DEAL_RISK_RECORD = "deal_risk"


class RiskHubSpot(HubSpotSource, HubSpotSink, DealSource, Protocol):
    """What the spec reads and writes of HubSpot."""


def _as_is(value: object) -> str:
    return "" if value is None else str(value)


class DealRiskSpec:
    """The company's credit status and days overdue onto its open deals
    (``RecordSpec[HubSpotObject]``)."""

    record_type = DEAL_RISK_RECORD
    side: Side = "hubspot"

    def __init__(self, hubspot: RiskHubSpot) -> None:
        self._hubspot = hubspot
        self._stages = DealStages(hubspot)
        self.rules = RuleSet(
            tuple(Rule(name, name, _as_is) for name in DEAL_RISK_PROPERTIES),
            missing="deal not found in HubSpot",
        )

    async def open_deals_of(self, company_ids: Sequence[str]) -> list[str]:
        """The deals of these companies (open or not: ``fetch`` keeps the open ones), read in
        one batch call per 1,000 companies."""
        if not company_ids:
            return []
        found = await self._hubspot.batch_read_associations(COMPANIES, DEALS, company_ids)
        return list(dict.fromkeys(a.to_object_id for items in found.values() for a in items))

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[HubSpotObject]]:
        names = ["dealstage", "pipeline", *DEAL_RISK_PROPERTIES]
        deals = [
            d
            for d in await self._hubspot.batch_read(DEALS, keys, properties=names)
            if not await self._stages.is_closed(d)
        ]
        found = (
            await self._hubspot.batch_read_associations(DEALS, COMPANIES, [d.id for d in deals])
            if deals
            else {}
        )
        company_of = {d.id: primary_company(found.get(d.id, [])) for d in deals}
        wanted = sorted({c for c in company_of.values() if c})
        companies = {
            c.id: c
            for c in await self._hubspot.batch_read(
                COMPANIES, wanted, properties=DEAL_RISK_PROPERTIES
            )
        }
        out = []
        for deal in deals:
            company = companies.get(company_of[deal.id] or "")
            if company is not None:
                values = values_read(company.properties, DEAL_RISK_PROPERTIES)
                out.append(SourceRecord(deal.id, values, deal))
        return out

    async def match(self, records: Sequence[SourceRecord[HubSpotObject]]) -> list[Target]:
        """The deal itself; what it holds now stands in for a shadow not written yet."""
        return [
            Target(
                r.key,
                r.key,
                LINK,
                baseline={n: r.origin.properties.get(n) or "" for n in DEAL_RISK_PROPERTIES},
            )
            for r in records
        ]

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        inputs = [WriteInput(p.key, p.remote_id, p.values) for p in plans]
        if not inputs:
            return ApplyOutcome()
        return outcome_of(await self._hubspot.batch_update(DEALS, inputs))
