"""The company record type: an Accredo debtor written to its HubSpot company.

The first ``RecordSpec`` of the write pipeline. Its source records are debtors with their open
transactions and their orders in the window, turned into plain values here at the edge (the
fields the rules read, the ``derived.*`` financial values computed with Accredo's business
date, the order rollups and the price tier): one shadow, one audit entry and one write per
company for all of them. A live batch is matched
by search (the backfill matches against a listing of every company, ``sync.backfill``); plans
are written as HubSpot batch updates by id, and creates as upserts on the unique
``accredo_customer_code`` (DESIGN invariant 3), so a retried create lands on the same company.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from accredo_hubspot.accredo.models import ARCustomer, ARTransaction, OEOrder
from accredo_hubspot.hubspot.errors import INVALID_OPTION
from accredo_hubspot.hubspot.models import BatchOutcome, WriteInput
from accredo_hubspot.hubspot.search import in_requests
from accredo_hubspot.mapping.config import DERIVED_PREFIX, FieldRule, MappingConfig, accredo_rule
from accredo_hubspot.mapping.financials import compute_financials
from accredo_hubspot.mapping.identity import business_number, debtor_domain
from accredo_hubspot.mapping.invoices import SUMMARY_RULES, invoice_summary
from accredo_hubspot.mapping.objects import PRICE_TIER_PROPERTY
from accredo_hubspot.mapping.orders import (
    LAST_ORDERS_PROPERTY,
    LAST_ORDERS_RULE,
    ROLLUP_RULES,
    last_orders_text,
    latest_orders,
    order_rollup,
    window_start,
)
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
from accredo_hubspot.sync.price_tiers import PriceTiers
from accredo_hubspot.sync.records import SourceRecord, Target
from accredo_hubspot.sync.spec import ApplyOutcome, outcome_of
from accredo_hubspot.tasks import gather, task_group

B = TypeVar("B")

#: HubSpot's object type.
COMPANIES = "companies"
#: The state store's record type of a debtor and its company (key: the customer code).
COMPANY_RECORD = "company"
#: The debtor's price code, an option of ``accredo_price_tier`` (``sync.price_tiers``).
PRICE_TIER_RULE = accredo_rule(PRICE_TIER_PROPERTY, "text")


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
    orders: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """A debtor as plain values: every field its company rules read, the ``derived.*``
    values, its price tier and its ``orders``' values (``order_values``; None: it has no
    order in the window). A debtor is read whole, so no field is ``ABSENT``: one it lacks is
    ``None``."""
    derived = derived_values(customer, open_transactions, today, config)
    values: dict[str, object] = {DERIVED_PREFIX + name: v for name, v in derived.items()}
    for name, declared in _fields_read(config):
        values[name] = getattr(customer, name) if declared else _extra_value(customer, name)
    values[PRICE_TIER_PROPERTY] = normalise_code(customer.PriceCode or "")
    values.update(order_values((), config) if orders is None else orders)
    if not config.documents.custom_objects:  # invoices summed up on the company (issue 10)
        values.update(invoice_summary(open_transactions, today))
    return values


def order_values(orders: Sequence[OEOrder], config: MappingConfig) -> dict[str, object]:
    """A debtor's orders in the window as its company's values: the rollups, and on a portal
    without custom objects the last orders as text. Made as the orders are read, so a
    backfill holds these few values per debtor, not its orders and their lines."""
    values = order_rollup(orders)
    if not config.documents.custom_objects:
        latest = latest_orders(orders, config.documents.orders_per_customer)
        values[LAST_ORDERS_PROPERTY] = last_orders_text(latest)
    return values


def orders_since(today: date, config: MappingConfig) -> date:
    """The first day of the order window (``[documents] order_window_months``) on ``today``."""
    return window_start(today, config.documents.order_window_months)


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
    """The Accredo-mastered company rules, compiled to write HubSpot: the mapping's, the
    price tier and the order rollups (and the invoice and order summaries on a portal
    without custom objects)."""
    rules = (*config.company_rules("accredo"), PRICE_TIER_RULE, *ROLLUP_RULES)
    if not config.documents.custom_objects:
        rules += (*SUMMARY_RULES, LAST_ORDERS_RULE)
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
    orders: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """The HubSpot values a debtor's company should have now (``DesiredValuesError`` when
    some cannot be transformed)."""
    return desired_values(
        normalise_code(customer.CustomerCode),
        company_values(customer, open_transactions, today, config, orders),
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


@dataclass
class DebtorDocuments:
    """What some debtors' documents give their companies, by customer code: their open
    transactions, and their orders in the window as values (``order_values``)."""

    open_transactions: dict[str, list[ARTransaction]] = field(
        default_factory=lambda: defaultdict(list)
    )
    orders: dict[str, dict[str, object]] = field(default_factory=dict)

    def add_transactions(self, transactions: Iterable[ARTransaction]) -> None:
        for transaction in transactions:
            self.open_transactions[normalise_code(transaction.CustomerCode)].append(transaction)

    async def add_orders(self, orders: AsyncIterator[OEOrder], config: MappingConfig) -> None:
        """Orders in customer code order, each customer's made into values once read."""
        code, held = "", list[OEOrder]()
        async for order in orders:
            this = normalise_code(order.CustomerCode)
            if this != code and held:
                self.orders[code] = order_values(held, config)
                held = []
            code = this
            held.append(order)
        if held:
            self.orders[code] = order_values(held, config)


class CompanySpec:
    """Debtors to HubSpot companies (``RecordSpec[ARCustomer]``). ``tiers`` keeps the price
    tier's options (one is made when not given)."""

    record_type = COMPANY_RECORD
    side: Side = "hubspot"

    def __init__(
        self,
        accredo: AccredoSource,
        hubspot: HubSpotSink,
        store: AsyncStateStore,
        config: MappingConfig,
        clock: Clock,
        tiers: PriceTiers | None = None,
    ) -> None:
        self._accredo = accredo
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._clock = clock
        self.rules = company_rules(config)
        self.tiers = tiers or PriceTiers(accredo, hubspot, store)

    def records(
        self, customers: Sequence[ARCustomer], documents: DebtorDocuments
    ) -> list[SourceRecord[ARCustomer]]:
        """Debtors as source records, with their ``documents``."""
        today = self._clock.today()
        records = []
        for customer in customers:
            code = normalise_code(customer.CustomerCode)
            values = company_values(
                customer,
                documents.open_transactions.get(code, ()),
                today,
                self._config,
                documents.orders.get(code),
            )
            records.append(SourceRecord(code, values, customer))
        return records

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[ARCustomer]]:
        await self._clock.refresh()  # days overdue count from Accredo's business date
        since = orders_since(self._clock.today(), self._config)
        documents = DebtorDocuments()
        async with task_group() as tasks:
            reading = tasks.create_task(self._accredo.get_customers(keys))
            ordering = tasks.create_task(self._accredo.orders_of(keys, since=since))
            documents.add_transactions(await self._accredo.open_transactions(keys))
        await documents.add_orders(_aiter(ordering.result()), self._config)
        return self.records(reading.result(), documents)

    async def documents_between(self, first_code: str, last_code: str) -> DebtorDocuments:
        """The documents of the debtors whose codes run from ``first_code`` to ``last_code``:
        a page of debtors read in code order (the backfill, reconcile), two range queries."""
        since = orders_since(self._clock.today(), self._config)
        between = self._accredo.iter_orders_between(first_code, last_code, since=since)
        documents = DebtorDocuments()
        async with task_group() as tasks:
            tasks.create_task(documents.add_orders(between, self._config))
            transactions = self._accredo.iter_open_transactions_between(first_code, last_code)
            documents.add_transactions([t async for t in transactions])
        return documents

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
        """Updates by id and creates by upsert on the customer code, as one outcome; every
        price code written an option first."""
        plans = await self._price_tiers_covered(plans)
        updates = [WriteInput(p.key, p.remote_id, p.values) for p in plans if not p.is_create]
        creates = [WriteInput(p.key, p.key, p.values) for p in plans if p.is_create]
        outcome = outcome_of(*await gather(self._update(updates), self._upsert(creates)))
        return await self._price_tiers_healed(plans, outcome)

    async def _price_tiers_healed(
        self, plans: Sequence[RecordPlan], outcome: ApplyOutcome
    ) -> ApplyOutcome:
        """The outcome, with a company HubSpot refused because its price code is not an
        option (one a HubSpot user deleted) marked to be sent again as it was, once
        ``PriceTiers.heal`` has added the option back."""
        invalid = {
            f.key
            for f in outcome.failed
            if (f.field, f.code) == (PRICE_TIER_PROPERTY, INVALID_OPTION)
        }
        if not invalid:  # the usual case: no dict of every plan's tier built
            return outcome
        tiers = {p.key: p.values.get(PRICE_TIER_PROPERTY) for p in plans if p.key in invalid}
        refused = {key: code for key, code in tiers.items() if code}
        if not refused:
            return outcome
        healed = await self.tiers.heal(set(refused.values()))
        outcome.failed = [
            replace(f, resend=True) if refused.get(f.key) in healed else f for f in outcome.failed
        ]
        return outcome

    async def _price_tiers_covered(self, plans: Sequence[RecordPlan]) -> Sequence[RecordPlan]:
        """The plans, once their price codes are options. While HubSpot has no price tier
        property (Accredo has no price code, so every value is blank) none is written."""
        codes = {p.values[PRICE_TIER_PROPERTY] for p in plans if PRICE_TIER_PROPERTY in p.values}
        if not codes:
            return plans
        await self.tiers.cover(codes)
        if self.tiers.exists:
            return plans
        return [
            RecordPlan(p.target, {n: v for n, v in p.values.items() if n != PRICE_TIER_PROPERTY})
            for p in plans
        ]

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


async def _aiter(items: Iterable[B]) -> AsyncIterator[B]:
    for item in items:
        yield item
