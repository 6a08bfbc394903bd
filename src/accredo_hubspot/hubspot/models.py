"""Typed models of the HubSpot shapes the connector uses (CRM v3 objects, batch results).

Shapes follow the official SDK's generated models. Property values are strings on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel


class HubSpotObject(BaseModel):
    """``SimplePublicObject``: a CRM record (``SimplePublicUpsertObject`` adds ``new``)."""

    model_config = ConfigDict(extra="allow")

    id: str
    properties: dict[str, str | None]
    createdAt: datetime | None = None
    updatedAt: datetime | None = None
    archived: bool = False
    archivedAt: datetime | None = None
    objectWriteTraceId: str | None = None
    new: bool | None = None


@dataclass(frozen=True)
class InlineAssociation:
    """An association a batch create makes with the record (reference 4.1: ``associations``
    of a create input), e.g. a new contact's primary company (type 1, reference 8)."""

    to_id: str
    type_id: int
    category: str = "HUBSPOT_DEFINED"

    def to_wire(self) -> dict[str, Any]:
        return {
            "to": {"id": self.to_id},
            "types": [{"associationCategory": self.category, "associationTypeId": self.type_id}],
        }


@dataclass(frozen=True)
class WriteInput:
    """One record to write. ``key`` identifies the input to the caller (e.g. a customer code).

    For an upsert ``id`` is the unique property's value; for an update it is the record id.
    ``associations`` are made with a created record (batch create only).
    """

    key: str
    id: str | None
    properties: dict[str, str]
    associations: tuple[InlineAssociation, ...] = ()


@dataclass(frozen=True)
class WriteFailure:
    """Why one input of a batch was not written, naming the property where HubSpot did."""

    key: str
    category: str
    message: str
    property_name: str | None = None
    status: int | None = None
    existing_id: str | None = None  # a conflict's "Existing ID: N" (contact email in use)
    code: str | None = None  # the property's error code (``INVALID_OPTION``...), where given


@dataclass
class BatchOutcome:
    """Per-input results of a batch helper call: every input lands in exactly one list."""

    written: dict[str, HubSpotObject] = field(default_factory=dict)  # key -> record
    failed: list[WriteFailure] = field(default_factory=list)
    calls: int = 0
    call_of: dict[str, str] = field(default_factory=dict)  # key -> the call that wrote it


class _Wire(BaseModel):
    """HubSpot JSON is camelCase; Python names are snake_case. Unknown fields are kept."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def to_wire(self) -> dict[str, Any]:
        """The JSON body HubSpot expects: camelCase keys, unset optional fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class NextPage(_Wire):
    after: str
    link: str | None = None

    @field_validator("after", mode="before")
    @classmethod
    def _after_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class Paging(_Wire):
    next: NextPage | None = None


class ObjectPage(_Wire):
    """One page of ``GET /crm/v3/objects/{type}``; ``paging`` is absent on the last page."""

    results: list[HubSpotObject]
    paging: Paging | None = None

    @property
    def next_after(self) -> str | None:
        return self.paging.next.after if self.paging and self.paging.next else None


# --- search (reference §5) -------------------------------------------------------------------

SearchOperator = Literal[
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
]


class SearchFilter(_Wire):
    property_name: str
    operator: SearchOperator
    value: str | None = None
    high_value: str | None = None
    values: list[str] | None = None


class SearchFilterGroup(_Wire):
    filters: list[SearchFilter] = Field(default_factory=list)


class SearchSort(_Wire):
    property_name: str
    direction: Literal["ASCENDING", "DESCENDING"] = "ASCENDING"


class SearchRequest(_Wire):
    """``PublicObjectSearchRequest``. ``after`` is an integer offset as text."""

    filter_groups: list[SearchFilterGroup] = Field(default_factory=list)
    sorts: list[SearchSort] = Field(default_factory=list)
    query: str | None = None
    properties: list[str] = Field(default_factory=list)
    limit: int = Field(default=100, ge=1, le=200)  # reference §5: max 200 per page
    after: str | None = None


class SearchPage(_Wire):
    """``CollectionResponseWithTotalSimplePublicObjectForwardPaging``."""

    total: int = 0
    results: list[HubSpotObject]
    paging: Paging | None = None

    @property
    def next_after(self) -> str | None:
        return self.paging.next.after if self.paging and self.paging.next else None


# --- properties and groups (reference §6) ----------------------------------------------------


class PropertyOption(_Wire):
    label: str
    value: str
    description: str | None = None
    display_order: int | None = None
    hidden: bool = False


class PropertyModificationMetadata(_Wire):
    archivable: bool | None = None
    read_only_definition: bool | None = None
    read_only_value: bool | None = None
    read_only_options: bool | None = None


class Property(_Wire):
    """``Property``: a property definition as HubSpot returns it."""

    name: str
    label: str
    type: str
    field_type: str
    group_name: str | None = None
    description: str | None = None
    options: list[PropertyOption] = Field(default_factory=list)
    has_unique_value: bool = False
    hidden: bool = False
    form_field: bool | None = None
    calculated: bool | None = None
    external_options: bool | None = None
    hubspot_defined: bool | None = None
    display_order: int | None = None
    referenced_object_type: str | None = None
    modification_metadata: PropertyModificationMetadata | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    archived: bool = False


class PropertyCreate(_Wire):
    """``PropertyCreate`` (required: name, label, type, fieldType, groupName)."""

    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    description: str | None = None
    options: list[PropertyOption] | None = None
    has_unique_value: bool | None = None
    form_field: bool | None = None
    hidden: bool | None = None
    display_order: int | None = None
    calculation_formula: str | None = None
    referenced_object_type: str | None = None
    external_options: bool | None = None


class PropertyUpdate(_Wire):
    """``PropertyUpdate``: only the fields to change. ``name`` and uniqueness cannot change."""

    label: str | None = None
    description: str | None = None
    group_name: str | None = None
    options: list[PropertyOption] | None = None
    hidden: bool | None = None
    form_field: bool | None = None
    display_order: int | None = None
    type: str | None = None
    field_type: str | None = None


class PropertyGroup(_Wire):
    name: str
    label: str
    display_order: int | None = None
    archived: bool = False


# --- custom object schemas (reference §7) ----------------------------------------------------


class ObjectLabels(_Wire):
    singular: str | None = None
    plural: str | None = None


class SchemaProperty(_Wire):
    """``ObjectTypePropertyCreate``: a property declared with a new schema."""

    name: str
    label: str
    type: str = "string"
    field_type: str = "text"
    group_name: str | None = None
    description: str | None = None
    options: list[PropertyOption] | None = None
    has_unique_value: bool | None = None
    display_order: int | None = None


class AssociationDefinition(_Wire):
    id: str
    from_object_type_id: str
    to_object_type_id: str
    name: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ObjectSchemaCreate(_Wire):
    """``ObjectSchemaEgg``."""

    name: str
    labels: ObjectLabels
    properties: list[SchemaProperty]
    required_properties: list[str] = Field(default_factory=list)
    associated_objects: list[str] = Field(default_factory=list)
    searchable_properties: list[str] | None = None
    primary_display_property: str | None = None
    secondary_display_properties: list[str] | None = None
    description: str | None = None


class ObjectSchema(_Wire):
    """``ObjectSchema``: ``objectTypeId`` is ``2-N``, ``fullyQualifiedName`` ``p{portal}_name``."""

    id: str
    object_type_id: str
    name: str
    labels: ObjectLabels
    fully_qualified_name: str | None = None
    properties: list[Property] = Field(default_factory=list)
    required_properties: list[str] = Field(default_factory=list)
    searchable_properties: list[str] = Field(default_factory=list)
    primary_display_property: str | None = None
    secondary_display_properties: list[str] = Field(default_factory=list)
    associations: list[AssociationDefinition] = Field(default_factory=list)
    description: str | None = None
    archived: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


# --- associations v4 (reference §8) ----------------------------------------------------------

AssociationCategory = Literal["HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED", "WORK"]


class AssociationSpec(_Wire):
    """A type to create: ``{associationCategory, associationTypeId}``."""

    association_category: AssociationCategory
    association_type_id: int


class AssociationType(_Wire):
    """A type as read back: ``{category, typeId, label}`` (label ``None`` = unlabeled)."""

    category: str
    type_id: int
    label: str | None = None


def _id_text(value: object) -> object:
    """Ids arrive as numbers in some v4 answers and strings in others (reference §8)."""
    return str(value) if isinstance(value, int) else value


class AssociatedObject(_Wire):
    """``MultiAssociatedObjectWithLabel``: one associated record and every type linking it."""

    to_object_id: str
    association_types: list[AssociationType] = Field(default_factory=list)

    _to_text = field_validator("to_object_id", mode="before")(_id_text)


class AssociationPage(_Wire):
    results: list[AssociatedObject]
    paging: Paging | None = None

    @property
    def next_after(self) -> str | None:
        return self.paging.next.after if self.paging and self.paging.next else None


class LabelsBetweenObjectPair(_Wire):
    from_object_type_id: str
    from_object_id: str
    to_object_type_id: str
    to_object_id: str
    labels: list[str] = Field(default_factory=list)

    _ids_text = field_validator("from_object_id", "to_object_id", mode="before")(_id_text)


@dataclass(frozen=True)
class AssociationInput:
    """One association to create in a batch; ``types=()`` creates the default (unlabeled) one."""

    from_id: str
    to_id: str
    types: tuple[AssociationSpec, ...] = ()


# --- owners and pipelines (reference §9, §10) ------------------------------------------------


class Owner(_Wire):
    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    user_id: int | None = None
    user_id_including_inactive: int | None = None
    type: str | None = None
    archived: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


class PipelineStage(_Wire):
    id: str
    label: str
    display_order: int | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    archived: bool = False


class Pipeline(_Wire):
    id: str
    label: str
    display_order: int | None = None
    stages: list[PipelineStage] = Field(default_factory=list)
    archived: bool = False


# --- webhooks (reference §11.3) --------------------------------------------------------------


class WebhookEvent(_Wire):
    """One event of a webhook delivery. Ids are numbers on the wire; kept as text here."""

    event_id: int | None = None
    subscription_id: int | None = None
    portal_id: int | None = None
    app_id: int | None = None
    occurred_at: int
    subscription_type: str = Field(
        validation_alias=AliasChoices("subscriptionType", "eventType", "subscription_type")
    )
    attempt_number: int = 0
    object_id: str | None = None
    object_type_id: str | None = None
    property_name: str | None = None
    property_value: str | None = None
    change_source: str | None = None
    source_id: str | None = None
    change_flag: str | None = None
    primary_object_id: str | None = None
    merged_object_ids: list[str] = Field(default_factory=list)
    new_object_id: str | None = None
    number_of_properties_moved: int | None = None
    association_type: str | None = None
    from_object_id: str | None = None
    to_object_id: str | None = None
    association_removed: bool | None = None
    is_primary_association: bool | None = None
    association_type_id: int | None = None
    association_category: str | None = None
    from_object_type_id: str | None = None
    to_object_type_id: str | None = None

    _ids_text = field_validator(
        "object_id",
        "primary_object_id",
        "new_object_id",
        "from_object_id",
        "to_object_id",
        "source_id",
        "property_value",
        mode="before",
    )(_id_text)

    @field_validator("merged_object_ids", mode="before")
    @classmethod
    def _merged_text(cls, value: object) -> object:
        return [str(v) for v in value] if isinstance(value, list) else value

    @property
    def object_kind(self) -> str:
        """``contact`` of ``contact.propertyChange`` (``object`` for generic events)."""
        return self.subscription_type.split(".", 1)[0]

    @property
    def change_kind(self) -> str:
        """``propertyChange`` of ``contact.propertyChange``."""
        return self.subscription_type.split(".", 1)[-1]
