"""Entity definitions of the simulator, read from Accredo's OpenAPI description (the subset).

Field names, types, maximum lengths, unicode flags, read-only flags and enum labels come from
the spec; the raw tables the change feed reads but the subset lacks (``TABLE_ARADDR``,
``TABLE_OELINE``) are built from their entities' definitions (reference 9.4) [assumed shapes].
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from sims.accredo.config import CustomField

SPEC_FILE = "accredo-openapi-subset.json"

#: Codes that are not the first letter of their label (reference 3.3, AutomatedDomains.htm).
CODE_OVERRIDES: dict[tuple[str, str], str] = {("PrintStatus", "Packing Slip"): "K"}


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str  # string | integer | number | boolean | object | array | ref
    max_length: int | None = None
    unicode: bool = True
    read_only: bool = False
    codes: tuple[str, ...] | None = None  # single-letter codes of a coded field
    item_def: str | None = None  # definition name of array items / referenced object
    date: bool = False  # a custom field of type date, whatever its name

    @property
    def is_date(self) -> bool:
        """Dates and times are plain strings in the spec; these may be null (reference 3.3)."""
        return self.type == "string" and (
            self.date or "Date" in self.name or self.name.endswith("Time")
        )


@dataclass(frozen=True)
class EntityDef:
    name: str
    fields: dict[str, FieldDef]
    key: str | None = None
    key_is_int: bool = False
    account_file: str | None = None
    methods_collection: frozenset[str] = frozenset({"GET"})
    methods_key: frozenset[str] = frozenset({"GET"})
    navs: tuple[str, ...] = ()
    scalar_names: tuple[str, ...] = field(default=())

    def has_edit_revision(self) -> bool:
        return "EditRevision" in self.fields


@cache
def load_spec() -> dict[str, Any]:
    """The OpenAPI subset shipped with the package."""
    text = resources.files("sims.accredo").joinpath("spec", SPEC_FILE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _codes(name: str, labels: list[str]) -> tuple[str, ...] | None:
    codes = tuple(CODE_OVERRIDES.get((name, label), label[0].upper()) for label in labels)
    return codes if len(set(codes)) == len(codes) else None


def _field(name: str, prop: dict[str, Any]) -> FieldDef:
    if "$ref" in prop:
        return FieldDef(name, "ref", item_def=prop["$ref"].rsplit("/", 1)[-1])
    ftype = prop.get("type", "string")
    item_def = None
    if ftype == "array":
        item_def = prop.get("items", {}).get("$ref", "").rsplit("/", 1)[-1] or None
    codes = None
    if "enum" in prop and prop.get("maxLength") == 1:
        codes = _codes(name, prop["enum"])
    return FieldDef(
        name=name,
        type=ftype,
        max_length=prop.get("maxLength"),
        unicode=bool(prop.get("unicode", True)),
        read_only=bool(prop.get("readOnly", False)),
        codes=codes,
        item_def=item_def,
    )


def definition_fields(def_name: str) -> dict[str, FieldDef]:
    """Fields of a definition, from the spec."""
    props = load_spec()["definitions"][def_name]["properties"]
    return {n: _field(n, p) for n, p in props.items()}


def _s(name: str, n: int, ro: bool = False) -> FieldDef:
    return FieldDef(name, "string", max_length=n, unicode=False, read_only=ro)


WRITABLE = frozenset({"GET", "POST"})
WRITABLE_KEY = frozenset({"GET", "PATCH", "PUT", "DELETE"})

#: entity set -> (key, key is integer, AccountFile, collection methods, key methods, navs)
_ENTITIES: dict[str, tuple[str, bool, str | None, frozenset[str], frozenset[str], tuple[str, ...]]]
_ENTITIES = {
    "ARCustomer": (
        "CustomerCode",
        False,
        "ARCUST",
        WRITABLE,
        WRITABLE_KEY,
        ("Contact", "DeliveryAddress", "Link", "Information"),
    ),
    "ARCustomerList": ("CustomerCode", False, None, frozenset({"GET"}), frozenset({"GET"}), ()),
    "ARContact": ("ContactID", True, "ARCONTCT", WRITABLE, WRITABLE_KEY, ()),
    "ARCustomerGroup": ("CustomerGroupCode", False, "ARGROUP", WRITABLE, WRITABLE_KEY, ()),
    "ARSalesPerson": ("SalesPersonCode", False, "ARPERS", WRITABLE, WRITABLE_KEY, ()),
    # [assumed] memo changes are not change-tracked (ARMEMO is not among reference 9.3's tables)
    "ARMemo": ("MemoID", True, None, WRITABLE, WRITABLE_KEY, ("Memo",)),
    "ARTransaction": (
        "TransactionID",
        True,
        "ARTRAN",
        WRITABLE,
        WRITABLE_KEY,
        ("Dissection", "Banking", "Link"),
    ),
    "ARTransactionList": (
        "TransactionID",
        True,
        None,
        frozenset({"GET"}),
        frozenset({"GET"}),
        (),
    ),
    "ARAllocation": ("AllocationID", True, "ARALLOC", frozenset({"GET"}), frozenset({"GET"}), ()),
    "INInvoice": (
        "DocumentID",
        True,
        "INHEAD",
        frozenset({"GET"}),
        frozenset({"GET"}),
        ("Line", "Charge", "Link", "Ship", "Banking"),
    ),
    "OEOrder": (
        "DocumentID",
        True,
        "OEHEAD",
        WRITABLE,
        WRITABLE_KEY,
        ("Line", "Charge", "Link", "Ship", "Banking"),
    ),
    "OEOrderList": ("DocumentID", True, None, frozenset({"GET"}), frozenset({"GET"}), ()),
    "INInvoiceList": ("DocumentID", True, None, frozenset({"GET"}), frozenset({"GET"}), ()),
    "TABLE_COPRICE": ("PriceCode", False, None, frozenset({"GET"}), frozenset({"GET"}), ()),
    "TABLE_ARADDR": ("AddressID", True, None, frozenset({"GET"}), frozenset({"GET"}), ()),
    "TABLE_OELINE": ("LineID", True, None, frozenset({"GET"}), frozenset({"GET"}), ()),
    "TABLE_COEVENT": ("EventID", True, None, frozenset({"GET"}), frozenset({"GET"}), ()),
}
for _mod in ("AR", "IN", "OE"):
    _ENTITIES[f"TABLE_{_mod}DELTA"] = (
        "DeltaID",
        True,
        None,
        frozenset({"GET"}),
        frozenset({"GET"}),
        (),
    )
    _ENTITIES[f"TABLE_{_mod}DTFLD"] = (
        "DeltaID",
        True,
        None,
        frozenset({"GET"}),
        frozenset({"GET"}),
        (),
    )


def _entity_fields(name: str) -> dict[str, FieldDef]:
    if name == "TABLE_ARADDR":
        # [assumed] reference 9.4: the raw delivery-address table carries AddressID and
        # CustomerCode; the other columns are taken to be those of ARCustomer_DeliveryAddress.
        fields = definition_fields("ARCustomer_DeliveryAddress")
        fields = {**{"CustomerCode": _s("CustomerCode", 16)}, **fields}
        fields["AddressID"] = FieldDef("AddressID", "integer")
        return fields
    if name == "TABLE_OELINE":
        # [assumed] reference 9.4: the raw OE line table carries DocumentID and CustomerCode;
        # the other columns are taken to be those of OEOrder_Line.
        fields = definition_fields("OEOrder_Line")
        fields["DocumentID"] = FieldDef("DocumentID", "integer")
        fields["CustomerCode"] = _s("CustomerCode", 16)
        return fields
    if name == "TABLE_COEVENT":
        # reference 9.5: script events; served as an empty collection [assumed]
        return {
            f.name: f
            for f in (
                FieldDef("RecNo", "integer"),
                FieldDef("EventID", "integer"),
                FieldDef("Event", "string", max_length=64, unicode=False),
                FieldDef("ScriptPath", "string", max_length=255, unicode=False),
                FieldDef("Inactive", "boolean"),
            )
        }
    return definition_fields(name)


def build_entities(custom: dict[str, tuple[CustomField, ...]]) -> dict[str, EntityDef]:
    """All served entity sets, with the configured ``Z_`` fields added to their own entities."""
    out: dict[str, EntityDef] = {}
    for name, (key, key_int, afile, mcol, mkey, navs) in _ENTITIES.items():
        fields = _entity_fields(name)
        for cf in custom.get(name, ()):
            is_date = cf.type == "date"
            fields[cf.name] = FieldDef(
                cf.name,
                "string" if is_date else cf.type,
                max_length=None if is_date or cf.type != "string" else cf.max_length,
                unicode=True,
                date=is_date,
            )
        scalars = tuple(n for n, f in fields.items() if f.type not in ("array", "ref"))
        out[name] = EntityDef(
            name=name,
            fields=fields,
            key=key,
            key_is_int=key_int,
            account_file=afile,
            methods_collection=mcol,
            methods_key=mkey,
            navs=tuple(n for n in navs if n in fields),
            scalar_names=scalars,
        )
    return out


def default_value(f: FieldDef) -> Any:
    """What an unset property reads as: '' for text, null for dates, 0, false."""
    if f.is_date:
        return None
    if f.codes:
        return f.codes[0]  # [assumed] an unset coded field reads as its first code
    return {"string": "", "integer": 0, "number": 0, "boolean": False}.get(f.type)
