"""The portal's CRM data in memory: object types, properties, records, unique-value indexes,
merges and the search index with its delay (reference sections 4-7)."""

from __future__ import annotations

import bisect
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sims.hubspot.associations import AssociationStore, AssocType
from sims.hubspot.errors import (
    NON_UNIQUE_ID_PROPERTY_MESSAGE,
    TOO_MANY_IDENTITIES_MESSAGE,
    UNIQUE_TAKEN_MESSAGE,
    PropertyProblem,
    SimError,
    bad_request,
    batch_email_conflict,
    email_conflict,
    non_text_value,
    not_found,
    validation_error,
)
from sims.hubspot.events import Change, WriteSource
from sims.hubspot.pipelines import is_won
from sims.hubspot.portal import (
    DEFAULT_GROUPS,
    STANDARD_TYPES,
    ObjectType,
    PropertyDef,
    PropertyGroup,
    default_deal_pipeline,
    default_owners,
    default_properties,
)
from sims.hubspot.schema_rules import property_from_body
from sims.hubspot.timeutil import iso_ms, now_ms
from sims.hubspot.values import normalise

JsonDict = dict[str, Any]

FIRST_RECORD_ID = 10_000_000_001
FIRST_SCHEMA_ID = 3_465_404
FIRST_PIPELINE_ID = 1_038_553_758
EMAIL_PROPS = ("email",)
CASE_INSENSITIVE_UNIQUE = frozenset({"email", "hs_additional_emails"})
NO_EVENT_PROPS = frozenset(
    {"hs_lastmodifieddate", "lastmodifieddate", "createdate", "hs_createdate", "hs_object_id"}
)
"""Properties that never raise propertyChange events (reference 11.2)."""
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CONTACT_IDENTITY = ("email", "firstname", "lastname")
CONTACT_IDENTITY_MESSAGE = "A contact needs at least one of email, firstname or lastname."
"""[assumed] reference 4.2 states the rule, not the answer's text."""
PRIMARY_COMPANY = ("HUBSPOT_DEFINED", 1)
"""The contact-to-company primary association type (reference 8)."""
NEW_IN_BATCH = -2
"""The holder of a unique value claimed by a new input earlier in the same batch."""
LIFECYCLE_STAGE = "lifecyclestage"
MAX_MERGE_IDENTITIES = 250
"""Ids one merged record may carry, its own and the merged-away ones (reference 4.5, 2.5)."""


@dataclass(slots=True)
class Record:
    id: int
    type_id: str
    props: dict[str, str]
    created_ms: int
    updated_ms: int
    archived: bool = False
    archived_ms: int | None = None
    history: dict[str, list[JsonDict]] = field(default_factory=dict)
    indexed: dict[str, str] | None = None
    """What search sees: None until the indexing delay has passed."""
    pending: deque[tuple[float, dict[str, str]]] = field(default_factory=deque)


class Portal:
    """One HubSpot account's CRM data, owners and pipelines."""

    def __init__(
        self,
        portal_id: int,
        app_id: int,
        indexing_delay_ms: int,
        max_unique: int,
        indexing_jitter_ms: int = 0,
    ):
        self.portal_id = portal_id
        self.app_id = app_id
        self.indexing_delay_ms = indexing_delay_ms
        self.indexing_jitter_ms = indexing_jitter_ms
        self._index_rng = random.Random(portal_id)
        self.max_unique = max_unique
        self.listeners: list[Callable[[Change], None]] = []
        self.version = 0
        """Bumped on every change to CRM data; the app counts writes with it."""
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        self.types: dict[str, ObjectType] = {}
        self.aliases: dict[str, str] = {}
        self.properties: dict[str, dict[str, PropertyDef]] = {}
        self.groups: dict[str, dict[str, PropertyGroup]] = {}
        self.records: dict[str, dict[int, Record]] = {}
        self.order: dict[str, list[int]] = {}
        self.merged: dict[str, dict[int, int]] = {}
        self.unique: dict[str, dict[str, dict[str, int]]] = {}
        self.owners: list[JsonDict] = default_owners()
        self.blocked: set[str] = set()
        """Emails a GDPR delete found no contact for: blocklisted (reference 4.1)."""
        self.pipelines: dict[str, list[JsonDict]] = {"0-3": [default_deal_pipeline()]}
        self.associations = AssociationStore(self._association_changed)
        self._next_id = FIRST_RECORD_ID
        self._next_schema_id = FIRST_SCHEMA_ID
        self._next_pipeline_id = FIRST_PIPELINE_ID
        for otype in STANDARD_TYPES:
            self._register_type(otype)
            for gname, label in DEFAULT_GROUPS[otype.type_id]:
                self.groups[otype.type_id][gname] = PropertyGroup(gname, label)
            for prop in default_properties(otype.type_id):
                self.properties[otype.type_id][prop.name] = prop
        self.version += 1

    def _register_type(self, otype: ObjectType) -> None:
        tid = otype.type_id
        self.types[tid] = otype
        for alias in (tid, otype.name, otype.plural):
            self.aliases[alias.lower()] = tid
        if otype.fully_qualified_name:
            self.aliases[otype.fully_qualified_name.lower()] = tid
            self.aliases[f"p_{otype.name}".lower()] = tid
        self.properties.setdefault(tid, {})
        self.groups.setdefault(tid, {})
        self.records.setdefault(tid, {})
        self.order.setdefault(tid, [])
        self.merged.setdefault(tid, {})
        self.unique.setdefault(tid, {})

    def emit(self, change: Change) -> None:
        for listener in self.listeners:
            listener(change)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    # -- lookups ---------------------------------------------------------------------------
    def resolve_type(self, alias: str) -> ObjectType:
        tid = self.aliases.get(alias.lower())
        if tid is None:
            raise bad_request(f"Unable to infer object type from: {alias}")
        return self.types[tid]

    def prop(self, tid: str, name: str) -> PropertyDef | None:
        found = self.properties[tid].get(name)
        return None if found is None or found.archived else found

    def unique_props(self, tid: str) -> list[str]:
        names = [p.name for p in self.properties[tid].values() if p.has_unique_value]
        if tid == "0-1":
            names = ["email", "hs_additional_emails", *names]
        return names

    @staticmethod
    def _key(prop: str, value: str) -> str:
        return value.lower() if prop in CASE_INSENSITIVE_UNIQUE else value

    def holder(self, tid: str, prop: str, value: str) -> int | None:
        return self.unique[tid].get(prop, {}).get(self._key(prop, value))

    def live(self, tid: str, object_id: int) -> Record | None:
        """A record by id, following merges; None when missing."""
        seen = 0
        while object_id in self.merged[tid] and seen < 1000:
            object_id = self.merged[tid][object_id]
            seen += 1
        return self.records[tid].get(object_id)

    def get(
        self, otype: ObjectType, raw_id: str, id_property: str | None = None, archived: bool = False
    ) -> Record:
        record = self.find(otype, raw_id, id_property)
        if record is None or record.archived != archived:
            raise not_found(raw_id)
        return record

    def find(self, otype: ObjectType, raw_id: str, id_property: str | None = None) -> Record | None:
        if id_property and id_property != "hs_object_id":
            self.check_id_property(otype, id_property)
            holder = self.holder(otype.type_id, id_property, raw_id)
            if holder is None and id_property == "email":
                holder = self.holder(otype.type_id, "hs_additional_emails", raw_id)
            return None if holder is None else self.records[otype.type_id].get(holder)
        if not raw_id.isdigit():
            return None
        return self.live(otype.type_id, int(raw_id))

    def check_id_property(self, otype: ObjectType, name: str) -> None:
        if name not in self.unique_props(otype.type_id):
            raise bad_request(
                NON_UNIQUE_ID_PROPERTY_MESSAGE.format(
                    type_id=otype.type_id, name=name, portal=self.portal_id
                )
            )

    def page(
        self, otype: ObjectType, after: int, limit: int, archived: bool
    ) -> tuple[list[Record], int | None]:
        """Records with id >= after, oldest first; and the id the next page starts at."""
        ids = self.order[otype.type_id]
        records = self.records[otype.type_id]
        out: list[Record] = []
        pos = bisect.bisect_left(ids, after)
        while pos < len(ids):
            record = records.get(ids[pos])
            pos += 1
            if record is None or record.archived != archived:
                continue
            if len(out) == limit:
                return out, record.id
            out.append(record)
        return out, None

    def iter_records(self, tid: str) -> Iterator[Record]:
        return iter(self.records[tid].values())

    # -- validation ------------------------------------------------------------------------
    def prepare(
        self,
        otype: ObjectType,
        raw: JsonDict,
        existing: Record | None,
        claims: dict[tuple[str, str], int] | None = None,
        allow_read_only: bool = False,
        by_user: bool = False,
    ) -> dict[str, str | None]:
        """Check one write; answer the normalised changes or raise HubSpot's error.
        ``by_user``: a user's edit in HubSpot, which may move a lifecycle stage back."""
        tid = otype.type_id
        if not isinstance(raw, dict):
            raise bad_request("properties must be an object")
        owner_ids = {str(o["id"]) for o in self.owners}
        problems: list[PropertyProblem] = []
        changes: dict[str, str | None] = {}
        for name, value in raw.items():
            if isinstance(value, dict | list):
                raise non_text_value(name, value)
            pdef = self.prop(tid, name)
            if pdef is None:
                msg = f'Property "{name}" does not exist'
                problems.append(PropertyProblem(name, "PROPERTY_DOESNT_EXIST", msg))
                continue
            if pdef.read_only_value and not allow_read_only:
                msg = f'"{name}" is a calculated property; its value cannot be set.'
                problems.append(PropertyProblem(name, "READ_ONLY_VALUE", msg))
                continue
            current = existing.props.get(name) if existing else None
            stored, problem = normalise(pdef, value, current, owner_ids)
            if problem is None and name == "email" and (stored or "").lower() in self.blocked:
                problem = PropertyProblem(
                    name, "INVALID_EMAIL", f"Email address {stored} is invalid"
                )
            if problem is not None:
                problems.append(problem)
            else:
                changes[name] = stored
        if tid == "0-3":
            self._check_deal_stage(changes, existing, problems)
        if existing is not None and not by_user:
            self._keep_lifecycle_forward(tid, changes, existing)
        if problems:
            raise validation_error(problems, self.portal_id)
        if existing is None:
            missing = self._missing_on_create(otype, changes)
            if missing:
                raise validation_error(missing, self.portal_id)
        self._check_unique(otype, changes, existing, claims)
        return changes

    def _missing_on_create(
        self, otype: ObjectType, changes: dict[str, str | None]
    ) -> list[PropertyProblem]:
        """What a new record must carry (reference 4.2): a schema's required properties; a
        deal's ``dealname`` and ``dealstage``, and ``pipeline`` once there are several; one of
        a contact's ``email``, ``firstname`` or ``lastname``."""
        required = list(otype.required_props)
        if otype.type_id == "0-3":
            required += ["dealname", "dealstage"]
            if len([p for p in self.pipelines["0-3"] if not p["archived"]]) > 1:
                required.append("pipeline")
        problems = [
            PropertyProblem(p, "REQUIRED_PROPERTY", f"{p} is a required property")
            for p in required
            if not changes.get(p)
        ]
        if otype.type_id == "0-1" and not any(changes.get(p) for p in CONTACT_IDENTITY):
            problems.append(PropertyProblem("email", "REQUIRED_PROPERTY", CONTACT_IDENTITY_MESSAGE))
        return problems

    def _keep_lifecycle_forward(
        self, tid: str, changes: dict[str, str | None], existing: Record
    ) -> None:
        """An API write moves ``lifecyclestage`` only forward (reference 4.2, pitfall 13.18):
        a stage before the record's own is not applied (the record keeps its stage; that the
        write still answers 200 is [assumed]); clearing it first lets any stage be set."""
        new, current = changes.get(LIFECYCLE_STAGE), existing.props.get(LIFECYCLE_STAGE)
        pdef = self.prop(tid, LIFECYCLE_STAGE)
        if not new or not current or pdef is None:
            return
        order = [str(o["value"]) for o in pdef.options]
        if new in order and current in order and order.index(new) < order.index(current):
            del changes[LIFECYCLE_STAGE]

    def _check_deal_stage(
        self,
        changes: dict[str, str | None],
        existing: Record | None,
        problems: list[PropertyProblem],
    ) -> None:
        if "dealstage" not in changes and "pipeline" not in changes:
            return
        pipeline_id = changes.get("pipeline") or (
            existing.props.get("pipeline") if existing else None
        )
        stage = changes.get("dealstage") or (existing.props.get("dealstage") if existing else None)
        if not pipeline_id or not stage:
            return
        for pipeline in self.pipelines["0-3"]:
            if pipeline["id"] == pipeline_id and stage not in {s["id"] for s in pipeline["stages"]}:
                problems.append(
                    PropertyProblem(
                        "dealstage",
                        "INVALID_OPTION",
                        f"{stage} is not a valid stage of pipeline {pipeline_id}",
                    )
                )

    def _check_unique(
        self,
        otype: ObjectType,
        changes: dict[str, str | None],
        existing: Record | None,
        claims: dict[tuple[str, str], int] | None,
    ) -> None:
        tid = otype.type_id
        own_id = existing.id if existing else -1
        for name in self.unique_props(tid):
            value = changes.get(name)
            if not value:
                continue
            values = value.split(";") if name == "hs_additional_emails" else [value]
            for single in values:
                key = self._key(name, single)
                holder = self.holder(tid, name, single)
                if holder is None and name == "email":
                    holder = self.holder(tid, "hs_additional_emails", single)
                if holder is None and claims is not None:
                    holder = claims.get((name, key))
                if holder is not None and holder != own_id:
                    if name in CASE_INSENSITIVE_UNIQUE and holder > 0:
                        raise email_conflict(holder)
                    if name in CASE_INSENSITIVE_UNIQUE:
                        raise batch_email_conflict(single)
                    msg = UNIQUE_TAKEN_MESSAGE.format(value=single)
                    raise validation_error(
                        [PropertyProblem(name, "OBJECT_ALREADY_EXISTS", msg)], self.portal_id
                    )
                if claims is not None:
                    claims[(name, key)] = own_id if own_id != -1 else NEW_IN_BATCH

    # -- writes ----------------------------------------------------------------------------
    def create(
        self, otype: ObjectType, changes: dict[str, str | None], source: WriteSource
    ) -> Record:
        tid = otype.type_id
        record_id = self.new_id()
        stamp = now_ms()
        record = Record(record_id, tid, {}, stamp, stamp)
        props = {k: v for k, v in changes.items() if v is not None}
        if tid == "0-3":
            props.setdefault("pipeline", "default")
        if tid == "0-1":
            props.setdefault("lifecyclestage", "lead")
        props["hs_object_id"] = str(record_id)
        props[otype.created_prop] = iso_ms(stamp)
        props[otype.modified_prop] = iso_ms(stamp)
        if source.change_source == "INTEGRATION":
            props["hs_object_source"] = "INTEGRATION"
            props["hs_object_source_label"] = "INTEGRATION"
            props["hs_object_source_id"] = source.source_id
        else:
            props["hs_object_source"] = "CRM_UI"
            props["hs_object_source_label"] = "CRM_UI"
        record.props = props
        self._derive(record)
        for name, value in record.props.items():
            self._history(record, name, value, stamp, source)
        self.records[tid][record_id] = record
        self.order[tid].append(record_id)
        self._index_unique(record, {})
        self._schedule_index(record)
        self.version += 1
        self.emit(Change("creation", otype, record_id, stamp, source))
        return record

    def update(
        self, otype: ObjectType, record: Record, changes: dict[str, str | None], source: WriteSource
    ) -> Record:
        stamp = max(now_ms(), record.updated_ms)
        before = dict(record.props)
        for name, value in changes.items():
            if value is None:
                record.props.pop(name, None)
            else:
                record.props[name] = value
        self._derive(record)
        record.updated_ms = stamp
        record.props[otype.modified_prop] = iso_ms(stamp)
        self._index_unique(record, before)
        self._schedule_index(record)
        self.version += 1
        for name in sorted(set(before) | set(record.props)):
            if name in NO_EVENT_PROPS or before.get(name) == record.props.get(name):
                continue
            value = record.props.get(name)
            self._history(record, name, value or "", stamp, source)
            self.emit(Change("propertyChange", otype, record.id, stamp, source, name, value or ""))
        return record

    def archive(self, otype: ObjectType, record: Record, source: WriteSource) -> None:
        if record.archived:
            return
        stamp = now_ms()
        record.archived = True
        record.archived_ms = stamp
        self._unindex_unique(record)
        record.indexed = None
        record.pending.clear()
        self.version += 1
        self.emit(Change("deletion", otype, record.id, stamp, source))
        self._refresh_neighbours(record)

    def restore(self, otype: ObjectType, record: Record, source: WriteSource) -> Record:
        """A user restores an archived record from the recycle bin: same id, a ``restore``
        event (reference 4.4); its unique values must still be free."""
        if not record.archived:
            raise bad_request(f"{otype.name} {record.id} is not archived")
        free = {k: v for k, v in record.props.items() if k in self.unique_props(otype.type_id)}
        self._check_unique(otype, dict(free), None, None)
        stamp = max(now_ms(), record.updated_ms)
        record.archived = False
        record.archived_ms = None
        record.updated_ms = stamp
        record.props[otype.modified_prop] = iso_ms(stamp)
        self._index_unique(record, {})
        self._schedule_index(record)
        self.version += 1
        self.emit(Change("restore", otype, record.id, stamp, source))
        self._refresh_neighbours(record)
        return record

    def gdpr_delete(self, otype: ObjectType, record: Record, source: WriteSource) -> None:
        """Permanent delete of a contact and its personal data (reference 4.1, 11.2): no
        recycle bin, links dropped, ``privacyDeletion`` then ``deletion`` events."""
        stamp = now_ms()
        tid = otype.type_id
        if not record.archived:
            self._unindex_unique(record)
        self.records[tid].pop(record.id, None)
        for old, new in list(self.merged[tid].items()):
            if new == record.id:
                self.merged[tid].pop(old)
        neighbours = self.associations.drop((tid, record.id))
        self.version += 1
        self.emit(Change("privacyDeletion", otype, record.id, stamp, source))
        self.emit(Change("deletion", otype, record.id, stamp, source))
        for key in neighbours:
            self._refresh_links(*key)

    def _refresh_neighbours(self, record: Record) -> None:
        for key in self.associations.neighbours((record.type_id, record.id)):
            self._refresh_links(*key)

    def merge(
        self, otype: ObjectType, primary: Record, other: Record, source: WriteSource
    ) -> Record:
        """Merge ``other`` into ``primary``; contacts and companies get a new id (4.5)."""
        if primary.id == other.id:
            raise bad_request("Cannot merge an object with itself")
        tid = otype.type_id
        stamp = now_ms()
        new_id = self.new_id() if tid in ("0-1", "0-2") else primary.id
        merged_ids = [
            *(primary.props.get("hs_merged_object_ids", "").split(";")),
            *(other.props.get("hs_merged_object_ids", "").split(";")),
            str(other.id),
        ]
        if new_id != primary.id:
            merged_ids.append(str(primary.id))
        if len({m for m in merged_ids if m}) + 1 > MAX_MERGE_IDENTITIES:
            raise SimError(414, "VALIDATION_ERROR", TOO_MANY_IDENTITIES_MESSAGE)
        props = {k: v for k, v in other.props.items()}
        moved = sum(1 for k in other.props if k not in primary.props)
        props.update(primary.props)
        if (
            tid == "0-1"
            and other.props.get("email")
            and other.props.get("email") != props.get("email")
        ):
            extra = [e for e in props.get("hs_additional_emails", "").split(";") if e]
            props["hs_additional_emails"] = ";".join([*extra, other.props["email"]])
        props["hs_merged_object_ids"] = ";".join(sorted({m for m in merged_ids if m}, key=int))
        if tid == "0-1":
            props["hs_all_contact_vids"] = ";".join(
                [*props["hs_merged_object_ids"].split(";"), str(new_id)]
            )
        self._unindex_unique(primary)
        self._unindex_unique(other)
        for old in (primary, other):
            if old.id != new_id:
                self.records[tid].pop(old.id, None)
                self.merged[tid][old.id] = new_id
        survivor = Record(new_id, tid, props, primary.created_ms, stamp, history=primary.history)
        survivor.props["hs_object_id"] = str(new_id)
        survivor.props[otype.modified_prop] = iso_ms(stamp)
        self.records[tid][new_id] = survivor
        if new_id != primary.id:
            self.order[tid].append(new_id)
        self._index_unique(survivor, {})
        for old in (primary, other):
            if old.id != new_id:
                self.associations.move((tid, old.id), (tid, new_id))
        derived = self._link_properties(survivor)
        survivor.props.update({k: v for k, v in derived.items() if v is not None})
        for name in [k for k, v in derived.items() if v is None]:
            survivor.props.pop(name, None)
        self._schedule_index(survivor)
        self.version += 1
        self.emit(
            Change(
                "merge",
                otype,
                new_id,
                stamp,
                source,
                extra={
                    "primaryObjectId": primary.id,
                    "mergedObjectIds": [other.id],
                    "newObjectId": new_id,
                    "numberOfPropertiesMoved": moved,
                },
            )
        )
        for old in (primary, other):
            if old.id != new_id:
                self.emit(Change("deletion", otype, old.id, stamp, source))
        self._refresh_neighbours(survivor)
        return survivor

    def _derive(self, record: Record) -> None:
        """Calculated properties HubSpot keeps up to date."""
        props = record.props
        if record.type_id == "0-1":
            email = props.get("email")
            if email and "@" in email:
                props["hs_email_domain"] = email.split("@", 1)[1].lower()
            else:
                props.pop("hs_email_domain", None)
        if record.type_id == "0-3":
            stage = props.get("dealstage")
            closed = False
            won = False
            for pipeline in self.pipelines["0-3"]:
                for s in pipeline["stages"]:
                    if s["id"] == stage:
                        closed = s["metadata"].get("isClosed") == "true"
                        won = is_won(s)
            props["hs_is_closed"] = "true" if closed else "false"
            props["hs_is_closed_won"] = "true" if won else "false"
            if props.get("amount"):
                props["amount_in_home_currency"] = props["amount"]

    def _history(
        self, record: Record, name: str, value: str, stamp: int, source: WriteSource
    ) -> None:
        record.history.setdefault(name, []).insert(
            0,
            {
                "value": value,
                "timestamp": iso_ms(stamp),
                "sourceType": source.change_source,
                "sourceId": source.source_id,
            },
        )

    def _index_unique(self, record: Record, before: dict[str, str]) -> None:
        tid = record.type_id
        for name in self.unique_props(tid):
            old, new = before.get(name), record.props.get(name)
            index = self.unique[tid].setdefault(name, {})
            if old and old != new:
                for single in old.split(";") if name == "hs_additional_emails" else [old]:
                    index.pop(self._key(name, single), None)
            if new:
                for single in new.split(";") if name == "hs_additional_emails" else [new]:
                    index[self._key(name, single)] = record.id

    def _unindex_unique(self, record: Record) -> None:
        tid = record.type_id
        for name in self.unique_props(tid):
            value = record.props.get(name)
            if not value:
                continue
            index = self.unique[tid].setdefault(name, {})
            for single in value.split(";") if name == "hs_additional_emails" else [value]:
                if index.get(self._key(name, single)) == record.id:
                    index.pop(self._key(name, single))

    # -- search index ----------------------------------------------------------------------
    def _schedule_index(self, record: Record) -> None:
        if self.indexing_delay_ms <= 0:
            record.indexed = dict(record.props)
            record.pending.clear()
            return
        delay_ms = self.indexing_delay_ms + self._index_rng.uniform(0, self.indexing_jitter_ms)
        visible_at = time.monotonic() + delay_ms / 1000
        if record.pending:  # one record's versions show in the order they were written
            visible_at = max(visible_at, record.pending[-1][0])
        record.pending.append((visible_at, dict(record.props)))

    def searchable(self, record: Record, now_mono: float) -> dict[str, str] | None:
        """The record as search sees it now, after promoting due index updates."""
        while record.pending and record.pending[0][0] <= now_mono:
            record.indexed = record.pending.popleft()[1]
        if record.archived:
            return None
        return record.indexed

    # -- associations ----------------------------------------------------------------------
    def _association_changed(
        self, a_type: str, a_id: int, b_type: str, b_id: int, atype: AssocType, removed: bool
    ) -> None:
        """One associationChange event per side of the link (reference 11.3)."""
        self.version += 1
        stamp = now_ms()
        inverse = self.associations.find_type(b_type, a_type, atype.category, atype.inverse_type_id)
        sides = [((a_type, a_id), (b_type, b_id), atype)]
        if (a_type, a_id) != (b_type, b_id):
            sides.append(((b_type, b_id), (a_type, a_id), inverse or atype))
        for (from_tid, from_id), (to_tid, to_id), side_type in sides:
            from_type, to_type = self.types.get(from_tid), self.types.get(to_tid)
            if from_type is None or to_type is None:
                continue
            extra = {
                "associationType": f"{from_type.name.upper()}_TO_{to_type.name.upper()}",
                "fromObjectId": from_id,
                "toObjectId": to_id,
                "associationRemoved": removed,
                "isPrimaryAssociation": side_type.primary,
                "associationTypeId": side_type.type_id,
                "associationCategory": side_type.category,
                "fromObjectTypeId": from_tid,
                "toObjectTypeId": to_tid,
            }
            self.emit(
                Change(
                    "associationChange", from_type, from_id, stamp, self.current_source, extra=extra
                )
            )
        for key in dict.fromkeys([(a_type, a_id), (b_type, b_id)]):
            self._refresh_links(*key)

    def _refresh_links(self, tid: str, object_id: int) -> None:
        """A link changed: bump the record's last-modified and keep its association-derived
        properties (reference 4.2) current, as an update by whoever changed the link."""
        record = self.records.get(tid, {}).get(object_id)
        if record is None or record.archived:
            return
        self.update(self.types[tid], record, self._link_properties(record), self.current_source)

    def _link_properties(self, record: Record) -> dict[str, str | None]:
        """A contact's primary company (``associatedcompanyid``) and a company's contact and
        deal counts (``num_associated_contacts``, ``num_associated_deals``)."""
        key = (record.type_id, record.id)

        def live_targets(to_tid: str) -> list[tuple[int, set[tuple[str, int]]]]:
            return [
                (oid, specs)
                for oid, specs in self.associations.targets(key, to_tid)
                if (found := self.records[to_tid].get(oid)) is not None and not found.archived
            ]

        if record.type_id == "0-1":
            primary = [oid for oid, specs in live_targets("0-2") if PRIMARY_COMPANY in specs]
            return {"associatedcompanyid": str(primary[0]) if primary else None}
        if record.type_id == "0-2":
            return {
                "num_associated_contacts": str(len(live_targets("0-1"))),
                "num_associated_deals": str(len(live_targets("0-3"))),
            }
        return {}

    current_source: WriteSource = WriteSource("INTEGRATION", "0")
    """The source of the request being handled; set by the app before each write."""

    # -- properties and schemas ------------------------------------------------------------
    def create_property(self, tid: str, body: JsonDict) -> PropertyDef:
        pdef = property_from_body(self, tid, body)
        self.properties[tid][pdef.name] = pdef
        self.version += 1
        return pdef

    def new_pipeline_id(self) -> str:
        """Custom pipelines and stages get numeric-string ids (reference 10)."""
        self._next_pipeline_id += 1
        return str(self._next_pipeline_id - 1)

    def new_schema_id(self) -> int:
        self._next_schema_id += 1
        return self._next_schema_id - 1

    def register_custom_type(self, otype: ObjectType) -> None:
        self._register_type(otype)
