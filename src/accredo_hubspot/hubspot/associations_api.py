"""Associations v4 (own rate budget), owners and pipelines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from accredo_hubspot.hubspot import paths
from accredo_hubspot.hubspot.errors import ErrorBody, parse_error_body
from accredo_hubspot.hubspot.models import (
    AssociatedObject,
    AssociationInput,
    AssociationPage,
    AssociationSpec,
    AssociationType,
    LabelsBetweenObjectPair,
    Owner,
    Pipeline,
)
from accredo_hubspot.hubspot.requester import Requester

log = structlog.get_logger(__name__)

#: Largest v4 association page (reference §8: "limit default and max 500").
ASSOCIATION_PAGE_LIMIT = 500
#: Inputs per v4 batch create call [assumed: the 100 of the objects API; only batch read is
#: documented, at 1,000].
ASSOCIATION_BATCH_SIZE = 100
#: Inputs per v4 association batch read (reference section 8: at most 1,000 since Feb 2025).
ASSOCIATION_BATCH_READ_SIZE = 1000
#: A batch read's per-input error for a record with none (reference section 8: a 207).
NO_ASSOCIATIONS_FOUND = "crm.associations.NO_ASSOCIATIONS_FOUND"
#: Owners page size (reference §9: default 100).
OWNERS_PAGE_LIMIT = 100


class AssociationsAPI:
    """Mixin: needs ``_requester``."""

    _requester: Requester

    async def associate_default(
        self, from_type: str, from_id: str, to_type: str, to_id: str
    ) -> None:
        """The default (unlabeled) association, visible from both sides."""
        await self._requester.request(
            "PUT", paths.association_default(from_type, from_id, to_type, to_id)
        )

    async def associate(
        self,
        from_type: str,
        from_id: str,
        to_type: str,
        to_id: str,
        types: Sequence[AssociationSpec],
    ) -> LabelsBetweenObjectPair:
        """Set the labels between a pair. This **replaces** the pair's labels (reference §8)."""
        data = await self._requester.json(
            "PUT",
            paths.association_pair(from_type, from_id, to_type, to_id),
            body=[t.to_wire() for t in types],
        )
        return LabelsBetweenObjectPair.model_validate(data)

    async def remove_associations(
        self, from_type: str, from_id: str, to_type: str, to_id: str
    ) -> None:
        """Remove every association between the pair."""
        await self._requester.request(
            "DELETE", paths.association_pair(from_type, from_id, to_type, to_id)
        )

    async def batch_associate(
        self, from_type: str, to_type: str, inputs: Sequence[AssociationInput]
    ) -> list[ErrorBody]:
        """Create many associations; default ones and labelled ones go to their own endpoint.

        Returns the per-input errors of any 207 (empty when every association was made).
        """
        errors: list[ErrorBody] = []
        defaults = [i for i in inputs if not i.types]
        labelled = [i for i in inputs if i.types]
        for items, action in ((defaults, "associate/default"), (labelled, "create")):
            for start in range(0, len(items), ASSOCIATION_BATCH_SIZE):
                chunk = items[start : start + ASSOCIATION_BATCH_SIZE]
                body = {"inputs": [_association_wire(i) for i in chunk]}
                data = await self._requester.json(
                    "POST",
                    paths.associations_batch(from_type, to_type, action),
                    body=body,
                    idempotent=True,
                )
                errors += [parse_error_body(e) for e in (data or {}).get("errors") or []]
        return errors

    async def list_associations(
        self, from_type: str, from_id: str, to_type: str
    ) -> list[AssociatedObject]:
        """Every record of ``to_type`` associated with this one, all pages."""
        found: list[AssociatedObject] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": ASSOCIATION_PAGE_LIMIT}
            if after:
                params["after"] = after
            data = await self._requester.json(
                "GET", paths.associations_list(from_type, from_id, to_type), params=params
            )
            page = AssociationPage.model_validate(data)
            found += page.results
            after = page.next_after
            if after is None:
                return found

    async def batch_read_associations(
        self, from_type: str, to_type: str, ids: Sequence[str]
    ) -> dict[str, list[AssociatedObject]]:
        """Every record of ``to_type`` associated with each of ``ids`` (all pages), in as few
        calls as the batch read allows: id -> its associated records (an id with none maps to
        an empty list; HubSpot reports those as 207 errors, reference section 8)."""
        found: dict[str, list[AssociatedObject]] = {str(i): [] for i in ids}
        pending: list[dict[str, str]] = [{"id": record_id} for record_id in found]
        while pending:
            chunk, pending = (
                pending[:ASSOCIATION_BATCH_READ_SIZE],
                pending[ASSOCIATION_BATCH_READ_SIZE:],
            )
            data = await self._requester.json(
                "POST",
                paths.associations_batch(from_type, to_type, "read"),
                body={"inputs": chunk},
                idempotent=True,
            )
            for result in (data or {}).get("results") or []:
                record_id = str((result.get("from") or {}).get("id", ""))
                page = AssociationPage.model_validate(
                    {"results": result.get("to") or [], "paging": result.get("paging")}
                )
                found.setdefault(record_id, []).extend(page.results)
                if page.next_after is not None:
                    pending.append({"id": record_id, "after": page.next_after})
            for error in (data or {}).get("errors") or []:
                body = parse_error_body(error)
                if body.sub_category != NO_ASSOCIATIONS_FOUND:
                    log.warning(
                        "association read refused",
                        from_type=from_type,
                        to_type=to_type,
                        reason=body.message,
                        context=body.context,
                    )
        return found

    async def association_labels(self, from_type: str, to_type: str) -> list[AssociationType]:
        """The association types (and labels) defined between two object types."""
        data = await self._requester.json("GET", paths.association_labels(from_type, to_type))
        return [AssociationType.model_validate(t) for t in data.get("results") or []]

    # --- owners and pipelines ----------------------------------------------------------------

    async def list_owners(self, *, email: str | None = None, archived: bool = False) -> list[Owner]:
        owners: list[Owner] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": OWNERS_PAGE_LIMIT, "archived": archived}
            if email:
                params["email"] = email
            if after:
                params["after"] = after
            data = await self._requester.json("GET", paths.owners(), params=params)
            owners += [Owner.model_validate(o) for o in data.get("results") or []]
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return owners

    async def get_pipelines(self, object_type: str) -> list[Pipeline]:
        data = await self._requester.json("GET", paths.pipelines(object_type))
        return [Pipeline.model_validate(p) for p in data.get("results") or []]

    async def get_pipeline(self, object_type: str, pipeline_id: str) -> Pipeline:
        data = await self._requester.json("GET", paths.pipeline(object_type, pipeline_id))
        return Pipeline.model_validate(data)


def _association_wire(item: AssociationInput) -> dict[str, Any]:
    wire: dict[str, Any] = {"from": {"id": item.from_id}, "to": {"id": item.to_id}}
    if item.types:
        wire["types"] = [t.to_wire() for t in item.types]
    return wire
