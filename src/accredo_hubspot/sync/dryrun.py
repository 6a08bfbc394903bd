"""A dry run: the real runners, reading for real and writing nowhere.

``accredo-hubspot plan`` runs the backfill itself, so what it lists cannot drift from what a
backfill does: the same reads, matching, planning and commit step. Only the two ends that write
are swapped: ``RecordingSink`` answers HubSpot writes as written without sending them, and
``DryRunStore`` reads the real state store while keeping every commit to itself. The commits
it keeps (links, the audit rows with old and new values, dead letters, records archived) are
what a real run would have stored; ``sync.plan_rows`` turns them into the plan. The links it
keeps are read back by what comes after in the same run (the invoices find the companies the
plan would create), so the plan is the whole backfill: debtors, then invoices and orders, then
the contacts each side already holds, queued for live sync (``contacts_rollout``): the queue
writes are left out, and the rollout's counts are the plan's contacts line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.hubspot.models import (
    AssociatedObject,
    AssociationType,
    BatchOutcome,
    HubSpotObject,
    ObjectSchema,
    Property,
    PropertyCreate,
    PropertyUpdate,
    SearchRequest,
    WriteInput,
)
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.store import (
    AsyncStateStore,
    AuditBatch,
    AuditEntry,
    DeadLetter,
    Side,
)
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.contacts_rollout import (
    AssociationReader,
    ContactLister,
    ContactsQueued,
    queue_existing_contacts,
)
from accredo_hubspot.sync.document_syncs import DocumentSource, document_syncs
from accredo_hubspot.sync.documents import CustomObjects, DocumentSink, documents_config
from accredo_hubspot.sync.pipeline import Clock
from accredo_hubspot.sync.ports import AccredoSource, HubSpotSink

P = ParamSpec("P")
T = TypeVar("T")

#: Store methods a dry run may call: they only read.
READS = frozenset(
    {
        "get_links",
        "get_links_by_hubspot_id",
        "link_count",
        "get_shadows",
        "get_cursors",
        "get_feed_state",
        "get_meta",
        "get_last_error",
        "list_dead_letters",
        "get_dead_letter",
        "list_ambiguous_matches",
        "dead_letter_count",
        "list_audit",
        "queue_depth",
        "oldest_pending_age_s",
        "lease_holder",
        "status",
    }
)
#: How the id of a record a dry run would create starts (``new:KEY``).
PLACEHOLDER = "new:"
#: Writes of a run that a dry run simply leaves out (cursors, progress marks, the queue).
SKIPPED = frozenset({"set_cursors", "set_meta", "set_last_error", "enqueue"})


class DryRunWriteError(ConnectorError):
    """A dry run tried to write something it does not know how to keep to itself (a bug)."""


@dataclass(frozen=True)
class Commit:
    """One commit step a real run would have made (``StateStore.record_sync``'s arguments)."""

    record_type: str
    side: Side
    links: Mapping[str, str]
    via: Mapping[str, str]
    audit: Sequence[AuditEntry]
    dead_letters: Sequence[DeadLetter]
    archived: Sequence[str] = ()


@dataclass(frozen=True)
class OptionAdded:
    """An option a run would add to a HubSpot enumeration property (the price tier's: a price
    code Accredo has and the property has not)."""

    property_name: str
    value: str
    label: str


@dataclass(frozen=True)
class DryRun:
    """What a backfill would do now: its commits, the property options it would add, and the
    contacts it would queue for live sync (None when the mapping has no contact fields)."""

    commits: list[Commit]
    options_added: list[OptionAdded]
    contacts: ContactsQueued | None = None


class PlanSource(AccredoSource, DocumentSource, ContactLister, Protocol):
    """What a dry run reads from Accredo: the debtors, their invoices, orders and contacts."""


class PlanSink(HubSpotSink, DocumentSink, AssociationReader, Protocol):
    """What a dry run reads from HubSpot (its writes are only recorded)."""


class DryRunStore(AsyncStateStore):
    """The real store for reads; commits are kept in ``commits``, never written."""

    def __init__(self, store: AsyncStateStore) -> None:
        super().__init__(store.sync)
        self.commits: list[Commit] = []

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        name = getattr(fn, "__name__", "")
        if name == "record_sync":
            self.commits.append(_commit(args, kwargs))
            return cast(T, [])  # no record left to another worker
        if name == "forget":  # forget(store, record_type, keys): archived in HubSpot
            record_type, keys = cast(tuple[str, Sequence[str]], args[1:3])
            self.commits.append(Commit(record_type, "hubspot", {}, {}, [], [], list(keys)))
            return cast(T, None)
        if name in SKIPPED:
            return cast(T, None)
        if name not in READS:
            raise DryRunWriteError(f"a dry run may not call the state store's {name}")
        found = await super().run(fn, *args, **kwargs)
        if name == "get_links":  # get_links(store, record_type, keys=None)
            return cast(T, self._with_planned_links(cast(dict[str, str], found), args, kwargs))
        return found

    def _with_planned_links(
        self, found: dict[str, str], args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> dict[str, str]:
        """The stored links, and those the commits kept so far would have added."""
        record_type = args[1]
        keys = args[2] if len(args) > 2 else kwargs.get("keys")
        wanted = None if keys is None else set(keys)
        for commit in self.commits:
            if commit.record_type == record_type:
                found.update(
                    (key, hubspot_id)
                    for key, hubspot_id in commit.links.items()
                    if wanted is None or key in wanted
                )
                for key in commit.archived:
                    found.pop(key, None)
        return found

    async def aclose(self) -> None:
        """Stop this view's thread; the real store stays open (its owner closes it)."""
        self._executor.shutdown(wait=True)


def _commit(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Commit:
    """``record_sync(store, record_type, side, *, links, via, audit, dead_letters, ...)``."""
    record_type, side = args[1:3]  # args[0] is the StateStore the call was bound to
    audit = kwargs.get("audit", ())
    entries = audit.entries() if isinstance(audit, AuditBatch) else list(audit)
    return Commit(
        record_type,
        side,
        dict(kwargs.get("links") or {}),
        dict(kwargs.get("via") or {}),
        entries,
        list(kwargs.get("dead_letters") or ()),
    )


@dataclass
class RecordingSink:
    """A ``HubSpotSink`` that reads through ``hubspot`` and answers every write as written,
    sending nothing. A create is answered with a placeholder id, ``new:KEY``; the options a
    property would gain are kept in ``options_added``."""

    hubspot: PlanSink
    options_added: list[OptionAdded] = field(default_factory=list)

    def iter_objects(
        self, object_type: str, properties: Sequence[str]
    ) -> AsyncIterator[HubSpotObject]:
        return self.hubspot.iter_objects(object_type, properties)

    async def list_schemas(self) -> list[ObjectSchema]:
        return await self.hubspot.list_schemas()

    async def association_labels(self, from_type: str, to_type: str) -> list[AssociationType]:
        return await self.hubspot.association_labels(from_type, to_type)

    async def batch_read_associations(
        self, from_type: str, to_type: str, ids: Sequence[str]
    ) -> dict[str, list[AssociatedObject]]:
        """HubSpot's associations of ``ids``; a record the plan would create (its placeholder
        id) has none yet, and HubSpot is not asked about it."""
        held = [i for i in ids if not i.startswith(PLACEHOLDER)]
        found = await self.hubspot.batch_read_associations(from_type, to_type, held)
        return {i: found.get(i, []) for i in ids}

    def search_all(self, object_type: str, request: SearchRequest) -> AsyncIterator[HubSpotObject]:
        return self.hubspot.search_all(object_type, request)

    async def get_properties(self, object_type: str) -> list[dict[str, Any]]:
        return await self.hubspot.get_properties(object_type)

    async def get_property(self, object_type: str, name: str) -> Property:
        return await self.hubspot.get_property(object_type, name)

    async def create_property(self, object_type: str, definition: PropertyCreate) -> Property:
        self.options_added += [
            OptionAdded(definition.name, o.value, o.label) for o in definition.options or []
        ]
        return Property.model_validate(definition.to_wire())

    async def update_property(
        self, object_type: str, name: str, changes: PropertyUpdate
    ) -> Property:
        existing = await self.hubspot.get_property(object_type, name)
        have = {option.value for option in existing.options}
        self.options_added += [
            OptionAdded(name, o.value, o.label)
            for o in changes.options or []
            if o.value not in have
        ]
        return Property.model_validate({**existing.to_wire(), **changes.to_wire()})

    async def batch_upsert(
        self, object_type: str, id_property: str, inputs: Sequence[WriteInput]
    ) -> BatchOutcome:
        return self._answer("upsert", inputs)

    async def batch_update(self, object_type: str, inputs: Sequence[WriteInput]) -> BatchOutcome:
        return self._answer("update", inputs)

    async def batch_create(self, object_type: str, inputs: Sequence[WriteInput]) -> BatchOutcome:
        return self._answer("create", inputs)

    async def batch_create_unique(
        self, object_type: str, id_property: str, inputs: Sequence[WriteInput]
    ) -> BatchOutcome:
        return self._answer("create", inputs)

    async def batch_archive(self, object_type: str, ids: Sequence[str]) -> int:
        return 0  # no call made (the store's forget is what the plan shows)

    def _answer(self, action: str, inputs: Sequence[WriteInput]) -> BatchOutcome:
        outcome = BatchOutcome()
        for item in inputs:
            record_id = item.id if action == "update" and item.id else f"{PLACEHOLDER}{item.key}"
            outcome.written[item.key] = HubSpotObject(id=record_id, properties=item.properties)
        return outcome


async def plan_backfill(
    accredo: PlanSource,
    hubspot: PlanSink,
    store: AsyncStateStore,
    config: MappingConfig,
    clock: Clock,
) -> DryRun:
    """What a backfill would do now: the backfill itself (debtors, then invoices and orders as
    the portal takes them, then the contacts both sides hold), run against the recording sink
    and a dry-run view of the store."""
    sink = RecordingSink(hubspot)
    objects = CustomObjects(sink)
    config = await documents_config(objects, config)  # as `backfill` does first
    view = DryRunStore(store)
    try:
        await Backfill(accredo, sink, view, config, clock).run()
        for document in await document_syncs(accredo, sink, view, config, clock, objects):
            await document.run()
        contacts = None
        if config.contact_fields:
            contacts = await queue_existing_contacts(accredo, sink, view)
    finally:
        await view.aclose()
    return DryRun(view.commits, sink.options_added, contacts)
