"""Creating and changing property definitions, groups and custom-object schemas under
HubSpot's rules (reference sections 6 and 7)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sims.hubspot.errors import (
    NON_BOOLEAN_FLAG_MESSAGE,
    PROPERTY_EXISTS_MESSAGE,
    SimError,
    bad_request,
)
from sims.hubspot.portal import (
    VALID_FIELD_TYPES,
    ObjectType,
    PropertyDef,
    PropertyGroup,
    custom_object_system_properties,
)
from sims.hubspot.timeutil import iso_ms, now_ms

if TYPE_CHECKING:
    from sims.hubspot.store import Portal

JsonDict = dict[str, Any]
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
OBJECT_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
STANDARD_NAMES = {"CONTACT": "0-1", "COMPANY": "0-2", "DEAL": "0-3"}


def _required(body: JsonDict, names: tuple[str, ...]) -> None:
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise bad_request(
            f"Some required fields were not set: [{', '.join(missing)}]",
            context={"missingFields": missing},
        )


def flag(body: JsonDict, name: str, default: bool) -> bool:
    """A definition's boolean flag as HubSpot reads it: ``true``/``false``, the strings
    "true"/"false" and numbers (zero is false); absent or null is ``default``; anything else is
    refused. Python's ``bool("false")`` is true, so a flag sent as text was read backwards."""
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    what = f"String {json.dumps(value)}" if isinstance(value, str) else "Object value"
    raise bad_request(NON_BOOLEAN_FLAG_MESSAGE.format(what=what, name=name))


def _options(raw: object) -> list[JsonDict]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_request("options must be a list")
    out: list[JsonDict] = []
    for i, opt in enumerate(raw):
        if not isinstance(opt, dict) or "label" not in opt or "value" not in opt:
            raise bad_request("Each option needs a label and a value")
        out.append(
            {
                "label": str(opt["label"]),
                "value": str(opt["value"]),
                "displayOrder": int(opt.get("displayOrder", i)),
                "hidden": flag(opt, "hidden", False),
                **({"description": str(opt["description"])} if opt.get("description") else {}),
            }
        )
    return out


def property_from_body(
    portal: Portal, tid: str, body: JsonDict, group_default: str = ""
) -> PropertyDef:
    """A new property from a ``PropertyCreate`` body, or HubSpot's error."""
    if group_default:
        body = {"groupName": group_default, "type": "string", "fieldType": "text", **body}
    _required(body, ("name", "label", "type", "fieldType", "groupName"))
    name, ptype, field_type = str(body["name"]), str(body["type"]), str(body["fieldType"])
    if not NAME_RE.match(name):
        raise bad_request(f"Property name {name} is invalid: use lower-case letters, digits, _.")
    existing = portal.properties[tid].get(name)
    if existing is not None and not existing.archived:
        raise SimError(409, "OBJECT_ALREADY_EXISTS", PROPERTY_EXISTS_MESSAGE.format(name=name))
    if ptype not in VALID_FIELD_TYPES:
        raise bad_request(f"{ptype} is not a valid property type")
    if field_type not in VALID_FIELD_TYPES[ptype]:
        raise bad_request(
            f"Property {name} of type {ptype} cannot have fieldType {field_type}; "
            f"allowed: {sorted(VALID_FIELD_TYPES[ptype])}"
        )
    group = str(body["groupName"])
    if group not in portal.groups[tid] and not group_default:
        raise bad_request(f"Property group {group} does not exist")
    unique = flag(body, "hasUniqueValue", False)
    if unique:
        count = sum(1 for p in portal.properties[tid].values() if p.has_unique_value)
        if count >= portal.max_unique:
            raise bad_request(
                f"Cannot create property {name}: an object can have at most "
                f"{portal.max_unique} unique value properties"
            )
    stamp = now_ms()
    return PropertyDef(
        name=name,
        label=str(body["label"]),
        type=ptype,
        field_type=field_type,
        group_name=group,
        description=str(body.get("description") or ""),
        options=_options(body.get("options")),
        display_order=int(body.get("displayOrder", -1)),
        has_unique_value=unique,
        hidden=flag(body, "hidden", False),
        form_field=flag(body, "formField", False),
        calculated=field_type == "calculation_equation",
        read_only_value=field_type == "calculation_equation",
        referenced_object_type=body.get("referencedObjectType"),
        external_options=flag(body, "externalOptions", False),
        created_ms=stamp,
        updated_ms=stamp,
    )


def update_property(portal: Portal, tid: str, pdef: PropertyDef, body: JsonDict) -> PropertyDef:
    """PATCH a property: label, description, options, group, display flags; never the name
    or ``hasUniqueValue`` (reference 6)."""
    if pdef.read_only_definition:
        raise bad_request(f"Property {pdef.name} is HubSpot-defined; its definition is read-only.")
    if flag(body, "hasUniqueValue", pdef.has_unique_value) != pdef.has_unique_value:
        raise bad_request("hasUniqueValue can't be changed after a property is created")
    ptype = str(body.get("type", pdef.type))
    field_type = str(body.get("fieldType", pdef.field_type))
    if ptype not in VALID_FIELD_TYPES or field_type not in VALID_FIELD_TYPES[ptype]:
        raise bad_request(f"Property of type {ptype} cannot have fieldType {field_type}")
    if "groupName" in body and body["groupName"] not in portal.groups[tid]:
        raise bad_request(f"Property group {body['groupName']} does not exist")
    pdef.type, pdef.field_type = ptype, field_type
    pdef.calculated = pdef.read_only_value = field_type == "calculation_equation"
    pdef.label = str(body.get("label", pdef.label))
    pdef.description = str(body.get("description", pdef.description))
    pdef.group_name = str(body.get("groupName", pdef.group_name))
    pdef.hidden = flag(body, "hidden", pdef.hidden)
    pdef.form_field = flag(body, "formField", pdef.form_field)
    pdef.display_order = int(body.get("displayOrder", pdef.display_order))
    if "options" in body:
        pdef.options = _options(body["options"])
    pdef.updated_ms = now_ms()
    return pdef


def group_from_body(portal: Portal, tid: str, body: JsonDict) -> PropertyGroup:
    _required(body, ("name", "label"))
    name = str(body["name"])
    if not NAME_RE.match(name):
        raise bad_request(f"Property group name {name} is invalid")
    existing = portal.groups[tid].get(name)
    if existing is not None and not existing.archived:
        raise SimError(
            409, "OBJECT_ALREADY_EXISTS", f"Property group named '{name}' already exists."
        )
    return PropertyGroup(name, str(body["label"]), int(body.get("displayOrder", -1)))


def create_schema(portal: Portal, body: JsonDict) -> ObjectType:
    """A custom object type from an ``ObjectSchemaEgg`` (reference 7)."""
    _required(body, ("name", "labels", "properties", "requiredProperties", "associatedObjects"))
    name = str(body["name"])
    if not OBJECT_NAME_RE.match(name):
        raise bad_request(f"Object name {name} is invalid: letters, digits and _, from a letter")
    fqn = f"p{portal.portal_id}_{name}"
    if fqn.lower() in portal.aliases or name.lower() in portal.aliases:
        raise SimError(409, "OBJECT_ALREADY_EXISTS", f"Object type {name} already exists.")
    schema_id = portal.new_schema_id()
    tid = f"2-{schema_id}"
    group = f"{name.lower()}_information"
    props = body["properties"]
    if not isinstance(props, list) or not all(isinstance(p, dict) for p in props):
        raise bad_request("properties must be a list of property definitions")
    prop_names = {str(p.get("name")) for p in props}
    for key in ("requiredProperties", "searchableProperties", "secondaryDisplayProperties"):
        unknown = [n for n in body.get(key) or [] if n not in prop_names]
        if unknown:
            raise bad_request(f"{key} refers to properties that do not exist: {unknown}")
    primary = body.get("primaryDisplayProperty")
    if primary and primary not in prop_names:
        raise bad_request(f"primaryDisplayProperty {primary} is not a property of the schema")
    otype = ObjectType(
        tid,
        name.lower(),
        name.lower(),
        "hs_createdate",
        "hs_lastmodifieddate",
        ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
        tuple(body.get("searchableProperties") or ()),
        tuple(body.get("requiredProperties") or ()),
        fully_qualified_name=fqn,
    )
    portal.register_custom_type(otype)
    portal.groups[tid][group] = PropertyGroup(
        group, f"{body['labels'].get('singular', name)} information"
    )
    for pdef in custom_object_system_properties(group):
        portal.properties[tid][pdef.name] = pdef
    for raw in props:
        pdef = property_from_body(portal, tid, raw, group_default=group)
        portal.properties[tid][pdef.name] = pdef
    associated: list[str] = []
    for target in body.get("associatedObjects") or []:
        to_tid = STANDARD_NAMES.get(str(target).upper()) or portal.aliases.get(str(target).lower())
        if to_tid is None:
            raise bad_request(f"Unknown associated object type {target}")
        portal.associations.ensure_pair(tid, to_tid)
        associated.append(to_tid)
    stamp = now_ms()
    otype.schema = {
        "id": str(schema_id),
        "objectTypeId": tid,
        "fullyQualifiedName": fqn,
        "name": name,
        "labels": dict(body["labels"]),
        "description": body.get("description"),
        "requiredProperties": list(otype.required_props),
        "searchableProperties": list(otype.searchable_props),
        "primaryDisplayProperty": primary,
        "secondaryDisplayProperties": list(body.get("secondaryDisplayProperties") or []),
        "associatedTypes": associated,
        "createdAt": iso_ms(stamp),
        "updatedAt": iso_ms(stamp),
        "archived": False,
        "portalId": portal.portal_id,
    }
    portal.version += 1
    return otype


def schema_json(portal: Portal, otype: ObjectType) -> JsonDict:
    """The ``ObjectSchema`` answer, with properties and association definitions."""
    assert otype.schema is not None
    out = {k: v for k, v in otype.schema.items() if k != "associatedTypes"}
    out["properties"] = [p.to_json() for p in portal.properties[otype.type_id].values()]
    out["associations"] = [
        {
            "id": str(portal.associations.default_type(otype.type_id, to_tid).type_id),
            "fromObjectTypeId": otype.type_id,
            "toObjectTypeId": to_tid,
            "name": f"{otype.name}_to_{portal.types[to_tid].name}",
            "createdAt": otype.schema["createdAt"],
            "updatedAt": otype.schema["updatedAt"],
        }
        for to_tid in otype.schema["associatedTypes"]
    ]
    out["allowsSensitiveProperties"] = False
    return out
