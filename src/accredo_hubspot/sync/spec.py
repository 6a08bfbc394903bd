"""A record type, as the write pipeline sees it: a spec.

Everything that differs between debtors and companies, contacts, invoices or orders lives in
a spec; everything that is the same (plan against the shadow, resend without a refused field,
re-read on a stale write, dead letters, the one commit) lives in ``sync.pipeline``. A spec
says which side it writes, reads a batch of source records as plain values, finds where each
goes, and writes plans in the fewest calls. ``sync.companies.CompanySpec`` is the first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from accredo_hubspot.accredo.errors import (
    AccredoConflict,
    AccredoNotFound,
    AccredoValidationError,
    PreconditionFailed,
)
from accredo_hubspot.hubspot.models import BatchOutcome
from accredo_hubspot.store import Side
from accredo_hubspot.sync.planner import RecordPlan, RuleSet
from accredo_hubspot.sync.records import SourceRecord, Target
from accredo_hubspot.tasks import gather

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Failure:
    """Why one record was not written. ``field`` names the one field the other side refused,
    when it says (the record is then sent once more without it), and ``code`` why, when it
    says. ``resend``: the spec put the refusal's cause right (a missing option added), so the
    record is sent once more as it was."""

    key: str
    category: str
    message: str
    field: str | None = None
    status: int | None = None
    code: str | None = None
    resend: bool = False


@dataclass
class ApplyOutcome:
    """What one ``apply`` did: every plan lands in exactly one of ``written`` (key -> the id
    of the record written), ``failed`` or ``stale`` (the target changed since it was read, an
    Accredo 412: the pipeline re-reads, re-plans and tries again). ``call_of`` names the call
    that wrote each record, when the side says (its audit entry's ``call``)."""

    written: dict[str, str] = field(default_factory=dict)
    failed: list[Failure] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    calls: int = 0
    call_of: dict[str, str] = field(default_factory=dict)  # key -> the call that wrote it

    def add(self, other: ApplyOutcome) -> None:
        self.written.update(other.written)
        self.call_of.update(other.call_of)
        self.failed.extend(other.failed)
        self.stale.extend(other.stale)
        self.calls += other.calls


@contextmanager
def accredo_write(outcome: ApplyOutcome, key: str) -> Iterator[None]:
    """One record's write to Accredo: a 412 (the record changed since it was read) marks it
    stale, a refusal (validation, not found, conflict) fails it with Accredo's reason; either
    way the rest of the batch goes on. Code after the write, inside the block, runs only when
    it succeeded."""
    try:
        yield
    except PreconditionFailed:
        outcome.stale.append(key)
    except AccredoValidationError as exc:
        outcome.failed.append(Failure(key, "validation", exc.message, exc.field, exc.status_code))
    except (AccredoNotFound, AccredoConflict) as exc:
        outcome.failed.append(Failure(key, type(exc).__name__, exc.message, None, exc.status_code))


async def apply_each(
    plans: Sequence[RecordPlan], write: Callable[[RecordPlan], Awaitable[ApplyOutcome]]
) -> ApplyOutcome:
    """``write`` each plan, all at once (a side with no batch write: one call a record)."""
    total = ApplyOutcome()
    for outcome in await gather(*(write(plan) for plan in plans)):
        total.add(outcome)
    return total


def outcome_of(*batches: BatchOutcome) -> ApplyOutcome:
    """HubSpot batch helpers' outcomes (updates, creates) as one ``ApplyOutcome``."""
    outcome = ApplyOutcome()
    for batch in batches:
        outcome.calls += batch.calls
        outcome.written.update({key: record.id for key, record in batch.written.items()})
        outcome.call_of.update(batch.call_of)
        outcome.failed.extend(
            Failure(f.key, f.category, f.message, f.property_name, f.status, f.code)
            for f in batch.failed
        )
    return outcome


class RecordSpec(Protocol[T]):
    """One record type in one direction. ``T`` is what its source records are read from."""

    @property
    def record_type(self) -> str:
        """The state store's name for the type (links, shadows, queue, dead letters, audit)."""
        ...

    @property
    def side(self) -> Side:
        """The side written; shadows, audit and dead letters are that side's."""
        ...

    @property
    def rules(self) -> RuleSet:
        """The mapping rules of the fields the other side masters, compiled for ``side``."""
        ...

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[T]]:
        """The current source records of ``keys``, as plain values (keys not found are left
        out)."""
        ...

    async def match(self, records: Sequence[SourceRecord[T]]) -> list[Target]:
        """Where each record goes: its linked record, a record matched for the first time
        (with its current values as ``baseline``), a new one, or an ambiguity."""
        ...

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        """Write the plans (creates and updates) in as few calls as the side allows."""
        ...
