"""Loading the TOML configuration: the shipped default, and every way a file can be wrong."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from accredo_hubspot.errors import ConfigError
from accredo_hubspot.mapping.config import (
    BUILT_IN_SOURCE,
    MappingConfigError,
    default_config_text,
    load_config,
    parse_config,
    with_polling,
)
from accredo_hubspot.mapping.properties import COMPANY_PROPERTIES

RULE = """
[[company_fields]]
hubspot = "{hubspot}"
accredo = "{accredo}"
master = "{master}"
transform = "{transform}"
"""


def rule(hubspot: str, accredo: str, master: str = "accredo", transform: str = "text") -> str:
    return RULE.format(hubspot=hubspot, accredo=accredo, master=master, transform=transform)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accredo-hubspot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_built_in_default_loads_with_documented_settings() -> None:
    config = load_config(None)
    assert config.source == BUILT_IN_SOURCE
    assert config.nzbn_property == "nzbn"
    assert config.sync.poll_interval_s == 1.0
    assert config.sync.accredo_page_size == 2000
    assert config.sync.audit_retention_days == 90
    assert config.sync.worker_lease_s == 30.0
    assert (config.sync.hubspot_requests_per_10s, config.sync.hubspot_searches_per_s) == (190, 5)
    assert config.near_limit_pct == Decimal(90)
    assert {"gmail.com", "xtra.co.nz", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com"} <= (
        config.generic_email_domains
    )
    assert config.tz.key == "Pacific/Auckland"


def test_default_maps_every_connector_property_except_managed_ones() -> None:
    config = load_config(None)
    mapped = {r.hubspot for r in config.company_fields}
    ours = {p.name for p in COMPANY_PROPERTIES}
    assert ours - mapped == {"accredo_customer_code", "accredo_last_synced_at"}
    by_name = {r.hubspot: r for r in config.company_fields}
    assert by_name["accredo_balance_3_plus"].accredo == "Balance3"
    assert by_name["accredo_credit_status"].options  # taken from the property definition
    for financial in ours & mapped:
        assert by_name[financial].write == "always"
        assert by_name[financial].master == "accredo"
    for contact in ("name", "address", "phone", "website", "domain"):
        assert by_name[contact].write == "create"


def test_default_text_is_commented_toml_that_init_can_write(tmp_path: Path) -> None:
    text = default_config_text()
    assert text.count("#") > 30
    tomllib.loads(text)
    assert load_config(write(tmp_path, text)).company_fields == load_config(None).company_fields


def test_nzbn_property_rename_follows_placeholder(tmp_path: Path) -> None:
    text = default_config_text().replace('nzbn_property = "nzbn"', 'nzbn_property = "nz_bn"')
    config = load_config(write(tmp_path, text))
    assert config.nzbn_property == "nz_bn"
    assert "nz_bn" in {r.hubspot for r in config.company_fields}
    assert "nzbn" not in {r.hubspot for r in config.company_fields}


def test_two_masters_for_one_hubspot_property_refused_naming_it(tmp_path: Path) -> None:
    """DESIGN invariant 1: one master per field, checked at configuration load."""
    path = write(
        tmp_path,
        rule("industry", "Category1", "accredo") + rule("industry", "Category2", "hubspot"),
    )
    with pytest.raises(MappingConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "'industry'" in message
    assert str(path) in message
    assert "both" in message and "one master" in message
    assert isinstance(info.value, ConfigError)


def test_two_masters_for_one_accredo_field_refused_naming_it() -> None:
    """DESIGN invariant 1, from the Accredo side: read by one rule, written by another."""
    text = rule("website", "WebAddress", "accredo") + rule("hs_web", "WebAddress", "hubspot")
    with pytest.raises(MappingConfigError, match=r"'WebAddress'.*both"):
        parse_config(text, "site.toml")


def test_same_master_twice_for_one_property_refused() -> None:
    text = rule("name", "CustomerName") + rule("name", "Address1")
    with pytest.raises(MappingConfigError, match="'name' is written by 2 rules"):
        parse_config(text, "site.toml")


def test_one_accredo_field_feeding_two_properties_is_fine() -> None:
    config = parse_config(rule("website", "WebAddress") + rule("domain", "WebAddress"), "x")
    assert len(config.company_fields) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            rule("name", "CustomerName", transform="moneyy"),
            r"company_fields\[0\].*'name'.*"
            r"unknown transform 'moneyy'; expected one of",
        ),
        (rule("name", "CustomerNom"), r"unknown Accredo field 'CustomerNom'"),
        (rule("x", "derived.magic"), r"unknown derived value 'derived.magic'"),
        (rule("name", "CustomerName", master="both"), r"master: expected \"accredo\" or "),
        (rule("accredo_customer_code", "CustomerCode"), r"written by the connector itself"),
        (rule("industry", "Category1", transform="enum"), r"needs options"),
        (rule("name", "CustomerName") + 'colour = "red"\n', r"unknown key 'colour'"),
        ('[sync]\npoll_interval_s = "fast"\n', r"sync.poll_interval_s: expected a number"),
        ("[sync]\npoll_interval_s = 0\n", r"greater than 0"),
        (
            "[sync]\npoll_interval_s = 1\nbusy_poll_interval_s = 2\n",
            r"sync.busy_poll_interval_s: expected at most sync.poll_interval_s \(1\), got 2",
        ),
        ("[sync]\nbusy_poll_for_s = -1\n", r"sync.busy_poll_for_s: expected a number, 0 or"),
        ("[sync]\naccredo_page_size = 0\n", r"accredo_page_size: .* from 1 to 10000"),
        ("[sync]\naudit_retention_days = 0\n", r"audit_retention_days: .* from 1 to"),
        ("[sync]\npol_interval_s = 1\n", r"\[sync\]: unknown key 'pol_interval_s'"),
        ("[sync]\nworker_lease_s = 0\n", r"sync.worker_lease_s: expected a number greater"),
        ("[sync]\nhubspot_requests_per_10s = 0\n", r"hubspot_requests_per_10s: .* from 1 to"),
        ("[sync]\nhubspot_searches_per_s = 1.5\n", r"hubspot_searches_per_s"),
        ("[credit]\nnear_limit_pct = 150\n", r"near_limit_pct"),
        ('[matching]\ngeneric_email_domains = "gmail.com"\n', r"expected a list"),
        ('timezone = "Mars/Olympus"\n', r"timezone: expected an IANA"),
        ("nzbn_property = 5\n", r"nzbn_property: expected a non-empty string"),
        ("colour = 1\n", r"top level: unknown key 'colour'"),
        ('nzbn_property = "NZBN Number"\n', r"nzbn_property: expected a HubSpot internal property"),
        (rule("Company Name", "CustomerName"), r"hubspot: expected a HubSpot internal property"),
        ("company_fields = 3\n", r"expected \[\[company_fields\]\]"),
        ("[sync\n", r"not valid TOML"),
    ],
)
def test_bad_configuration_refused_with_clear_message(text: str, expected: str) -> None:
    with pytest.raises(MappingConfigError, match=expected) as info:
        parse_config(text, "site.toml")
    assert str(info.value).startswith("site.toml: ")


def test_enum_with_own_options_and_other_settings() -> None:
    text = (
        'nzbn_property = "company_nzbn"\n[sync]\npoll_interval_s = 0.5\n[credit]\n'
        "near_limit_pct = 80\n"
        + rule("industry", "Category1", "hubspot", "enum")
        + 'options = ["RETAIL", "FARMING"]\nmax_length = 8\n'
    )
    config = parse_config(text, "x")
    (industry,) = config.company_rules("hubspot")
    assert industry.options == ("RETAIL", "FARMING")
    assert industry.max_length == 8
    assert config.company_rules("accredo") == ()
    assert config.sync.poll_interval_s == 0.5
    assert config.near_limit_pct == Decimal(80)


def test_the_busy_pace_defaults_to_the_quiet_one_when_that_is_faster() -> None:
    default = load_config(None).sync
    assert (default.poll_interval_s, default.busy_poll_interval_s) == (1.0, 0.2)
    fast = parse_config("[sync]\npoll_interval_s = 0.1\n", "x").sync
    assert (fast.poll_interval_s, fast.busy_poll_interval_s) == (0.1, 0.1)


def test_run_options_override_the_polling_settings_and_are_checked_alike() -> None:
    config = parse_config("[sync]\npoll_interval_s = 2\nbusy_poll_for_s = 10\n", "x")
    assert with_polling(config).sync == config.sync
    flags = with_polling(config, busy_poll_interval_s=0.5).sync
    assert (flags.poll_interval_s, flags.busy_poll_interval_s, flags.busy_poll_for_s) == (
        2.0,
        0.5,
        10.0,
    )
    slower = with_polling(config, poll_interval_s=0.1, busy_poll_for_s=0).sync
    assert (slower.poll_interval_s, slower.busy_poll_interval_s, slower.busy_poll_for_s) == (
        0.1,
        0.1,
        0.0,
    )
    with pytest.raises(MappingConfigError, match=r"run's options: sync.busy_poll_interval_s"):
        with_polling(config, busy_poll_interval_s=3)


def test_missing_file_named(tmp_path: Path) -> None:
    with pytest.raises(MappingConfigError, match=r"nope\.toml: cannot read"):
        load_config(tmp_path / "nope.toml")


def test_default_maps_contacts_from_hubspot_onto_arcontact_fields() -> None:
    config = load_config(None)
    mapped = {(r.hubspot, r.accredo, r.master) for r in config.contact_fields}
    assert mapped == {
        ("firstname", "FirstName", "hubspot"),
        ("lastname", "LastName", "hubspot"),
        ("email", "EmailAddress", "hubspot"),
        ("phone", "PhoneNo", "hubspot"),
        ("mobilephone", "PhoneNo2", "hubspot"),
        ("jobtitle", "Role", "hubspot"),
    }
    assert not any(r.truncate for r in config.contact_fields)


def contact(**fields: object) -> str:
    lines = "".join(
        f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v).replace(chr(39), chr(34))}\n"
        for k, v in fields.items()
    )
    return "[[contact_fields]]\n" + lines


def test_a_contact_rule_may_ask_to_truncate_and_set_a_shorter_length() -> None:
    config = parse_config(
        contact(hubspot="jobtitle", accredo="Role", max_length=20, truncate=True), "t"
    )
    (only,) = config.contact_fields
    assert (only.accredo, only.max_length, only.truncate) == ("Role", 20, True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"hubspot": "jobtitle", "accredo": "JobTitle"}, "unknown ARContact field 'JobTitle'"),
        ({"hubspot": "email", "accredo": "EmailAddress", "master": "accredo"}, "master"),
        ({"hubspot": "email", "accredo": "EmailAddress", "transform": "money"}, "transform"),
        ({"hubspot": "email", "accredo": "EmailAddress", "truncate": "yes"}, "true or false"),
        ({"hubspot": "Email", "accredo": "EmailAddress"}, "internal property name"),
    ],
)
def test_a_wrong_contact_rule_is_named(fields: dict[str, object], message: str) -> None:
    with pytest.raises(MappingConfigError, match=message) as refused:
        parse_config(contact(**fields), "site.toml")
    assert "site.toml: contact_fields[0]" in str(refused.value)


def test_a_contact_field_mapped_twice_is_refused() -> None:
    text = contact(hubspot="phone", accredo="PhoneNo") + contact(
        hubspot="mobilephone", accredo="PhoneNo"
    )
    with pytest.raises(MappingConfigError, match="mapped once"):
        parse_config(text, "site.toml")
