"""What ``ensure_property`` decides to change, as a pure function."""

from __future__ import annotations

from accredo_hubspot.hubspot.models import Property, PropertyCreate, PropertyOption
from accredo_hubspot.hubspot.schema_api import property_changes

EXISTING = Property(
    name="tier",
    label="Tier",
    type="enumeration",
    field_type="select",
    description="Price tier",
    options=[PropertyOption(label="A", value="a")],
)


def wanted(**kw: object) -> PropertyCreate:
    base: dict[str, object] = {
        "name": "tier",
        "label": "Tier",
        "type": "enumeration",
        "field_type": "select",
        "group_name": "companyinformation",
        "description": "Price tier",
        "options": [PropertyOption(label="A", value="a")],
    }
    return PropertyCreate(**{**base, **kw})


def test_identical_needs_no_update() -> None:
    """Same label, description and options: nothing to send."""
    assert property_changes(EXISTING, wanted()) is None


def test_differences_are_sent_and_nothing_else() -> None:
    """Only the differing fields go into the update."""
    options = [PropertyOption(label="A", value="a"), PropertyOption(label="B", value="b")]
    update = property_changes(EXISTING, wanted(label="Price tier", options=options))

    assert update is not None
    assert update.to_wire() == {
        "label": "Price tier",
        "options": [
            {"label": "A", "value": "a", "hidden": False},
            {"label": "B", "value": "b", "hidden": False},
        ],
    }
