"""How a debtor's NZBN, ABN and domains are read."""

from __future__ import annotations

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.mapping.identity import (
    business_number,
    debtor_abn,
    debtor_domain,
    debtor_nzbn,
    is_generic,
)

GENERIC = frozenset({"gmail.com", "xtra.co.nz"})


def debtor(**fields: object) -> ARCustomer:
    return ARCustomer.model_validate({"CustomerCode": "X1", **fields})


def test_business_number_prefers_nzbn_then_abn() -> None:
    assert business_number(debtor(BusinessNo="9429041000014", TaxNo="51824753556")) == (
        "9429041000014"
    )
    au = debtor(RegimeCode="au", TaxNo="51 824 753 556", BusinessNo="ACN 123")
    assert debtor_nzbn(au) is None
    assert debtor_abn(au) == business_number(au) == "51824753556"
    assert business_number(debtor(BusinessNo="123-456-789")) is None
    assert business_number(debtor()) is None


def test_domain_for_new_company() -> None:
    assert (
        debtor_domain(debtor(WebAddress="www.kiwi.nz", EmailAddress="a@b.nz"), GENERIC) == "kiwi.nz"
    )
    assert debtor_domain(debtor(EmailAddress="a@b.nz"), GENERIC) == "b.nz"
    assert debtor_domain(debtor(EmailAddress="a@xtra.co.nz"), GENERIC) is None
    assert debtor_domain(debtor(WebAddress="https://gmail.com"), GENERIC) is None


def test_is_generic_includes_subdomains_only() -> None:
    assert is_generic("xtra.co.nz", GENERIC)
    assert is_generic("mail.xtra.co.nz", GENERIC)
    assert not is_generic("notxtra.co.nz", GENERIC)
