"""Deal pipelines and their stages under HubSpot's rules (reference 10): new ones get
numeric-string ids, deal stages need a probability from 0.0 to 1.0, and the deal properties
``pipeline`` and ``dealstage`` offer exactly the live pipelines' ids and stages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sims.hubspot.errors import SimError, bad_request
from sims.hubspot.portal import options
from sims.hubspot.timeutil import iso_ms, now_ms

if TYPE_CHECKING:
    from sims.hubspot.store import Portal

JsonDict = dict[str, Any]
DEALS = "0-3"
WRITE_PERMISSIONS = "CRM_PERMISSIONS_ENFORCEMENT"
PIPELINE_EXISTS_MESSAGE = "A pipeline with label '{label}' already exists."
"""[assumed] reference 2.3: an existing pipeline answers 409; its text is not captured."""
STAGE_IN_USE_SUBCATEGORY = "PipelineError.STAGE_ID_IN_USE"


def _required(body: JsonDict, names: tuple[str, ...]) -> None:
    missing = [n for n in names if body.get(n) is None or body.get(n) == ""]
    if missing:
        raise bad_request(
            f"Some required fields were not set: [{', '.join(missing)}]",
            context={"missingFields": missing},
        )


def _order(raw: object) -> int:
    text = str(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not text.lstrip("-").isdigit():
        raise bad_request(f"displayOrder must be an integer, but was {raw}")
    return int(raw)


def _metadata(tid: str, raw: object) -> dict[str, str]:
    """Deal stages need ``probability`` between 0.0 and 1.0; values are kept as strings."""
    if not isinstance(raw, dict):
        raise bad_request("metadata must be an object")
    meta = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in raw.items()}
    if tid == DEALS:
        probability = meta.get("probability")
        try:
            valid = probability is not None and 0.0 <= float(probability) <= 1.0
        except ValueError:
            valid = False
        if not valid:
            raise bad_request(
                f"Deal stage probability must be a number from 0.0 to 1.0, but was {probability}",
                context={"probability": [str(probability)]},
            )
        if meta.get("isClosed", "false") not in ("true", "false"):
            raise bad_request(f"isClosed must be true or false, but was {meta['isClosed']}")
    return meta


def stage_from_body(tid: str, raw: object, new_id: Callable[[], str], stamp: int) -> JsonDict:
    """A ``PipelineStage`` from a ``PipelineStageInput``."""
    if not isinstance(raw, dict):
        raise bad_request("Each stage must be an object")
    _required(raw, ("label", "displayOrder", "metadata"))
    return {
        "id": new_id(),
        "label": str(raw["label"]),
        "displayOrder": _order(raw["displayOrder"]),
        "metadata": _metadata(tid, raw["metadata"]),
        "createdAt": iso_ms(stamp),
        "updatedAt": iso_ms(stamp),
        "archived": False,
        "writePermissions": WRITE_PERMISSIONS,
    }


def live(portal: Portal, tid: str) -> list[JsonDict]:
    return [p for p in portal.pipelines.get(tid, []) if not p["archived"]]


def supported(portal: Portal, tid: str) -> None:
    if tid != DEALS:
        raise bad_request(f"Pipelines are not supported for object type {tid}")


def create_pipeline(portal: Portal, tid: str, body: JsonDict) -> JsonDict:
    """A new pipeline from a ``PipelineInput`` (``label``, ``displayOrder``, ``stages``)."""
    supported(portal, tid)
    _required(body, ("label", "displayOrder", "stages"))
    label = str(body["label"])
    if any(p["label"].lower() == label.lower() for p in live(portal, tid)):
        raise SimError(409, "OBJECT_ALREADY_EXISTS", PIPELINE_EXISTS_MESSAGE.format(label=label))
    raw_stages = body["stages"]
    if not isinstance(raw_stages, list) or not raw_stages:
        raise bad_request("A pipeline needs at least one stage")
    stamp = now_ms()
    pipeline: JsonDict = {
        "id": portal.new_pipeline_id(),
        "label": label,
        "displayOrder": _order(body["displayOrder"]),
        "createdAt": iso_ms(stamp),
        "updatedAt": iso_ms(stamp),
        "archived": False,
        "stages": [stage_from_body(tid, s, portal.new_pipeline_id, stamp) for s in raw_stages],
    }
    portal.pipelines.setdefault(tid, []).append(pipeline)
    sync_deal_options(portal)
    return pipeline


def update_pipeline(portal: Portal, tid: str, pipeline: JsonDict, body: JsonDict) -> JsonDict:
    """PATCH: ``label``, ``displayOrder`` and ``archived``."""
    if "label" in body:
        label = str(body["label"])
        taken = [p for p in live(portal, tid) if p is not pipeline and p["label"] == label]
        if taken:
            raise SimError(
                409, "OBJECT_ALREADY_EXISTS", PIPELINE_EXISTS_MESSAGE.format(label=label)
            )
        pipeline["label"] = label
    if "displayOrder" in body:
        pipeline["displayOrder"] = _order(body["displayOrder"])
    if body.get("archived") is True:
        archive_pipeline(portal, tid, pipeline, validate=False)
    pipeline["updatedAt"] = iso_ms(now_ms())
    sync_deal_options(portal)
    return pipeline


def archive_pipeline(portal: Portal, tid: str, pipeline: JsonDict, validate: bool) -> None:
    """DELETE; with ``validateReferencesBeforeDelete`` a pipeline whose stages deals still use
    is refused with HubSpot's ``STAGE_ID_IN_USE`` body (reference 10)."""
    if len(live(portal, tid)) == 1 and not pipeline["archived"]:
        raise bad_request("The last pipeline of an object type cannot be deleted")
    stage_ids = {s["id"] for s in pipeline["stages"]}
    if validate:
        users = [
            r
            for r in portal.iter_records(tid)
            if not r.archived
            and r.props.get("pipeline") == pipeline["id"]
            and r.props.get("dealstage") in stage_ids
        ]
        if users:
            used = sorted({str(r.props["dealstage"]) for r in users})
            ids = ", ".join(str(r.id) for r in users)
            raise SimError(
                400,
                "VALIDATION_ERROR",
                f"Stage IDs: [{', '.join(used)}] are being referenced by object IDs: [{ids}]",
                context={"stageIds": used, "objectIds": [f"[{ids}]"]},
                sub_category=STAGE_IN_USE_SUBCATEGORY,
            )
    stamp = iso_ms(now_ms())
    pipeline["archived"] = True
    pipeline["archivedAt"] = stamp
    sync_deal_options(portal)


def add_stage(portal: Portal, tid: str, pipeline: JsonDict, body: JsonDict) -> JsonDict:
    stage = stage_from_body(tid, body, portal.new_pipeline_id, now_ms())
    pipeline["stages"].append(stage)
    pipeline["updatedAt"] = stage["updatedAt"]
    sync_deal_options(portal)
    return stage


def sync_deal_options(portal: Portal) -> None:
    """The ``pipeline`` and ``dealstage`` properties offer the live pipelines and stages."""
    pipelines = live(portal, DEALS)
    props = portal.properties[DEALS]
    props["pipeline"].options = options(tuple((p["label"], p["id"]) for p in pipelines))
    props["dealstage"].options = options(
        tuple((s["label"], s["id"]) for p in pipelines for s in p["stages"] if not s["archived"])
    )
    portal.version += 1


def is_won(stage: JsonDict) -> bool:
    """Closed with probability 1 (``"1.0"``, ``"1"``): what ``hs_is_closed_won`` reports."""
    meta = stage["metadata"]
    try:
        return meta.get("isClosed") == "true" and float(meta.get("probability", "0")) == 1.0
    except ValueError:
        return False
