"""Properties, property groups and custom object schemas, with idempotent ``ensure_*``.

"Already exists" answers (409, or 400 with a conflict category, reference §2.3) count as
success for the ``ensure_*`` helpers, which then bring label, description and options in line.
"""

from __future__ import annotations

from typing import Any

from accredo_hubspot.hubspot import paths
from accredo_hubspot.hubspot.errors import HubSpotConflict, HubSpotNotFound
from accredo_hubspot.hubspot.models import (
    ObjectSchema,
    ObjectSchemaCreate,
    Property,
    PropertyCreate,
    PropertyGroup,
    PropertyUpdate,
)
from accredo_hubspot.hubspot.requester import Requester


def property_changes(existing: Property, wanted: PropertyCreate) -> PropertyUpdate | None:
    """The update that makes ``existing`` match ``wanted`` in label, description, options."""
    changes: dict[str, Any] = {}
    if existing.label != wanted.label:
        changes["label"] = wanted.label
    if wanted.description is not None and (existing.description or "") != wanted.description:
        changes["description"] = wanted.description
    if wanted.options is not None:
        have = [(o.value, o.label) for o in existing.options]
        want = [(o.value, o.label) for o in wanted.options]
        if have != want:
            changes["options"] = wanted.options
    return PropertyUpdate(**changes) if changes else None


class SchemaAPI:
    """Mixin: needs ``_requester``."""

    _requester: Requester

    # --- properties --------------------------------------------------------------------------

    async def get_properties(self, object_type: str) -> list[dict[str, Any]]:
        """All property definitions of the type, as HubSpot returns them (``HubSpotSink``)."""
        data = await self._requester.json("GET", paths.properties(object_type))
        return list(data.get("results") or [])

    async def list_properties(self, object_type: str) -> list[Property]:
        return [Property.model_validate(p) for p in await self.get_properties(object_type)]

    async def get_property(self, object_type: str, name: str) -> Property:
        data = await self._requester.json("GET", paths.property_by_name(object_type, name))
        return Property.model_validate(data)

    async def create_property(self, object_type: str, definition: PropertyCreate) -> Property:
        """Create a property. Resent after a lost answer: a second create is a 409, not a copy."""
        data = await self._requester.json(
            "POST", paths.properties(object_type), body=definition.to_wire(), idempotent=True
        )
        return Property.model_validate(data)

    async def update_property(
        self, object_type: str, name: str, changes: PropertyUpdate
    ) -> Property:
        data = await self._requester.json(
            "PATCH", paths.property_by_name(object_type, name), body=changes.to_wire()
        )
        return Property.model_validate(data)

    async def ensure_property(self, object_type: str, definition: PropertyCreate) -> Property:
        """Create the property, or bring an existing one's label/description/options in line.

        Type and uniqueness cannot change once created (reference §6); a mismatch raises
        ``HubSpotConflict`` naming the property, since the sync relies on them.
        """
        try:
            existing = await self.get_property(object_type, definition.name)
        except HubSpotNotFound:
            try:
                return await self.create_property(object_type, definition)
            except HubSpotConflict:  # created meanwhile by someone else
                existing = await self.get_property(object_type, definition.name)
        if definition.has_unique_value is not None and (
            existing.has_unique_value != definition.has_unique_value
        ):
            raise HubSpotConflict(
                f"property {definition.name!r} exists with hasUniqueValue="
                f"{existing.has_unique_value}; uniqueness cannot be changed"
            )
        if existing.type != definition.type:
            raise HubSpotConflict(
                f"property {definition.name!r} exists with type {existing.type!r}, "
                f"not {definition.type!r}"
            )
        changes = property_changes(existing, definition)
        if changes is None:
            return existing
        return await self.update_property(object_type, definition.name, changes)

    # --- property groups ---------------------------------------------------------------------

    async def list_property_groups(self, object_type: str) -> list[PropertyGroup]:
        data = await self._requester.json("GET", paths.property_groups(object_type))
        return [PropertyGroup.model_validate(g) for g in data.get("results") or []]

    async def get_property_group(self, object_type: str, name: str) -> PropertyGroup:
        data = await self._requester.json("GET", paths.property_group(object_type, name))
        return PropertyGroup.model_validate(data)

    async def create_property_group(self, object_type: str, group: PropertyGroup) -> PropertyGroup:
        body = group.to_wire()
        body.pop("archived", None)
        data = await self._requester.json(
            "POST", paths.property_groups(object_type), body=body, idempotent=True
        )
        return PropertyGroup.model_validate(data)

    async def update_property_group(
        self,
        object_type: str,
        name: str,
        *,
        label: str | None = None,
        display_order: int | None = None,
    ) -> PropertyGroup:
        body: dict[str, Any] = {}
        if label is not None:
            body["label"] = label
        if display_order is not None:
            body["displayOrder"] = display_order
        data = await self._requester.json(
            "PATCH", paths.property_group(object_type, name), body=body
        )
        return PropertyGroup.model_validate(data)

    async def ensure_property_group(
        self, object_type: str, name: str, label: str, *, display_order: int | None = None
    ) -> PropertyGroup:
        """Create the group, or relabel an existing one; "already exists" is success."""
        try:
            existing = await self.get_property_group(object_type, name)
        except HubSpotNotFound:
            group = PropertyGroup(name=name, label=label, display_order=display_order)
            try:
                return await self.create_property_group(object_type, group)
            except HubSpotConflict:
                existing = await self.get_property_group(object_type, name)
        if existing.label == label:
            return existing
        return await self.update_property_group(object_type, name, label=label)

    # --- custom object schemas ---------------------------------------------------------------

    async def list_schemas(self) -> list[ObjectSchema]:
        data = await self._requester.json("GET", paths.schemas())
        return [ObjectSchema.model_validate(s) for s in data.get("results") or []]

    async def get_schema(self, object_type: str) -> ObjectSchema:
        """A schema by objectTypeId (``2-N``), ``p_name`` or fully qualified name."""
        data = await self._requester.json("GET", paths.schema(object_type))
        return ObjectSchema.model_validate(data)

    async def create_schema(self, schema: ObjectSchemaCreate) -> ObjectSchema:
        data = await self._requester.json("POST", paths.schemas(), body=schema.to_wire())
        return ObjectSchema.model_validate(data)

    async def ensure_schema(self, schema: ObjectSchemaCreate) -> ObjectSchema:
        """The schema named ``schema.name``, created if missing (name and labels never change)."""
        for existing in await self.list_schemas():
            if existing.name == schema.name:
                return existing
        try:
            return await self.create_schema(schema)
        except HubSpotConflict:
            for existing in await self.list_schemas():
                if existing.name == schema.name:
                    return existing
            raise
