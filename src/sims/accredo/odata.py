"""OData 4 query options as the simulator understands them (reference 5.1), pure functions.

``$filter`` is tokenised and parsed by recursive descent into closures over a record dict;
``$select``, ``$orderby`` and ``$expand`` (with nested ``$select``) are parsed and checked
against the entity's properties. Every problem raises :class:`QueryError`, answered as a 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]
Getter = Callable[[Record], Any]


class QueryError(ValueError):
    """An invalid or unsupported query option; the message goes into the OData error body."""


_TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^']|'')*')
    | (?P<date>\d{4}-\d{2}-\d{2}(?:T[0-9:.]+Z?)?)(?![\w.])
    | (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)(?![\w])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)

COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
#: The functions reference 5.1 lists; any other (tolower, length, substringof ...) is a 400.
STRING_FUNCS = {"contains", "startswith", "endswith"}


@dataclass(frozen=True)
class Token:
    kind: str  # str | date | num | name | punct | end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"Syntax error in $filter at position {pos}: {text[pos : pos + 20]!r}")
        kind = m.lastgroup or "punct"
        tokens.append(Token(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


@dataclass(frozen=True)
class Operand:
    """A compiled operand: a getter plus what kind of value it yields, for type checks."""

    get: Getter
    kind: str  # string | number | boolean | date | null | any
    is_literal: bool = False


FieldTypes = Mapping[str, str]  # property name -> string | integer | number | boolean | date


class _Parser:
    def __init__(
        self, text: str, field_types: FieldTypes, defaults: Mapping[str, Any] | None
    ) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.types = field_types
        self.defaults = defaults or {}

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.next()
        if tok.text != text:
            raise QueryError(f"Expected {text!r} at position {tok.pos} in $filter")

    def word(self) -> str:
        tok = self.peek()
        return tok.text.lower() if tok.kind == "name" else ""

    def parse(self) -> Predicate:
        pred = self.parse_or()
        if self.peek().kind != "end":
            tok = self.peek()
            raise QueryError(f"Unexpected {tok.text!r} at position {tok.pos} in $filter")
        return pred

    def parse_or(self) -> Predicate:
        left = self.parse_and()
        while self.word() == "or":
            self.next()
            right = self.parse_and()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    def parse_and(self) -> Predicate:
        left = self.parse_not()
        while self.word() == "and":
            self.next()
            right = self.parse_not()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def parse_not(self) -> Predicate:
        if self.word() == "not":
            self.next()
            inner = self.parse_not()
            return lambda r: not inner(r)
        return self.parse_comparison()

    def parse_comparison(self) -> Predicate:
        left = self.parse_operand()
        op = self.word()
        if op in COMPARISONS:
            self.next()
            right = self.parse_operand()
            return _compare(op, left, right)
        if left.kind == "boolean":
            get = left.get
            return lambda r: get(r) is True
        tok = self.peek()
        raise QueryError(f"Expected a comparison operator at position {tok.pos} in $filter")

    def parse_operand(self) -> Operand:
        tok = self.next()
        if tok.kind == "punct" and tok.text == "(":
            # parenthesised boolean expression used as an operand
            inner = self.parse_or()
            self.expect(")")
            return Operand(lambda r: inner(r), "boolean")
        if tok.kind == "str":
            value = tok.text[1:-1].replace("''", "'")
            return Operand(lambda r: value, "string", True)
        if tok.kind == "date":
            dvalue = tok.text
            try:  # a real date (no 2025-02-30), as on write
                date.fromisoformat(dvalue[:10])
            except ValueError:
                raise QueryError(f"'{dvalue}' is not a valid date in $filter") from None
            return Operand(lambda r: dvalue, "date", True)
        if tok.kind == "num":
            txt = tok.text.rstrip("mMdDfFlL")
            num: float | int = float(txt) if any(c in txt for c in ".eE") else int(txt)
            return Operand(lambda r: num, "number", True)
        if tok.kind == "name":
            low = tok.text.lower()
            if low in ("true", "false"):
                bvalue = low == "true"
                return Operand(lambda r: bvalue, "boolean", True)
            if low == "null":
                return Operand(lambda r: None, "null", True)
            if self.peek().text == "(":
                return self.parse_function(low, tok)
            return self.property(tok)
        raise QueryError(f"Unexpected {tok.text or 'end of $filter'!r} at position {tok.pos}")

    def property(self, tok: Token) -> Operand:
        name = tok.text
        if "/" in name:
            raise QueryError(f"Navigation paths are not supported in $filter: {name}")
        kind = self.types.get(name)
        if kind is None:
            raise QueryError(f"Unknown property '{name}' in $filter")
        default = self.defaults.get(name)
        return Operand(lambda r: r.get(name, default), kind)

    def parse_function(self, fname: str, tok: Token) -> Operand:
        self.expect("(")
        args = [self.parse_operand()]
        while self.peek().text == ",":
            self.next()
            args.append(self.parse_operand())
        self.expect(")")
        if fname in STRING_FUNCS:
            if len(args) != 2:
                raise QueryError(f"{fname}() takes two arguments")
            for a in args:
                if a.kind != "string":  # a date is not text (as in comparisons)
                    raise QueryError(f"{fname}() needs text arguments")
            hay, needle = args[0].get, args[1].get
            method = {"contains": "__contains__", "startswith": "startswith"}.get(fname, "endswith")

            def call(r: Record) -> bool:
                h, n = hay(r), needle(r)
                if not isinstance(h, str) or not isinstance(n, str):
                    return False
                return bool(getattr(h, method)(n))

            return Operand(call, "boolean")
        raise QueryError(f"Unsupported function '{tok.text}' in $filter")


def _compatible(a: str, b: str) -> bool:
    """Same kinds only: a date is compared with an unquoted date literal, never a quoted
    string, and text never with a date (reference 5.1 literal forms)."""
    return "null" in (a, b) or "any" in (a, b) or a == b


def _compare(op: str, left: Operand, right: Operand) -> Predicate:
    if not _compatible(left.kind, right.kind):
        raise QueryError(f"Cannot compare a {left.kind} with a {right.kind} in $filter")
    lg, rg = left.get, right.get
    if op == "eq":
        return lambda r: lg(r) == rg(r)
    if op == "ne":
        return lambda r: lg(r) != rg(r)
    if left.kind == "boolean" or right.kind == "boolean":
        raise QueryError(f"Operator '{op}' does not apply to booleans")
    pyop: Callable[[Any, Any], bool] = {
        "gt": lambda x, y: x > y,
        "ge": lambda x, y: x >= y,
        "lt": lambda x, y: x < y,
        "le": lambda x, y: x <= y,
    }[op]

    def cmp(r: Record) -> bool:
        x, y = lg(r), rg(r)
        if x is None or y is None:
            return False
        return pyop(x, y)

    return cmp


def parse_filter(
    text: str, field_types: FieldTypes, defaults: Mapping[str, Any] | None = None
) -> Predicate:
    """Compile a ``$filter`` expression into a predicate over a record dict.

    ``defaults`` gives the value of a property a sparse record leaves out.
    """
    if not text.strip():
        raise QueryError("$filter is empty")
    return _Parser(text, field_types, defaults).parse()


def equality_set(text: str, fields: tuple[str, ...]) -> tuple[str, list[Any]] | None:
    """``(field, values)`` if ``text`` is ``field eq V1 or field eq V2 ...`` on one of
    ``fields`` (string or integer literals), alone or ``and``-ed at the top level with more
    (``(CustomerCode eq 'A' or ...) and UnallocatedAmount ne 0``): the look-ups the connector
    batches. The store then reads those rows by key or index, and tests only them, instead of
    testing every row against every value."""
    tokens = tokenize(text)[:-1]  # without "end"
    conjuncts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        depth += {"(": 1, ")": -1}.get(tok.text, 0)
        word = tok.text.lower() if tok.kind == "name" else ""
        if depth == 0 and word == "or":
            conjuncts = [tokens]  # a top-level "or" binds loosest: one disjunction, or none
            break
        if depth == 0 and word == "and":
            conjuncts.append([])
        else:
            conjuncts[-1].append(tok)
    for conjunct in conjuncts:
        found = _equalities(conjunct, fields)
        if found is not None:
            return found
    return None


def _equalities(tokens: list[Token], fields: tuple[str, ...]) -> tuple[str, list[Any]] | None:
    """``equality_set`` of one conjunct."""
    while len(tokens) >= 2 and tokens[0].text == "(" and tokens[-1].text == ")":
        tokens = tokens[1:-1]  # "(a) or (b)" comes out malformed, and is refused below
    if len(tokens) < 3 or (len(tokens) + 1) % 4:
        return None
    field = tokens[0].text
    if field not in fields:
        return None
    values: list[Any] = []
    for i in range(0, len(tokens), 4):
        name, op, literal = tokens[i : i + 3]
        if name.text != field or op.text.lower() != "eq":
            return None
        if i + 3 < len(tokens) and tokens[i + 3].text.lower() != "or":
            return None
        if literal.kind == "str":
            values.append(literal.text[1:-1].replace("''", "'"))
        elif literal.kind == "num" and literal.text.lstrip("-").isdigit():
            values.append(int(literal.text))
        else:
            return None
    return field, values


def key_lower_bound(text: str, key: str) -> tuple[Any, bool] | None:
    """If ``text`` is ``key gt|ge N`` (optionally ``and``-ed with more), return (N, inclusive).

    Lets the store start a scan at the bound instead of the first row (delta polling).
    """
    tokens = tokenize(text)
    depth = 0
    for tok in tokens:
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
        elif tok.kind == "name" and tok.text.lower() in ("or", "not"):
            return None
    if depth != 0:
        return None
    for i in range(len(tokens) - 2):
        a, op, b = tokens[i], tokens[i + 1], tokens[i + 2]
        if a.text == key and op.text.lower() in ("gt", "ge") and b.kind == "num":
            if i > 0 and tokens[i - 1].text.lower() not in ("and", "("):
                continue
            return int(float(b.text.rstrip("mMdDfFlL"))), op.text.lower() == "ge"
    return None


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside parentheses and quotes."""
    parts: list[str] = []
    depth = 0
    quoted = False
    cur: list[str] = []
    for ch in text:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth < 0:
                raise QueryError("Unbalanced parentheses")
        if ch == sep and depth == 0 and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if depth != 0 or quoted:
        raise QueryError("Unbalanced parentheses or quotes")
    parts.append("".join(cur))
    return parts


_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_select(text: str, allowed: set[str] | Mapping[str, Any], what: str) -> list[str]:
    names = [p.strip() for p in split_top_level(text)]
    out: list[str] = []
    for n in names:
        if n == "*":
            out.extend(k for k in allowed)
            continue
        if not _NAME_RE.match(n) or n not in allowed:
            raise QueryError(f"Unknown property '{n}' in $select of {what}")
        out.append(n)
    return out


def parse_orderby(text: str, allowed: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """``$orderby`` as (property, descending) pairs."""
    out: list[tuple[str, bool]] = []
    for part in split_top_level(text):
        bits = part.split()
        if not bits or len(bits) > 2:
            raise QueryError(f"Invalid $orderby item '{part.strip()}'")
        name = bits[0]
        if name not in allowed:
            raise QueryError(f"Unknown property '{name}' in $orderby")
        direction = bits[1].lower() if len(bits) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise QueryError(f"Invalid $orderby direction '{bits[1]}'")
        out.append((name, direction == "desc"))
    return out


@dataclass
class ExpandItem:
    nav: str
    select: list[str] | None = None
    options: dict[str, str] = field(default_factory=dict)


def parse_expand(
    text: str, navs: tuple[str, ...], item_fields: Callable[[str], Mapping[str, Any]]
) -> list[ExpandItem]:
    """``$expand=Contact($select=FullName,Role),DeliveryAddress``; only nested $select."""
    items: list[ExpandItem] = []
    for part in split_top_level(text):
        part = part.strip()
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?$", part, re.S)
        if not m:
            raise QueryError(f"Invalid $expand item '{part}'")
        nav, inner = m.group(1), m.group(2)
        if nav == "*":
            items.extend(ExpandItem(n) for n in navs)
            continue
        if nav not in navs:
            raise QueryError(f"'{nav}' is not a navigation property that can be expanded")
        item = ExpandItem(nav)
        if inner:
            for opt in split_top_level(inner, ";"):
                if "=" not in opt:
                    raise QueryError(f"Invalid nested option '{opt}' in $expand")
                oname, oval = opt.split("=", 1)
                oname = oname.strip().lower()
                if oname != "$select":
                    raise QueryError(f"Nested option '{oname}' is not supported in $expand")
                item.select = parse_select(oval, item_fields(nav), nav)
        items.append(item)
    return items


def sort_key(value: Any) -> tuple[int, Any]:
    """Total order for mixed values: nulls first, then by value."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (2, value)
    return (3, str(value))
