"""The rows of ``accredo-hubspot plan``: one per field a run would write (pure).

Made from the commits a dry run kept (``sync.dryrun``): each audit row is one record written,
its fields with their old and new values; whether it is a create, and why it is written, come
from the links the commit would have made. The stamp of the write (``accredo_last_synced_at``)
is not a row: it changes with every write, as the audit leaves it out too. A record other than
a company (an invoice: its Accredo transaction id) says what it is at the start of ``why``; a
record a run would archive in HubSpot is one row with the action ``archive``; an option a
HubSpot property would gain (the price tier's) is a row whose record is the property and whose
field is ``option``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

from accredo_hubspot.store import DeadLetter, Side
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.dryrun import Commit, OptionAdded
from accredo_hubspot.sync.records import LINK, NEW

Action = Literal["create", "update", "archive"]
#: The field of a row that adds an option to a property.
OPTION_FIELD = "option"


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One field a run would write: the JSON object of ``plan --json``, key for key."""

    side: Side
    record: str  # the Accredo key (the customer code; an invoice's transaction id)
    action: Action
    field: str
    old: str | None
    new: str | None
    why: str

    def as_json(self) -> dict[str, str | None]:
        return asdict(self)


def why_written(action: Action, via: str | None, side: Side) -> str:
    """Why a record is written, in words an operator reads."""
    other, written = ("Accredo", "HubSpot") if side == "hubspot" else ("HubSpot", "Accredo")
    if action == "create":
        return f"no matching record in {written}: a new one"
    if via is None or via == LINK:
        return f"{other}'s value differs from the value last written"
    return f"first link (matched by {via.replace('_', ' ')}); the current value differs"


def _of_type(record_type: str, why: str) -> str:
    return why if record_type == COMPANY_RECORD else f"{record_type}: {why}"


def plan_rows(commits: Iterable[Commit], options: Iterable[OptionAdded] = ()) -> list[PlanRow]:
    """The options properties would gain, then every field write of the commits, in the order
    they were planned."""
    rows = [
        PlanRow(
            "hubspot",
            option.property_name,
            "create",
            OPTION_FIELD,
            None,
            option.value,
            f"{option.label}: an Accredo price code the property has no option for",
        )
        for option in options
    ]
    for commit in commits:
        gone = _of_type(commit.record_type, "no longer open or recent in Accredo: archived")
        rows.extend(
            PlanRow(commit.side, key, "archive", "archived", None, "true", gone)
            for key in commit.archived
        )
        for entry in commit.audit:
            # Links are keyed by the Accredo key: the record's key when HubSpot is written,
            # the id written when Accredo is.
            accredo_key = entry.record_key if commit.side == "hubspot" else entry.remote_id
            record = accredo_key or entry.record_key
            via = commit.via.get(record) if record in commit.links else None
            action: Action = "create" if via == NEW else "update"
            why = _of_type(commit.record_type, why_written(action, via, commit.side))
            rows.extend(
                PlanRow(commit.side, record, action, name, old, new, why)
                for name, (old, new) in entry.changes.items()
            )
    return rows


def skipped(commits: Iterable[Commit]) -> list[DeadLetter]:
    """What a run would dead-letter instead of writing (ambiguous matches, bad values)."""
    return [letter for commit in commits for letter in commit.dead_letters]
