"""The company spec through the write pipeline, against the simulators and a state store on
disk: it sends only what changed, upserts new companies by code, links first-time matches, and
dead-letters per record."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from accredo_hubspot.accredo import AccredoClient
from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.hubspot.client import HubSpotClient
from accredo_hubspot.mapping.config import default_config_text, load_config
from accredo_hubspot.mapping.properties import SYNCED_AT_PROPERTY
from accredo_hubspot.store import TO_HUBSPOT, AsyncStateStore, StateStore
from accredo_hubspot.sync.companies import (
    COMPANY_RECORD,
    CompanySpec,
    DebtorDocuments,
    customer_fields,
    target_of,
)
from accredo_hubspot.sync.matcher import MatchResult
from accredo_hubspot.sync.pipeline import Clock, Pipeline, SyncReport
from accredo_hubspot.sync.setup import run_setup
from sims.accredo.app import create_app as accredo_app
from sims.accredo.config import SimConfig
from sims.hubspot.app import create_app
from sims.hubspot.config import DEMO_TOKEN, HubSpotSimConfig
from sims.serve import BackgroundServer, serve_in_thread
from tests.e2e.world import demo_accredo, sim_stats, user_creates
from tests.store.conftest import queued

NOW = datetime(2025, 7, 1, 2, 30, tzinfo=UTC)
CLOCK = Clock(now=lambda: NOW, today=lambda: date(2025, 7, 1))
CODE = "accredo_customer_code"


def debtor(code: str, **fields: Any) -> ARCustomer:
    values: dict[str, Any] = {
        "CustomerCode": code,
        "CustomerName": f"{code.title()} Ltd",
        "CreditLimit": Decimal("5000"),
        "BalanceTotal": Decimal("1234.5"),
        "BalanceCurrent": Decimal("1234.5"),
        "StopCredit": False,
        **fields,
    }
    return ARCustomer(**values)


@pytest.fixture(scope="module")
def sim() -> Iterator[BackgroundServer]:
    with serve_in_thread(create_app(HubSpotSimConfig(rate_limit=0))) as server:
        yield server


@pytest.fixture(scope="module")
def accredo_sim() -> Iterator[BackgroundServer]:
    with serve_in_thread(accredo_app(SimConfig(seed=5, customers=20))) as server:
        yield server


@dataclass
class Rig:
    sim: BackgroundServer
    accredo: AccredoClient
    hubspot: HubSpotClient
    store: StateStore
    spec: CompanySpec
    pipeline: Pipeline[ARCustomer]

    def company(self, company_id: str, *names: str) -> dict[str, str | None]:
        answer = httpx.get(
            f"{self.sim.url}/crm/v3/objects/companies/{company_id}",
            params={"properties": ",".join(names)},
            headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
        )
        answer.raise_for_status()
        props: dict[str, str | None] = answer.json()["properties"]
        return props

    def user_creates(self, properties: dict[str, str]) -> str:
        return user_creates(self.sim.url, "companies", properties)

    async def write(
        self,
        customers: list[ARCustomer],
        matches: list[MatchResult],
        *,
        reason: str = "test",
        baselines: dict[str, dict[str, str]] | None = None,
        completed: list[str] | None = None,
        pipeline: Pipeline[ARCustomer] | None = None,
    ) -> SyncReport:
        pipeline = pipeline or self.pipeline
        targets = [target_of(m, (baselines or {}).get(m.code)) for m in matches]
        records = self.spec.records(customers, DebtorDocuments())
        return await pipeline.write(records, targets, reason=reason, completed=completed or [])

    def pipeline_on(self, store: AsyncStateStore) -> Pipeline[ARCustomer]:
        spec = CompanySpec(self.accredo, self.hubspot, store, load_config(None), CLOCK)
        return Pipeline(spec, store, CLOCK)


@pytest.fixture
async def rig(
    sim: BackgroundServer, accredo_sim: BackgroundServer, tmp_path: Path
) -> AsyncIterator[Rig]:
    httpx.post(f"{sim.url}/_sim/reset").raise_for_status()
    config = load_config(None)
    async with (
        HubSpotClient(DEMO_TOKEN, base_url=sim.url) as hubspot,
        demo_accredo(accredo_sim) as accredo,
    ):
        await run_setup(hubspot, config)
        store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
        async with AsyncStateStore(store) as offloaded:
            spec = CompanySpec(accredo, hubspot, offloaded, config, CLOCK)
            yield Rig(sim, accredo, hubspot, store, spec, Pipeline(spec, offloaded, CLOCK))


def new(code: str) -> MatchResult:
    return MatchResult(code, None, "new")


def linked(code: str, company_id: str) -> MatchResult:
    return MatchResult(code, company_id, "link", (company_id,))


async def test_new_debtors_are_upserted_in_one_call_linked_and_recorded(rig: Rig) -> None:
    customers = [debtor("ACME"), debtor("BETA", StopCredit=True), debtor("GAMMA")]
    report = await rig.write(customers, [new(c.CustomerCode) for c in customers])
    assert (report.created, report.calls, report.failed) == (3, 1, 0)
    links = rig.store.get_links(COMPANY_RECORD)
    assert set(links) == {"ACME", "BETA", "GAMMA"}
    company = rig.company(
        links["BETA"], CODE, "name", "accredo_credit_limit", "accredo_balance_total",
        "accredo_stop_credit", "accredo_credit_status", SYNCED_AT_PROPERTY,
    )  # fmt: skip
    assert company[CODE] == "BETA"
    assert company["name"] == "Beta Ltd"
    assert company["accredo_credit_limit"] == "5000.00"
    assert company["accredo_balance_total"] == "1234.50"
    assert (company["accredo_stop_credit"], company["accredo_credit_status"]) == ("true", "on_stop")
    assert company[SYNCED_AT_PROPERTY]
    shadow = rig.store.get_shadows("hubspot", COMPANY_RECORD, ["BETA"])["BETA"]
    assert shadow["accredo_balance_total"] == "1234.50"
    audit = rig.store.list_audit(COMPANY_RECORD, "BETA")
    assert {f for a in audit for f in a.changes} >= {
        "accredo_credit_limit",
        "accredo_balance_total",
        "name",
    }
    assert all(a.reason == "test" for a in audit)
    assert all(old is None for a in audit for old, _new in a.changes.values())


async def test_unchanged_debtors_send_nothing(rig: Rig) -> None:
    customers = [debtor("ACME"), debtor("BETA")]
    await rig.write(customers, [new("ACME"), new("BETA")])
    links = rig.store.get_links(COMPANY_RECORD)
    writes = sim_stats(rig.sim)["writes"]
    report = await rig.write(customers, [linked(c, links[c]) for c in ("ACME", "BETA")])
    assert (report.unchanged, report.writes, report.calls) == (2, 0, 0)
    assert sim_stats(rig.sim)["writes"] == writes


async def test_only_the_changed_field_is_sent_and_audited(rig: Rig) -> None:
    await rig.write([debtor("ACME"), debtor("BETA")], [new("ACME"), new("BETA")])
    links = rig.store.get_links(COMPANY_RECORD)
    changed = debtor("ACME", CreditLimit=Decimal("7500.005"))
    report = await rig.write(
        [changed, debtor("BETA")],
        [linked("ACME", links["ACME"]), linked("BETA", links["BETA"])],
        reason="accredo change",
    )
    assert (report.updated, report.unchanged, report.calls) == (1, 1, 1)
    assert rig.company(links["ACME"], "accredo_credit_limit")["accredo_credit_limit"] == "7500.01"
    audit = [
        a for a in rig.store.list_audit(COMPANY_RECORD, "ACME") if a.reason == "accredo change"
    ]
    assert sorted((f, old, new) for a in audit for f, (old, new) in a.changes.items()) == [
        ("accredo_credit_limit", "5000.00", "7500.01"),
        ("accredo_credit_utilisation_pct", "24.7", "16.5"),  # 1234.50 of the new limit
    ]
    beta = rig.store.list_audit(COMPANY_RECORD, "BETA")
    assert [a for a in beta if a.reason == "accredo change"] == []


async def test_a_first_time_match_that_already_agrees_is_linked_without_a_write(
    rig: Rig, tmp_path: Path
) -> None:
    await rig.write([debtor("ACME")], [new("ACME")])
    company_id = rig.store.get_links(COMPANY_RECORD)["ACME"]
    current = rig.company(
        company_id, *rig.store.get_shadows("hubspot", COMPANY_RECORD, ["ACME"])["ACME"]
    )
    # a second store, as after losing the state database: the company exists, no link
    other = await AsyncStateStore.open(f"sqlite:///{tmp_path / 'lost.db'}")
    baseline = {k: v for k, v in current.items() if v}
    writes = sim_stats(rig.sim)["writes"]
    report = await rig.write(
        [debtor("ACME")],
        [MatchResult("ACME", company_id, "code", (company_id,))],
        reason="backfill",
        baselines={"ACME": baseline},
        pipeline=rig.pipeline_on(other),
    )
    assert (report.linked, report.writes, report.calls) == (1, 0, 0)
    assert await other.get_links(COMPANY_RECORD) == {"ACME": company_id}
    assert sim_stats(rig.sim)["writes"] == writes
    await other.aclose()


async def test_a_debtor_is_matched_to_the_company_its_hubspot_id_names(rig: Rig) -> None:
    """A debtor provisioned from a company, whose link was lost (a crash before the commit),
    goes back to that company, though no other key would find it."""
    company_id = rig.user_creates({"name": "Kea Kayaks"})
    httpx.post(f"{rig.sim.url}/_sim/search/index").raise_for_status()
    records = rig.spec.records([debtor("KEAKAYAK", Z_HubSpotID=company_id)], DebtorDocuments())
    (target,) = await rig.spec.match(records)
    assert (target.remote_id, target.via) == (company_id, "hubspot_id")
    report = await rig.pipeline.write(records, [target], reason="accredo change")
    assert (report.updated, report.linked, report.created) == (1, 1, 0)
    assert rig.company(company_id, CODE)[CODE] == "KEAKAYAK"


async def test_a_first_time_match_gets_only_what_differs(rig: Rig) -> None:
    company_id = rig.user_creates({"name": "Acme (typed by sales)", "nzbn": "9429041234567"})
    report = await rig.write(
        [debtor("ACME")],
        [MatchResult("ACME", company_id, "nzbn", (company_id,))],
        baselines={"ACME": {"name": "Acme (typed by sales)", "nzbn": "9429041234567"}},
    )
    assert (report.updated, report.linked, report.created) == (1, 1, 0)
    company = rig.company(company_id, "name", CODE, "accredo_balance_total")
    assert company["name"] == "Acme (typed by sales)"  # write = "create": left alone
    assert company[CODE] == "ACME"
    assert company["accredo_balance_total"] == "1234.50"


async def test_an_ambiguous_match_is_dead_lettered_and_not_written(rig: Rig) -> None:
    writes = sim_stats(rig.sim)["writes"]
    ambiguous = MatchResult("ACME", None, "ambiguous", ("1", "2"), "NZBN 9429 is on 2 companies")
    report = await rig.write([debtor("ACME"), debtor("BETA")], [ambiguous, new("BETA")])
    assert (report.failed, report.created) == (1, 1)
    (letter,) = rig.store.list_dead_letters()
    assert letter.record_key == "ACME"
    assert "NZBN 9429 is on 2 companies" in letter.reason
    assert "ACME" not in rig.store.get_links(COMPANY_RECORD)
    assert sim_stats(rig.sim)["writes"] == writes + 1


async def test_a_company_deleted_in_hubspot_is_dead_lettered_and_the_rest_land(rig: Rig) -> None:
    await rig.write([debtor("ACME"), debtor("BETA")], [new("ACME"), new("BETA")])
    links = rig.store.get_links(COMPANY_RECORD)
    httpx.delete(f"{rig.sim.url}/_sim/objects/companies/{links['ACME']}").raise_for_status()
    report = await rig.write(
        [debtor("ACME", BalanceTotal=Decimal(1)), debtor("BETA", BalanceTotal=Decimal(2))],
        [linked("ACME", links["ACME"]), linked("BETA", links["BETA"])],
    )
    assert (report.updated, report.failed) == (1, 1)
    assert [letter.record_key for letter in rig.store.list_dead_letters()] == ["ACME"]
    assert rig.company(links["BETA"], "accredo_balance_total")["accredo_balance_total"] == "2.00"


async def test_completed_queue_entries_leave_on_commit(rig: Rig) -> None:
    rig.store.enqueue(TO_HUBSPOT, COMPANY_RECORD, ["ACME", "BETA"], "accredo change")
    await rig.write([debtor("ACME")], [new("ACME")], completed=["ACME"])
    assert queued(rig.store) == ["BETA"]


async def test_a_batch_of_keys_is_read_matched_written_and_then_quiet(rig: Rig) -> None:
    codes = [c.CustomerCode async for c in rig.accredo.iter_customers(page_size=3)][:3]
    rig.store.enqueue(TO_HUBSPOT, COMPANY_RECORD, codes, "accredo change")
    report = await rig.pipeline.sync([*codes, "GONE99"], reason="test", completed=codes)
    assert (report.created, report.failed) == (3, 0)
    links = rig.store.get_links(COMPANY_RECORD)
    assert sorted(links) == sorted(codes)
    (customer,) = await rig.accredo.get_customers([codes[0]])
    company = rig.company(links[codes[0]], CODE, "name", "accredo_credit_limit")
    assert company[CODE] == codes[0]
    assert company["accredo_credit_limit"] == f"{customer.CreditLimit:.2f}"
    assert queued(rig.store) == []
    writes = sim_stats(rig.sim)["writes"]
    again = await rig.pipeline.sync(codes, reason="test")
    assert (again.unchanged, again.writes, again.calls) == (3, 0, 0)
    assert sim_stats(rig.sim)["writes"] == writes


def test_customer_fields_are_the_models_and_the_mappings_custom_ones(tmp_path: Path) -> None:
    """What a backfill asks Accredo for (``$select``): everything the sync reads, no more."""
    site = tmp_path / "site.toml"
    site.write_text(
        default_config_text()
        + '\n[[company_fields]]\nhubspot = "industry_code"\naccredo = "Z_Industry"\n'
        'master = "accredo"\ntransform = "text"\nwrite = "always"\n',
        encoding="utf-8",
    )
    fields = customer_fields(load_config(site))
    assert {"CustomerCode", "CreditLimit", "BusinessNo", "WebAddress", "Z_Industry"} <= set(fields)
    assert not {"Contact", "DeliveryAddress", "etag"} & set(fields)
    assert not [f for f in fields if f.startswith("derived.")]
    assert len(fields) == len(set(fields))
