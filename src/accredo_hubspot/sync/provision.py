"""Closed deals provision debtors: a won deal's unlinked company becomes a new Accredo debtor.

``ProvisionSpec`` (record type ``company``, side ``accredo``, key: the HubSpot company id)
reads the company (the properties ``[provision.fields]`` names, its original source, the
e-mail of its first contact) and POSTs an ``ARCustomer``: the mapped fields (Accredo's limits
checked first, ``mapping.accredo_fields``), a customer code no debtor has (``mapping.provision``:
the rule's stem, numbered when taken), the customer type by the company's source, the group,
price code and terms of ``[provision]``, and the company id in the debtor's custom field
(``hubspot_id_field``, ``Z_HubSpotID``). Before any create the debtors are searched for that id
(and for the code the company already holds), so a retry after a crash, a replayed event or a
second deal links the debtor it finds and never makes a second one (DESIGN invariant 3). A code
taken meanwhile (409) is chosen again. The pipeline records the link in the state store.

``Provisioner`` runs it for ``DealWonSpec`` (which finds the won deals and their primary
companies) and queues what follows a new debtor: the company's contacts towards Accredo (as
``ARContact``s, ``sync.contacts``), the debtor towards HubSpot (its code written back to the
company's ``accredo_customer_code``, with its financial state), and the company towards
Accredo (its owner as the debtor's sales person), when those record types are followed.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from accredo_hubspot.accredo.errors import AccredoConflict
from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.hubspot.models import HubSpotObject
from accredo_hubspot.mapping.accredo_fields import CUSTOMER_FIELDS, AccredoField, fit_accredo
from accredo_hubspot.mapping.config import FieldRule, MappingConfig, ProvisionSettings
from accredo_hubspot.mapping.properties import CUSTOMER_CODE_PROPERTY
from accredo_hubspot.mapping.provision import (
    CONTACT_EMAIL,
    SOURCE_PROPERTY,
    choose_code,
    code_search_prefix,
    code_stem,
    country_code,
    customer_type,
)
from accredo_hubspot.store import TO_ACCREDO, TO_HUBSPOT, AsyncStateStore, Side
from accredo_hubspot.sync.companies import COMPANIES, COMPANY_RECORD
from accredo_hubspot.sync.contacts import CONTACT_RECORD, CONTACTS, email_property
from accredo_hubspot.sync.matcher import normalise_code
from accredo_hubspot.sync.pipeline import Clock, Pipeline, SyncReport
from accredo_hubspot.sync.planner import RecordPlan, Rule, RuleSet, compile_rules
from accredo_hubspot.sync.ports import DealSource, DebtorSink, HubSpotSource
from accredo_hubspot.sync.records import (
    AMBIGUOUS,
    NEW,
    Association,
    SourceRecord,
    Target,
    values_read,
)
from accredo_hubspot.sync.spec import ApplyOutcome, accredo_write, apply_each
from accredo_hubspot.tasks import gather

log = structlog.get_logger(__name__)

#: The audit's and the queue's reason for what provisioning writes and queues.
PROVISION_REASON = "deal won"
#: ``Target.associations``' kind carrying the code chosen for a new debtor.
CUSTOMER_CODE = "customer_code"
#: Source values the spec adds to a company's own: its type by rule, and its id.
TYPE_VALUE = "provision.customer_type"
ID_VALUE = "hs_object_id"
#: How a debtor made before a crash (or by hand, carrying the id) is found again.
VIA_HUBSPOT_ID = "hubspot_id"
VIA_CODE = "code"


class ProvisionHubSpot(HubSpotSource, DealSource, Protocol):
    """What provisioning reads of HubSpot: companies, their contacts."""


def _as_is(value: object) -> str:
    return "" if value is None else str(value)


def provision_rules(config: MappingConfig) -> RuleSet:
    """The company's properties onto a new debtor's fields (create-only: once made, the debtor
    is Accredo's, but for the fields the company rules give HubSpot)."""
    settings = config.provision
    rules: list[Rule] = []
    for prop, target in settings.fields.items():
        if target == "CountryCode":
            limits = CUSTOMER_FIELDS[target]
            rules.append(
                Rule(target, prop, functools.partial(_country, limits=limits), create_only=True)
            )
            continue
        field_rule = FieldRule(
            prop, target, "hubspot", "text", write="create", truncate=settings.truncate
        )
        rules.extend(compile_rules([field_rule], "accredo", config.tz, CUSTOMER_FIELDS))
    rules.append(Rule("CustomerType", TYPE_VALUE, _as_is, create_only=True))
    rules.append(Rule(settings.hubspot_id_field, ID_VALUE, _as_is, create_only=True))
    return RuleSet(tuple(rules), missing="company not found in HubSpot", partial=True)


def _country(value: object, *, limits: AccredoField) -> str:
    return fit_accredo(country_code(value), "CountryCode", limits, max_length=None, truncate=False)


def debtor_defaults(settings: ProvisionSettings) -> dict[str, object]:
    """The fields every new debtor gets from ``[provision]`` (those left "" are Accredo's)."""
    body: dict[str, object] = {}
    if settings.customer_group:
        body["CustomerGroupCode"] = settings.customer_group
    if settings.price_code:
        body["PriceCode"] = settings.price_code
    if settings.payment_unit:
        body["PaymentUnit"] = settings.payment_unit
        body["PaymentCount"] = settings.payment_count
        if settings.payment_day_of_month:
            body["PaymentDayOfMonth"] = settings.payment_day_of_month
    return body


def _code_of(plan: RecordPlan) -> str:
    return next(a.to_id for a in plan.target.associations if a.to_type == CUSTOMER_CODE)


class ProvisionSpec:
    """A won deal's unlinked company as a new debtor (``RecordSpec[HubSpotObject]``)."""

    record_type = COMPANY_RECORD
    side: Side = "accredo"

    def __init__(
        self,
        accredo: DebtorSink,
        hubspot: ProvisionHubSpot,
        store: AsyncStateStore,
        config: MappingConfig,
    ) -> None:
        self._accredo = accredo
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._settings = config.provision
        self._email = email_property(config)
        self.rules = provision_rules(config)

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[HubSpotObject]]:
        settings = self._settings
        names = [p for p in settings.fields if p != CONTACT_EMAIL]
        companies = await self._hubspot.batch_read(
            COMPANIES, keys, properties=[*names, SOURCE_PROPERTY, CUSTOMER_CODE_PROPERTY]
        )
        emails: Mapping[str, str | None] = {}
        if CONTACT_EMAIL in settings.fields:
            found = await gather(*(self.contact_email(c.id) for c in companies))
            emails = dict(zip([c.id for c in companies], found, strict=True))
        records = []
        for company in companies:
            values: dict[str, object] = values_read(company.properties, names)
            values[CONTACT_EMAIL] = emails.get(company.id)
            values[TYPE_VALUE] = customer_type(
                company.properties.get(SOURCE_PROPERTY),
                settings.customer_type_by_source,
                settings.customer_type,
            )
            values[ID_VALUE] = company.id
            records.append(SourceRecord(company.id, values, company))
        return records

    async def contact_ids(self, company_id: str) -> list[str]:
        """The company's contacts, in HubSpot's order."""
        found = await self._hubspot.list_associations(COMPANIES, company_id, CONTACTS)
        return [item.to_object_id for item in found]

    async def contact_email(self, company_id: str) -> str | None:
        """The e-mail of the company's first contact that has one."""
        ids = await self.contact_ids(company_id)
        if not ids:
            return None
        contacts = await self._hubspot.batch_read(CONTACTS, ids, properties=[self._email])
        by_id = {c.id: c.properties.get(self._email) for c in contacts}
        return next((e for i in ids if (e := by_id.get(i))), None)

    async def match(self, records: Sequence[SourceRecord[HubSpotObject]]) -> list[Target]:
        """Linked companies: nothing (provisioned already). Else the debtor carrying the
        company's id (made before a crash), or the one with the code the company holds; else
        a new debtor with a code no debtor has."""
        linked = await self._store.get_links_by_hubspot_id(COMPANY_RECORD, [r.key for r in records])
        fresh = [r for r in records if r.key not in linked]
        if not fresh:
            return []
        existing = await self._existing(fresh)
        claimed = await self._store.get_links(
            COMPANY_RECORD, sorted({c.CustomerCode.upper() for c, _ in existing.values()})
        )
        taken: dict[str, set[str]] = {}  # search prefix -> codes Accredo has
        chosen: set[str] = set()
        targets = []
        for record in fresh:
            found = existing.get(record.key)
            if found is not None:
                customer, via = found
                code = customer.CustomerCode.upper()
                if code in claimed:
                    reason = f"debtor {code} names this company but is linked to {claimed[code]}"
                    targets.append(Target(record.key, None, AMBIGUOUS, (code,), reason))
                else:
                    targets.append(Target(record.key, code, via, version=customer.etag))
                continue
            new_code = await self._new_code(record, taken, chosen)
            if new_code is None:
                log.warning("no free customer code; not provisioned", company=record.key)
                continue
            chosen.add(new_code)
            association = Association(CUSTOMER_CODE, new_code)
            targets.append(Target(record.key, None, NEW, associations=(association,)))
        return targets

    async def _existing(
        self, records: Sequence[SourceRecord[HubSpotObject]]
    ) -> dict[str, tuple[ARCustomer, str]]:
        """Company id -> a debtor it already has: one carrying its id, else one with the code
        the company holds (``accredo_customer_code``)."""
        id_field = self._settings.hubspot_id_field
        by_id = await self._accredo.customers_where(id_field, [r.key for r in records])
        found: dict[str, tuple[ARCustomer, str]] = {}
        for customer in by_id:
            company = str((customer.model_extra or {}).get(id_field) or "")
            found.setdefault(company, (customer, VIA_HUBSPOT_ID))
        held = {
            r.key: normalise_code(code)
            for r in records
            if r.key not in found and (code := r.origin.properties.get(CUSTOMER_CODE_PROPERTY))
        }
        if held:
            codes = sorted(set(held.values()))
            by_code = {
                c.CustomerCode.upper(): c
                for c in await self._accredo.customers_where("CustomerCode", codes)
            }
            for key, code in held.items():
                if code in by_code:
                    found[key] = (by_code[code], VIA_CODE)
        return found

    async def _new_code(
        self, record: SourceRecord[HubSpotObject], taken: dict[str, set[str]], chosen: set[str]
    ) -> str | None:
        rule = self._settings.code
        stem = code_stem(record.origin.properties.get("name"), record.key, rule)
        prefix = code_search_prefix(stem, rule.length)
        if prefix not in taken:
            taken[prefix] = await self._accredo.customer_codes_starting(prefix)
        return choose_code(stem, taken[prefix] | chosen, rule.length)

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        """POST each new debtor; one found is Accredo's already: nothing is rewritten."""
        total = await apply_each([plan for plan in plans if plan.is_create], self._create)
        for plan in plans:
            if not plan.is_create:
                total.written[plan.key] = plan.remote_id or ""
        return total

    async def _create(self, plan: RecordPlan) -> ApplyOutcome:
        outcome = ApplyOutcome(calls=1)
        body = {"CustomerCode": _code_of(plan), **plan.values, **debtor_defaults(self._settings)}
        id_field = self._settings.hubspot_id_field
        with accredo_write(outcome, plan.key):
            try:
                customer = await self._accredo.create_customer(body)
            except AccredoConflict:  # the code was taken since it was chosen: choose again
                outcome.stale.append(plan.key)
                return outcome
            if str((customer.model_extra or {}).get(id_field) or "") != plan.key:
                # a create resent after a lost answer found its code taken by another debtor
                outcome.stale.append(plan.key)
                return outcome
            outcome.written[plan.key] = customer.CustomerCode.upper()
            log.info("debtor provisioned", company=plan.key, customer=customer.CustomerCode)
        return outcome


@dataclass(frozen=True)
class Provisioned:
    """What one provisioning did: company id -> customer code of the companies linked now,
    and the pipeline's report (its failures are dead letters of the companies)."""

    linked: dict[str, str]
    report: SyncReport


class Provisioner:
    """Provisions the companies of won deals (and of replayed provisioning letters,
    ``sync.fixes``) and queues what follows each new debtor."""

    def __init__(
        self,
        spec: ProvisionSpec,
        store: AsyncStateStore,
        clock: Clock,
        followed: Sequence[str] = (),
    ) -> None:
        """``followed``: the record types queued towards Accredo (contacts, companies)."""
        self.spec = spec
        self._pipeline = Pipeline(spec, store, clock)
        self._store = store
        self._followed = followed

    async def provision(
        self,
        company_ids: Sequence[str],
        *,
        reason: str = PROVISION_REASON,
        sources: Mapping[str, str] | None = None,
        overrides: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Provisioned:
        """Make each unlinked company a debtor (or link the one it has). ``reason`` goes to
        the audit and the queue; ``sources`` and ``overrides`` are as for ``Pipeline.write``.

        The company's contacts are queued before the create as well as after: a crash between
        the two finds them queued (their next pass, after the link, writes them), and a worker
        that took them before the link was recorded leaves them for the second queuing.
        """
        ids = list(dict.fromkeys(company_ids))
        contacts = {c: await self.spec.contact_ids(c) for c in ids}
        await self._follow_contacts(contacts, reason)
        report = await self._pipeline.sync(
            ids, reason=reason, completed=[], sources=sources, overrides=overrides
        )
        linked = await self._store.get_links_by_hubspot_id(COMPANY_RECORD, ids)
        if linked:
            await self._store.enqueue(
                TO_HUBSPOT, COMPANY_RECORD, sorted(set(linked.values())), reason
            )
            if COMPANY_RECORD in self._followed:
                await self._store.enqueue(TO_ACCREDO, COMPANY_RECORD, list(linked), reason)
            await self._follow_contacts({c: contacts[c] for c in linked}, reason)
        return Provisioned(linked, report)

    async def _follow_contacts(self, contacts: Mapping[str, Sequence[str]], reason: str) -> None:
        ids = list(dict.fromkeys(i for found in contacts.values() for i in found))
        if ids and CONTACT_RECORD in self._followed:
            await self._store.enqueue(TO_ACCREDO, CONTACT_RECORD, ids, reason)
