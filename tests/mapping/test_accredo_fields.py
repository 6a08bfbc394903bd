"""What Accredo can store: a value that does not fit is an error naming the field, cut only
when the mapping says so; a character a non-unicode field cannot hold is never altered
(accredo-api.md 3.3, 6.3)."""

from __future__ import annotations

import pytest

from accredo_hubspot.mapping.accredo_fields import CONTACT_FIELDS, fit_accredo
from accredo_hubspot.mapping.transforms import TransformError


def test_a_value_that_fits_is_kept_as_it_is() -> None:
    assert (
        fit_accredo(
            "Ngāi Tahu", "FirstName", CONTACT_FIELDS["FirstName"], max_length=None, truncate=False
        )
        == "Ngāi Tahu"
    )


def test_a_value_too_long_is_an_error_naming_the_field() -> None:
    name = "Wharekauhau-Tamatea-Pōkai"  # 25 characters; Accredo's FirstName holds 20
    with pytest.raises(TransformError) as refused:
        fit_accredo(name, "FirstName", CONTACT_FIELDS["FirstName"], max_length=None, truncate=False)
    assert refused.value.field == "FirstName"
    assert "20 characters" in refused.value.reason


def test_truncate_cuts_to_the_field_or_the_mappings_shorter_limit() -> None:
    limits = CONTACT_FIELDS["Role"]  # 35
    role = "Head of accounts receivable and credit control, Auckland"
    assert fit_accredo(role, "Role", limits, max_length=None, truncate=True) == role[:35].rstrip()
    assert fit_accredo(role, "Role", limits, max_length=12, truncate=True) == "Head of acco"
    with pytest.raises(TransformError, match="12 characters"):
        fit_accredo(role, "Role", limits, max_length=12, truncate=False)


def test_a_macron_is_refused_in_a_non_unicode_field_even_when_truncating() -> None:
    with pytest.raises(TransformError) as refused:
        fit_accredo(
            "Pōkai Services", "Role", CONTACT_FIELDS["Role"], max_length=None, truncate=True
        )
    assert refused.value.field == "Role"
    assert "'ō'" in refused.value.reason


def test_windows_1252_characters_are_fine_in_a_non_unicode_field() -> None:
    assert (
        fit_accredo(
            "Café € manager", "Role", CONTACT_FIELDS["Role"], max_length=None, truncate=False
        )
        == "Café € manager"
    )
