"""What a new HubSpot portal holds: object types, property groups, default properties,
owners and the default deal pipeline (reference sections 4, 6, 9 and 10)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sims.hubspot.timeutil import iso_ms

JsonDict = dict[str, Any]

VALID_FIELD_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset(
        {"text", "textarea", "html", "phonenumber", "file", "calculation_equation"}
    ),
    "number": frozenset({"number", "calculation_equation"}),
    "bool": frozenset({"booleancheckbox", "calculation_equation"}),
    "enumeration": frozenset(
        {"select", "radio", "checkbox", "booleancheckbox", "calculation_equation"}
    ),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date"}),
    "phone_number": frozenset({"phonenumber"}),
}
"""type -> the fieldTypes HubSpot accepts with it (reference 6, table)."""


@dataclass
class ObjectType:
    """One CRM object type with the names it answers to."""

    type_id: str
    name: str
    """Singular, lower case: ``company``; webhook subscription types start with it."""
    plural: str
    created_prop: str
    modified_prop: str
    default_props: tuple[str, ...]
    searchable_props: tuple[str, ...]
    required_props: tuple[str, ...] = ()
    fully_qualified_name: str | None = None
    schema: JsonDict | None = None

    @property
    def is_custom(self) -> bool:
        return self.type_id.startswith("2-")

    @property
    def webhook_prefix(self) -> str:
        return "object" if self.is_custom else self.name


@dataclass
class PropertyDef:
    """A property definition, rendered as the SDK's ``Property`` model."""

    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    description: str = ""
    options: list[JsonDict] = field(default_factory=list)
    display_order: int = -1
    has_unique_value: bool = False
    hidden: bool = False
    form_field: bool = False
    calculated: bool = False
    external_options: bool = False
    hubspot_defined: bool = False
    read_only_value: bool = False
    read_only_definition: bool = False
    referenced_object_type: str | None = None
    created_ms: int = 0
    updated_ms: int = 0
    archived: bool = False

    def option_values(self) -> set[str]:
        return {str(o["value"]) for o in self.options}

    def to_json(self) -> JsonDict:
        out: JsonDict = {
            "updatedAt": iso_ms(self.updated_ms),
            "createdAt": iso_ms(self.created_ms),
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group_name,
            "options": [dict(o) for o in self.options],
            "displayOrder": self.display_order,
            "calculated": self.calculated,
            "externalOptions": self.external_options,
            "hasUniqueValue": self.has_unique_value,
            "hidden": self.hidden,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.read_only_definition,
                "readOnlyValue": self.read_only_value,
            },
            "formField": self.form_field,
            "archived": self.archived,
        }
        if self.hubspot_defined:
            out["hubspotDefined"] = True
        if self.referenced_object_type:
            out["referencedObjectType"] = self.referenced_object_type
        return out


@dataclass
class PropertyGroup:
    name: str
    label: str
    display_order: int = -1
    archived: bool = False

    def to_json(self) -> JsonDict:
        return {
            "name": self.name,
            "label": self.label,
            "displayOrder": self.display_order,
            "archived": self.archived,
        }


STANDARD_TYPES: tuple[ObjectType, ...] = (
    ObjectType(
        "0-1",
        "contact",
        "contacts",
        "createdate",
        "lastmodifieddate",
        ("firstname", "lastname", "email", "createdate", "lastmodifieddate", "hs_object_id"),
        (
            "firstname",
            "lastname",
            "email",
            "phone",
            "hs_additional_emails",
            "fax",
            "mobilephone",
            "company",
        ),
    ),
    ObjectType(
        "0-2",
        "company",
        "companies",
        "createdate",
        "hs_lastmodifieddate",
        ("name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"),
        ("website", "phone", "name", "domain"),
    ),
    ObjectType(
        "0-3",
        "deal",
        "deals",
        "createdate",
        "hs_lastmodifieddate",
        (
            "dealname",
            "amount",
            "closedate",
            "pipeline",
            "dealstage",
            "createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ),
        ("dealname", "pipeline", "dealstage", "description", "dealtype"),
    ),
)

DEFAULT_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "0-1": (
        ("contactinformation", "Contact information"),
        ("contact_activity", "Contact activity"),
        ("emailinformation", "Email information"),
        ("conversioninformation", "Conversion information"),
        ("sales_properties", "Sales properties"),
    ),
    "0-2": (
        ("companyinformation", "Company information"),
        ("company_activity", "Company activity"),
        ("sales_properties", "Sales properties"),
    ),
    "0-3": (
        ("dealinformation", "Deal information"),
        ("deal_activity", "Deal activity"),
        ("sales_properties", "Sales properties"),
    ),
}

LIFECYCLE_STAGES = (
    ("Subscriber", "subscriber"),
    ("Lead", "lead"),
    ("Marketing Qualified Lead", "marketingqualifiedlead"),
    ("Sales Qualified Lead", "salesqualifiedlead"),
    ("Opportunity", "opportunity"),
    ("Customer", "customer"),
    ("Evangelist", "evangelist"),
    ("Other", "other"),
)
INDUSTRIES = (
    ("Accounting", "ACCOUNTING"),
    ("Automotive", "AUTOMOTIVE"),
    ("Computer Software", "COMPUTER_SOFTWARE"),
    ("Construction", "CONSTRUCTION"),
    ("Farming", "FARMING"),
    ("Food & Beverages", "FOOD_BEVERAGES"),
    ("Hospitality", "HOSPITALITY"),
    ("Information Technology and Services", "INFORMATION_TECHNOLOGY_AND_SERVICES"),
    ("Retail", "RETAIL"),
    ("Wholesale", "WHOLESALE"),
)
COMPANY_TYPES = (
    ("Prospect", "PROSPECT"),
    ("Partner", "PARTNER"),
    ("Reseller", "RESELLER"),
    ("Vendor", "VENDOR"),
    ("Other", "OTHER"),
)
#: A record's original source (``hs_analytics_source``), set by HubSpot's own tracking.
ANALYTICS_SOURCES = (
    ("Organic Search", "ORGANIC_SEARCH"),
    ("Paid Search", "PAID_SEARCH"),
    ("Email Marketing", "EMAIL_MARKETING"),
    ("Organic Social", "SOCIAL_MEDIA"),
    ("Referrals", "REFERRALS"),
    ("Other Campaigns", "OTHER_CAMPAIGNS"),
    ("Direct Traffic", "DIRECT_TRAFFIC"),
    ("Offline Sources", "OFFLINE"),
    ("Paid Social", "PAID_SOCIAL"),
    ("AI Referrals", "AI_REFERRALS"),
)
DEAL_TYPES = (("New Business", "newbusiness"), ("Existing Business", "existingbusiness"))
LEAD_STATUSES = (
    ("New", "NEW"),
    ("Open", "OPEN"),
    ("In Progress", "IN_PROGRESS"),
    ("Open Deal", "OPEN_DEAL"),
    ("Unqualified", "UNQUALIFIED"),
    ("Attempted to Contact", "ATTEMPTED_TO_CONTACT"),
    ("Connected", "CONNECTED"),
    ("Bad Timing", "BAD_TIMING"),
)

DEAL_STAGES: tuple[tuple[str, str, str, bool], ...] = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    ("presentationscheduled", "Presentation Scheduled", "0.6", False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    ("contractsent", "Contract Sent", "0.9", False),
    ("closedwon", "Closed Won", "1.0", True),
    ("closedlost", "Closed Lost", "0.0", True),
)
"""The default "Sales Pipeline" (id ``default``), reference 10; probabilities partly [assumed]."""


def options(pairs: tuple[tuple[str, str], ...]) -> list[JsonDict]:
    return [
        {"label": label, "value": value, "displayOrder": i, "hidden": False}
        for i, (label, value) in enumerate(pairs)
    ]


def _p(
    name: str,
    label: str,
    type_: str,
    field_type: str,
    group: str,
    *,
    opts: tuple[tuple[str, str], ...] = (),
    read_only: bool = False,
    calculated: bool = False,
    owner: bool = False,
) -> PropertyDef:
    return PropertyDef(
        name=name,
        label=label,
        type=type_,
        field_type=field_type,
        group_name=group,
        options=options(opts),
        hubspot_defined=True,
        read_only_value=read_only,
        read_only_definition=True,
        calculated=calculated,
        external_options=owner,
        referenced_object_type="OWNER" if owner else None,
        form_field=not read_only,
    )


def _system(
    group: str,
    created: str,
    modified: str,
    created_label: str = "Create Date",
    modified_label: str = "Last Modified Date",
) -> list[PropertyDef]:
    """The read-only system properties every object type has, and its owner."""
    return [
        _p("hs_object_id", "Record ID", "number", "number", group, read_only=True),
        _p(created, created_label, "datetime", "date", group, read_only=True),
        _p(modified, modified_label, "datetime", "date", group, read_only=True),
        _p("hubspot_owner_id", "Owner", "enumeration", "select", group, owner=True),
        _p(
            "hs_merged_object_ids",
            "Merged record IDs",
            "enumeration",
            "checkbox",
            group,
            read_only=True,
        ),
        _p("hs_object_source", "Record source", "string", "text", group, read_only=True),
        _p("hs_object_source_id", "Record source ID", "string", "text", group, read_only=True),
        _p("hs_object_source_label", "Record source", "string", "text", group, read_only=True),
    ]


def _common(group: str, created: str, modified: str) -> list[PropertyDef]:
    return [
        *_system(group, created, modified),
        _p("notes_last_updated", "Last Activity Date", "datetime", "date", group, read_only=True),
    ]


def _original_source(group: str) -> PropertyDef:
    """Where a contact or company first came from (HubSpot's tracking sets it; read-only)."""
    return _p(
        "hs_analytics_source",
        "Original Traffic Source",
        "enumeration",
        "select",
        group,
        read_only=True,
        calculated=True,
        opts=ANALYTICS_SOURCES,
    )


def _address(group: str) -> list[PropertyDef]:
    return [
        _p("phone", "Phone Number", "string", "phonenumber", group),
        _p("address", "Street Address", "string", "text", group),
        _p("address2", "Street Address 2", "string", "text", group),
        _p("city", "City", "string", "text", group),
        _p("state", "State/Region", "string", "text", group),
        _p("zip", "Postal Code", "string", "text", group),
        _p("country", "Country/Region", "string", "text", group),
    ]


def default_properties(type_id: str) -> list[PropertyDef]:
    """The common default properties of a new portal, with their types and read-only flags."""
    if type_id == "0-2":
        g = "companyinformation"
        return [
            *_common(g, "createdate", "hs_lastmodifieddate"),
            *_address(g),
            _original_source(g),
            _p("name", "Company name", "string", "text", g),
            _p("domain", "Company Domain Name", "string", "text", g),
            _p("website", "Website URL", "string", "text", g),
            _p("industry", "Industry", "enumeration", "select", g, opts=INDUSTRIES),
            _p(
                "lifecyclestage",
                "Lifecycle Stage",
                "enumeration",
                "radio",
                g,
                opts=LIFECYCLE_STAGES,
            ),
            _p("type", "Type", "enumeration", "select", g, opts=COMPANY_TYPES),
            _p("numberofemployees", "Number of Employees", "number", "number", g),
            _p("annualrevenue", "Annual Revenue", "number", "number", g),
            _p("description", "Description", "string", "textarea", g),
            _p("timezone", "Time Zone", "string", "text", g),
            _p("linkedin_company_page", "LinkedIn Company Page", "string", "text", g),
            _p(
                "num_associated_contacts",
                "Number of Associated Contacts",
                "number",
                "number",
                g,
                read_only=True,
                calculated=True,
            ),
            _p(
                "num_associated_deals",
                "Number of Associated Deals",
                "number",
                "number",
                g,
                read_only=True,
                calculated=True,
            ),
        ]
    if type_id == "0-1":
        g = "contactinformation"
        return [
            *_common(g, "createdate", "lastmodifieddate"),
            *_address(g),
            _original_source(g),
            _p("email", "Email", "string", "text", g),
            _p("firstname", "First Name", "string", "text", g),
            _p("lastname", "Last Name", "string", "text", g),
            _p("mobilephone", "Mobile Phone Number", "string", "phonenumber", g),
            _p("fax", "Fax Number", "string", "text", g),
            _p("company", "Company Name", "string", "text", g),
            _p("jobtitle", "Job Title", "string", "text", g),
            _p("website", "Website URL", "string", "text", g),
            _p(
                "lifecyclestage",
                "Lifecycle Stage",
                "enumeration",
                "radio",
                g,
                opts=LIFECYCLE_STAGES,
            ),
            _p("hs_lead_status", "Lead Status", "enumeration", "radio", g, opts=LEAD_STATUSES),
            _p("associatedcompanyid", "Primary Associated Company ID", "number", "number", g),
            _p(
                "hs_additional_emails",
                "Additional email addresses",
                "enumeration",
                "checkbox",
                g,
                read_only=True,
            ),
            _p(
                "hs_email_domain",
                "Email Domain",
                "string",
                "text",
                g,
                read_only=True,
                calculated=True,
            ),
            _p(
                "hs_all_contact_vids",
                "All vids for a contact",
                "enumeration",
                "checkbox",
                g,
                read_only=True,
            ),
        ]
    if type_id == "0-3":
        g = "dealinformation"
        return [
            *_common(g, "createdate", "hs_lastmodifieddate"),
            _p("dealname", "Deal Name", "string", "text", g),
            _p("amount", "Amount", "number", "number", g),
            _p(
                "dealstage",
                "Deal Stage",
                "enumeration",
                "radio",
                g,
                opts=tuple((label, sid) for sid, label, _, _ in DEAL_STAGES),
            ),
            _p(
                "pipeline",
                "Pipeline",
                "enumeration",
                "select",
                g,
                opts=(("Sales Pipeline", "default"),),
            ),
            _p("closedate", "Close Date", "datetime", "date", g),
            _p("dealtype", "Deal Type", "enumeration", "radio", g, opts=DEAL_TYPES),
            _p("description", "Deal Description", "string", "textarea", g),
            _p(
                "hs_is_closed",
                "Is Deal Closed?",
                "bool",
                "booleancheckbox",
                g,
                read_only=True,
                calculated=True,
                opts=(("True", "true"), ("False", "false")),
            ),
            _p(
                "hs_is_closed_won",
                "Is Closed Won",
                "bool",
                "booleancheckbox",
                g,
                read_only=True,
                calculated=True,
                opts=(("True", "true"), ("False", "false")),
            ),
            _p(
                "amount_in_home_currency",
                "Amount in company currency",
                "number",
                "number",
                g,
                read_only=True,
                calculated=True,
            ),
        ]
    return []


def custom_object_system_properties(group: str) -> list[PropertyDef]:
    """Read-only properties every custom object has ([assumed] by analogy, reference 4.2)."""
    return _system(
        group,
        "hs_createdate",
        "hs_lastmodifieddate",
        "Object create date/time",
        "Object last modified date/time",
    )


DEFAULT_OWNERS: tuple[tuple[str, str, str, int], ...] = (
    ("41629779", "sam.admin@example.co.nz", "Sam", 9586504),
    ("41629780", "aroha.sales@example.co.nz", "Aroha", 9586505),
    ("41629781", "mere.accounts@example.co.nz", "Mere", 9586506),
)


SALES_TEAM: JsonDict = {"id": "368389", "name": "Sales Team", "primary": True}


def owner_json(
    owner_id: str,
    email: str,
    first: str,
    last: str,
    user_id: int,
    *,
    created: str = "2019-12-25T13:01:35.228Z",
    updated: str = "2023-08-22T13:40:26.790Z",
    teams: tuple[JsonDict, ...] = (SALES_TEAM,),
) -> JsonDict:
    """A ``PublicOwner`` (reference 9)."""
    return {
        "id": owner_id,
        "email": email,
        "type": "PERSON",
        "firstName": first,
        "lastName": last,
        "userId": user_id,
        "userIdIncludingInactive": user_id,
        "createdAt": created,
        "updatedAt": updated,
        "archived": False,
        "teams": [dict(t) for t in teams],
    }


def default_owners() -> list[JsonDict]:
    return [
        owner_json(oid, email, first, "Owner", uid) for oid, email, first, uid in DEFAULT_OWNERS
    ]


def default_deal_pipeline() -> JsonDict:
    epoch = iso_ms(0)
    return {
        "id": "default",
        "label": "Sales Pipeline",
        "displayOrder": 0,
        "createdAt": epoch,
        "updatedAt": epoch,
        "archived": False,
        "stages": [
            {
                "id": sid,
                "label": label,
                "displayOrder": i,
                "metadata": {"isClosed": "true" if closed else "false", "probability": prob},
                "createdAt": epoch,
                "updatedAt": epoch,
                "archived": False,
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
            }
            for i, (sid, label, prob, closed) in enumerate(DEAL_STAGES)
        ],
    }
