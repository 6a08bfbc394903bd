"""The TOML configuration: field mapping (with one master per field) and sync settings.

Loading is strict: an unknown key, a wrong type, an unknown transform or a field with two
masters stops the program at start with a message naming the file, the field and what was
expected (DESIGN invariant 1: one master per field, checked at configuration load).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.errors import ConfigError
from accredo_hubspot.mapping.accredo_fields import CONTACT_FIELDS, CUSTOMER_FIELDS
from accredo_hubspot.mapping.properties import (
    CUSTOMER_CODE_PROPERTY,
    DEFAULT_NZBN_PROPERTY,
    SYNCED_AT_PROPERTY,
    property_by_name,
)
from accredo_hubspot.mapping.provision import (
    CODE_SOURCES,
    CONTACT_EMAIL,
    CUSTOMER_CODE_MAX,
    CUSTOMER_CODE_MIN,
    CUSTOMER_TYPES,
    DEFAULT_FIELDS,
    DEFAULT_SKIP_WORDS,
    DEFAULT_TYPE_BY_SOURCE,
    CodeRule,
)

Master = Literal["accredo", "hubspot"]
WriteMode = Literal["always", "create"]

MASTERS: tuple[Master, ...] = ("accredo", "hubspot")
WRITE_MODES: tuple[WriteMode, ...] = ("always", "create")
TRANSFORMS = frozenset(
    {
        "money", "number", "integer", "percent", "date", "datetime", "bool", "text", "enum",
        "domain", "owner",
    }
)  # fmt: skip
#: The transform of a HubSpot owner (``hubspot_owner_id``) onto the debtor's sales person.
OWNER_TRANSFORM = "owner"
SALES_PERSON_FIELD = "SalesPersonCode"
DERIVED_PREFIX = "derived."
DERIVED_VALUES = frozenset(
    {
        "overdue_total",
        "days_overdue",
        "credit_status",
        "utilisation_pct",
        "business_number",
        "domain",
    }
)
#: ARCustomer fields a rule may name besides those the model declares (accredo-api.md 10.1);
#: the model keeps undeclared fields as extras, so these are read from there.
ACCREDO_CUSTOMER_FIELDS = frozenset(
    {
        "CustomerCode", "CustomerName", "CustomerType", "CustomerGroupCode", "Address1",
        "Address2", "Address3", "Address4", "Address5", "PostCode", "CountryCode", "PhoneNo",
        "PhoneNo2", "PhoneNo3", "EmailAddress", "StatementEmail", "InvoiceEmail", "WebAddress",
        "BusinessNo", "TaxNo", "CurrencyCode", "RegimeCode", "SalesPersonCode", "SalesAreaCode",
        "PriceCode", "DiscountScheduleCode", "Category1", "Category2", "Comment",
        "OtherPartyCode", "BillToAccountCode", "CreditLimit", "StopCredit", "Inactive",
        "StatementStyle", "StatementAgingUnit", "StatementAgingCount", "PaymentUnit",
        "PaymentCount", "PaymentDayOfMonth", "AutoAllocate", "PrimaryContactID",
        "BalanceCurrent", "Balance1", "Balance2", "Balance3", "BalanceFuture", "BalanceTotal",
        "BalanceTotalExclFuture", "PeriodOpeningBalance", "YearOpeningBalance",
        "SalesPeriodToDate", "SalesYearToDate", "SalesLastYear", "DateOfLastSale",
        "DateOfLastReceipt", "AmountOfLastReceipt", "AverageDaysToPay", "NumberOfInvoicesPaid",
        "TotalDaysToPay", "CreatedDate", "ModifiedDate",
    }
)  # fmt: skip
#: The debtor fields a provisioned debtor takes from its company (``[provision.fields]``).
PROVISION_FIELDS = frozenset(CUSTOMER_FIELDS) - {
    "SalesPersonCode",  # the owner's, once linked (transform "owner")
}
#: Written by the connector itself; a rule for them would fight the connector.
MANAGED_PROPERTIES = frozenset({CUSTOMER_CODE_PROPERTY, SYNCED_AT_PROPERTY})
NZBN_PLACEHOLDER = "{nzbn_property}"
#: HubSpot internal property names (hubspot-api.md section 6, [assumed] there too).
PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]*")
BUILT_IN_SOURCE = "<built-in default configuration>"
DEFAULT_CONFIG_RESOURCE = "default.toml"


class MappingConfigError(ConfigError):
    """The configuration file is wrong; the message names the file, the field and the fix."""


@dataclass(frozen=True)
class FieldRule:
    """One mapped field: which side masters it, and how its value is transformed."""

    hubspot: str
    accredo: str
    master: Master
    transform: str
    write: WriteMode = "always"
    max_length: int | None = None
    decimals: int | None = None
    options: tuple[str, ...] = ()
    truncate: bool = False  # written to Accredo: cut a value too long for the field

    @property
    def is_derived(self) -> bool:
        return self.accredo.startswith(DERIVED_PREFIX)

    @property
    def derived_name(self) -> str:
        return self.accredo.removeprefix(DERIVED_PREFIX)


def accredo_rule(name: str, transform: str, options: tuple[str, ...] = ()) -> FieldRule:
    """A rule the connector writes itself (not from ``[[company_fields]]``): the HubSpot
    property ``name``, from the source value of that name, mastered by Accredo."""
    return FieldRule(name, name, "accredo", transform, options=options)


@dataclass(frozen=True)
class SyncSettings:
    poll_interval_s: float = 1.0  # between polls of Accredo when it is quiet
    busy_poll_interval_s: float = 0.2  # between polls for busy_poll_for_s after a change
    busy_poll_for_s: float = 10.0
    accredo_page_size: int = 2000
    audit_retention_days: int = 90
    worker_lease_s: float = 30.0
    hubspot_requests_per_10s: int = 190
    hubspot_searches_per_s: int = 5
    reconcile_interval_h: float = 24.0


@dataclass(frozen=True)
class DocumentSettings:
    """Invoices and orders in HubSpot (``[documents]``)."""

    custom_objects: bool = True  # false: company summary properties, even on Enterprise
    paid_archive_after_days: int = 30
    orders_per_customer: int = 20
    order_window_months: int = 12


@dataclass(frozen=True)
class ProvisionSettings:
    """Debtors made from the companies of won deals (``[provision]``)."""

    enabled: bool = True
    code: CodeRule = dataclasses.field(
        default_factory=lambda: CodeRule(skip_words=DEFAULT_SKIP_WORDS)
    )
    #: The debtor's custom field holding the HubSpot company id (looked up before any create).
    hubspot_id_field: str = "Z_HubSpotID"
    customer_group: str = ""  # "" leaves Accredo's default group
    price_code: str = ""  # "" leaves the group's
    payment_unit: str = ""  # "" leaves the group's terms
    payment_count: int = 0
    payment_day_of_month: int = 0
    customer_type: str = "N"
    #: The company's original source (``hs_analytics_source``) -> ``CustomerType``.
    customer_type_by_source: Mapping[str, str] = dataclasses.field(
        default_factory=lambda: dict(DEFAULT_TYPE_BY_SOURCE)
    )
    #: HubSpot company property (or ``contact.email``) -> ARCustomer field.
    fields: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(DEFAULT_FIELDS))
    truncate: bool = True  # cut a value too long for its Accredo field


@dataclass(frozen=True)
class MappingConfig:
    source: str
    nzbn_property: str
    timezone: str
    company_fields: tuple[FieldRule, ...]
    sync: SyncSettings
    near_limit_pct: Decimal
    generic_email_domains: frozenset[str]
    contact_fields: tuple[FieldRule, ...] = ()
    documents: DocumentSettings = DocumentSettings()
    #: ``[owners.sales_persons]``: owner e-mail (lower case) -> SalesPersonCode, before the
    #: match of an owner's e-mail with ``ARSalesPerson.EmailAddress``.
    sales_person_overrides: Mapping[str, str] = dataclasses.field(default_factory=dict)
    provision: ProvisionSettings = ProvisionSettings()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def company_rules(self, master: Master) -> tuple[FieldRule, ...]:
        """The company field rules mastered by ``master``."""
        return tuple(rule for rule in self.company_fields if rule.master == master)


def default_config_text() -> str:
    """The commented default configuration, as shipped (for ``accredo-hubspot init``)."""
    package = resources.files("accredo_hubspot.mapping")
    return package.joinpath(DEFAULT_CONFIG_RESOURCE).read_text(encoding="utf-8")


def load_config(path: Path | None = None) -> MappingConfig:
    """Read and check the configuration at ``path``; ``None`` gives the built-in default."""
    if path is None:
        return parse_config(default_config_text(), BUILT_IN_SOURCE)
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingConfigError(f"{path}: cannot read the configuration file ({exc})") from exc
    return parse_config(content, str(path))


def parse_config(content: str, source: str) -> MappingConfig:
    """Parse configuration text; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        raise MappingConfigError(f"{source}: not valid TOML ({exc})") from exc
    return _Parser(source).config(data)


def with_polling(
    config: MappingConfig,
    *,
    poll_interval_s: float | None = None,
    busy_poll_interval_s: float | None = None,
    busy_poll_for_s: float | None = None,
) -> MappingConfig:
    """``config`` with ``run``'s polling options (those given) over its ``[sync]`` settings,
    checked as the file's are. A quiet pace given alone brings the busy pace down to it."""
    given = {
        "poll_interval_s": poll_interval_s,
        "busy_poll_interval_s": busy_poll_interval_s,
        "busy_poll_for_s": busy_poll_for_s,
    }
    table: dict[str, Any] = dict(asdict(config.sync))
    table.update({key: value for key, value in given.items() if value is not None})
    if poll_interval_s is not None and busy_poll_interval_s is None:
        table["busy_poll_interval_s"] = min(config.sync.busy_poll_interval_s, poll_interval_s)
    return replace(config, sync=_Parser("run's options").sync(table))


class _Parser:
    """Checks one parsed document, raising errors that name ``source`` and the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> MappingConfigError:
        return MappingConfigError(f"{self.source}: {where}: {message}")

    def keys(self, table: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(
                where, f"unknown key {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}"
            )

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table [{key}]")
        return cast(Mapping[str, Any], value)

    def string(self, table: Mapping[str, Any], key: str, where: str, default: str) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected a non-empty string, got {value!r}")
        return value.strip()

    def integer(
        self,
        table: Mapping[str, Any],
        key: str,
        where: str,
        default: int | None,
        low: int,
        high: int,
    ) -> int | None:
        value = table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(where, f"expected a whole number from {low} to {high}, got {value!r}")
        return value

    def positive_number(
        self, table: Mapping[str, Any], key: str, where: str, default: float
    ) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(where, f"expected a number greater than 0, got {value!r}")
        return float(value)

    def non_negative_number(
        self, table: Mapping[str, Any], key: str, where: str, default: float
    ) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(where, f"expected a number, 0 or more, got {value!r}")
        return float(value)

    def property_name(self, name: str, where: str) -> None:
        if not PROPERTY_NAME.fullmatch(name):
            raise self.fail(
                where,
                f"expected a HubSpot internal property name (lower-case letters, digits and _, "
                f"starting with a letter), got {name!r}",
            )

    def config(self, data: Mapping[str, Any]) -> MappingConfig:
        self.keys(
            data,
            "top level",
            {
                "nzbn_property",
                "timezone",
                "sync",
                "credit",
                "matching",
                "documents",
                "company_fields",
                "contact_fields",
                "owners",
                "provision",
            },
        )
        nzbn_property = self.string(data, "nzbn_property", "nzbn_property", DEFAULT_NZBN_PROPERTY)
        self.property_name(nzbn_property, "nzbn_property")
        timezone = self.string(data, "timezone", "timezone", "Pacific/Auckland")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise self.fail(
                "timezone", f"expected an IANA time zone name, got {timezone!r}"
            ) from exc
        rules = self.rules(data.get("company_fields", []), nzbn_property)
        check_single_master(rules, self.source)
        return MappingConfig(
            source=self.source,
            nzbn_property=nzbn_property,
            timezone=timezone,
            company_fields=rules,
            sync=self.sync(self.table(data, "sync")),
            near_limit_pct=self.near_limit(self.table(data, "credit")),
            generic_email_domains=self.generic_domains(self.table(data, "matching")),
            contact_fields=self.contact_rules(data.get("contact_fields", [])),
            documents=self.documents(self.table(data, "documents")),
            sales_person_overrides=self.owners(self.table(data, "owners")),
            provision=self.provision(self.table(data, "provision"), nzbn_property),
        )

    def provision(self, table: Mapping[str, Any], nzbn_property: str) -> ProvisionSettings:
        """``[provision]``: how a won deal's unlinked company becomes a debtor."""
        names = {
            "enabled", "code_from", "code_length", "code_prefix", "code_skip_words",
            "hubspot_id_field", "customer_group", "price_code", "payment_unit",
            "payment_count", "payment_day_of_month", "customer_type",
            "customer_type_by_source", "fields", "truncate",
        }  # fmt: skip
        self.keys(table, "[provision]", names)
        d = ProvisionSettings()
        length = self.integer(
            table, "code_length", "provision.code_length", 8, CUSTOMER_CODE_MIN, CUSTOMER_CODE_MAX
        )
        assert length is not None
        prefix = self.code(table, "code_prefix", "provision.code_prefix", length - 2)
        words = table.get("code_skip_words", sorted(DEFAULT_SKIP_WORDS))
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise self.fail("provision.code_skip_words", 'expected a list of words like "LTD"')
        rule = CodeRule(
            cast(Any, self.choice(table, "code_from", "provision", CODE_SOURCES, "name")),
            length,
            prefix,
            frozenset(w.strip().upper() for w in words),
        )
        field_name = self.string(
            table, "hubspot_id_field", "provision.hubspot_id_field", d.hubspot_id_field
        )
        if not field_name.startswith("Z_"):
            raise self.fail(
                "provision.hubspot_id_field", "expected a custom ARCustomer field starting Z_"
            )
        unit = self.choice(table, "payment_unit", "provision", ("", "P", "M", "W", "D"), "")
        count_ = self.integer(table, "payment_count", "provision.payment_count", 0, 0, 999)
        day = self.integer(
            table, "payment_day_of_month", "provision.payment_day_of_month", 0, 0, 31
        )
        return ProvisionSettings(
            enabled=self.boolean(table, "enabled", "provision.enabled", default=True),
            code=rule,
            hubspot_id_field=field_name,
            customer_group=self.code(table, "customer_group", "provision.customer_group", 8),
            price_code=self.code(table, "price_code", "provision.price_code", 8),
            payment_unit=unit,
            payment_count=count_ or 0,
            payment_day_of_month=day or 0,
            customer_type=self.choice(table, "customer_type", "provision", CUSTOMER_TYPES, "N"),
            customer_type_by_source=self.type_by_source(
                table.get("customer_type_by_source", DEFAULT_TYPE_BY_SOURCE)
            ),
            fields=self.provision_fields(table.get("fields", DEFAULT_FIELDS), nzbn_property),
            truncate=self.boolean(table, "truncate", "provision.truncate", default=True),
        )

    def code(self, table: Mapping[str, Any], key: str, where: str, max_length: int) -> str:
        """An optional Accredo code (``A-Z0-9``, upper case, at most ``max_length``)."""
        value = table.get(key, "")
        if not isinstance(value, str) or not re.fullmatch(
            rf"[A-Za-z0-9]{{0,{max_length}}}", value.strip()
        ):
            raise self.fail(
                where, f"expected letters and digits, at most {max_length}, got {value!r}"
            )
        return value.strip().upper()

    def type_by_source(self, value: object) -> dict[str, str]:
        where = "provision.customer_type_by_source"
        if not isinstance(value, dict):
            raise self.fail(where, 'expected a table of SOURCE = "P"')
        out: dict[str, str] = {}
        for source, kind in value.items():
            if kind not in CUSTOMER_TYPES:
                raise self.fail(f"{where}.{source}", f"expected one of {', '.join(CUSTOMER_TYPES)}")
            out[source.strip().upper()] = kind
        return out

    def provision_fields(self, value: object, nzbn_property: str) -> dict[str, str]:
        """``[provision.fields]``: company property -> ARCustomer text field, each once."""
        where = "provision.fields"
        if not isinstance(value, dict):
            raise self.fail(where, 'expected a table of property = "ARCustomer field"')
        out: dict[str, str] = {}
        for prop, target in value.items():
            prop = nzbn_property if prop == NZBN_PLACEHOLDER else prop
            if prop != CONTACT_EMAIL:
                self.property_name(prop, f"{where}.{prop}")
            if target not in PROVISION_FIELDS:
                raise self.fail(
                    f"{where}.{prop}",
                    f"unknown ARCustomer text field {target!r}; expected one of "
                    f"{', '.join(sorted(PROVISION_FIELDS))}",
                )
            if target in out.values():
                raise self.fail(f"{where}.{prop}", f"{target} is filled by another property")
            out[prop] = target
        return out

    def owners(self, table: Mapping[str, Any]) -> dict[str, str]:
        """``[owners]``: ``sales_persons`` maps an owner's e-mail to a SalesPersonCode."""
        self.keys(table, "owners", {"sales_persons"})
        value = table.get("sales_persons", {})
        if not isinstance(value, dict):
            raise self.fail("owners.sales_persons", 'expected a table of "e-mail" = "CODE"')
        out: dict[str, str] = {}
        for email, code in value.items():
            where = f"owners.sales_persons.{email!r}"
            if "@" not in email:
                raise self.fail(where, "expected an owner's e-mail address as the key")
            if not isinstance(code, str) or not 0 < len(code.strip()) <= 8:
                raise self.fail(where, "expected a SalesPersonCode (1 to 8 characters)")
            out[email.strip().lower()] = code.strip().upper()
        return out

    def contact_rules(self, value: object) -> tuple[FieldRule, ...]:
        """``[[contact_fields]]``: HubSpot contact properties onto ``ARContact`` fields.
        HubSpot masters contacts (DESIGN), and each field is one text value."""
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail("contact_fields", "expected [[contact_fields]] tables")
        rules = []
        seen_hubspot: set[str] = set()
        seen_accredo: set[str] = set()
        for index, item in enumerate(cast(list[Mapping[str, Any]], value)):
            where = f"contact_fields[{index}]"
            self.keys(
                item,
                where,
                {"hubspot", "accredo", "master", "transform", "max_length", "truncate"},
            )
            hubspot = self.string(item, "hubspot", f"{where}.hubspot", "")
            self.property_name(hubspot, f"{where}.hubspot")
            where = f"{where} (hubspot = {hubspot!r})"
            accredo = self.string(item, "accredo", f"{where}.accredo", "")
            if accredo not in CONTACT_FIELDS:
                raise self.fail(
                    where,
                    f"unknown ARContact field {accredo!r}; expected one of "
                    f"{', '.join(sorted(CONTACT_FIELDS))}",
                )
            self.choice(item, "master", where, ("hubspot",), "hubspot")
            self.choice(item, "transform", where, ("text",), "text")
            if hubspot in seen_hubspot or accredo in seen_accredo:
                raise self.fail(where, "each property and each field may be mapped once")
            seen_hubspot.add(hubspot)
            seen_accredo.add(accredo)
            rules.append(
                FieldRule(
                    hubspot=hubspot,
                    accredo=accredo,
                    master="hubspot",
                    transform="text",
                    max_length=self.integer(
                        item, "max_length", f"{where}.max_length", None, 1, 65_536
                    ),
                    truncate=self.boolean(item, "truncate", f"{where}.truncate"),
                )
            )
        return tuple(rules)

    def boolean(
        self, table: Mapping[str, Any], key: str, where: str, *, default: bool = False
    ) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {value!r}")
        return value

    def documents(self, table: Mapping[str, Any]) -> DocumentSettings:
        where = "[documents]"
        names = {
            "custom_objects",
            "paid_archive_after_days",
            "orders_per_customer",
            "order_window_months",
        }
        self.keys(table, where, names)
        defaults = DocumentSettings()
        custom = table.get("custom_objects", defaults.custom_objects)
        if not isinstance(custom, bool):
            raise self.fail("documents.custom_objects", f"expected true or false, got {custom!r}")
        days = self.integer(
            table,
            "paid_archive_after_days",
            "documents.paid_archive_after_days",
            defaults.paid_archive_after_days,
            0,
            3650,
        )
        orders = self.integer(
            table,
            "orders_per_customer",
            "documents.orders_per_customer",
            defaults.orders_per_customer,
            1,
            100,
        )
        months = self.integer(
            table,
            "order_window_months",
            "documents.order_window_months",
            defaults.order_window_months,
            1,
            120,
        )
        assert days is not None and orders is not None and months is not None
        return DocumentSettings(custom, days, orders, months)

    def sync(self, table: Mapping[str, Any]) -> SyncSettings:
        self.keys(
            table,
            "[sync]",
            {
                "poll_interval_s",
                "busy_poll_interval_s",
                "busy_poll_for_s",
                "accredo_page_size",
                "audit_retention_days",
                "worker_lease_s",
                "hubspot_requests_per_10s",
                "hubspot_searches_per_s",
                "reconcile_interval_h",
            },
        )
        defaults = SyncSettings()
        page = self.integer(
            table,
            "accredo_page_size",
            "sync.accredo_page_size",
            defaults.accredo_page_size,
            1,
            10_000,
        )
        idle_s = self.positive_number(
            table, "poll_interval_s", "sync.poll_interval_s", defaults.poll_interval_s
        )
        busy_s = self.positive_number(
            table,
            "busy_poll_interval_s",
            "sync.busy_poll_interval_s",
            min(defaults.busy_poll_interval_s, idle_s),
        )
        if busy_s > idle_s:
            raise self.fail(
                "sync.busy_poll_interval_s",
                f"expected at most sync.poll_interval_s ({idle_s:g}), got {busy_s:g}",
            )
        return SyncSettings(
            poll_interval_s=idle_s,
            busy_poll_interval_s=busy_s,
            busy_poll_for_s=self.non_negative_number(
                table, "busy_poll_for_s", "sync.busy_poll_for_s", defaults.busy_poll_for_s
            ),
            accredo_page_size=cast(int, page),
            audit_retention_days=cast(
                int,
                self.integer(
                    table,
                    "audit_retention_days",
                    "sync.audit_retention_days",
                    defaults.audit_retention_days,
                    1,
                    100_000,
                ),
            ),
            worker_lease_s=self.positive_number(
                table, "worker_lease_s", "sync.worker_lease_s", defaults.worker_lease_s
            ),
            hubspot_requests_per_10s=cast(
                int,
                self.integer(
                    table,
                    "hubspot_requests_per_10s",
                    "sync.hubspot_requests_per_10s",
                    defaults.hubspot_requests_per_10s,
                    1,
                    10_000,
                ),
            ),
            hubspot_searches_per_s=cast(
                int,
                self.integer(
                    table,
                    "hubspot_searches_per_s",
                    "sync.hubspot_searches_per_s",
                    defaults.hubspot_searches_per_s,
                    1,
                    100,
                ),
            ),
            reconcile_interval_h=self.non_negative_number(
                table,
                "reconcile_interval_h",
                "sync.reconcile_interval_h",
                defaults.reconcile_interval_h,
            ),
        )

    def near_limit(self, table: Mapping[str, Any]) -> Decimal:
        self.keys(table, "[credit]", {"near_limit_pct"})
        value = table.get("near_limit_pct", 90)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
            raise self.fail(
                "credit.near_limit_pct",
                f"expected a percentage above 0 and at most 100, got {value!r}",
            )
        return Decimal(str(value))

    def generic_domains(self, table: Mapping[str, Any]) -> frozenset[str]:
        self.keys(table, "[matching]", {"generic_email_domains"})
        value = table.get("generic_email_domains", [])
        if not isinstance(value, list) or not all(isinstance(d, str) and d.strip() for d in value):
            raise self.fail(
                "matching.generic_email_domains", 'expected a list of domain names like "gmail.com"'
            )
        return frozenset(d.strip().lower() for d in value)

    def rules(self, value: object, nzbn_property: str) -> tuple[FieldRule, ...]:
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail("company_fields", "expected [[company_fields]] tables")
        known = property_by_name(nzbn_property)
        return tuple(
            self.rule(cast(Mapping[str, Any], item), index, nzbn_property, known)
            for index, item in enumerate(value)
        )

    def rule(
        self, table: Mapping[str, Any], index: int, nzbn_property: str, known: Mapping[str, Any]
    ) -> FieldRule:
        where = f"company_fields[{index}]"
        self.keys(
            table,
            where,
            {
                "hubspot",
                "accredo",
                "master",
                "transform",
                "write",
                "max_length",
                "decimals",
                "options",
                "truncate",
            },
        )
        hubspot = self.string(table, "hubspot", f"{where}.hubspot", "")
        hubspot = nzbn_property if hubspot == NZBN_PLACEHOLDER else hubspot
        self.property_name(hubspot, f"{where}.hubspot")
        where = f"{where} (hubspot = {hubspot!r})"
        if hubspot in MANAGED_PROPERTIES:
            raise self.fail(
                where, "this property is written by the connector itself; remove the rule"
            )
        accredo = self.string(table, "accredo", f"{where}.accredo", "")
        self.check_accredo_field(accredo, where)
        master = self.choice(table, "master", where, MASTERS, None)
        transform = self.string(table, "transform", f"{where}.transform", "")
        if transform not in TRANSFORMS:
            raise self.fail(
                where,
                f"unknown transform {transform!r}; expected one of {', '.join(sorted(TRANSFORMS))}",
            )
        if transform == OWNER_TRANSFORM and (accredo != SALES_PERSON_FIELD or master != "hubspot"):
            raise self.fail(
                where,
                f'transform "owner" writes a HubSpot owner to {SALES_PERSON_FIELD}: it needs '
                f'accredo = "{SALES_PERSON_FIELD}" and master = "hubspot"',
            )
        options = self.options(table, where, transform, hubspot, known)
        return FieldRule(
            hubspot=hubspot,
            accredo=accredo,
            master=cast(Master, master),
            transform=transform,
            write=cast(WriteMode, self.choice(table, "write", where, WRITE_MODES, "always")),
            max_length=self.integer(table, "max_length", f"{where}.max_length", None, 1, 65_536),
            decimals=self.integer(table, "decimals", f"{where}.decimals", None, 0, 10),
            options=options,
            truncate=self.boolean(table, "truncate", f"{where}.truncate"),
        )

    def choice(
        self,
        table: Mapping[str, Any],
        key: str,
        where: str,
        allowed: tuple[str, ...],
        default: str | None,
    ) -> str:
        value = table.get(key, default)
        if value not in allowed:
            expected = " or ".join(f'"{a}"' for a in allowed)
            raise self.fail(f"{where}.{key}", f"expected {expected}, got {value!r}")
        return cast(str, value)

    def check_accredo_field(self, accredo: str, where: str) -> None:
        if accredo.startswith(DERIVED_PREFIX):
            if accredo.removeprefix(DERIVED_PREFIX) not in DERIVED_VALUES:
                names = ", ".join(DERIVED_PREFIX + n for n in sorted(DERIVED_VALUES))
                raise self.fail(
                    where, f"unknown derived value {accredo!r}; expected one of {names}"
                )
        elif not (
            accredo in ARCustomer.model_fields
            or accredo in ACCREDO_CUSTOMER_FIELDS
            or accredo.startswith("Z_")
        ):
            raise self.fail(
                where,
                f"unknown Accredo field {accredo!r}; expected an ARCustomer field such as "
                "'CreditLimit', a custom field starting with 'Z_', or a derived.* value",
            )

    def options(
        self,
        table: Mapping[str, Any],
        where: str,
        transform: str,
        hubspot: str,
        known: Mapping[str, Any],
    ) -> tuple[str, ...]:
        value = table.get("options")
        if value is not None:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail(f"{where}.options", "expected a list of option values (strings)")
            return tuple(value)
        if transform != "enum":
            return ()
        prop = known.get(hubspot)
        if prop is None or not prop.options:
            raise self.fail(
                where,
                'transform "enum" needs options = [...] for a property the connector '
                "does not create",
            )
        return tuple(prop.option_values())


def check_single_master(rules: tuple[FieldRule, ...], source: str) -> None:
    """Refuse a field claimed by both masters, or written by two rules (DESIGN invariant 1)."""
    by_property: dict[str, list[FieldRule]] = defaultdict(list)
    by_accredo: dict[str, list[FieldRule]] = defaultdict(list)
    for rule in rules:
        by_property[rule.hubspot].append(rule)
        if not rule.is_derived:
            by_accredo[rule.accredo].append(rule)
    for prop, claims in by_property.items():
        if len({rule.master for rule in claims}) > 1:
            raise MappingConfigError(
                f"{source}: HubSpot property {prop!r} is mastered by both Accredo and HubSpot; "
                "a field must have exactly one master"
            )
        if claims[0].master == "accredo" and len(claims) > 1:
            raise MappingConfigError(
                f"{source}: HubSpot property {prop!r} is written by {len(claims)} rules; "
                "expected one rule per property"
            )
    for field, claims in by_accredo.items():
        masters = {rule.master for rule in claims}
        if len(masters) > 1:
            raise MappingConfigError(
                f"{source}: Accredo field {field!r} is mastered by both Accredo and HubSpot; "
                "a field must have exactly one master"
            )
        hubspot_writers = [rule for rule in claims if rule.master == "hubspot"]
        if len(hubspot_writers) > 1:
            raise MappingConfigError(
                f"{source}: Accredo field {field!r} is written from {len(hubspot_writers)} HubSpot "
                "properties; expected one"
            )
