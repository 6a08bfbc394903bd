"""The one write pipeline: fetch, plan, apply, record, for a batch of one record type.

Shared by the backfill and the live loop, for every record type (its ``RecordSpec``). Given
source records and their targets, it plans against the shadow of the side written, so only
changed values are sent; has the spec apply the plans; sends a record whose one field was
refused once more without it (the field is dead-lettered), or as it was when the spec put the
refusal's cause right (``Failure.resend``); re-reads, re-plans and retries a
record whose target changed while it was written (an Accredo 412); and records links, shadow
values, audit entries and dead letters, and takes completed records off the queue, in one
store transaction. A record that lands heals its open dead letters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Generic, TypeVar

import structlog

from accredo_hubspot.store import SINGLE_WORKER, AsyncStateStore, AuditBatch, DeadLetter, Side
from accredo_hubspot.sync.business_date import BusinessDate
from accredo_hubspot.sync.planner import Plans, RecordPlan, RuleSet, plan_records
from accredo_hubspot.sync.records import SourceRecord, Target
from accredo_hubspot.sync.spec import ApplyOutcome, Failure, RecordSpec

T = TypeVar("T")
log = structlog.get_logger(__name__)

#: Times a record whose target changed while it was written is re-read and tried again.
STALE_RETRIES = 2


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
    failed_keys: set[str] = field(default_factory=set)  # records not (wholly) brought across
    written_keys: set[str] = field(default_factory=set)  # records created or updated

    def add(self, other: SyncReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.linked += other.linked
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.calls += other.calls
        self.failures.extend(other.failures)
        self.failed_keys.update(other.failed_keys)
        self.written_keys.update(other.written_keys)

    @property
    def writes(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class Clock:
    """Where the sync reads time: ``today`` is the date day counts are made from (Accredo's
    business date when ``business_date`` is given, which ``refresh`` keeps current)."""

    now: Callable[[], datetime]
    today: Callable[[], date]
    business_date: BusinessDate | None = None

    async def refresh(self) -> None:
        """Read Accredo's business date again if the last read is a minute old."""
        if self.business_date is not None:
            await self.business_date.refresh()

    def accredo_date(self, read: Callable[[], Awaitable[date]]) -> BusinessDate:
        """The business date this clock keeps, else one of its own that ``read`` reads (a
        clock of the calendar: the invoice and order passes count from Accredo's date)."""
        return self.business_date or BusinessDate(read)


class Pipeline(Generic[T]):
    """Runs one record type's spec: ``sync`` a batch of keys, or ``write`` records already
    read and matched (the backfill streams and matches its own)."""

    def __init__(self, spec: RecordSpec[T], store: AsyncStateStore, clock: Clock) -> None:
        self.spec = spec
        self._store = store
        self._clock = clock

    async def sync(
        self,
        keys: Sequence[str],
        *,
        reason: str,
        completed: Sequence[str] = (),
        owner: str = SINGLE_WORKER,
        sources: Mapping[str, str] | None = None,
        overrides: Mapping[str, Mapping[str, str]] | None = None,
    ) -> SyncReport:
        """Bring these records' current state across; ``completed`` (claimed by ``owner``)
        leave the queue on commit (keys no longer in the source have nothing to send).
        ``sources`` and ``overrides`` are as for ``write``."""
        read_at = self._clock.now()
        records = await self.spec.fetch(keys)
        targets = await self.spec.match(records)
        return await self.write(
            records,
            targets,
            reason=reason,
            completed=completed,
            owner=owner,
            sources=sources,
            read_at=read_at,
            overrides=overrides,
        )

    async def write(
        self,
        records: Sequence[SourceRecord[T]],
        targets: Sequence[Target],
        *,
        reason: str,
        completed: Sequence[str] = (),
        owner: str = SINGLE_WORKER,
        send_turn: asyncio.Lock | None = None,
        current: Mapping[str, Mapping[str, str]] | None = None,
        sources: Mapping[str, str] | None = None,
        read_at: datetime | None = None,
        overrides: Mapping[str, Mapping[str, str]] | None = None,
    ) -> SyncReport:
        """Plan, apply and record what changed for ``targets``.

        ``current`` (key -> the values the side written holds now, as a reconcile read them)
        is planned against instead of the shadow, so drift is sent. ``sources`` (key -> the
        change behind it) and ``read_at`` (when the records were read) go to the audit;
        ``overrides`` (key -> field -> value) are an operator's values written instead of
        the mapped ones.

        The store commit runs off the event loop, so a caller with other writes in flight (the
        backfill) keeps them moving while rows are stored. Pipelines
        sharing a ``send_turn`` send their calls one after another (in the order they ask), so
        the first to finish its calls commits while the next one sends.
        """
        spec = self.spec
        shadows = await self._store.get_shadows(
            spec.side, spec.record_type, [t.key for t in targets]
        )
        shadows.update({key: dict(values) for key, values in (current or {}).items()})
        now = self._clock.now()
        rounds = [await self._round(records, targets, shadows, now, send_turn, overrides)]
        for _ in range(STALE_RETRIES):
            stale = rounds[-1].outcome.stale
            if not stale:
                break
            fresh = await spec.fetch(stale)
            rounds.append(
                await self._round(
                    fresh, await spec.match(fresh), shadows, now, send_turn, overrides
                )
            )
        audit = AuditBatch(
            now,
            spec.side,
            spec.record_type,
            reason,
            sources=dict(sources or {}),
            read_at=read_at or now,
        )
        commit = _Commit(spec.record_type, spec.side, audit)
        report = SyncReport()
        for done in rounds:
            commit.add(done, shadows, report, spec.rules)
        for key in rounds[-1].outcome.stale:
            why = f"changed in {spec.side} while being written, {STALE_RETRIES + 1} times"
            commit.fail(Failure(key, "stale", why), None, report)
        lost = await self._store.record_sync(
            spec.record_type,
            spec.side,
            links=commit.links,
            via=commit.via,
            shadows=commit.shadows,
            audit=commit.audit,
            completed=[*completed],
            owner=owner,
            dead_letters=commit.dead_letters,
            healed=[*commit.shadows],
        )
        if lost:  # this worker's lease ran out mid-write and another worker took these over
            log.warning(
                "records taken over by another worker; left to it",
                record_type=spec.record_type,
                records=len(lost),
                keys=lost[:10],
            )
        return report

    async def _round(
        self,
        records: Sequence[SourceRecord[T]],
        targets: Sequence[Target],
        shadows: dict[str, dict[str, str]],
        now: datetime,
        send_turn: asyncio.Lock | None,
        overrides: Mapping[str, Mapping[str, str]] | None,
    ) -> _Round:
        """Plan and apply once, and send a record whose one field was refused again without
        it: one refused property (a custom field HubSpot rejects, say) must not hold back the
        record's other values; or whole, when the spec put the cause right (a price tier
        option a HubSpot user deleted, added again: ``Failure.resend``). A first match's
        current values stand in for its shadow, and so do a linked record's when nothing was
        written to it yet (a record the other direction created: what already agrees is not
        written back)."""
        for target in targets:
            if target.baseline is not None and (target.is_first_match or target.key not in shadows):
                shadows[target.key] = dict(target.baseline)
        rules = self.spec.rules
        plans = plan_records(
            rules,
            targets,
            {r.key: r.values for r in records},
            shadows,
            now=now,
            overrides=overrides,
        )
        sent = {p.key: p for p in [*plans.updates, *plans.creates]}
        outcome = await self._apply(list(sent.values()), send_turn)
        done = _Round({t.key: t for t in targets}, plans, sent, dict(sent), outcome, [])
        retries = {
            f.key: retry
            for f in outcome.failed
            if (retry := retry_of(f, sent.get(f.key), rules)) is not None
        }
        if not retries:
            return done
        done.refused = [f for f in outcome.failed if f.key in retries and not f.resend]
        outcome.failed = [f for f in outcome.failed if f.key not in retries]
        outcome.add(await self._apply(list(retries.values()), send_turn))
        done.final.update(retries)
        return done

    async def _apply(
        self, plans: Sequence[RecordPlan], send_turn: asyncio.Lock | None
    ) -> ApplyOutcome:
        if not plans:
            return ApplyOutcome()
        if send_turn is None:
            return await self.spec.apply(plans)
        async with send_turn:
            return await self.spec.apply(plans)


def retry_of(failure: Failure, plan: RecordPlan | None, rules: RuleSet) -> RecordPlan | None:
    """The plan to send again: as it was when the refusal's cause was put right, else without
    the one field the other side refused, if that leaves a write (the key field and the stamp
    alone are none; a refused key field is no retry)."""
    if plan is not None and failure.resend:
        return plan
    name = failure.field
    if plan is None or not name or name == rules.key_field or name not in plan.values:
        return None
    rest = {k: v for k, v in plan.values.items() if k != name}
    if not set(rest) - rules.managed:
        return None
    return replace(plan, values=rest)


@dataclass
class _Round:
    """One plan-and-apply: the plans, those finally sent (after a resend without a refused
    field, or whole), what came of them, and the failures resent without their field."""

    targets: dict[str, Target]
    plans: Plans
    sent: dict[str, RecordPlan]
    final: dict[str, RecordPlan]
    outcome: ApplyOutcome
    refused: list[Failure]


@dataclass
class _Commit:
    """What one write step hands to ``StateStore.record_sync``."""

    record_type: str
    side: Side
    audit: AuditBatch
    links: dict[str, str] = field(default_factory=dict)  # Accredo key -> HubSpot id
    via: dict[str, str] = field(default_factory=dict)
    shadows: dict[str, dict[str, str]] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)

    def link(self, key: str, remote_id: str, via: str) -> None:
        accredo_key, hubspot_id = (key, remote_id) if self.side == "hubspot" else (remote_id, key)
        self.links[accredo_key] = hubspot_id
        self.via[accredo_key] = via

    def add(
        self,
        done: _Round,
        shadows: Mapping[str, Mapping[str, str]],
        report: SyncReport,
        rules: RuleSet,
    ) -> None:
        report.calls += done.outcome.calls
        for plan in done.final.values():
            remote_id = done.outcome.written.get(plan.key)
            if remote_id is not None:
                base = {} if plan.is_create else shadows.get(plan.key, {})
                self.written(plan, remote_id, base, report, rules.stamp)
                if (call := done.outcome.call_of.get(plan.key)) is not None:
                    self.audit.calls[plan.key] = call
        for key in done.plans.unchanged:
            report.unchanged += 1
            target = done.targets[key]
            if target.is_first_match and target.remote_id is not None:
                self.link(key, target.remote_id, target.via)
                self.shadows[key] = dict(shadows.get(key, {}))
                report.linked += 1
        for failure in [*done.refused, *done.outcome.failed]:
            self.fail(failure, done.sent.get(failure.key), report)
        for problem in done.plans.problems:
            report.failed += 1
            report.failures.append(f"{problem.key}: {problem.field}: {problem.reason}")
            report.failed_keys.add(problem.key)
            payload = {"candidates": list(problem.candidates)} if problem.candidates else {}
            self.dead_letters.append(
                DeadLetter(
                    self.record_type, problem.key, self.side, problem.field, problem.reason, payload
                )
            )

    def written(
        self,
        plan: RecordPlan,
        remote_id: str,
        shadow: Mapping[str, str],
        report: SyncReport,
        stamp: str | None,
    ) -> None:
        target = plan.target
        report.written_keys.add(plan.key)
        if plan.is_create:
            report.created += 1
            self.link(plan.key, remote_id, "new")
        else:
            report.updated += 1
            if target.is_first_match:
                self.link(plan.key, remote_id, target.via)
                report.linked += 1
        self.shadows[plan.key] = {**shadow, **plan.values}
        changes = {
            name: (shadow.get(name), value) for name, value in plan.values.items() if name != stamp
        }
        self.audit.rows.append((plan.key, remote_id, changes))

    def fail(self, failure: Failure, plan: RecordPlan | None, report: SyncReport) -> None:
        report.failed += 1
        report.failures.append(f"{failure.key}: {failure.field}: {failure.message}")
        report.failed_keys.add(failure.key)
        self.dead_letters.append(
            DeadLetter(
                self.record_type,
                failure.key,
                self.side,
                failure.field,
                f"{failure.category}: {failure.message}",
                {
                    "status": failure.status,
                    "id": plan.remote_id if plan else None,
                    "properties": dict(plan.values) if plan else {},
                },
            )
        )
