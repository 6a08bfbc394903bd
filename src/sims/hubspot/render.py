"""Records as HubSpot answers them (reference 4.2; the SDK's ``SimplePublicObject``)."""

from __future__ import annotations

from typing import Any

from sims.hubspot.associations import AssocType, page_cursor
from sims.hubspot.portal import ObjectType
from sims.hubspot.store import Portal, Record
from sims.hubspot.timeutil import iso_ms

JsonDict = dict[str, Any]
V3_ASSOCIATION_IDS = 100
"""v3 reads return the first 100 associated ids per type (reference 4.2)."""


def property_names(portal: Portal, otype: ObjectType, requested: list[str] | None) -> list[str]:
    """Requested names that exist (unknown ones are ignored), plus the system properties."""
    if not requested:
        return list(otype.default_props)
    names = [n for n in requested if portal.prop(otype.type_id, n) is not None]
    return [*names, otype.created_prop, otype.modified_prop, "hs_object_id"]


def record_json(
    portal: Portal,
    otype: ObjectType,
    record: Record,
    requested: list[str] | None = None,
    *,
    all_props: bool = False,
    props_view: dict[str, str] | None = None,
    with_history: list[str] | None = None,
) -> JsonDict:
    source = props_view if props_view is not None else record.props
    if all_props:
        props: dict[str, str | None] = dict(source)
    else:
        props = {n: source.get(n) for n in property_names(portal, otype, requested)}
    out: JsonDict = {
        "id": str(record.id),
        "properties": dict(sorted(props.items())),
        "createdAt": iso_ms(record.created_ms),
        "updatedAt": iso_ms(record.updated_ms),
        "archived": record.archived,
    }
    if record.archived and record.archived_ms is not None:
        out["archivedAt"] = iso_ms(record.archived_ms)
    if with_history:
        out["propertiesWithHistory"] = {
            n: list(record.history.get(n, []))
            for n in with_history
            if portal.prop(otype.type_id, n) is not None
        }
    return out


def legacy_association_name(
    portal: Portal, from_type: ObjectType, to_type: ObjectType, atype: AssocType | None
) -> str:
    """v3 association ``type`` names (reference 4.2): where a pair has a primary type, the
    primary is ``contact_to_company`` and the unlabeled one ``contact_to_company_unlabeled``;
    a pair without one (``deal_to_contact``) names its unlabeled type plainly. The names of
    user-defined labels are [assumed]."""
    base = f"{from_type.name}_to_{to_type.name}"
    if atype is None or atype.primary:
        return base
    if atype.label is None:
        pair = portal.associations.types(from_type.type_id, to_type.type_id)
        return f"{base}_unlabeled" if any(t.primary for t in pair) else base
    return f"{base}_{atype.label.lower().replace(' ', '_')}"


def associations_json(
    portal: Portal, otype: ObjectType, record: Record, wanted: list[str], base_url: str
) -> JsonDict:
    """The v3 ``associations`` map: the first 100 associated ids per type, with a
    ``paging.next`` to read on with v4 when there are more (reference 4.2; the cursor and
    link are [assumed]); omitted when empty."""
    out: JsonDict = {}
    for alias in wanted:
        tid = portal.aliases.get(alias.lower())
        if tid is None:
            continue
        to_type = portal.types[tid]
        targets = [
            (to_id, specs)
            for to_id, specs in portal.associations.targets((otype.type_id, record.id), tid)
            if (target := portal.records[tid].get(to_id)) is not None and not target.archived
        ]
        results = []
        for to_id, specs in targets[:V3_ASSOCIATION_IDS]:
            for category, type_id in sorted(specs):
                atype = portal.associations.find_type(otype.type_id, tid, category, type_id)
                name = legacy_association_name(portal, otype, to_type, atype)
                results.append({"id": str(to_id), "type": name})
        if not results:
            continue
        entry: JsonDict = {"results": results}
        if len(targets) > V3_ASSOCIATION_IDS:
            after = page_cursor(V3_ASSOCIATION_IDS)
            link = (
                f"{base_url}/crm/v4/objects/{otype.plural}/{record.id}/associations/"
                f"{to_type.plural}?after={after}"
            )
            entry["paging"] = {"next": {"after": after, "link": link}}
        out[to_type.plural] = entry
    return out
