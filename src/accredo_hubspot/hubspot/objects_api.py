"""CRM objects v3: single records, listing, batch read/write, search and merge."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import orjson

from accredo_hubspot.hubspot import paths
from accredo_hubspot.hubspot.batching import (
    MAX_BATCH_SIZE,
    BatchCallResult,
    BatchWriter,
    WriteAction,
)
from accredo_hubspot.hubspot.errors import UNIQUE_VALUE_TAKEN_TEXT, HubSpotValidationError
from accredo_hubspot.hubspot.models import (
    AssociationSpec,
    BatchOutcome,
    HubSpotObject,
    ObjectPage,
    SearchPage,
    SearchRequest,
    WriteInput,
)
from accredo_hubspot.hubspot.requester import Requester
from accredo_hubspot.hubspot.search import (
    can_slice_by_id,
    keyset_request,
    next_page_crosses_cap,
    with_id_floor,
)

#: Longest ``properties=`` query we send before listing ids and batch-reading the properties
#: instead (414 pitfall §13.20; HubSpot's exact URL limit is not documented) [assumed].
MAX_PROPERTIES_QUERY_CHARS = 2_000
#: Largest list page (reference §4.1).
LIST_PAGE_LIMIT = 100


def properties_query_chars(properties: Sequence[str]) -> int:
    return sum(len("properties=") + len(p) + 1 for p in properties)


class ObjectsAPI:
    """Mixin: needs ``_requester`` and ``max_concurrency``."""

    _requester: Requester
    max_concurrency: int
    write_trace_ids: bool

    # --- single records ----------------------------------------------------------------------

    async def get(
        self,
        object_type: str,
        object_id: str,
        *,
        properties: Sequence[str] = (),
        id_property: str | None = None,
        archived: bool = False,
    ) -> HubSpotObject:
        """One record. A merged-away id answers with the survivor (``id`` differs)."""
        params: dict[str, Any] = {"archived": archived}
        if properties:
            params["properties"] = list(properties)
        if id_property:
            params["idProperty"] = id_property
        data = await self._requester.json(
            "GET", paths.object_by_id(object_type, object_id), params=params
        )
        return HubSpotObject.model_validate(data)

    async def create(
        self,
        object_type: str,
        properties: Mapping[str, str],
        *,
        associations: Sequence[Mapping[str, Any]] = (),
    ) -> HubSpotObject:
        body: dict[str, Any] = {"properties": dict(properties)}
        if associations:
            body["associations"] = list(associations)
        data = await self._requester.json("POST", paths.objects(object_type), body=body)
        return HubSpotObject.model_validate(data)

    async def update(
        self,
        object_type: str,
        object_id: str,
        properties: Mapping[str, str],
        *,
        id_property: str | None = None,
    ) -> HubSpotObject:
        params = {"idProperty": id_property} if id_property else None
        data = await self._requester.json(
            "PATCH",
            paths.object_by_id(object_type, object_id),
            params=params,
            body={"properties": dict(properties)},
        )
        return HubSpotObject.model_validate(data)

    async def archive(self, object_type: str, object_id: str) -> None:
        await self._requester.request("DELETE", paths.object_by_id(object_type, object_id))

    async def merge(self, object_type: str, primary_id: str, merged_id: str) -> HubSpotObject:
        """Merge ``merged_id`` into ``primary_id``; contacts/companies get a new id."""
        data = await self._requester.json(
            "POST",
            paths.objects_merge(object_type),
            body={"primaryObjectId": primary_id, "objectIdToMerge": merged_id},
        )
        return HubSpotObject.model_validate(data)

    # --- listing -----------------------------------------------------------------------------

    async def get_page(
        self,
        object_type: str,
        *,
        properties: Sequence[str] = (),
        limit: int = LIST_PAGE_LIMIT,
        after: str | None = None,
        archived: bool = False,
    ) -> ObjectPage:
        params: dict[str, Any] = {"limit": limit, "archived": archived}
        if properties:
            params["properties"] = list(properties)
        if after:
            params["after"] = after
        data = await self._requester.json("GET", paths.objects(object_type), params=params)
        return ObjectPage.model_validate(data)

    async def iter_objects(
        self, object_type: str, properties: Sequence[str]
    ) -> AsyncIterator[HubSpotObject]:
        """Every record, ``limit=100``/``after`` paging; long property lists use batch/read."""
        long_list = properties_query_chars(properties) > MAX_PROPERTIES_QUERY_CHARS
        after: str | None = None
        while True:
            try:
                page = await self.get_page(
                    object_type, properties=() if long_list else properties, after=after
                )
            except HubSpotValidationError as exc:
                if exc.status != 414 or long_list:
                    raise
                long_list = True
                continue
            records = page.results
            if long_list and records:
                records = await self.batch_read(
                    object_type, [r.id for r in records], properties=properties
                )
            for record in records:
                yield record
            after = page.next_after
            if after is None:
                return

    # --- batch -------------------------------------------------------------------------------

    async def batch_read(
        self,
        object_type: str,
        ids: Sequence[str],
        *,
        properties: Sequence[str] = (),
        id_property: str | None = None,
        archived: bool = False,
    ) -> list[HubSpotObject]:
        """Records for these ids (or unique values), in input order; missing ones left out."""
        by_key: dict[str, HubSpotObject] = {}
        unique_ids = list(dict.fromkeys(ids))
        wanted = list(properties)
        if id_property and id_property not in wanted:
            wanted.append(id_property)
        for start in range(0, len(unique_ids), MAX_BATCH_SIZE):
            chunk = unique_ids[start : start + MAX_BATCH_SIZE]
            body: dict[str, Any] = {"inputs": [{"id": i} for i in chunk], "properties": wanted}
            if id_property:
                body["idProperty"] = id_property
            data = await self._requester.json(
                "POST",
                paths.objects_batch(object_type, "read"),
                params={"archived": archived},
                body=body,
                idempotent=True,
            )
            for raw in data.get("results") or []:
                record = HubSpotObject.model_validate(raw)
                key = record.properties.get(id_property) if id_property else record.id
                by_key[key or record.id] = record
        return [by_key[i] for i in unique_ids if i in by_key]

    async def _write(
        self,
        action: WriteAction,
        object_type: str,
        inputs: Sequence[WriteInput],
        id_property: str | None = None,
        *,
        resendable: bool | None = None,
    ) -> BatchOutcome:
        """``resendable``: a call whose answer was lost may be sent again (by default, all
        but a plain create, which could make copies)."""
        path = paths.objects_batch(object_type, action)
        idempotent = action != "create" if resendable is None else resendable

        async def send(items: list[dict[str, Any]]) -> BatchCallResult:
            response = await self._requester.request(
                "POST", path, body={"inputs": items}, idempotent=idempotent
            )
            # Which call wrote each record, short (it is kept in every audit entry): the
            # endpoint's last part and HubSpot's correlation id of the request.
            correlation = response.headers.get("x-hubspot-correlation-id") or "-"
            call = f"batch/{action} {correlation}"
            body = orjson.loads(response.content)
            return BatchCallResult.from_json(response.status_code, body, call)

        writer = BatchWriter(
            action,
            send,
            id_property=id_property,
            max_concurrency=self.max_concurrency,
            trace_ids=self.write_trace_ids,
        )
        return await writer.run(inputs)

    async def batch_upsert(
        self, object_type: str, id_property: str, inputs: Sequence[WriteInput]
    ) -> BatchOutcome:
        """Upsert by a unique property (``WriteInput.id`` is its value), per-input results."""
        return await self._write("upsert", object_type, inputs, id_property)

    async def batch_update(self, object_type: str, inputs: Sequence[WriteInput]) -> BatchOutcome:
        """Update by record id (``WriteInput.id``), per-input results."""
        return await self._write("update", object_type, inputs)

    async def batch_create(self, object_type: str, inputs: Sequence[WriteInput]) -> BatchOutcome:
        """Create records, per-input results (keys map back through trace ids)."""
        return await self._write("create", object_type, inputs)

    async def batch_create_unique(
        self, object_type: str, id_property: str, inputs: Sequence[WriteInput]
    ) -> BatchOutcome:
        """Create records (``WriteInput.id``: their unique ``id_property`` value) with their
        inline associations; one whose unique value is taken is upserted on it instead.

        So a create resent after a lost answer or a crash lands on the record the first one
        made (its associations were made with it) rather than failing or making a copy:
        HubSpot refuses the second create with "already has that value" (reference 2.3, 6).
        For the same reason a call whose answer was lost (a dropped connection) is sent again.
        """
        created = await self._write("create", object_type, inputs, resendable=True)
        taken = {
            f.key
            for f in created.failed
            if f.property_name == id_property and UNIQUE_VALUE_TAKEN_TEXT in f.message
        }
        if not taken:
            return created
        again = [item for item in inputs if item.key in taken]
        upserted = await self.batch_upsert(object_type, id_property, again)
        created.failed = [f for f in created.failed if f.key not in taken] + upserted.failed
        created.written.update(upserted.written)
        created.call_of.update(upserted.call_of)
        created.calls += upserted.calls
        return created

    async def batch_archive(self, object_type: str, ids: Sequence[str]) -> int:
        """Archive records by id; returns the number of calls made."""
        unique_ids = list(dict.fromkeys(ids))
        calls = 0
        for start in range(0, len(unique_ids), MAX_BATCH_SIZE):
            chunk = unique_ids[start : start + MAX_BATCH_SIZE]
            await self._requester.request(
                "POST",
                paths.objects_batch(object_type, "archive"),
                body={"inputs": [{"id": i} for i in chunk]},
                idempotent=True,
            )
            calls += 1
        return calls

    # --- search ------------------------------------------------------------------------------

    async def search(self, object_type: str, request: SearchRequest) -> SearchPage:
        """One page of a search (its own 5/s budget; results lag writes by a moment)."""
        data = await self._requester.json(
            "POST", paths.objects_search(object_type), body=request.to_wire(), idempotent=True
        )
        return SearchPage.model_validate(data)

    async def search_all(
        self, object_type: str, request: SearchRequest
    ) -> AsyncIterator[HubSpotObject]:
        """Every match, paging with ``after`` and slicing on ``hs_object_id`` past 10,000.

        Without a sort (or sorted by ``hs_object_id`` ascending) any number of results is
        reachable; with another sort, reaching the cap raises ``HubSpotValidationError``.
        """
        keyset = can_slice_by_id(request)
        base = keyset_request(request) if keyset else request
        current = base
        while True:
            page = await self.search(object_type, current)
            for record in page.results:
                yield record
            next_after = page.next_after
            if next_after is None:
                return
            if not next_page_crosses_cap(next_after, current.limit):
                current = current.model_copy(update={"after": next_after})
                continue
            if not keyset or not page.results:
                raise HubSpotValidationError(
                    "search reaches the 10,000-result cap and is not ordered by hs_object_id"
                )
            current = with_id_floor(base, page.results[-1].id)


def association_to(to_id: str, spec: AssociationSpec) -> dict[str, Any]:
    """An inline association for ``create(..., associations=[...])``."""
    return {"to": {"id": to_id}, "types": [spec.to_wire()]}
