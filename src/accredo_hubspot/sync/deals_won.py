"""A deal won on a linked company leaves a memo on the debtor (``ARMemo``, reference 10.8a).

``DealWonSpec`` (record type ``deal``, side ``accredo``, key: the HubSpot deal id) reads the
changed deals; one in a closed-won stage (a stage of its pipeline that is closed with
probability 1, reference 10) whose primary company is linked to a debtor gets one memo
(``sync.memo_text``). Once per deal: the memo is linked to the deal when written, and before
any create the debtor's memos are searched for the deal's ``Reference``, so a crash between the
POST and the store's commit, or a replayed event, never adds a second one. A deal won on a
company linked to no debtor has the company provisioned as a new debtor first
(``sync.provision``, when ``[provision]`` is enabled), and its memo then goes on that debtor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import structlog

from accredo_hubspot.hubspot.models import AssociatedObject, HubSpotObject
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.store import AsyncStateStore, Side
from accredo_hubspot.sync.companies import COMPANIES, COMPANY_RECORD
from accredo_hubspot.sync.memo_text import DEAL_PROPERTIES, memo_reference, memo_values
from accredo_hubspot.sync.planner import RecordPlan, Rule, RuleSet
from accredo_hubspot.sync.ports import DealSource, HubSpotSource, MemoSink, OwnerSource
from accredo_hubspot.sync.provision import Provisioner
from accredo_hubspot.sync.records import NEW, Association, SourceRecord, Target
from accredo_hubspot.sync.spec import ApplyOutcome, accredo_write, apply_each
from accredo_hubspot.tasks import gather

log = structlog.get_logger(__name__)

DEAL_RECORD = "deal"
DEALS = "deals"
#: HubSpot's deal -> company primary association type (reference 4.2 table).
DEAL_TO_COMPANY_PRIMARY = 5
#: ``Target.associations``' kind carrying the debtor a new memo belongs to.
CUSTOMER = "customer"
#: How a memo written before a crash is found again (``Target.via``).
REFERENCE = "reference"
MEMO_FIELDS = ("MemoType", "MemoDate", "Subject", "Reference", "Memo")


def _as_is(value: object) -> str:
    return "" if value is None else str(value)


def primary_company(found: Sequence[AssociatedObject]) -> str | None:
    """Of a deal's associated companies, the primary one (else its only one). Pure."""
    for item in found:
        if any(t.type_id == DEAL_TO_COMPANY_PRIMARY for t in item.association_types):
            return item.to_object_id
    return found[0].to_object_id if len(found) == 1 else None


class DealHubSpot(HubSpotSource, OwnerSource, DealSource, Protocol):
    """What the spec reads of HubSpot."""


def is_won_stage(metadata: dict[str, str]) -> bool:
    """Closed, with probability 1 (HubSpot's closed-won; stage metadata values are text)."""
    try:
        probability = float(metadata.get("probability", ""))
    except ValueError:
        return False
    return is_closed_stage(metadata) and probability >= 1.0


def is_closed_stage(metadata: dict[str, str]) -> bool:
    """A closed stage, won or lost (stage metadata values are text)."""
    return metadata.get("isClosed", "").lower() == "true"


class DealStages:
    """The deal pipelines' stages, read once and again when a deal names a stage not yet
    seen (a stage added in HubSpot): (pipeline, stage) -> the stage's metadata."""

    def __init__(self, hubspot: DealSource) -> None:
        self._hubspot = hubspot
        self._metadata: dict[tuple[str, str], dict[str, str]] | None = None

    async def metadata(self, deal: HubSpotObject) -> dict[str, str]:
        props = deal.properties
        stage = (props.get("pipeline") or "", props.get("dealstage") or "")
        if self._metadata is None or stage not in self._metadata:
            pipelines = await self._hubspot.get_pipelines(DEALS)
            self._metadata = {(p.id, s.id): s.metadata for p in pipelines for s in p.stages}
        return self._metadata.get(stage, {})

    async def is_won(self, deal: HubSpotObject) -> bool:
        return is_won_stage(await self.metadata(deal))

    async def is_closed(self, deal: HubSpotObject) -> bool:
        return is_closed_stage(await self.metadata(deal))


class DealWonSpec:
    """One memo on the debtor per won deal (``RecordSpec[HubSpotObject]``)."""

    record_type = DEAL_RECORD
    side: Side = "accredo"

    def __init__(
        self,
        accredo: MemoSink,
        hubspot: DealHubSpot,
        store: AsyncStateStore,
        config: MappingConfig,
        provisioner: Provisioner | None = None,
    ) -> None:
        """``provisioner`` makes a won deal's unlinked company a debtor (None: it is left)."""
        self._accredo = accredo
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._provisioner = provisioner
        self._stages = DealStages(hubspot)
        self._owners: dict[str, str] | None = None  # owner id -> "Name <email>"
        self.rules = RuleSet(
            tuple(Rule(name, name, _as_is) for name in MEMO_FIELDS),
            missing="deal not found in HubSpot",
        )

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[HubSpotObject]]:
        """Won deals only, as the memo they make (others are left out: nothing to write)."""
        deals = await self._hubspot.batch_read(DEALS, keys, properties=DEAL_PROPERTIES)
        won = [d for d in deals if await self._stages.is_won(d)]
        owners = await self._owner_names({d.properties.get("hubspot_owner_id") or "" for d in won})
        return [
            SourceRecord(
                d.id,
                memo_values(
                    d.id,
                    d.properties,
                    owners.get(d.properties.get("hubspot_owner_id") or ""),
                    self._config.tz,
                ),
                d,
            )
            for d in won
        ]

    async def match(self, records: Sequence[SourceRecord[HubSpotObject]]) -> list[Target]:
        """A new memo on the primary company's debtor (provisioned first when the company has
        none), unless the deal has one already (linked, or found by its ``Reference`` after a
        crash)."""
        linked = await self._store.get_links_by_hubspot_id(DEAL_RECORD, [r.key for r in records])
        fresh = [r for r in records if r.key not in linked]
        companies = dict(
            zip(
                [r.key for r in fresh],
                await gather(*(self._primary_company(r.key) for r in fresh)),
                strict=True,
            )
        )
        wanted = sorted({c for c in companies.values() if c})
        codes = await self._store.get_links_by_hubspot_id(COMPANY_RECORD, wanted)
        unlinked = [c for c in wanted if c not in codes]
        if unlinked and self._provisioner is not None:
            codes.update((await self._provisioner.provision(unlinked)).linked)
        targets = []
        for record in fresh:
            code = codes.get(companies[record.key] or "")
            if code is None:
                continue  # no debtor: not provisioned (turned off, or it failed: a dead letter)
            found = await self._accredo.memos_with_reference(code, memo_reference(record.key))
            if found:  # written before a crash: link it, write nothing
                values = {k: str(v) for k, v in record.values.items()}
                memo = str(found[0].MemoID)
                targets.append(Target(record.key, memo, REFERENCE, baseline=values))
            else:
                customer = Association(CUSTOMER, code.upper())
                targets.append(Target(record.key, None, NEW, associations=(customer,)))
        return targets

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        total = await apply_each([plan for plan in plans if plan.is_create], self._create)
        for plan in plans:
            if not plan.is_create:  # a memo is never rewritten
                total.written[plan.key] = plan.remote_id or ""
        return total

    async def _create(self, plan: RecordPlan) -> ApplyOutcome:
        outcome = ApplyOutcome(calls=1)
        code = next(a.to_id for a in plan.target.associations if a.to_type == CUSTOMER)
        values = dict(plan.values)
        body: dict[str, object] = {"CustomerCode": code, **values}
        body["Memo"] = {"Text": values.get("Memo", "")}
        if not values.get("MemoDate"):
            body.pop("MemoDate", None)
        with accredo_write(outcome, plan.key):
            memo = await self._accredo.create_memo(body)
            outcome.written[plan.key] = str(memo.MemoID)
            log.info("deal won: memo added", deal=plan.key, customer=code, memo=memo.MemoID)
        return outcome

    async def _owner_names(self, ids: set[str]) -> dict[str, str]:
        ids.discard("")
        if ids and (self._owners is None or not ids <= self._owners.keys()):
            owners = await self._hubspot.list_owners()
            owners += await self._hubspot.list_owners(archived=True)
            self._owners = {}
            for o in owners:
                name = " ".join(n for n in (o.first_name, o.last_name) if n)
                self._owners[o.id] = (
                    f"{name} <{o.email}>" if name and o.email else (name or o.email or o.id)
                )
        return self._owners or {}

    async def _primary_company(self, deal_id: str) -> str | None:
        """The deal's primary company (else its only company)."""
        return primary_company(await self._hubspot.list_associations(DEALS, deal_id, COMPANIES))
