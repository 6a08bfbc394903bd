"""The demo's contacts act: the contacts Accredo held at rollout brought to HubSpot, then a
HubSpot user's edit of one timed until Accredo shows it."""

from __future__ import annotations

import asyncio
import time

import httpx
from rich.console import Console

from accredo_hubspot.demo_hooks import inbound_path
from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.runtime import Connector
from accredo_hubspot.sync.contacts import CONTACT_RECORD
from accredo_hubspot.sync.contacts_rollout import ContactsQueued, queue_existing_contacts

#: How long the demo waits for the rollout's contacts, and for the edit in Accredo.
ROLLOUT_TIMEOUT_S = 120.0
VISIBLE_TIMEOUT_S = 30.0
ROLE = "Accounts payable manager"


class ContactsDemoError(ConnectorError):
    """The contacts did not come across in time."""


async def queue_contacts(console: Console, conn: Connector) -> ContactsQueued:
    """The contacts both sides hold, queued after the backfill (as ``backfill`` does)."""
    queued = await queue_existing_contacts(conn.accredo, conn.hubspot, conn.store)
    console.print(
        f"contacts: {queued.to_hubspot} of the debtors' contacts (and {queued.to_accredo} of "
        "HubSpot's) queued for live sync"
    )
    return queued


async def await_rollout(console: Console, conn: Connector, queued: ContactsQueued) -> None:
    """Wait while live sync brings the queued contacts across."""
    started = time.monotonic()
    while await conn.store.queue_depth():
        if time.monotonic() - started > ROLLOUT_TIMEOUT_S:
            raise ContactsDemoError("the contacts queued at rollout were not brought across")
        await asyncio.sleep(0.1)
    console.print(
        f"  {queued.to_hubspot} contacts created in HubSpot on their companies in "
        f"{time.monotonic() - started:.1f} s"
    )


async def play_contact_edit(
    console: Console, conn: Connector, hubspot_url: str, http: httpx.AsyncClient
) -> None:
    """A HubSpot user changes a linked contact's job title; time it until its ``ARContact``
    shows the new role, and say what carried it (from the audit log). Live sync must be
    running."""
    links = await conn.store.get_links(CONTACT_RECORD)
    if not links:
        raise ContactsDemoError("no contact is linked to edit")
    key, contact_id = sorted(links.items(), key=lambda link: int(link[0]))[0]
    started = time.monotonic()
    answer = await http.patch(
        f"{hubspot_url}/_sim/objects/contacts/{contact_id}", json={"properties": {"jobtitle": ROLE}}
    )
    answer.raise_for_status()
    while time.monotonic() - started < VISIBLE_TIMEOUT_S:
        (contact,) = await conn.accredo.get_contacts([int(key)])
        if contact.Role == ROLE:
            seen_s = time.monotonic() - started
            path = await inbound_path(conn.store, CONTACT_RECORD, contact_id)
            console.print(
                f"  contact {contact.FirstName} {contact.LastName} ({contact.CustomerCode}) given "
                f"the job title '{ROLE}' in HubSpot: its Role in Accredo after {seen_s:.2f} s "
                f"(carried by {path})"
            )
            return
        await asyncio.sleep(0.05)
    raise ContactsDemoError(f"the edit of contact {contact_id} did not reach Accredo in time")
