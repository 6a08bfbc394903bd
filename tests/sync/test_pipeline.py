"""The write pipeline with a record type that writes Accredo, against the Accredo simulator.

``IndustrySpec`` is the smallest such spec: HubSpot's ``industry`` (HubSpot-mastered) onto the
debtor's ``Z_Industry``, PATCHed with the record's eTag. It shows what the protocol carries for
Accredo-bound types: a value not read leaves the Accredo field alone while a cleared one clears
it, and a write that meets a record changed since it was read (412) is re-read, re-planned and
sent again, never overwriting the change; the shadow and audit are the Accredo side's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from accredo_hubspot.accredo import AccredoClient
from accredo_hubspot.accredo.errors import PreconditionFailed
from accredo_hubspot.mapping.config import parse_config
from accredo_hubspot.store import AsyncStateStore, Side, StateStore
from accredo_hubspot.sync.pipeline import STALE_RETRIES, Clock, Pipeline
from accredo_hubspot.sync.planner import RecordPlan, RuleSet, compile_rules
from accredo_hubspot.sync.records import LINK, SourceRecord, Target, Values
from accredo_hubspot.sync.spec import ApplyOutcome
from sims.accredo.app import create_app
from sims.accredo.config import SimConfig
from sims.serve import BackgroundServer, serve_in_thread
from tests.e2e.world import demo_accredo

NOW = datetime(2025, 7, 1, 2, 30, tzinfo=UTC)
CLOCK = Clock(now=lambda: NOW, today=lambda: date(2025, 7, 1))
INDUSTRY = "industry"
CONFIG = parse_config(
    '[[company_fields]]\nhubspot = "industry"\naccredo = "Z_Industry"\nmaster = "hubspot"\n'
    'transform = "text"\n',
    "test",
)


class IndustrySpec:
    """HubSpot's industry onto the debtor's ``Z_Industry`` (``RecordSpec[None]``)."""

    record_type = INDUSTRY
    side: Side = "accredo"

    def __init__(self, accredo: AccredoClient) -> None:
        self.rules = RuleSet(compile_rules(CONFIG.company_rules("hubspot"), "accredo", CONFIG.tz))
        self._accredo = accredo
        self.read: dict[str, Values] = {}  # what HubSpot answered, by customer code
        self.before_patch: list[Callable[[str], None]] = []  # a user's edits, one per PATCH

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[None]]:
        return [SourceRecord(key, self.read[key], None) for key in keys if key in self.read]

    async def match(self, records: Sequence[SourceRecord[None]]) -> list[Target]:
        customers = await self._accredo.get_customers([r.key for r in records])
        return [Target(c.CustomerCode, c.CustomerCode, LINK, version=c.etag) for c in customers]

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        outcome = ApplyOutcome()
        for plan in plans:
            if self.before_patch:
                self.before_patch.pop(0)(plan.key)
            outcome.calls += 1
            try:
                await self._accredo.patch_customer(plan.key, plan.target.version or "", plan.values)
            except PreconditionFailed:
                outcome.stale.append(plan.key)
            else:
                outcome.written[plan.key] = plan.key
        return outcome


@pytest.fixture(scope="module")
def sim() -> Iterator[BackgroundServer]:
    with serve_in_thread(create_app(SimConfig(seed=9, customers=5))) as server:
        yield server


@dataclass
class Rig:
    sim: BackgroundServer
    accredo: AccredoClient
    store: StateStore
    spec: IndustrySpec
    pipeline: Pipeline[None]
    code: str

    async def industry(self) -> object:
        (customer,) = await self.accredo.get_customers([self.code])
        return (customer.model_extra or {}).get("Z_Industry")

    def user_edits(self, code: str) -> None:
        """A user of Accredo changes the debtor's phone number (its eTag moves on)."""
        answer = httpx.patch(f"{self.sim.url}/_sim/customers/{code}", json={"PhoneNo": PHONE})
        answer.raise_for_status()


PHONE = "09 555 0101"


@pytest.fixture
async def rig(sim: BackgroundServer, tmp_path: Path) -> AsyncIterator[Rig]:
    httpx.post(f"{sim.url}/_sim/reset").raise_for_status()
    async with demo_accredo(sim) as accredo:
        code, *_ = [c.CustomerCode async for c in accredo.iter_customers(page_size=5)]
        store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
        async with AsyncStateStore(store) as offloaded:
            spec = IndustrySpec(accredo)
            yield Rig(sim, accredo, store, spec, Pipeline(spec, offloaded, CLOCK), code)


async def test_a_value_read_is_patched_with_the_records_etag_and_shadowed(rig: Rig) -> None:
    rig.spec.read[rig.code] = {"industry": "Farming"}
    report = await rig.pipeline.sync([rig.code], reason="hubspot change")
    assert (report.updated, report.calls, report.failed) == (1, 1, 0)
    assert await rig.industry() == "Farming"
    shadows = rig.store.get_shadows("accredo", INDUSTRY, [rig.code])
    assert shadows == {rig.code: {"Z_Industry": "Farming"}}
    assert rig.store.get_shadows("hubspot", INDUSTRY, [rig.code]) == {}
    (entry,) = rig.store.list_audit(INDUSTRY, rig.code)
    assert (entry.side, dict(entry.changes)) == ("accredo", {"Z_Industry": (None, "Farming")})


async def test_a_value_not_read_leaves_accredo_alone_and_a_cleared_one_clears(rig: Rig) -> None:
    rig.spec.read[rig.code] = {"industry": "Farming"}
    await rig.pipeline.sync([rig.code], reason="test")
    rig.spec.read[rig.code] = {}  # HubSpot's answer did not carry the property
    report = await rig.pipeline.sync([rig.code], reason="test")
    assert (report.unchanged, report.calls) == (1, 0)
    assert await rig.industry() == "Farming"
    rig.spec.read[rig.code] = {"industry": None}  # read, and empty: cleared in HubSpot
    report = await rig.pipeline.sync([rig.code], reason="test")
    assert (report.updated, report.calls) == (1, 1)
    assert not await rig.industry()
    assert rig.store.get_shadows("accredo", INDUSTRY, [rig.code])[rig.code] == {"Z_Industry": ""}


async def test_a_record_changed_meanwhile_is_re_read_and_its_change_kept(rig: Rig) -> None:
    rig.spec.read[rig.code] = {"industry": "Forestry"}
    rig.spec.before_patch = [rig.user_edits]
    report = await rig.pipeline.sync([rig.code], reason="test")
    assert (report.updated, report.calls, report.failed) == (1, 2, 0)
    (customer,) = await rig.accredo.get_customers([rig.code])
    assert (customer.model_extra or {}).get("Z_Industry") == "Forestry"
    assert customer.PhoneNo == PHONE  # the user's change, made after the first read, stays


async def test_a_record_changed_at_every_try_is_dead_lettered(rig: Rig) -> None:
    rig.spec.read[rig.code] = {"industry": "Mining"}
    rig.spec.before_patch = [rig.user_edits] * (STALE_RETRIES + 1)
    report = await rig.pipeline.sync([rig.code], reason="test")
    assert (report.updated, report.calls, report.failed) == (0, STALE_RETRIES + 1, 1)
    (letter,) = rig.store.list_dead_letters()
    assert (letter.record_type, letter.record_key, letter.side) == (INDUSTRY, rig.code, "accredo")
    assert "changed in accredo while being written" in letter.reason
    assert await rig.industry() != "Mining"
