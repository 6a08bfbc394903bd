"""The write step for debtors: plan against the shadow, write HubSpot batches, commit.

Shared by the backfill and the live loop. Given the current Accredo state of some debtors and
where each belongs (``MatchResult``), it sends only the properties whose values changed,
upserts new companies by the unique ``accredo_customer_code`` (DESIGN invariant 3), and
records links, shadow values, audit entries and dead letters in one store transaction.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from accredo_hubspot.accredo.models import ARCustomer, ARTransaction
from accredo_hubspot.hubspot.models import BatchOutcome, WriteFailure, WriteInput
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.mapping.properties import CUSTOMER_CODE_PROPERTY, SYNCED_AT_PROPERTY
from accredo_hubspot.store import AuditBatch, DeadLetter, StateStore
from accredo_hubspot.sync.matcher import MatchResult, normalise_code
from accredo_hubspot.sync.planner import CompanyPlan, plan_companies
from accredo_hubspot.sync.ports import HubSpotSink
from accredo_hubspot.tasks import gather

COMPANIES = "companies"
#: The state store's record type of a debtor and its company (key: the customer code).
COMPANY_RECORD = "company"


@dataclass
class SyncReport:
    """What one write step did; the figures the CLI, demo and benchmarks print."""

    created: int = 0
    updated: int = 0
    linked: int = 0
    unchanged: int = 0
    failed: int = 0
    calls: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, other: SyncReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.linked += other.linked
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.calls += other.calls
        self.failures.extend(other.failures)

    @property
    def writes(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class Clock:
    """Where the sync reads time: ``today`` is the date in the company's time zone."""

    now: Callable[[], datetime]
    today: Callable[[], date]


class CompanyWriter:
    """Plans and writes the company properties of a set of debtors, then commits the result."""

    def __init__(
        self, hubspot: HubSpotSink, store: StateStore, config: MappingConfig, clock: Clock
    ) -> None:
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._clock = clock

    async def write(
        self,
        customers: Sequence[ARCustomer],
        open_transactions: Mapping[str, Sequence[ARTransaction]],
        matches: Sequence[MatchResult],
        *,
        reason: str,
        baselines: Mapping[str, Mapping[str, str]] | None = None,
        completed: Sequence[str] = (),
        commit_in_thread: bool = False,
        send_turn: asyncio.Lock | None = None,
    ) -> SyncReport:
        """Write what changed for ``matches``; ``baselines`` are the current HubSpot values of
        companies matched for the first time (they stand in for the shadow, so values that
        already agree are not sent). ``completed`` queue entries leave the queue on commit.
        ``commit_in_thread`` runs the store commit in a worker thread, so a caller with other
        writes in flight (the backfill) keeps them moving while rows are stored. Writers
        sharing a ``send_turn`` send their HubSpot calls one writer after another (in the order
        they ask), so the first to finish its calls commits while the next one sends.
        """
        by_code = {normalise_code(c.CustomerCode): c for c in customers}
        codes = [m.code for m in matches]
        shadows = self._store.get_shadows("hubspot", COMPANY_RECORD, codes)
        first_time = {m.code: m for m in matches if m.via not in ("link", "new", "ambiguous")}
        for code, match in first_time.items():
            baseline = (baselines or {}).get(code)
            if baseline is not None and match.company_id is not None:
                shadows[code] = dict(baseline)
        now = self._clock.now()
        plans = plan_companies(
            matches,
            by_code,
            open_transactions,
            shadows,
            today=self._clock.today(),
            now=now,
            config=self._config,
        )
        sent = {p.code: p for p in [*plans.updates, *plans.creates]}
        outcome = await self._send(list(sent.values()), send_turn)
        final = dict(sent)
        retry_of = {
            f.key: retry
            for f in outcome.failed
            if (retry := _retry_without(f, sent.get(f.key))) is not None
        }
        refused = [f for f in outcome.failed if f.key in retry_of]
        retries = list(retry_of.values())
        if retries:
            # One refused property (a custom field HubSpot rejects, say) must not hold back the
            # record's other values: send them again without it; the property is dead-lettered.
            again = await self._send(retries, send_turn)
            final.update({p.code: p for p in retries})
            retried = {p.code for p in retries}
            outcome = BatchOutcome(
                written={**outcome.written, **again.written},
                failed=[f for f in outcome.failed if f.key not in retried] + again.failed,
                calls=outcome.calls + again.calls,
            )
            failures = [*refused, *outcome.failed]
        else:
            failures = list(outcome.failed)
        report = SyncReport(calls=outcome.calls)
        commit = _Commit(now=now, reason=reason)
        for plan in final.values():
            base = {} if plan.is_create else shadows.get(plan.code, {})
            commit.written(plan, outcome, base, report, first_time)
        for code in plans.unchanged:
            report.unchanged += 1
            if code in first_time and first_time[code].company_id is not None:
                commit.link(code, first_time[code].company_id or "", first_time[code].via)
                commit.shadows[code] = shadows.get(code, {})
                report.linked += 1
        for failure in failures:
            report.failed += 1
            report.failures.append(f"{failure.key}: {failure.property_name}: {failure.message}")
            refused_plan = sent.get(failure.key)
            commit.dead_letters.append(
                DeadLetter(
                    COMPANY_RECORD,
                    failure.key,
                    "hubspot",
                    failure.property_name,
                    f"{failure.category}: {failure.message}",
                    {
                        "status": failure.status,
                        "id": refused_plan.company_id if refused_plan else None,
                        "properties": dict(refused_plan.properties) if refused_plan else {},
                    },
                )
            )
        for problem in plans.problems:
            report.failed += 1
            report.failures.append(f"{problem.code}: {problem.field}: {problem.reason}")
            commit.dead_letters.append(
                DeadLetter(
                    COMPANY_RECORD, problem.code, "hubspot", problem.field, problem.reason, {}
                )
            )
        record = functools.partial(
            self._store.record_sync,
            COMPANY_RECORD,
            "hubspot",
            links=commit.links,
            via=commit.via,
            shadows=commit.shadows,
            audit=commit.audit,
            completed=[*completed],
            dead_letters=commit.dead_letters,
            healed=[*commit.shadows],
        )
        if commit_in_thread:
            await asyncio.to_thread(record)
        else:
            record()
        return report

    async def _send(
        self, plans: Sequence[CompanyPlan], send_turn: asyncio.Lock | None
    ) -> BatchOutcome:
        """Updates by id and creates by upsert on the customer code, as one outcome."""
        updates = [WriteInput(p.code, p.company_id, p.properties) for p in plans if not p.is_create]
        creates = [WriteInput(p.code, p.code, p.properties) for p in plans if p.is_create]
        if send_turn is None:
            updated, created = await gather(self._update(updates), self._upsert(creates))
        else:
            async with send_turn:
                updated, created = await gather(self._update(updates), self._upsert(creates))
        return BatchOutcome(
            written={**updated.written, **created.written},
            failed=[*updated.failed, *created.failed],
            calls=updated.calls + created.calls,
        )

    async def _update(self, inputs: Sequence[WriteInput]) -> BatchOutcome:
        if not inputs:
            return BatchOutcome()
        return await self._hubspot.batch_update(COMPANIES, inputs)

    async def _upsert(self, inputs: Sequence[WriteInput]) -> BatchOutcome:
        if not inputs:
            return BatchOutcome()
        return await self._hubspot.batch_upsert(COMPANIES, CUSTOMER_CODE_PROPERTY, inputs)


@dataclass
class _Commit:
    """What one write step hands to ``StateStore.record_sync``."""

    now: datetime
    reason: str
    links: dict[str, str] = field(default_factory=dict)
    via: dict[str, str] = field(default_factory=dict)
    shadows: dict[str, dict[str, str]] = field(default_factory=dict)
    audit: AuditBatch = field(init=False)
    dead_letters: list[DeadLetter] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.audit = AuditBatch(self.now, "hubspot", COMPANY_RECORD, self.reason)

    def link(self, code: str, company_id: str, via: str) -> None:
        self.links[code] = company_id
        self.via[code] = via

    def written(
        self,
        plan: CompanyPlan,
        outcome: BatchOutcome,
        shadow: Mapping[str, str],
        report: SyncReport,
        first_time: Mapping[str, MatchResult],
    ) -> None:
        record = outcome.written.get(plan.code)
        if record is None:
            return
        if plan.is_create:
            report.created += 1
            self.link(plan.code, record.id, "new")
        else:
            report.updated += 1
            if plan.code in first_time:
                self.link(plan.code, record.id, first_time[plan.code].via)
                report.linked += 1
        self.shadows[plan.code] = {**shadow, **plan.properties}
        changes = {
            name: (shadow.get(name), value)
            for name, value in plan.properties.items()
            if name != SYNCED_AT_PROPERTY
        }
        self.audit.rows.append((plan.code, record.id, changes))


def baseline_of(properties: Mapping[str, str | None], names: Sequence[str]) -> dict[str, str]:
    """A company's current values of the mapped properties, as a shadow (empty for unset)."""
    return {name: properties.get(name) or "" for name in names if properties.get(name)}


def mapped_properties(config: MappingConfig) -> list[str]:
    """Every company property the sync reads or writes (for listing and baselines)."""
    names = [CUSTOMER_CODE_PROPERTY, config.nzbn_property, "name", "domain", "website"]
    names += [rule.hubspot for rule in config.company_fields]
    return list(dict.fromkeys(names))


#: What a retry must never leave out: the upsert key and the sync stamp alone are no write.
_NOT_ALONE = frozenset({CUSTOMER_CODE_PROPERTY, SYNCED_AT_PROPERTY})


def _retry_without(failure: WriteFailure, plan: CompanyPlan | None) -> CompanyPlan | None:
    """The plan again without the one property HubSpot refused, if that leaves a write."""
    name = failure.property_name
    if plan is None or not name or name == CUSTOMER_CODE_PROPERTY or name not in plan.properties:
        return None
    rest = {k: v for k, v in plan.properties.items() if k != name}
    if not set(rest) - _NOT_ALONE:
        return None
    return replace(plan, properties=rest)
