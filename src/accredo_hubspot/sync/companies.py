"""The company record type: an Accredo debtor written to its HubSpot company.

The first ``RecordSpec`` of the write pipeline. Its source records are debtors with their open
transactions, turned into plain values here at the edge (the fields the rules read, and the
``derived.*`` financial values, computed with Accredo's business date); a live batch is matched
by search (the backfill matches against a listing of every company, ``sync.backfill``); plans
are written as HubSpot batch updates by id, and creates as upserts on the unique
``accredo_customer_code`` (DESIGN invariant 3), so a retried create lands on the same company.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from accredo_hubspot.accredo.models import ARCustomer, ARTransaction
from accredo_hubspot.hubspot.models import BatchOutcome, WriteInput
from accredo_hubspot.hubspot.search import in_requests
from accredo_hubspot.mapping.config import DERIVED_PREFIX, FieldRule, MappingConfig
from accredo_hubspot.mapping.financials import compute_financials
from accredo_hubspot.mapping.identity import business_number, debtor_domain
from accredo_hubspot.mapping.invoices import SUMMARY_RULES, invoice_summary
from accredo_hubspot.mapping.properties import CUSTOMER_CODE_PROPERTY, SYNCED_AT_PROPERTY
from accredo_hubspot.store import AsyncStateStore, Side
from accredo_hubspot.sync.matcher import (
    CompanyIndex,
    MatchResult,
    company_keys,
    match_all,
    named_company,
    normalise_code,
)
from accredo_hubspot.sync.pipeline import Clock
from accredo_hubspot.sync.planner import RecordPlan, RuleSet, compile_rules, desired_values
from accredo_hubspot.sync.ports import AccredoSource, HubSpotSink
from accredo_hubspot.sync.records import SourceRecord, Target
from accredo_hubspot.sync.spec import ApplyOutcome, outcome_of
from accredo_hubspot.tasks import gather, task_group

#: HubSpot's object type.
COMPANIES = "companies"
#: The state store's record type of a debtor and its company (key: the customer code).
COMPANY_RECORD = "company"


def derived_values(
    customer: ARCustomer,
    open_transactions: Sequence[ARTransaction],
    today: date,
    config: MappingConfig,
) -> dict[str, object]:
    """The ``derived.*`` values a rule can name (see ``mapping.config.DERIVED_VALUES``)."""
    financials = compute_financials(customer, open_transactions, today, config.near_limit_pct)
    return {
        "overdue_total": financials.overdue_total,
        "days_overdue": financials.days_overdue,
        "credit_status": financials.credit_status.value,
        "utilisation_pct": financials.utilisation_pct,
        "business_number": business_number(customer),
        "domain": debtor_domain(customer, config.generic_email_domains),
    }


def source_value(customer: ARCustomer, rule: FieldRule, derived: Mapping[str, object]) -> object:
    """The Accredo value a rule reads: a derived value, a model field, or an extra field."""
    if rule.is_derived:
        return derived[rule.derived_name]
    if rule.accredo in ARCustomer.model_fields:
        return getattr(customer, rule.accredo)
    return _extra_value(customer, rule.accredo)


def _extra_value(customer: ARCustomer, name: str) -> object:
    value = (customer.model_extra or {}).get(name)
    if isinstance(value, float):  # an extra field parsed without Decimal: keep its JSON digits
        return Decimal(repr(value))
    return value


def company_values(
    customer: ARCustomer,
    open_transactions: Sequence[ARTransaction],
    today: date,
    config: MappingConfig,
) -> dict[str, object]:
    """A debtor as plain values: every field its company rules read, and the ``derived.*``
    values. A debtor is read whole, so no field is ``ABSENT``: one it lacks is ``None``."""
    derived = derived_values(customer, open_transactions, today, config)
    values: dict[str, object] = {DERIVED_PREFIX + name: v for name, v in derived.items()}
    for name, declared in _fields_read(config):
        values[name] = getattr(customer, name) if declared else _extra_value(customer, name)
    if not config.documents.custom_objects:  # invoices summed up on the company (issue 10)
        values.update(invoice_summary(open_transactions, today))
    return values


#: The fields each configuration's rules read, and whether ``ARCustomer`` declares them
#: (resolved once per configuration object, not per debtor; configurations are few).
_FIELDS_READ: dict[int, tuple[MappingConfig, tuple[tuple[str, bool], ...]]] = {}


def _fields_read(config: MappingConfig) -> tuple[tuple[str, bool], ...]:
    entry = _FIELDS_READ.get(id(config))
    if entry is None or entry[0] is not config:
        if len(_FIELDS_READ) > 64:
            _FIELDS_READ.clear()
        fields = tuple(
            dict.fromkeys(
                (rule.accredo, rule.accredo in ARCustomer.model_fields)
                for rule in config.company_rules("accredo")
                if not rule.is_derived
            )
        )
        entry = _FIELDS_READ[id(config)] = (config, fields)
    return entry[1]


def company_rules(config: MappingConfig) -> RuleSet:
    """The Accredo-mastered company rules, compiled to write HubSpot."""
    rules = config.company_rules("accredo")
    if not config.documents.custom_objects:
        rules += SUMMARY_RULES
    return RuleSet(
        compile_rules(rules, "hubspot", config.tz),
        key_field=CUSTOMER_CODE_PROPERTY,
        stamp=SYNCED_AT_PROPERTY,
        missing="debtor not found in Accredo",
    )


def desired_company_properties(
    customer: ARCustomer,
    open_transactions: Sequence[ARTransaction],
    today: date,
    now: datetime,
    config: MappingConfig,
    *,
    for_create: bool,
) -> dict[str, str]:
    """The HubSpot values a debtor's company should have now (``DesiredValuesError`` when
    some cannot be transformed)."""
    return desired_values(
        normalise_code(customer.CustomerCode),
        company_values(customer, open_transactions, today, config),
        company_rules(config),
        now,
        for_create=for_create,
    )


def target_of(match: MatchResult, baseline: Mapping[str, str] | None = None) -> Target:
    """A debtor's match as the pipeline's target."""
    return Target(match.code, match.company_id, match.via, match.candidates, match.reason, baseline)


def customer_fields(config: MappingConfig) -> list[str]:
    """Every debtor field the sync reads: the model's own and the mapping's custom ones."""
    names = ARCustomer.declared_fields()
    names += [rule.accredo for rule in config.company_fields if not rule.is_derived]
    return list(dict.fromkeys(names))


def mapped_properties(config: MappingConfig) -> list[str]:
    """Every company property the sync reads or writes (for listing and baselines)."""
    names = [CUSTOMER_CODE_PROPERTY, config.nzbn_property, "name", "domain", "website"]
    names += [rule.hubspot for rule in config.company_fields]
    return list(dict.fromkeys(names))


class CompanySpec:
    """Debtors to HubSpot companies (``RecordSpec[ARCustomer]``)."""

    record_type = COMPANY_RECORD
    side: Side = "hubspot"

    def __init__(
        self,
        accredo: AccredoSource,
        hubspot: HubSpotSink,
        store: AsyncStateStore,
        config: MappingConfig,
        clock: Clock,
    ) -> None:
        self._accredo = accredo
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._clock = clock
        self.rules = company_rules(config)

    def records(
        self,
        customers: Sequence[ARCustomer],
        open_transactions: Mapping[str, Sequence[ARTransaction]],
    ) -> list[SourceRecord[ARCustomer]]:
        """Debtors as source records; ``open_transactions`` by customer code."""
        today = self._clock.today()
        records = []
        for customer in customers:
            code = normalise_code(customer.CustomerCode)
            values = company_values(customer, open_transactions.get(code, ()), today, self._config)
            records.append(SourceRecord(code, values, customer))
        return records

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[ARCustomer]]:
        await self._clock.refresh()  # days overdue count from Accredo's business date
        async with task_group() as tasks:
            reading = tasks.create_task(self._accredo.get_customers(keys))
            transactions = await self._accredo.open_transactions(keys)
        open_by_code: dict[str, list[ARTransaction]] = defaultdict(list)
        for transaction in transactions:
            open_by_code[normalise_code(transaction.CustomerCode)].append(transaction)
        return self.records(reading.result(), open_by_code)

    async def match(self, records: Sequence[SourceRecord[ARCustomer]]) -> list[Target]:
        """The stored link, else a company found by search on the debtors' keys.

        Live sync meets new debtors a few at a time, so a search per batch (by code, business
        number and domain) is cheaper than listing every company.
        """
        customers = [r.origin for r in records]
        links = await self._store.get_links(COMPANY_RECORD, [r.key for r in records])
        unlinked = [c for c in customers if normalise_code(c.CustomerCode) not in links]
        found = await self._find_companies(unlinked) if unlinked else {}
        index = CompanyIndex.build(
            found, self._config.nzbn_property, self._config.generic_email_domains
        )
        # A new debtor must not claim a company another debtor is linked to: match against
        # every stored link (read only when someone is unlinked, which is rare once running).
        claims = await self._store.get_links(COMPANY_RECORD) if unlinked else links
        targets = []
        id_field = self._config.provision.hubspot_id_field
        for match in match_all(customers, index, claims, id_field):
            company = found.get(match.company_id or "")
            targets.append(target_of(match, company if match.via != "link" else None))
        return targets

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        """Updates by id and creates by upsert on the customer code, as one outcome."""
        updates = [WriteInput(p.key, p.remote_id, p.values) for p in plans if not p.is_create]
        creates = [WriteInput(p.key, p.key, p.values) for p in plans if p.is_create]
        return outcome_of(*await gather(self._update(updates), self._upsert(creates)))

    async def _update(self, inputs: Sequence[WriteInput]) -> BatchOutcome:
        if not inputs:
            return BatchOutcome()
        return await self._hubspot.batch_update(COMPANIES, inputs)

    async def _upsert(self, inputs: Sequence[WriteInput]) -> BatchOutcome:
        if not inputs:
            return BatchOutcome()
        return await self._hubspot.batch_upsert(COMPANIES, CUSTOMER_CODE_PROPERTY, inputs)

    async def _find_companies(self, customers: Sequence[ARCustomer]) -> dict[str, dict[str, str]]:
        """Candidate companies for new debtors, by search; only their keys are kept."""
        generic = self._config.generic_email_domains
        id_field = self._config.provision.hubspot_id_field
        keys = {
            "hs_object_id": [n for c in customers if (n := named_company(c, id_field))],
            CUSTOMER_CODE_PROPERTY: [normalise_code(c.CustomerCode) for c in customers],
            self._config.nzbn_property: [n for c in customers if (n := business_number(c))],
            "domain": [d for c in customers if (d := debtor_domain(c, generic))],
        }
        found: dict[str, dict[str, str]] = {}
        properties = mapped_properties(self._config)
        for prop, values in keys.items():
            for request in in_requests(prop, values, properties):
                async for company in self._hubspot.search_all(COMPANIES, request):
                    if (kept := company_keys(company, properties)) is not None:
                        found[company.id] = kept
        return found
