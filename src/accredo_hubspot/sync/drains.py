"""The write pipelines of a configuration, one a direction and record type: built once here so
that the live sync drains its queues through the same pipelines an operator's replay of a dead
letter writes through (``sync.fixes``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.store import TO_ACCREDO, TO_HUBSPOT, AsyncStateStore, Direction, Side
from accredo_hubspot.sync.companies import COMPANY_RECORD, CompanySpec
from accredo_hubspot.sync.companies_in import CompanyToAccredoSpec
from accredo_hubspot.sync.contacts import CONTACT_RECORD, ContactToAccredoSpec, ContactToHubSpotSpec
from accredo_hubspot.sync.deal_risk import DealRiskSpec
from accredo_hubspot.sync.deals_won import DEAL_RECORD, DealWonSpec
from accredo_hubspot.sync.documents import DocumentPass
from accredo_hubspot.sync.owners import SalesPersons
from accredo_hubspot.sync.pipeline import Clock, Pipeline
from accredo_hubspot.sync.ports import AccredoPort, HubSpotPort
from accredo_hubspot.sync.provision import Provisioner, ProvisionSpec


@dataclass(frozen=True)
class Drain:
    """One queue drained each cycle: a direction and record type, and the pipeline that
    writes them."""

    direction: Direction
    record_type: str
    pipeline: Pipeline[Any]
    #: What the pass the record type belongs to does once a batch is written (the orders no
    #: longer among their customer's last N archived); the HubSpot calls it made.
    after: Callable[[Sequence[str]], Awaitable[int]] | None = None


@dataclass(frozen=True)
class Pipelines:
    """Every pipeline the configuration writes with: the debtors' spec (its price tiers, its
    matches), the drains in the order a cycle takes them, the deal risk written after them,
    and the provisioner of won deals' companies (None: ``[provision]`` is off), which replays
    a company's letter when the company has no debtor yet."""

    companies: CompanySpec
    drains: tuple[Drain, ...]
    deal_risk: DealRiskSpec
    deal_risk_pipeline: Pipeline[Any]
    provisioner: Provisioner | None

    @property
    def company_pipeline(self) -> Pipeline[Any]:
        """The debtors' pipeline, towards HubSpot (always the first drain)."""
        return self.drains[0].pipeline

    def writing(self, side: Side, record_type: str) -> Pipeline[Any] | None:
        """The pipeline that writes ``record_type`` to ``side``, if this configuration has
        one (the shadows, dead letters and audit of a record are the side written)."""
        direction = TO_HUBSPOT if side == "hubspot" else TO_ACCREDO
        for drain in self.drains:
            if (drain.direction, drain.record_type) == (direction, record_type):
                return drain.pipeline
        if (side, record_type) == (self.deal_risk.side, self.deal_risk.record_type):
            return self.deal_risk_pipeline
        return None


def build_pipelines(
    accredo: AccredoPort,
    hubspot: HubSpotPort,
    store: AsyncStateStore,
    config: MappingConfig,
    clock: Clock,
    documents: Sequence[DocumentPass[Any]] = (),
) -> Pipelines:
    """The pipelines of ``config``: debtors to companies always; contacts both ways when
    contact fields are mapped; companies to debtors when HubSpot masters a company field; won
    deals; and the record types of ``documents`` (invoices, orders) to HubSpot."""
    companies = CompanySpec(accredo, hubspot, store, config, clock)
    drains = [Drain(TO_HUBSPOT, COMPANY_RECORD, Pipeline(companies, store, clock))]
    if config.contact_fields:
        contacts_out = ContactToHubSpotSpec(accredo, hubspot, store, config)
        drains.append(Drain(TO_HUBSPOT, CONTACT_RECORD, Pipeline(contacts_out, store, clock)))
    if config.company_rules("hubspot"):
        owners = SalesPersons(hubspot, accredo, config.sales_person_overrides)
        companies_in = CompanyToAccredoSpec(accredo, accredo, hubspot, store, config, owners)
        drains.append(Drain(TO_ACCREDO, COMPANY_RECORD, Pipeline(companies_in, store, clock)))
    if config.contact_fields:
        contacts_in = ContactToAccredoSpec(accredo, accredo, hubspot, store, config)
        drains.append(Drain(TO_ACCREDO, CONTACT_RECORD, Pipeline(contacts_in, store, clock)))
    followed = [d.record_type for d in drains if d.direction == TO_ACCREDO]
    provisioner = (
        Provisioner(ProvisionSpec(accredo, hubspot, store, config), store, clock, followed)
        if config.provision.enabled
        else None
    )
    deals_won = DealWonSpec(accredo, hubspot, store, config, provisioner)
    drains.append(Drain(TO_ACCREDO, DEAL_RECORD, Pipeline(deals_won, store, clock)))
    for document in documents:
        pipeline = document.pipeline
        drains.append(
            Drain(TO_HUBSPOT, pipeline.spec.record_type, pipeline, document.after_written)
        )
    deal_risk = DealRiskSpec(hubspot)
    risk_pipeline = Pipeline(deal_risk, store, clock)
    return Pipelines(companies, tuple(drains), deal_risk, risk_pipeline, provisioner)
