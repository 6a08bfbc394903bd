"""Matching a debtor to an existing HubSpot company the first time it is seen.

HubSpot's companies are listed once (in pages) into a ``CompanyIndex`` and matched locally:
search is rate-limited, capped at 10,000 results and lags writes, which is how
search-then-create connectors make duplicates (hubspot-api.md pitfalls 1-3).

Order (DESIGN "Matching"): the stored link; the company the debtor names (the HubSpot company
id a provisioned debtor carries in its custom field, ``[provision] hubspot_id_field``, when the
debtor was read whole); the NZBN (``BusinessNo``), or the ABN for Australian debtors; the
``accredo_customer_code`` property; the e-mail domain, then the web domain (never a generic
mail domain). A key held by two free companies is *ambiguous*:
reported, not linked, never merged. A company that already belongs to another debtor is no
candidate at all: accounts of one business (branches sharing an NZBN or a domain) each get a
company of their own, whatever order they arrive in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.hubspot.models import HubSpotObject
from accredo_hubspot.mapping.identity import (
    debtor_abn,
    debtor_email_domain,
    debtor_nzbn,
    debtor_web_domain,
    is_generic,
)
from accredo_hubspot.mapping.properties import CUSTOMER_CODE_PROPERTY
from accredo_hubspot.mapping.transforms import normalise_abn, normalise_nzbn, web_domain

Via = Literal[
    "link", "hubspot_id", "nzbn", "abn", "code", "email_domain", "web_domain", "new", "ambiguous"
]

#: Company properties the index reads (besides the configurable NZBN property).
DOMAIN_PROPERTIES = ("domain", "website")

_KEY_LABELS = {
    "nzbn": "NZBN",
    "abn": "ABN",
    "code": "customer code",
    "email_domain": "e-mail domain",
    "web_domain": "web domain",
}


def normalise_code(code: str) -> str:
    """Accredo codes are upper case (accredo-api.md 3.3); HubSpot may hold any case."""
    return code.strip().upper()


@dataclass(frozen=True)
class MatchResult:
    """Where one debtor belongs: a company id, a new company, or an ambiguity to report."""

    code: str
    company_id: str | None
    via: Via
    candidates: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class CompanyIndex:
    """HubSpot companies by the keys debtors are matched on; built once per run."""

    by_business_number: Mapping[str, tuple[str, ...]]
    by_code: Mapping[str, tuple[str, ...]]
    by_domain: Mapping[str, tuple[str, ...]]
    code_of: Mapping[str, str]  # company id -> the accredo_customer_code it already holds
    generic_domains: frozenset[str] = field(default_factory=frozenset)
    known: frozenset[str] = field(default_factory=frozenset)  # every company id indexed

    @classmethod
    def build(
        cls,
        companies: Mapping[str, Mapping[str, str]],
        nzbn_property: str,
        generic_domains: Collection[str] = (),
    ) -> CompanyIndex:
        """The index of ``companies`` (id -> ``company_keys``)."""
        generic = frozenset(d.lower() for d in generic_domains)
        numbers: dict[str, list[str]] = defaultdict(list)
        codes: dict[str, list[str]] = defaultdict(list)
        domains: dict[str, list[str]] = defaultdict(list)
        code_of: dict[str, str] = {}
        for company_id, props in companies.items():
            raw_number = props.get(nzbn_property)
            number = normalise_nzbn(raw_number) or normalise_abn(raw_number)
            if number is not None:
                _add(numbers, number, company_id)
            code = props.get(CUSTOMER_CODE_PROPERTY)
            if code and code.strip():
                _add(codes, normalise_code(code), company_id)
                code_of[company_id] = normalise_code(code)
            for prop in DOMAIN_PROPERTIES:
                domain = web_domain(props.get(prop))
                if domain is not None and not is_generic(domain, generic):
                    _add(domains, domain, company_id)
        return cls(
            _freeze(numbers),
            _freeze(codes),
            _freeze(domains),
            code_of,
            generic,
            frozenset(companies),
        )

    def __len__(self) -> int:
        ids = {
            i
            for table in (self.by_business_number, self.by_code, self.by_domain)
            for i in _ids(table)
        }
        return len(ids)


def company_keys(company: HubSpotObject, names: Sequence[str]) -> dict[str, str] | None:
    """What a run keeps of a HubSpot company: the set values of ``names`` (the mapped
    properties: the match keys, and the baseline a first write is planned against), or None
    for an archived one. Whole records of every company would not fit a large portal."""
    if company.archived:
        return None
    return {name: value for name in names if (value := company.properties.get(name))}


def _add(table: dict[str, list[str]], key: str, company_id: str) -> None:
    if company_id not in table[key]:
        table[key].append(company_id)


def _freeze(table: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(ids) for key, ids in table.items()}


def _ids(table: Mapping[str, tuple[str, ...]]) -> Iterable[str]:
    for ids in table.values():
        yield from ids


def _ambiguous(code: str, candidates: Sequence[str], reason: str) -> MatchResult:
    return MatchResult(code, None, "ambiguous", tuple(candidates), reason)


def _lookups(customer: ARCustomer, index: CompanyIndex, code: str) -> list[tuple[Via, str | None]]:
    generic = index.generic_domains
    return [
        ("nzbn", debtor_nzbn(customer)),
        ("abn", debtor_abn(customer)),
        ("code", code),
        ("email_domain", debtor_email_domain(customer, generic)),
        ("web_domain", debtor_web_domain(customer, generic)),
    ]


def _table(index: CompanyIndex, via: Via) -> Mapping[str, tuple[str, ...]]:
    if via in ("nzbn", "abn"):
        return index.by_business_number
    if via == "code":
        return index.by_code
    return index.by_domain


def match_debtor(
    customer: ARCustomer,
    index: CompanyIndex,
    existing_link: str | None,
    claimed: Mapping[str, str] | None = None,
    named: str | None = None,
) -> MatchResult:
    """Find the company for ``customer``; a stored link always wins, then the company it
    ``named`` (its id on the debtor: one provisioned from it), when that company exists.

    ``claimed`` maps company ids to the debtor codes already linked to them (this run's and
    stored ones). A company that belongs to another debtor (linked to it, or holding its code)
    is no candidate for any key: two Accredo accounts of one business (one NZBN, one domain)
    each get a company, the same whether they arrive in one run or in two.
    """
    code = normalise_code(customer.CustomerCode)
    if existing_link:
        return MatchResult(code, existing_link, "link", (existing_link,))
    own = index.by_code.get(code, ())
    taken = claimed or {}
    if named and named in index.known and taken.get(named, code) == code:
        return MatchResult(code, named, "hubspot_id", (named,))
    for via, key in _lookups(customer, index, code):
        if key is None:
            continue
        candidates = tuple(
            cid
            for cid in _table(index, via).get(key, ())
            if index.code_of.get(cid, code) == code and taken.get(cid, code) == code
        )
        if not candidates:
            continue
        label = f"{_KEY_LABELS[via]} {key}"
        if len(candidates) > 1:
            return _ambiguous(code, candidates, f"{label} is on {len(candidates)} companies")
        (company_id,) = candidates
        if own and own != candidates:
            return _ambiguous(
                code,
                (*candidates, *own),
                f"{label} matches company {company_id}, but company {own[0]} holds code {code}",
            )
        return MatchResult(code, company_id, via, candidates)
    return MatchResult(code, None, "new")


def named_company(customer: ARCustomer, hubspot_id_field: str | None) -> str | None:
    """The HubSpot company id the debtor carries in ``hubspot_id_field`` (if any)."""
    if not hubspot_id_field:
        return None
    value = (customer.model_extra or {}).get(hubspot_id_field)
    return str(value).strip() or None if value is not None else None


def match_all(
    customers: Iterable[ARCustomer],
    index: CompanyIndex,
    links: Mapping[str, str],
    hubspot_id_field: str | None = None,
) -> list[MatchResult]:
    """Match every debtor, never letting two debtors claim one company in a run.

    ``links`` maps customer codes to the company ids already stored. The first debtor to claim
    a company keeps it; a later one is reported as ambiguous, naming the first. A debtor's
    ``hubspot_id_field`` names its company (``match_debtor``).
    """
    normalised_links = {normalise_code(code): cid for code, cid in links.items()}
    claimed = {cid: code for code, cid in normalised_links.items()}
    results: list[MatchResult] = []
    for customer in customers:
        code = normalise_code(customer.CustomerCode)
        named = named_company(customer, hubspot_id_field)
        result = match_debtor(customer, index, normalised_links.get(code), claimed, named)
        company_id = result.company_id
        if company_id is not None:
            holder = claimed.setdefault(company_id, code)
            if holder != code:
                result = _ambiguous(
                    code,
                    (company_id,),
                    f"matched company {company_id} by {result.via}, but debtor {holder} "
                    "already claims it",
                )
        results.append(result)
    return results
