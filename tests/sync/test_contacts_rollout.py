"""Contacts at rollout (pure): which contacts each side's queue gets."""

from __future__ import annotations

from accredo_hubspot.accredo.models import ARContact
from accredo_hubspot.hubspot.models import AssociatedObject
from accredo_hubspot.sync.contacts_rollout import accredo_contacts, hubspot_contacts


def test_each_contact_of_the_linked_companies_is_queued_once_unless_linked() -> None:
    associated = {
        "c1": [AssociatedObject(to_object_id="7"), AssociatedObject(to_object_id="8")],
        "c2": [AssociatedObject(to_object_id="8"), AssociatedObject(to_object_id="9")],
        "c3": [],
    }
    assert hubspot_contacts(associated, linked={"9"}) == ["7", "8"]


def test_the_contacts_of_linked_debtors_are_queued_unless_linked() -> None:
    contacts = [
        ARContact(ContactID=1, CustomerCode="acme"),  # codes compare in upper case
        ARContact(ContactID=2, CustomerCode="ACME"),
        ARContact(ContactID=3, CustomerCode="OTHER"),  # a debtor with no company
        ARContact(ContactID=4, CustomerCode=None),
    ]
    assert accredo_contacts(contacts, codes={"ACME"}, linked={"2"}) == ["1"]
