"""End to end: one bad record in a HubSpot batch is dead-lettered; its 99 neighbours land.

DESIGN invariant 5: the site maps a custom Accredo text field to a HubSpot *number* property;
one debtor holds text there. HubSpot answers the batch with a 207 whose error names that
input; the dead-letter list names the record, the field and the reason, and the rest is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import connect
from accredo_hubspot.store import DeadLetterRow, StateStore
from accredo_hubspot.sync.backfill import Backfill, BackfillReport
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.setup import run_setup
from tests.e2e.world import (
    INDUSTRY_CODE,
    World,
    create_industry_code,
    links_with_via,
    running_world,
    write_industry_site,
)

pytestmark = pytest.mark.slow

DEBTORS = 100  # one HubSpot batch


@dataclass
class Outcome:
    report: BackfillReport
    letters: list[DeadLetterRow]
    links: dict[str, tuple[str, str | None]]
    companies: dict[str, dict[str, str | None]]
    codes: list[str]
    bad: str
    good: str
    world: World | None = None
    config: Path | None = None
    database: Path | None = None


async def _run(world: World, tmp_path: Path) -> Outcome:
    config_path = write_industry_site(tmp_path / "site.toml")
    config = load_config(config_path)
    database = tmp_path / "state.db"
    async with connect(world.settings(database), config) as conn:
        await run_setup(conn.hubspot, config)
        create_industry_code(world)
        codes = [c.CustomerCode async for c in conn.accredo.iter_customers()]
        bad, good = codes[50], codes[51]
        world.edit_customer(bad, {"Z_Industry": "Retail"})
        world.edit_customer(good, {"Z_Industry": "42"})
        report = await Backfill(
            conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock
        ).run()
    with StateStore.open(f"sqlite:///{database}") as store:
        letters = store.list_dead_letters()
    companies = world.companies(["accredo_customer_code", INDUSTRY_CODE])
    links = links_with_via(database)
    return Outcome(
        report, letters, links, companies, codes, bad, good, world, config_path, database
    )


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    with running_world(customers=DEBTORS) as world:
        yield asyncio.run(_run(world, tmp_path_factory.mktemp("dead-letter")))


def test_the_neighbours_landed_and_the_bad_record_without_its_bad_field(
    outcome: Outcome,
) -> None:
    """One batch call for the 100, then one retry of the refused record without the property
    HubSpot named: its other values (the financial fields) are not held back by it."""
    assert outcome.report.calls == 2
    assert outcome.report.created == DEBTORS
    assert set(outcome.links) == set(outcome.codes)
    codes = {p["accredo_customer_code"] for p in outcome.companies.values()}
    assert codes == set(outcome.codes)
    good_company = outcome.companies[outcome.links[outcome.good][0]]
    assert good_company[INDUSTRY_CODE] == "42"
    bad_company = outcome.companies[outcome.links[outcome.bad][0]]
    assert bad_company[INDUSTRY_CODE] in (None, "")


def test_the_bad_record_is_dead_lettered_with_field_and_reason(outcome: Outcome) -> None:
    assert outcome.report.failed == 1
    assert [letter.record_key for letter in outcome.letters] == [outcome.bad]
    (letter,) = outcome.letters
    assert letter.field == INDUSTRY_CODE
    assert "Retail" in letter.reason  # HubSpot's message quotes the value it refused
    assert outcome.report.failures == [
        f"{outcome.bad}: {INDUSTRY_CODE}: {letter.reason.split(': ', 1)[1]}"
    ]


def test_the_dead_letter_keeps_the_payload_that_was_refused(outcome: Outcome) -> None:
    (letter,) = outcome.letters
    assert "Retail" in str(letter.payload)


def test_a_record_fixed_in_accredo_lands_and_its_dead_letter_is_closed(outcome: Outcome) -> None:
    assert outcome.world is not None and outcome.config and outcome.database
    world = outcome.world
    world.edit_customer(outcome.bad, {"Z_Industry": "7"})

    async def cycle() -> None:
        assert outcome.world is not None and outcome.database
        config = load_config(outcome.config)
        async with connect(world.settings(outcome.database), config) as conn:
            await LiveSync(conn.accredo, conn.hubspot, conn.store, config, conn.clock).cycle()

    asyncio.run(cycle())
    links = links_with_via(outcome.database)
    assert outcome.bad in links  # the fixed record landed
    assert world.companies([INDUSTRY_CODE])[links[outcome.bad][0]][INDUSTRY_CODE] == "7"
    with StateStore.open(f"sqlite:///{outcome.database}") as store:
        assert store.list_dead_letters() == []
