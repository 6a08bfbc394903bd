"""The rules of a debtor provisioned from a HubSpot company: its code and its type. Pure."""

from __future__ import annotations

from itertools import islice

import pytest

from accredo_hubspot.mapping.config import MappingConfigError, parse_config
from accredo_hubspot.mapping.provision import (
    DEFAULT_SKIP_WORDS,
    CodeRule,
    choose_code,
    code_candidates,
    code_search_prefix,
    code_stem,
    country_code,
    customer_type,
)
from accredo_hubspot.mapping.transforms import TransformError

RULE = CodeRule(length=8, skip_words=DEFAULT_SKIP_WORDS)


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Acme Trading Limited", "ACMETRAD"),
        ("Ōtāhuhu Kōwhai Ltd", "OTAHUHUK"),
        ("The B&B Co", "BB"),
        ("O'Brien's 24/7", "OBRIENS2"),
        ("***", "CUST"),
        (None, "CUST"),
    ],
)
def test_the_stem_is_the_name_in_accredo_code_characters(name: str | None, stem: str) -> None:
    assert code_stem(name, "1234", RULE) == stem


def test_the_stem_takes_a_prefix_or_the_company_id() -> None:
    assert code_stem("Acme", "1234", CodeRule(length=6, prefix="HS")) == "HSACME"
    by_id = CodeRule(source="hubspot_id", length=16, prefix="HS")
    assert code_stem("Acme", "106651134132", by_id) == "HS106651134132"
    assert code_stem("x", "106651134132", CodeRule(source="hubspot_id", length=8)) == "10665113"


def test_a_taken_code_gets_a_number_within_the_length() -> None:
    assert choose_code("ACMETRAD", set(), 8) == "ACMETRAD"
    assert choose_code("ACMETRAD", {"ACMETRAD"}, 8) == "ACMETRA2"
    taken = {"ACMETRAD", *(f"ACMETRA{n}" for n in range(2, 10))}
    assert choose_code("ACMETRAD", taken, 8) == "ACMETR10"
    assert choose_code("BB", {"BB", "BB2"}, 8) == "BB3"  # room to spare: appended
    for code in code_candidates("ACMETRADING12345", 16):
        assert len(code) <= 16 and code.isalnum() and code.isupper()
        if code.endswith("1000"):
            break


def test_every_candidate_starts_with_the_search_prefix() -> None:
    for stem, length in (("ACMETRAD", 8), ("BB", 8), ("ABCD", 4), ("X" * 16, 16)):
        prefix = code_search_prefix(stem, length)
        candidates = list(islice(code_candidates(stem, length), 999))
        assert prefix and all(c.startswith(prefix) for c in candidates), (stem, length)


def test_no_code_when_every_candidate_is_taken() -> None:
    taken = set(code_candidates("ABCD", 4))
    assert choose_code("ABCD", taken, 4) is None


def test_the_type_follows_the_original_source() -> None:
    by_source = {"ORGANIC_SEARCH": "P", "PAID_SEARCH": "P"}
    assert customer_type("ORGANIC_SEARCH", by_source, "N") == "P"
    assert customer_type(" paid_search ", by_source, "N") == "P"
    assert customer_type("OFFLINE", by_source, "N") == "N"
    assert customer_type(None, by_source, "N") == "N"


def test_country_names_become_codes() -> None:
    assert country_code("New Zealand") == "NZ"
    assert country_code("nz") == "NZ"
    assert country_code(" Australia ") == "AU"
    assert country_code("") == ""
    with pytest.raises(TransformError) as refused:
        country_code("Narnia")
    assert refused.value.field == "CountryCode"


def test_the_configuration_is_checked() -> None:
    config = parse_config(
        """
[provision]
code_length = 6
code_prefix = "hs"
customer_group = "trade"
customer_type = "N"
[provision.customer_type_by_source]
organic_search = "P"
[provision.fields]
"{nzbn_property}" = "BusinessNo"
name = "CustomerName"
""",
        "site",
    )
    settings = config.provision
    assert (settings.code.length, settings.code.prefix, settings.customer_group) == (
        6,
        "HS",
        "TRADE",
    )
    assert settings.customer_type_by_source == {"ORGANIC_SEARCH": "P"}
    assert settings.fields == {"nzbn": "BusinessNo", "name": "CustomerName"}
    for bad in (
        "[provision]\ncode_length = 17",
        "[provision]\ncode_length = 3",
        "[provision]\ncustomer_type = 'Q'",
        "[provision]\nhubspot_id_field = 'HubSpotID'",
        "[provision]\ncustomer_group = 'TOO-LONG'",
        "[provision.fields]\nname = 'CreditLimit'",
        "[provision.fields]\nname = 'CustomerName'\ncompany = 'CustomerName'",
        "[provision.customer_type_by_source]\nORGANIC_SEARCH = 'Prospect'",
    ):
        with pytest.raises(MappingConfigError):
            parse_config(bad, "site")
