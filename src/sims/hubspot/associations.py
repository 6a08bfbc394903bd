"""Associations v4: type definitions (default, primary, labelled) and the links between records
(reference section 8). Links are stored in both directions with the inverse type id."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from sims.hubspot.errors import SimError, bad_request

Key = tuple[str, int]
Spec = tuple[str, int]
"""(associationCategory, associationTypeId)"""

CUSTOM_PAIR_CATEGORY = "USER_DEFINED"
"""[assumed] reference 7: custom-object default association types are portal-specific; their
category is not documented."""

FIRST_CUSTOM_TYPE_ID = 75
FIRST_LABEL_TYPE_ID = 144


@dataclass(frozen=True)
class AssocType:
    from_type: str
    to_type: str
    category: str
    type_id: int
    label: str | None
    inverse_type_id: int
    primary: bool = False
    name: str = ""


# (from, to, unlabeled id, inverse unlabeled id, primary id | None, inverse primary id | None)
HUBSPOT_DEFINED: tuple[tuple[str, str, int, int, int | None, int | None], ...] = (
    ("0-1", "0-2", 279, 280, 1, 2),
    ("0-1", "0-3", 4, 3, None, None),
    ("0-2", "0-3", 342, 341, 6, 5),
    ("0-1", "0-1", 449, 449, None, None),
    ("0-2", "0-2", 450, 450, None, None),
    ("0-3", "0-3", 451, 451, None, None),
)


class AssociationStore:
    """Association types and links; calls ``on_change`` for every link added or removed."""

    def __init__(self, on_change: Callable[[str, int, str, int, AssocType, bool], None]) -> None:
        self._types: dict[tuple[str, str], list[AssocType]] = {}
        self._links: dict[Key, dict[Key, set[Spec]]] = {}
        self._on_change = on_change
        self._next_custom_id = FIRST_CUSTOM_TYPE_ID
        self._next_label_id = FIRST_LABEL_TYPE_ID
        for a, b, unl, inv_unl, prim, inv_prim in HUBSPOT_DEFINED:
            self._add_pair("HUBSPOT_DEFINED", a, b, unl, inv_unl, None, None)
            if prim is not None and inv_prim is not None:
                self._add_pair(
                    "HUBSPOT_DEFINED", a, b, prim, inv_prim, "Primary", "Primary", primary=True
                )

    def _add_pair(
        self,
        category: str,
        a: str,
        b: str,
        type_id: int,
        inverse_id: int,
        label: str | None,
        inverse_label: str | None,
        primary: bool = False,
        name: str = "",
    ) -> None:
        self._types.setdefault((a, b), []).append(
            AssocType(a, b, category, type_id, label, inverse_id, primary, name)
        )
        if (a, b) != (b, a) or type_id != inverse_id:
            self._types.setdefault((b, a), []).append(
                AssocType(b, a, category, inverse_id, inverse_label, type_id, primary, name)
            )

    # -- type definitions ------------------------------------------------------------------
    def ensure_pair(self, a: str, b: str) -> None:
        """Give a custom-object pair its portal-specific default type, once."""
        if (a, b) in self._types:
            return
        type_id = self._next_custom_id
        inverse = type_id + 1 if a != b else type_id
        self._next_custom_id = inverse + 1
        self._add_pair(CUSTOM_PAIR_CATEGORY, a, b, type_id, inverse, None, None)

    def types(self, a: str, b: str) -> list[AssocType]:
        self.ensure_pair(a, b)
        return list(self._types[(a, b)])

    def default_type(self, a: str, b: str) -> AssocType:
        return next(t for t in self.types(a, b) if t.label is None)

    def find_type(self, a: str, b: str, category: str, type_id: int) -> AssocType | None:
        return next(
            (t for t in self.types(a, b) if t.type_id == type_id and t.category == category),
            None,
        )

    def create_label(
        self, a: str, b: str, label: str, name: str, inverse_label: str | None
    ) -> list[AssocType]:
        existing = [t for t in self.types(a, b) if t.category == "USER_DEFINED" and t.label]
        if len(existing) >= 10:
            raise bad_request("An object pair can have at most 10 association labels.")
        if "-" in name or name[:1].isdigit():
            raise bad_request(f"Invalid association label name: {name}")
        type_id = self._next_label_id + 1
        inverse = self._next_label_id if inverse_label is not None or a != b else type_id
        self._next_label_id += 2
        self._add_pair(
            "USER_DEFINED", a, b, type_id, inverse, label, inverse_label or label, name=name
        )
        made = [t for t in self.types(a, b) if t.type_id == type_id]
        if inverse != type_id:
            made += [t for t in self.types(b, a) if t.type_id == inverse]
        return made

    # -- links -----------------------------------------------------------------------------
    def specs(self, a: Key, b: Key) -> set[Spec]:
        return set(self._links.get(a, {}).get(b, set()))

    def targets(self, a: Key, to_type: str) -> list[tuple[int, set[Spec]]]:
        out = [
            (oid, set(specs))
            for (tid, oid), specs in self._links.get(a, {}).items()
            if tid == to_type and specs
        ]
        out.sort()
        return out

    def add(self, a: Key, b: Key, atype: AssocType) -> bool:
        """Link a to b with ``atype`` (and b to a with its inverse); True when it is new."""
        forward = self._links.setdefault(a, {}).setdefault(b, set())
        spec = (atype.category, atype.type_id)
        if spec in forward:
            return False
        forward.add(spec)
        self._links.setdefault(b, {}).setdefault(a, set()).add(
            (atype.category, atype.inverse_type_id)
        )
        if atype.primary:
            self._drop_other_primaries(a, b, atype)
        self._on_change(a[0], a[1], b[0], b[1], atype, False)
        if atype.label is not None:
            self.add(a, b, self.default_type(a[0], b[0]))
        return True

    def _drop_other_primaries(self, a: Key, b: Key, atype: AssocType) -> None:
        """After the new primary is in place, so listeners never see a record without one."""
        spec = (atype.category, atype.type_id)
        for other, specs in list(self._links.get(a, {}).items()):
            if other != b and other[0] == b[0] and spec in specs:
                self.remove_spec(a, other, atype)

    def remove_spec(self, a: Key, b: Key, atype: AssocType) -> None:
        forward = self._links.get(a, {}).get(b)
        if not forward or (atype.category, atype.type_id) not in forward:
            return
        forward.discard((atype.category, atype.type_id))
        self._links.get(b, {}).get(a, set()).discard((atype.category, atype.inverse_type_id))
        self._on_change(a[0], a[1], b[0], b[1], atype, True)

    def remove_all(self, a: Key, b: Key) -> None:
        for category, type_id in sorted(self.specs(a, b)):
            atype = self.find_type(a[0], b[0], category, type_id)
            if atype is not None:
                self.remove_spec(a, b, atype)

    def replace_labels(self, a: Key, b: Key, wanted: list[AssocType]) -> None:
        """PUT with a label set replaces the labels between the pair (reference 8)."""
        keep = {(t.category, t.type_id) for t in wanted}
        default = self.default_type(a[0], b[0])
        keep.add((default.category, default.type_id))
        for category, type_id in sorted(self.specs(a, b) - keep):
            atype = self.find_type(a[0], b[0], category, type_id)
            if atype is not None:
                self.remove_spec(a, b, atype)
        for atype in wanted:
            self.add(a, b, atype)

    def neighbours(self, a: Key) -> list[Key]:
        return [other for other, specs in self._links.get(a, {}).items() if specs]

    def drop(self, a: Key) -> list[Key]:
        """Forget every link of a record that no longer exists, without events; answers the
        records it was linked to."""
        others = self.neighbours(a)
        for other in self._links.pop(a, {}):
            self._links.get(other, {}).pop(a, None)
        return others

    def move(self, old: Key, new: Key) -> None:
        """Give every link of ``old`` to ``new`` (used by merges), without events. A primary
        link ``new`` already has to another record wins: the moved one keeps only its other
        types (reference 4.5: "excess primary associations are dropped")."""
        for other, specs in self._links.pop(old, {}).items():
            back = self._links.get(other, {}).pop(old, set())
            if other == new:
                continue
            taken = {
                spec
                for target, held in self._links.get(new, {}).items()
                if target[0] == other[0] and target != other
                for spec in held
            }
            kept = {s for s in specs if not (s in taken and self._is_primary(new, other, s))}
            dropped = {self._inverse(new, other, s) for s in specs - kept}
            self._links.setdefault(new, {}).setdefault(other, set()).update(kept)
            self._links.setdefault(other, {}).setdefault(new, set()).update(back - dropped)

    def _is_primary(self, a: Key, b: Key, spec: Spec) -> bool:
        atype = self.find_type(a[0], b[0], *spec)
        return atype is not None and atype.primary

    def _inverse(self, a: Key, b: Key, spec: Spec) -> Spec:
        atype = self.find_type(a[0], b[0], *spec)
        return (spec[0], atype.inverse_type_id if atype else spec[1])

    def validate_spec(self, a: str, b: str, category: str, type_id: int) -> AssocType:
        atype = self.find_type(a, b, category, type_id)
        if atype is None:
            raise SimError(
                400,
                "VALIDATION_ERROR",
                f"{category} {type_id} is not a valid association type between {a} and {b}",
            )
        return atype

    def clear(self) -> None:
        self._links.clear()


CURSOR_PREFIX = "sim-v4-"


def page_cursor(offset: int) -> str:
    """A v4 paging cursor: opaque text like HubSpot's (``MC0yLTc1MDI`` in reference 8's
    example), never the plain offset a client could do arithmetic on."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{offset}".encode()).decode().rstrip("=")


def cursor_offset(raw: object) -> int:
    """The offset of a cursor ``page_cursor`` gave; anything else is a 400."""
    if raw is None or raw == "":
        return 0
    text = str(raw)
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        decoded = ""
    offset = decoded.removeprefix(CURSOR_PREFIX)
    if not decoded.startswith(CURSOR_PREFIX) or not offset.isdigit():
        raise bad_request(f"Invalid after cursor: {text}")
    return int(offset)
