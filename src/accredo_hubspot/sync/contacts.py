"""The contact record type: HubSpot masters contacts (DESIGN "What moves").

Two specs over one record type ``contact`` (a link: ``ARContact.ContactID`` <-> HubSpot
contact id):

- ``ContactToAccredoSpec`` (side ``accredo``, key: the HubSpot contact id): a HubSpot contact
  whose primary company (``associatedcompanyid``, reference 4.2) is linked to a debtor is
  written to Accredo as an ``ARContact`` of that debtor: PATCHed with its eTag when linked,
  else matched by e-mail among the debtor's contacts, else POSTed. Accredo's lengths and
  character sets are checked before sending (``mapping.accredo_fields``): a value Accredo would
  refuse is a dead letter naming the field, and the contact's other fields are written.
- ``ContactToHubSpotSpec`` (side ``hubspot``, key: the ContactID): a contact that exists only
  in Accredo, of a linked debtor, is created once in HubSpot with its company as primary
  association (or linked to the HubSpot contact with its e-mail). Its rules are create-only,
  so once linked nothing flows this way: HubSpot wins.

Echoes plan nothing: a linked contact's values are planned against the shadow of the side
written or, when nothing was written there yet, against the record's current values there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import structlog

from accredo_hubspot.accredo.models import ARContact
from accredo_hubspot.hubspot.models import (
    BatchOutcome,
    HubSpotObject,
    InlineAssociation,
    WriteInput,
)
from accredo_hubspot.hubspot.search import in_requests
from accredo_hubspot.mapping.accredo_fields import CONTACT_FIELDS
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.store import AsyncStateStore, Side
from accredo_hubspot.sync.companies import COMPANIES, COMPANY_RECORD
from accredo_hubspot.sync.matcher import normalise_code
from accredo_hubspot.sync.planner import RecordPlan, Rule, RuleSet, compile_rules, transform_of
from accredo_hubspot.sync.ports import AccredoSink, AccredoSource, HubSpotSink, HubSpotSource
from accredo_hubspot.sync.records import (
    AMBIGUOUS,
    LINK,
    NEW,
    Association,
    SourceRecord,
    Target,
    values_read,
)
from accredo_hubspot.sync.spec import ApplyOutcome, Failure, accredo_write, apply_each

log = structlog.get_logger(__name__)

#: HubSpot's object type.
CONTACTS = "contacts"
#: The state store's record type of an ARContact and its HubSpot contact.
CONTACT_RECORD = "contact"
#: A contact's primary company, kept by HubSpot from the associations (reference 4.2).
PRIMARY_COMPANY_PROPERTY = "associatedcompanyid"
#: contact -> company, primary (reference 8).
PRIMARY_COMPANY_TYPE_ID = 1
#: ``Association.to_type`` of the debtor a new ARContact belongs to.
CUSTOMER = "customer"
EMAIL_FIELD = "EmailAddress"


def to_accredo_rules(config: MappingConfig) -> RuleSet:
    """The contact rules compiled to write ``ARContact`` fields, with Accredo's limits."""
    return RuleSet(
        compile_rules(config.contact_fields, "accredo", config.tz, CONTACT_FIELDS),
        missing="contact not found in HubSpot",
        partial=True,
    )


def to_hubspot_rules(config: MappingConfig) -> RuleSet:
    """The contact rules compiled to create HubSpot contacts: create-only (HubSpot wins)."""
    rules = tuple(
        Rule(
            rule.hubspot,
            rule.accredo,
            transform_of(replace(rule, max_length=None), config.tz),
            create_only=True,
        )
        for rule in config.contact_fields
    )
    return RuleSet(rules, missing="contact not found in Accredo")


def email_property(config: MappingConfig) -> str:
    """The HubSpot property mapped to ``EmailAddress`` (``email`` if none is)."""
    return next((r.hubspot for r in config.contact_fields if r.accredo == EMAIL_FIELD), "email")


def contact_value(contact: ARContact, name: str) -> object:
    """A field of an ``ARContact`` (declared, or kept as an extra)."""
    if name in ARContact.model_fields:
        return getattr(contact, name)
    return (contact.model_extra or {}).get(name)


def accredo_values(contact: ARContact, config: MappingConfig) -> dict[str, object]:
    """The mapped fields of an ``ARContact``, as a source record's values."""
    return {rule.accredo: contact_value(contact, rule.accredo) for rule in config.contact_fields}


def accredo_baseline(contact: ARContact, config: MappingConfig) -> dict[str, str]:
    """What an ``ARContact`` holds now, in the form planned values take (text, "" if empty)."""
    values = accredo_values(contact, config)
    return {name: "" if value is None else str(value) for name, value in values.items()}


def _fold(email: object) -> str:
    return email.strip().lower() if isinstance(email, str) else ""


class ContactToAccredoSpec:
    """HubSpot contacts onto ``ARContact`` records (``RecordSpec[HubSpotObject]``)."""

    record_type = CONTACT_RECORD
    side: Side = "accredo"

    def __init__(
        self,
        accredo: AccredoSource,
        writer: AccredoSink,
        hubspot: HubSpotSource,
        store: AsyncStateStore,
        config: MappingConfig,
    ) -> None:
        self._accredo = accredo
        self._writer = writer
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._email = email_property(config)
        self.rules = to_accredo_rules(config)

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[HubSpotObject]]:
        names = [rule.hubspot for rule in self._config.contact_fields]
        records = await self._hubspot.batch_read(
            CONTACTS, keys, properties=[*names, PRIMARY_COMPANY_PROPERTY]
        )
        return [SourceRecord(r.id, values_read(r.properties, names), r) for r in records]

    async def match(self, records: Sequence[SourceRecord[HubSpotObject]]) -> list[Target]:
        """Linked: the ARContact (its eTag, its current values as baseline). Else, when the
        primary company is a linked debtor's: that debtor's contact with the same e-mail,
        else a new contact of it; never a second contact with an e-mail one linked to another
        HubSpot contact holds (reported as ambiguous). A contact of no linked company is not
        synced."""
        linked = await self._store.get_links_by_hubspot_id(CONTACT_RECORD, [r.key for r in records])
        current = {
            c.ContactID: c
            for c in await self._accredo.get_contacts([int(v) for v in linked.values()])
        }
        unlinked = [r for r in records if r.key not in linked]
        company_of = {
            r.key: company
            for r in unlinked
            if (company := r.origin.properties.get(PRIMARY_COMPANY_PROPERTY))
        }
        debtors = await self._store.get_links_by_hubspot_id(
            COMPANY_RECORD, sorted(set(company_of.values()))
        )
        candidates = await self._accredo.contacts_of(sorted(set(debtors.values())))
        taken = set(
            await self._store.get_links(CONTACT_RECORD, [str(c.ContactID) for c in candidates])
        )
        targets = []
        for record in records:
            if record.key in linked:
                contact = current.get(int(linked[record.key]))
                if contact is None:
                    log.warning(
                        "contact deleted in Accredo; not written",
                        hubspot_id=record.key,
                        contact_id=linked[record.key],
                    )
                    continue
                targets.append(self._target(record.key, contact, LINK))
                continue
            code = debtors.get(company_of.get(record.key, ""))
            if code is None:
                continue
            email = _fold(record.origin.properties.get(self._email))
            same = [
                c
                for c in candidates
                if email
                and (c.CustomerCode or "").upper() == code
                and _fold(c.EmailAddress) == email
            ]
            free = [c for c in same if str(c.ContactID) not in taken]
            if free:
                taken.add(str(free[0].ContactID))
                targets.append(self._target(record.key, free[0], "email"))
            elif same:  # held by another HubSpot contact (a merge not followed yet, say)
                ids = tuple(str(c.ContactID) for c in same)
                reason = f"e-mail {email} is on {code}'s contact already linked to another"
                targets.append(Target(record.key, None, AMBIGUOUS, ids, reason))
            else:
                targets.append(Target(record.key, None, NEW, associations=(_customer(code),)))
        return targets

    def _target(self, key: str, contact: ARContact, via: str) -> Target:
        return Target(
            key,
            str(contact.ContactID),
            via,
            baseline=accredo_baseline(contact, self._config),
            version=contact.etag,
        )

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        """PATCH each linked contact with its eTag; POST each new one to its debtor."""
        return await apply_each(plans, self._write)

    async def _write(self, plan: RecordPlan) -> ApplyOutcome:
        outcome = ApplyOutcome(calls=1)
        with accredo_write(outcome, plan.key):
            if plan.is_create:
                code = next(a.to_id for a in plan.target.associations if a.to_type == CUSTOMER)
                created = await self._writer.create_contact({"CustomerCode": code, **plan.values})
                outcome.written[plan.key] = str(created.ContactID)
            else:
                contact_id = int(plan.remote_id or 0)
                await self._writer.patch_contact(contact_id, plan.target.version or "", plan.values)
                outcome.written[plan.key] = str(contact_id)
        return outcome


def _customer(code: str) -> Association:
    return Association(CUSTOMER, code)


class ContactToHubSpotSpec:
    """Contacts that exist only in Accredo, created once in HubSpot
    (``RecordSpec[ARContact]``)."""

    record_type = CONTACT_RECORD
    side: Side = "hubspot"

    def __init__(
        self,
        accredo: AccredoSource,
        hubspot: HubSpotSink,
        store: AsyncStateStore,
        config: MappingConfig,
    ) -> None:
        self._accredo = accredo
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._email = email_property(config)
        self.rules = to_hubspot_rules(config)

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[ARContact]]:
        ids = [int(key) for key in keys if key.strip().isdigit()]
        contacts = await self._accredo.get_contacts(ids)
        return [
            SourceRecord(str(c.ContactID), accredo_values(c, self._config), c) for c in contacts
        ]

    async def match(self, records: Sequence[SourceRecord[ARContact]]) -> list[Target]:
        """Linked: its HubSpot contact (nothing is planned: HubSpot wins). Else, for a linked
        debtor's contact: the HubSpot contact with its e-mail, or a new one associated to the
        debtor's company. A contact of a debtor with no company waits for its next change."""
        linked = await self._store.get_links(CONTACT_RECORD, [r.key for r in records])
        unlinked = [r for r in records if r.key not in linked]
        codes = {r.key: normalise_code(r.origin.CustomerCode or "") for r in unlinked}
        companies = await self._store.get_links(COMPANY_RECORD, sorted(set(codes.values())))
        found = await self._by_email([r.origin for r in unlinked if codes[r.key] in companies])
        taken = await self._store.get_links_by_hubspot_id(
            CONTACT_RECORD, [c.id for c in found.values()]
        )
        targets = []
        for record in records:
            if record.key in linked:
                targets.append(Target(record.key, linked[record.key], LINK))
                continue
            company_id = companies.get(codes[record.key])
            if company_id is None:
                log.debug("contact's debtor has no company yet", contact_id=record.key)
                continue
            same = found.get(_fold(record.origin.EmailAddress))
            if same is not None and same.id not in taken:
                taken[same.id] = record.key
                baseline = {
                    rule.hubspot: value
                    for rule in self._config.contact_fields
                    if (value := same.properties.get(rule.hubspot)) is not None
                }
                targets.append(Target(record.key, same.id, "email", baseline=baseline))
            else:
                association = Association(COMPANIES, company_id, PRIMARY_COMPANY_TYPE_ID)
                targets.append(Target(record.key, None, NEW, associations=(association,)))
        return targets

    async def _by_email(self, contacts: Sequence[ARContact]) -> dict[str, HubSpotObject]:
        """HubSpot contacts with these contacts' e-mails (secondary ones included), by the
        e-mail folded to lower case."""
        emails = [e for c in contacts if (e := _fold(c.EmailAddress))]
        names = [rule.hubspot for rule in self._config.contact_fields]
        found: dict[str, HubSpotObject] = {}
        for request in in_requests(self._email, emails, names):
            async for contact in self._hubspot.search_all(CONTACTS, request):
                email = _fold(contact.properties.get(self._email))
                if email:
                    found.setdefault(email, contact)
        return found

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        """Creates with the company as primary association (an e-mail HubSpot already has,
        which search had not shown yet, links to that contact); updates by id."""
        creates = [
            WriteInput(
                p.key,
                None,
                p.values,
                tuple(
                    InlineAssociation(a.to_id, a.type_id or PRIMARY_COMPANY_TYPE_ID)
                    for a in p.target.associations
                ),
            )
            for p in plans
            if p.is_create
        ]
        updates = [WriteInput(p.key, p.remote_id, p.values) for p in plans if not p.is_create]
        created = await self._hubspot.batch_create(CONTACTS, creates) if creates else None
        updated = await self._hubspot.batch_update(CONTACTS, updates) if updates else None
        outcome = ApplyOutcome()
        for batch in (created, updated):
            if batch is not None:
                await self._take(batch, outcome)
        return outcome

    async def _take(self, batch: BatchOutcome, outcome: ApplyOutcome) -> None:
        outcome.calls += batch.calls
        outcome.written.update({key: record.id for key, record in batch.written.items()})
        existing = [f.existing_id for f in batch.failed if f.existing_id]
        claimed = await self._store.get_links_by_hubspot_id(CONTACT_RECORD, existing)
        for failure in batch.failed:
            if failure.existing_id and failure.existing_id not in claimed:
                outcome.written[failure.key] = failure.existing_id
                continue
            outcome.failed.append(
                Failure(
                    failure.key,
                    failure.category,
                    failure.message,
                    failure.property_name,
                    failure.status,
                )
            )
