"""Matching debtors to HubSpot companies: order, ambiguity, claims, generic domains."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.hubspot.models import HubSpotObject
from accredo_hubspot.mapping.transforms import gs1_check_digit
from accredo_hubspot.sync.matcher import CompanyIndex, company_keys, match_all, match_debtor

GENERIC = ("gmail.com", "xtra.co.nz")
NZBN_A = "9429041000014"
NZBN_B = "9429031234566"
ABN = "51824753556"


def company(cid: str, **props: str | None) -> HubSpotObject:
    return HubSpotObject(id=cid, properties=dict(props))


def debtor(code: str = "KIWI01", **fields: object) -> ARCustomer:
    return ARCustomer.model_validate({"CustomerCode": code, **fields})


def index(*companies: HubSpotObject, nzbn_property: str = "nzbn") -> CompanyIndex:
    kept = {c.id: company_keys(c, list(c.properties)) for c in companies}
    return CompanyIndex.build(
        {cid: keys for cid, keys in kept.items() if keys is not None}, nzbn_property, GENERIC
    )


def test_stored_link_wins() -> None:
    idx = index(company("1", nzbn=NZBN_A))
    result = match_debtor(debtor(BusinessNo=NZBN_A), idx, "99")
    assert (result.company_id, result.via) == ("99", "link")


def test_the_company_a_provisioned_debtor_names_comes_first() -> None:
    idx = index(company("1", nzbn=NZBN_A), company("2"))
    named = debtor(BusinessNo=NZBN_A, Z_HubSpotID="2")
    (result,) = match_all([named], idx, {}, "Z_HubSpotID")
    assert (result.company_id, result.via) == ("2", "hubspot_id")
    (unread,) = match_all([named], idx, {})  # no id field configured: the usual keys
    assert (unread.company_id, unread.via) == ("1", "nzbn")
    gone = debtor(BusinessNo=NZBN_A, Z_HubSpotID="3")  # a company not found: the usual keys
    assert match_all([gone], idx, {}, "Z_HubSpotID")[0].via == "nzbn"
    (taken,) = match_all([named], idx, {"OTHER": "2"}, "Z_HubSpotID")  # another's company
    assert (taken.company_id, taken.via) == ("1", "nzbn")


def test_nzbn_match_normalises_both_sides() -> None:
    idx = index(company("1", nzbn="942 904 100 0014"), company("2"))
    result = match_debtor(debtor(BusinessNo=f" {NZBN_A} "), idx, None)
    assert (result.company_id, result.via) == ("1", "nzbn")


def test_nzbn_property_name_is_configurable() -> None:
    idx = index(company("1", company_nzbn=NZBN_A), nzbn_property="company_nzbn")
    assert match_debtor(debtor(BusinessNo=NZBN_A), idx, None).company_id == "1"
    assert (
        match_debtor(debtor(BusinessNo=NZBN_A), index(company("1", company_nzbn=NZBN_A)), None).via
        == "new"
    )


def test_invalid_nzbn_is_not_a_key() -> None:
    bad = NZBN_A[:-1] + "5"
    idx = index(company("1", nzbn=bad))
    assert match_debtor(debtor(BusinessNo=bad), idx, None).via == "new"


def test_abn_for_australian_regime_from_tax_no() -> None:
    idx = index(company("7", nzbn="51 824 753 556"))
    au = debtor(RegimeCode="AU", TaxNo="51 824 753 556", BusinessNo=None)
    assert (match_debtor(au, idx, None).company_id, match_debtor(au, idx, None).via) == ("7", "abn")
    # an NZ debtor's TaxNo is a GST number, not an ABN
    nz = debtor(RegimeCode="NZ", TaxNo="51 824 753 556")
    assert match_debtor(nz, idx, None).via == "new"
    # an 11-digit ABN in BusinessNo is accepted whatever the regime
    assert match_debtor(debtor(BusinessNo=ABN), idx, None).via == "abn"


def test_customer_code_then_domains() -> None:
    idx = index(
        company("1", accredo_customer_code="kiwi01"),
        company("2", domain="widgets.co.nz"),
        company("3", website="https://www.gadgets.nz/about"),
    )
    assert match_debtor(debtor(), idx, None).via == "code"
    by_email = match_debtor(debtor("W1", EmailAddress="Sales@Widgets.co.nz"), idx, None)
    assert (by_email.company_id, by_email.via) == ("2", "email_domain")
    by_web = match_debtor(debtor("G1", WebAddress="gadgets.nz"), idx, None)
    assert (by_web.company_id, by_web.via) == ("3", "web_domain")


def test_generic_domains_never_match() -> None:
    idx = index(company("1", domain="gmail.com"), company("2", domain="mail.xtra.co.nz"))
    assert match_debtor(debtor(EmailAddress="bob@gmail.com"), idx, None).via == "new"
    assert match_debtor(debtor(EmailAddress="bob@mail.xtra.co.nz"), idx, None).via == "new"
    assert idx.by_domain == {}


def test_two_companies_with_one_nzbn_is_ambiguous_not_linked() -> None:
    idx = index(company("1", nzbn=NZBN_A), company("2", nzbn=NZBN_A), company("3", domain="k.nz"))
    result = match_debtor(debtor(BusinessNo=NZBN_A, EmailAddress="a@k.nz"), idx, None)
    assert result.via == "ambiguous"
    assert result.company_id is None
    assert set(result.candidates) == {"1", "2"}
    assert "NZBN" in result.reason and "2 companies" in result.reason


def test_two_companies_with_one_domain_is_ambiguous() -> None:
    idx = index(company("1", domain="k.nz"), company("2", website="http://www.k.nz"))
    result = match_debtor(debtor(EmailAddress="a@k.nz"), idx, None)
    assert (result.via, set(result.candidates)) == ("ambiguous", {"1", "2"})


def test_company_with_both_domain_and_website_counts_once() -> None:
    idx = index(company("1", domain="k.nz", website="https://k.nz"))
    assert match_debtor(debtor(EmailAddress="a@k.nz"), idx, None).company_id == "1"


def test_company_of_another_debtor_is_not_taken() -> None:
    """A branch sharing the NZBN of a company that holds another debtor's code gets its own."""
    idx = index(company("1", nzbn=NZBN_A, accredo_customer_code="BRANCH2"))
    result = match_debtor(debtor("BRANCH1", BusinessNo=NZBN_A), idx, None)
    assert (result.company_id, result.via) == (None, "new")


def test_nzbn_and_code_on_different_companies_is_ambiguous() -> None:
    idx = index(company("1", nzbn=NZBN_A), company("2", accredo_customer_code="KIWI01"))
    result = match_debtor(debtor(BusinessNo=NZBN_A), idx, None)
    assert result.via == "ambiguous"
    assert set(result.candidates) == {"1", "2"}


def test_archived_companies_are_ignored() -> None:
    archived = HubSpotObject(id="1", properties={"nzbn": NZBN_A}, archived=True)
    assert match_debtor(debtor(BusinessNo=NZBN_A), index(archived), None).via == "new"


def test_match_all_never_lets_two_debtors_claim_one_company() -> None:
    """Two accounts of one business (one NZBN): the first takes the company, the second gets
    its own, in one run exactly as in two."""
    idx = index(company("1", nzbn=NZBN_A))
    results = match_all([debtor("A1", BusinessNo=NZBN_A), debtor("B1", BusinessNo=NZBN_A)], idx, {})
    assert (results[0].company_id, results[0].via) == ("1", "nzbn")
    assert (results[1].company_id, results[1].via) == (None, "new")
    later = match_all([debtor("B1", BusinessNo=NZBN_A)], idx, {"A1": "1"})
    assert (later[0].company_id, later[0].via) == (None, "new")


def test_two_free_companies_with_one_nzbn_are_ambiguous() -> None:
    idx = index(company("1", nzbn=NZBN_A), company("2", nzbn=NZBN_A))
    (result,) = match_all([debtor("A1", BusinessNo=NZBN_A)], idx, {})
    assert result.via == "ambiguous" and set(result.candidates) == {"1", "2"}


def test_a_second_branch_sharing_a_domain_becomes_a_new_company() -> None:
    """Branches share a domain: once one debtor holds the company, the next is no candidate
    for a domain match and gets its own company instead of being stranded as ambiguous."""
    idx = index(company("1", domain="k.nz"))
    results = match_all(
        [debtor("A1", EmailAddress="x@k.nz"), debtor("B1", EmailAddress="y@k.nz")], idx, {}
    )
    assert (results[0].company_id, results[0].via) == ("1", "email_domain")
    assert (results[1].company_id, results[1].via) == (None, "new")
    owned = index(company("2", domain="k.nz", accredo_customer_code="OTHER1"))
    assert match_debtor(debtor("C1", EmailAddress="z@k.nz"), owned, None).via == "new"


def test_match_all_respects_stored_links_of_others() -> None:
    idx = index(company("1", nzbn=NZBN_A))
    results = match_all([debtor("NEW1", BusinessNo=NZBN_A), debtor("OLD1")], idx, {"old1": "1"})
    assert (results[0].company_id, results[0].via) == (None, "new")
    assert (results[1].company_id, results[1].via) == ("1", "link")


def test_match_all_unmatched_are_new_and_order_kept() -> None:
    idx = index(company("1", nzbn=NZBN_B))
    results = match_all([debtor("Z1"), debtor("A1", BusinessNo=NZBN_B), debtor("M1")], idx, {})
    assert [r.code for r in results] == ["Z1", "A1", "M1"]
    assert [r.via for r in results] == ["new", "nzbn", "new"]


NAMES = st.text(alphabet=st.sampled_from(list("Ngāti Whātua Ōrākei O'Brien’s Café-&")), max_size=40)


@given(
    name=NAMES,
    body=st.text(alphabet="0123456789", min_size=12, max_size=12),
)
def test_names_with_macrons_do_not_affect_matching(name: str, body: str) -> None:
    nzbn = body + str(gs1_check_digit(body))
    idx = index(company("1", nzbn=nzbn, name=name))
    result = match_debtor(debtor("M1", CustomerName=name, BusinessNo=nzbn), idx, None)
    assert (result.company_id, result.via) == ("1", "nzbn")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C", "D"]), st.sampled_from(["k.nz", "j.nz", "gmail.com"])
        ),
        max_size=12,
    )
)
def test_match_all_never_links_one_company_twice(rows: list[tuple[str, str]]) -> None:
    idx = index(company("1", domain="k.nz"), company("2", domain="j.nz"))
    customers = [
        debtor(f"{letter}{i}", EmailAddress=f"x@{d}") for i, (letter, d) in enumerate(rows)
    ]
    results = match_all(customers, idx, {})
    linked = [r.company_id for r in results if r.company_id is not None]
    assert len(linked) == len(set(linked))
    for result in results:
        assert (result.company_id is None) == (result.via in ("new", "ambiguous"))


def test_company_keys_keep_only_the_set_values_of_the_named_properties() -> None:
    """A backfill keeps this much of each company, not the record (the footprint)."""
    listed = HubSpotObject(
        id="7",
        properties={"nzbn": NZBN_A, "domain": "kiwi.nz", "name": "", "phone": "09 555 0100"},
    )
    assert company_keys(listed, ["nzbn", "domain", "name", "website"]) == {
        "nzbn": NZBN_A,
        "domain": "kiwi.nz",
    }
    gone = HubSpotObject(id="8", properties={"nzbn": NZBN_A}, archived=True)
    assert company_keys(gone, ["nzbn"]) is None
