"""Pure: the price tier's options from Accredo's price codes, and merged into what HubSpot has."""

from __future__ import annotations

from accredo_hubspot.mapping.objects import merged_options, price_tier_options
from accredo_hubspot.mapping.properties import Option


def test_each_price_code_is_an_option_its_name_the_label_an_inactive_one_hidden() -> None:
    options = price_tier_options([("RETAIL", "Retail", False), ("OLD", "", True)])
    assert [(o.value, o.label, o.display_order, o.hidden) for o in options] == [
        ("RETAIL", "Retail", 0, False),
        ("OLD", "OLD", 1, True),
    ]


def test_a_new_code_is_added_after_the_options_there_which_stay_as_they_are() -> None:
    existing = [
        Option("Retail (renamed in HubSpot)", "RETAIL", 3),
        Option("Added by hand", "HAND", 7),
    ]
    wanted = price_tier_options([("RETAIL", "Retail", False), ("VIP", "VIP customers", False)])
    merged = merged_options(existing, wanted)
    assert merged == [*existing, Option("VIP customers", "VIP", 8, "Accredo price code VIP")]


def test_nothing_to_merge_when_every_code_is_an_option() -> None:
    wanted = price_tier_options([("RETAIL", "Retail", False)])
    assert merged_options([Option("Shop", "RETAIL", 0)], wanted) is None
    assert merged_options([], []) is None
