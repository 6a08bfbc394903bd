"""End to end: links follow HubSpot records merged, deleted, restored and erased.

Both simulators and ``accredo-hubspot run`` (SQLite on disk), as in ``test_contacts``:

- a linked company deleted in HubSpot is unlinked and reported (``dead-letters list``), and
  nothing is deleted in Accredo; restored (same id), it is linked again to the same debtor;
- merged with another company, its debtor is linked to the merged record (a new id);

the same with webhooks on and with webhooks off and HubSpot polled; and, webhooks on (HubSpot
shows a GDPR delete no other way):

- a contact deleted under GDPR is unlinked and its values leave the state store.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from accredo_hubspot.store import schema
from accredo_hubspot.store.packing import unpack
from tests.conftest import wait_until
from tests.e2e.test_contacts import Site, running_site
from tests.e2e.world import TOKEN, links_with_via, run_cli, sim_stats

pytestmark = pytest.mark.slow


def company_link(site: Site) -> str | None:
    link = links_with_via(site.database).get(site.code)
    return None if link is None else link[0]


def accredo_deletes(site: Site) -> int:
    """Accredo records deleted through its API so far."""
    routes = sim_stats(site.world.accredo)["by_route"]
    deletes = 0
    for route, count in routes.items():
        method, _, target = route.partition(" ")
        if method == "DELETE" and not target.startswith(("/", "token")):
            deletes += count  # an entity deleted through the API (not a token revoked)
    return deletes


def contact_state(database: Path) -> tuple[dict[str, str], list[str], list[str]]:
    """The contact links (key -> id), unpacked shadows and audit changes, as stored."""
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            links = schema.links.c
            linked = conn.execute(
                select(links.accredo_key, links.hubspot_id).where(links.record_type == "contact")
            )
            shadows = schema.shadows.c
            texts = conn.execute(select(shadows.shadow).where(shadows.record_type == "contact"))
            audit = schema.audit_log.c
            packed = conn.execute(select(audit.changes).where(audit.record_type == "contact"))
            return (
                {key: hubspot_id for key, hubspot_id in linked},
                [json.dumps(unpack(blob, "shadows"), ensure_ascii=False) for (blob,) in texts],
                [json.dumps(unpack(blob, "audit_log"), ensure_ascii=False) for (blob,) in packed],
            )
    finally:
        engine.dispose()


def hubspot_api(site: Site, path: str, body: dict[str, str]) -> httpx.Response:
    """A call through HubSpot's API (the merge and the GDPR delete have no UI route here)."""
    answer = httpx.post(
        f"{site.world.hubspot.url}{path}", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    answer.raise_for_status()
    return answer


@pytest.mark.parametrize("webhooks", [True, False], ids=["webhooks", "polling"])
def test_a_deleted_company_is_unlinked_reported_restored_and_followed_through_a_merge(
    tmp_path: Path, webhooks: bool
) -> None:
    with running_site(tmp_path, webhooks=webhooks) as site:
        hub = site.world.hubspot.url
        httpx.delete(f"{hub}/_sim/objects/companies/{site.company_id}").raise_for_status()
        wait_until(lambda: company_link(site) is None, "the deleted company unlinked")
        env = site.world.env(site.database)
        listed = run_cli(["dead-letters", "list"], env, tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert f"{site.company_id} was deleted in HubSpot" in listed.stdout
        assert site.code in listed.stdout
        assert accredo_deletes(site) == 0
        debtors = site.world.accredo_app.state.sim.tables["ARCustomer"]
        assert debtors.get(site.code) is not None  # the debtor is still there

        restore = f"{hub}/_sim/objects/companies/{site.company_id}/restore"
        httpx.post(restore).raise_for_status()
        wait_until(lambda: company_link(site) == site.company_id, "the restored company linked")
        listed = run_cli(["dead-letters", "list"], env, tmp_path)
        assert f"{site.company_id} was deleted" not in listed.stdout  # the report closed

        other = site.world.user_creates_company({"name": "Harbour Freight (duplicate)"})
        merged = hubspot_api(
            site,
            "/crm/v3/objects/companies/merge",
            {"primaryObjectId": site.company_id, "objectIdToMerge": other},
        )
        survivor = merged.json()["id"]
        assert survivor not in (site.company_id, other)  # a new id (reference 4.5)
        wait_until(lambda: company_link(site) == survivor, "the debtor linked to the merged record")
        assert accredo_deletes(site) == 0
        listed = run_cli(["dead-letters", "list"], env, tmp_path)
        assert "deleted in HubSpot" not in listed.stdout  # the merge's deletions moved, not lost


def test_a_gdpr_deleted_contact_is_unlinked_and_its_values_erased(tmp_path: Path) -> None:
    with running_site(tmp_path, webhooks=True) as site:
        email = "aroha.ngata@harbourfreight.co.nz"
        contact_id = site.user_adds_hubspot_contact(
            {"firstname": "Aroha", "lastname": "Ngata", "email": email}
        )
        wait_until(lambda: contact_id in contact_state(site.database)[0].values(), "the link")
        _, shadows, audit = contact_state(site.database)
        assert any(email in text for text in shadows)  # the values were held

        hubspot_api(site, "/crm/v3/objects/contacts/gdpr-delete", {"objectId": contact_id})
        wait_until(lambda: contact_id not in contact_state(site.database)[0].values(), "the unlink")
        _, shadows, audit = contact_state(site.database)
        assert not [text for text in shadows if email in text or "Aroha" in text]
        assert not [text for text in audit if email in text or "Aroha" in text]
        erased = [json.loads(text) for text in audit if "hubspot_id" in text]
        assert {"hubspot_id": [contact_id, None]} in erased  # the erasure itself is kept
        assert site.accredo_contact(email) is not None  # Accredo is not touched
