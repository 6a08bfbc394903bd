"""What identifies a debtor outside Accredo: its NZBN or ABN, and its e-mail and web domains.

Shared by the matcher (finding the company) and the planner (writing the NZBN and a new
company's domain), so both read a debtor the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Collection

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.mapping.transforms import (
    email_domain,
    normalise_abn,
    normalise_nzbn,
    web_domain,
)

#: Regime codes of Australian debtors, whose ``TaxNo`` holds the ABN. [assumed] from the tax
#: regime help's labels (accredo-api.md 10.1, ``BusinessNo``/``TaxNo``): sites name regimes
#: themselves, so this is the one place to add theirs.
AUSTRALIAN_REGIME_CODES = frozenset({"AU"})


def debtor_nzbn(customer: ARCustomer) -> str | None:
    """The valid NZBN in ``BusinessNo``, normalised to 13 digits."""
    return normalise_nzbn(customer.BusinessNo)


def is_australian(customer: ARCustomer) -> bool:
    return (customer.RegimeCode or "").strip().upper() in AUSTRALIAN_REGIME_CODES


def debtor_abn(customer: ARCustomer) -> str | None:
    """The ABN: ``TaxNo`` of an Australian-regime debtor, else an ABN found in ``BusinessNo``."""
    if is_australian(customer):
        from_tax_no = normalise_abn(customer.TaxNo)
        if from_tax_no is not None:
            return from_tax_no
    return normalise_abn(customer.BusinessNo)


def business_number(customer: ARCustomer) -> str | None:
    """The NZBN if the debtor has a valid one, else its ABN, else ``None``."""
    return debtor_nzbn(customer) or debtor_abn(customer)


def is_generic(domain: str, generic_domains: Collection[str]) -> bool:
    """A shared mail domain (``gmail.com``), including its sub-domains (``mail.xtra.co.nz``).

    Looks up each parent domain of ``domain`` (a handful) rather than scanning the list.
    """
    if isinstance(generic_domains, frozenset):  # the configuration's: answers are cached
        return _is_generic_in(domain, generic_domains)
    return _is_generic(domain, generic_domains)


@functools.lru_cache(maxsize=65_536)
def _is_generic_in(domain: str, generic_domains: frozenset[str]) -> bool:
    return _is_generic(domain, generic_domains)


def _is_generic(domain: str, generic_domains: Collection[str]) -> bool:
    labels = domain.split(".")
    return any(".".join(labels[i:]) in generic_domains for i in range(len(labels)))


def debtor_email_domain(customer: ARCustomer, generic_domains: Collection[str]) -> str | None:
    domain = email_domain(customer.EmailAddress)
    return None if domain is None or is_generic(domain, generic_domains) else domain


def debtor_web_domain(customer: ARCustomer, generic_domains: Collection[str]) -> str | None:
    domain = web_domain(customer.WebAddress)
    return None if domain is None or is_generic(domain, generic_domains) else domain


def debtor_domain(customer: ARCustomer, generic_domains: Collection[str]) -> str | None:
    """The domain for a new company: the web site's, else the (non-generic) e-mail's."""
    return debtor_web_domain(customer, generic_domains) or debtor_email_domain(
        customer, generic_domains
    )
