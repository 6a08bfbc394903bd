"""What an operator does about what the sync could not do by itself: replay or discard a dead
letter, and resolve an ambiguous match.

Each goes through the write pipeline at once (a replay re-reads the record's current state,
with ``--set`` values standing in for the mapped ones): the pipeline of the letter's record type
and side, built as the live sync builds its drains (``sync.drains``), so a letter of any record
type the configuration syncs can be replayed, and each action leaves an audit entry
of its own (no fields; source ``operator``), so ``explain`` shows who decided what. A replay
that fails again keeps its letter open, with the new reason.

A company's letter towards Accredo shares its side and record type with the company's field
sync, but when the company has no debtor it is a won deal's provisioning that failed: it is
provisioned again (``sync.provision``), and lands only if the company is linked afterwards.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.store import (
    MATCH_FIELD,
    TO_ACCREDO,
    AsyncStateStore,
    AuditEntry,
    DeadLetterRow,
)
from accredo_hubspot.sync.companies import COMPANIES, COMPANY_RECORD
from accredo_hubspot.sync.contacts import CONTACT_RECORD
from accredo_hubspot.sync.deals_won import DEAL_RECORD, DEALS
from accredo_hubspot.sync.documents import DocumentPass
from accredo_hubspot.sync.drains import build_pipelines
from accredo_hubspot.sync.invoices import INVOICE_RECORD
from accredo_hubspot.sync.matcher import normalise_code
from accredo_hubspot.sync.orders import ORDER_RECORD
from accredo_hubspot.sync.pipeline import Clock, Pipeline, SyncReport
from accredo_hubspot.sync.planner import RuleSet
from accredo_hubspot.sync.ports import AccredoPort, HubSpotPort
from accredo_hubspot.sync.provision import Provisioner
from accredo_hubspot.sync.records import NEW, Target

#: The ``source`` of the audit entries of operators' actions.
OPERATOR = "operator"
#: The longest reason an audit entry keeps (the column's size); a long refusal is cut.
AUDIT_REASON_CHARS = 255
#: How a link an operator chose was made (``links.via``).
OPERATOR_VIA = "operator"


class FixError(ConnectorError):
    """The operator's request cannot be carried out (no such letter, no such match, ...)."""


@dataclass(frozen=True)
class ReplayResult:
    """How one replay ended: landed (its letter closed) or still open with ``reason``."""

    letter_id: int
    record_key: str
    landed: bool
    reason: str
    report: SyncReport


class Fixes:
    """The operator's actions on dead letters and ambiguous matches of debtors."""

    def __init__(
        self,
        accredo: AccredoPort,
        hubspot: HubSpotPort,
        store: AsyncStateStore,
        config: MappingConfig,
        clock: Clock,
        documents: Sequence[DocumentPass[Any]] = (),
    ) -> None:
        """``documents``: the portal's document syncs (``sync.document_syncs``), whose
        pipelines replay invoice and order letters."""
        self._store = store
        self._hubspot = hubspot
        self._clock = clock
        self._config = config
        self._pipelines = build_pipelines(accredo, hubspot, store, config, clock, documents)
        self._spec = self._pipelines.companies
        self._pipeline = self._pipelines.company_pipeline

    def pipeline_of(self, letter: DeadLetterRow) -> Pipeline[Any]:
        """The pipeline that writes the letter's record, or why this configuration has none."""
        pipeline = self._pipelines.writing(letter.side, letter.record_type)
        if pipeline is None:
            raise FixError(
                f"dead letter {letter.id}: no pipeline writes {letter.record_type} records to "
                f"{letter.side} in this configuration: {_why_none(letter, self._config)}"
            )
        return pipeline

    async def replay(self, letter_id: int, overrides: Mapping[str, str]) -> ReplayResult:
        """Write the letter's record again from its current state (``overrides``: field ->
        the value to write instead of the mapped one, this once). The letter of a company
        Accredo has no debtor for is a won deal's provisioning that failed: it is provisioned
        again (``sync.provision``); any other goes through its record type's pipeline."""
        letter = await open_letter(self._store, letter_id)
        if await self._is_provisioning(letter):
            provisioner = self._provisioner_of(letter)
            id_field = self._config.provision.hubspot_id_field
            _check_settings(letter, overrides, provisioner.spec.rules, fixed=frozenset({id_field}))
            return await self._replayed(
                letter, overrides, functools.partial(self._provision, provisioner)
            )
        pipeline = self.pipeline_of(letter)
        _check_settings(letter, overrides, pipeline.spec.rules)
        return await self._replayed(letter, overrides, functools.partial(_sync, pipeline))

    async def _is_provisioning(self, letter: DeadLetterRow) -> bool:
        """Whether the letter is a provisioning's: a company towards Accredo, not linked."""
        if (letter.side, letter.record_type) != ("accredo", COMPANY_RECORD):
            return False
        key = letter.record_key
        return not await self._store.get_links_by_hubspot_id(COMPANY_RECORD, [key])

    def _provisioner_of(self, letter: DeadLetterRow) -> Provisioner:
        provisioner = self._pipelines.provisioner
        if provisioner is None:
            raise FixError(
                f"dead letter {letter.id}: company {letter.record_key} has no debtor in "
                "Accredo and provisioning is off ([provision] enabled = false): turn it on to "
                "make the debtor, or discard the letter"
            )
        return provisioner

    async def _provision(
        self, provisioner: Provisioner, key: str, source: str, overrides: Mapping[str, str]
    ) -> SyncReport:
        """Provision the company again, and queue its deals (a won one's memo was left when
        the company had no debtor); not linked afterwards, it failed (a company deleted in
        HubSpot, or no free customer code, leaves no letter of its own)."""
        done = await provisioner.provision(
            [key],
            reason=f"{source} replayed",
            sources={key: source},
            overrides={key: dict(overrides)} if overrides else None,
        )
        report = done.report
        if key in done.linked:
            found = await self._hubspot.list_associations(COMPANIES, key, DEALS)
            deals = [item.to_object_id for item in found]
            if deals:
                await self._store.enqueue(TO_ACCREDO, DEAL_RECORD, deals, f"{source} replayed")
        elif not report.failed:
            report.failed += 1
            report.failures.append(
                f"company {key} was not provisioned: no debtor made or found for it (is it "
                "still in HubSpot? is a customer code free for it?)"
            )
            report.failed_keys.add(key)
        return report

    async def _replayed(
        self, letter: DeadLetterRow, overrides: Mapping[str, str], write: _Write
    ) -> ReplayResult:
        """Write the letter's record with ``write``; keep the letter open with the new reason
        when it fails again, else close it; audit the operator's action either way."""
        key = letter.record_key
        before = {row.id for row in await self._store.list_dead_letters(record_key=key)}
        source = f"dead letter {letter.id}"
        report = await write(key, source, overrides)
        after = await self._store.list_dead_letters(record_key=key)
        new = [row for row in after if row.id not in before]
        still_open = any(row.id == letter.id for row in after)
        if report.failed or new:
            failures = [row.reason for row in new] or report.failures
            reason = "; ".join(failures) or letter.reason
            payload = next((row.payload for row in new if row.field == letter.field), None)
            await self._store.update_dead_letter(letter.id, reason, payload)
            await self._store.resolve_dead_letters([row.id for row in new])
            landed = False
        else:
            if still_open:  # nothing left to send: the other side already agrees
                await self._store.resolve_dead_letters([letter.id])
            reason = "landed"
            landed = True
        details = f" with {_settings(overrides)}" if overrides else ""
        outcome = "landed" if landed else f"failed again: {reason}"
        action = f"{source} replayed{details}: {outcome}"
        await audit_action(self._store, letter, action, self._clock.now())
        return ReplayResult(letter.id, key, landed, reason, report)

    async def replay_open(self, overrides: Mapping[str, str]) -> list[ReplayResult]:
        """Replay every open letter but ambiguous matches, oldest first (a replay that lands
        closes its record's other letters, which are then skipped). A letter that cannot be
        replayed here (no pipeline for its record type, a ``--set`` field it does not write)
        stays open, its result saying why; the others go on."""
        results = []
        for letter in await self._store.list_dead_letters(limit=100_000, matches=False):
            current = await self._store.get_dead_letter(letter.id)
            if current is None or current.resolved_at is not None:
                continue
            try:
                results.append(await self.replay(letter.id, overrides))
            except FixError as exc:
                refused = ReplayResult(letter.id, letter.record_key, False, str(exc), SyncReport())
                results.append(refused)
        return results

    async def resolve_match(self, code: str, company_id: str | None) -> SyncReport:
        """Link the debtor ``code`` to ``company_id`` (``None``: a new company) and write it
        now; the match's letter closes when the write lands."""
        key = normalise_code(code)
        letters = [
            row
            for row in await self._store.list_dead_letters(record_key=key)
            if row.field == MATCH_FIELD and row.record_type == COMPANY_RECORD
        ]
        if not letters:
            raise FixError(f"no ambiguous match of {key} is waiting for a decision")
        if company_id is not None:
            holder = await self._store.get_links_by_hubspot_id(COMPANY_RECORD, [company_id])
            if holder.get(company_id, key) != key:
                raise FixError(
                    f"company {company_id} is already linked to debtor {holder[company_id]}"
                )
        records = await self._spec.fetch([key])
        if not records:
            raise FixError(f"debtor {key} was not found in Accredo")
        target = Target(key, company_id, OPERATOR_VIA if company_id else NEW)
        choice = f"company {company_id}" if company_id else "a new company"
        source = f"match resolved by operator: {choice}"
        read_at = self._clock.now()
        report = await self._pipeline.write(
            records, [target], reason=source, sources={key: source}, read_at=read_at
        )
        outcome = "written" if not report.failed else "failed: " + "; ".join(report.failures)
        await audit_action(self._store, letters[0], f"{source}; {outcome}", self._clock.now())
        return report


#: How a replay writes a letter's record: (record key, the letter as source, overrides).
_Write = Callable[[str, str, Mapping[str, str]], Awaitable[SyncReport]]


async def _sync(
    pipeline: Pipeline[Any], key: str, source: str, overrides: Mapping[str, str]
) -> SyncReport:
    return await pipeline.sync(
        [key],
        reason=f"{source} replayed",
        sources={key: source},
        overrides={key: dict(overrides)} if overrides else None,
    )


def _check_settings(
    letter: DeadLetterRow,
    overrides: Mapping[str, str],
    rules: RuleSet,
    fixed: frozenset[str] = frozenset(),
) -> None:
    """``--set`` names only fields the letter's write maps (``fixed``: those it must write
    as mapped: the company id a new debtor carries is how a retry finds it, never a second
    debtor)."""
    held = sorted(set(overrides) & fixed)
    if held:
        raise FixError(f"--set {', '.join(held)}: written as mapped, never set by hand")
    writable = frozenset(rule.target for rule in rules.rules) | rules.managed
    unknown = sorted(set(overrides) - writable)
    if unknown:
        raise FixError(
            f"--set {', '.join(unknown)}: not a field the mapping writes to "
            f"{letter.side} ({letter.record_type})"
        )


def _why_none(letter: DeadLetterRow, config: MappingConfig) -> str:
    """Why no pipeline writes the letter's record type to its side here."""
    record_type = letter.record_type
    if record_type == CONTACT_RECORD:
        return "no contact fields are mapped ([[contact_fields]])"
    if record_type == COMPANY_RECORD:
        return 'HubSpot masters no company field ([[company_fields]] master = "hubspot")'
    if record_type in (INVOICE_RECORD, ORDER_RECORD):
        if not config.documents.custom_objects:
            return (
                "invoices and orders are company values here (no HubSpot custom objects: "
                "[documents] custom_objects is off, or the portal refused them at setup)"
            )
        return f"the portal has no custom object for {record_type}s (run setup)"
    return "no sync of this configuration writes it"


def _settings(overrides: Mapping[str, str]) -> str:
    return ", ".join(f"{name}={value}" for name, value in overrides.items())


async def open_letter(store: AsyncStateStore, letter_id: int) -> DeadLetterRow:
    """The open letter ``letter_id``, or why not."""
    letter = await store.get_dead_letter(letter_id)
    if letter is None:
        raise FixError(f"no dead letter {letter_id}")
    if letter.resolved_at is not None:
        raise FixError(f"dead letter {letter_id} is already closed")
    return letter


async def discard_letter(
    store: AsyncStateStore, letter_id: int, reason: str, now: datetime | None = None
) -> DeadLetterRow:
    """Close a letter without writing anything; ``reason`` goes to the audit."""
    if not reason.strip():
        raise FixError("a discard needs a reason (--reason TEXT)")
    letter = await open_letter(store, letter_id)
    await store.resolve_dead_letters([letter_id])
    reason = f"dead letter {letter_id} discarded: {reason.strip()}"
    await audit_action(store, letter, reason, now or datetime.now(UTC))
    return letter


async def audit_action(
    store: AsyncStateStore, letter: DeadLetterRow, reason: str, now: datetime
) -> None:
    """An operator's action on a record, as an audit entry without fields."""
    entry = AuditEntry(
        now,
        letter.side,
        letter.record_type,
        letter.record_key,
        None,
        {},
        reason[:AUDIT_REASON_CHARS],
        source=OPERATOR,
    )
    await store.add_audit([entry])
