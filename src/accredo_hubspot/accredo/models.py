"""Typed models of the Accredo entities the sync reads and writes.

Field names are Accredo's own (PascalCase, as on the wire). Unknown fields are tolerated and
kept (``extra="allow"``) so ``Z_`` custom fields survive a round trip. Money is ``Decimal``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class AccredoRecord(BaseModel):
    """Base of every Accredo entity: carries the ``@odata.etag`` and any extra fields."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    etag: str | None = Field(default=None, alias="@odata.etag")

    #: Declared fields Accredo returns only with ``$expand`` (reference §5).
    EXPAND_ONLY: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def declared_fields(cls) -> list[str]:
        """The fields the model names, as ``$select`` takes them (no eTag, no expand-only)."""
        return [name for name in cls.model_fields if name != "etag" and name not in cls.EXPAND_ONLY]

    def custom_fields(self) -> dict[str, Any]:
        """The site's ``Z_`` custom fields, as returned."""
        extra = self.model_extra or {}
        return {k: v for k, v in extra.items() if k.startswith("Z_")}


class ARCustomerContact(AccredoRecord):
    """An item of ``ARCustomer.Contact`` (only with ``$expand=Contact``, reference §10.3)."""

    ContactID: int | None = None
    IsPrimary: bool | None = None
    FirstName: str | None = None
    LastName: str | None = None
    FullName: str | None = None
    Role: str | None = None
    EmailAddress: str | None = None
    PhoneNo: str | None = None
    Inactive: bool | None = None


class ARCustomer(AccredoRecord):
    """A debtor (``ARCustomer``). Balances are Accredo's period balances (reference 10.1)."""

    EXPAND_ONLY: ClassVar[frozenset[str]] = frozenset({"Contact", "DeliveryAddress"})

    CustomerCode: str
    CustomerName: str | None = None
    CustomerType: str | None = None
    CustomerGroupCode: str | None = None
    Address1: str | None = None
    Address2: str | None = None
    Address3: str | None = None
    Address4: str | None = None
    Address5: str | None = None
    PostCode: str | None = None
    CountryCode: str | None = None
    PhoneNo: str | None = None
    EmailAddress: str | None = None
    WebAddress: str | None = None
    BusinessNo: str | None = None
    TaxNo: str | None = None
    RegimeCode: str | None = None
    CurrencyCode: str | None = None
    SalesPersonCode: str | None = None
    PriceCode: str | None = None
    BillToAccountCode: str | None = None
    CreditLimit: Decimal | None = None
    StopCredit: bool | None = None
    Inactive: bool | None = None
    BalanceCurrent: Decimal | None = None
    Balance1: Decimal | None = None
    Balance2: Decimal | None = None
    Balance3: Decimal | None = None
    BalanceFuture: Decimal | None = None
    BalanceTotal: Decimal | None = None
    SalesYearToDate: Decimal | None = None
    SalesLastYear: Decimal | None = None
    DateOfLastSale: date | None = None
    DateOfLastReceipt: date | None = None
    AmountOfLastReceipt: Decimal | None = None
    AverageDaysToPay: Decimal | None = None
    NumberOfInvoicesPaid: int | None = None
    EditRevision: int | None = None
    RecordRevision: int | None = None
    Contact: list[ARCustomerContact] | None = None
    DeliveryAddress: list[dict[str, Any]] | None = None


class ARTransaction(AccredoRecord):
    """An AR ledger transaction: ``I`` invoice, ``C`` credit, ``R`` receipt, ``J`` journal."""

    TransactionID: int
    CustomerCode: str
    TransactionType: str
    TransactionDate: date | None = None
    Reference: str | None = None
    TransactionAmount: Decimal | None = None
    UnallocatedAmount: Decimal | None = None
    HoldAmount: Decimal | None = None
    DueDate: date | None = None
    DateFullyPaid: date | None = None
    BillFromAccountCode: str | None = None
    RecordRevision: int | None = None
    OrderNo: str | None = None
    CurrencyCode: str | None = None
    TransactionAmountBs: Decimal | None = None  # in base currency (reference 4: ``...Bs``)
    UnallocatedAmountBs: Decimal | None = None


class DeltaRow(AccredoRecord):
    """One row of a change-tracking table (``TABLE_ARDELTA`` and friends)."""

    DeltaID: int
    AccountFile: str
    AccountCode: str
    ChangeType: str
    ChangeHeat: int | None = None
    CreatedUserCode: str | None = None
    CreatedDate: date | None = None
    CreatedTime: str | None = None


class DeltaFieldRow(AccredoRecord):
    """One tracked field of a change (``TABLE_ARDTFLD`` and friends); values as the server sent
    them (strings, numbers, booleans or null, reference §9.2)."""

    DeltaID: int
    LineNo: int | None = None
    Name: str | None = None
    OldValue: Any = None
    NewValue: Any = None


class ARContact(AccredoRecord):
    """A customer's contact person (``ARContact``, own key and eTag, reference §10.3)."""

    ContactID: int
    CustomerCode: str | None = None
    IsPrimary: bool | None = None
    Title: str | None = None
    FirstName: str | None = None
    MiddleName: str | None = None
    LastName: str | None = None
    Suffix: str | None = None
    FullName: str | None = None
    Role: str | None = None
    EmailAddress: str | None = None
    PhoneNo: str | None = None
    PhoneNo2: str | None = None
    PhoneNo3: str | None = None
    Comment: str | None = None
    Inactive: bool | None = None
    RecordRevision: int | None = None


class ARSalesPerson(AccredoRecord):
    """A sales person (``ARSalesPerson``, reference 10.4): a HubSpot owner is one by e-mail."""

    SalesPersonCode: str
    SalesPersonName: str | None = None
    EmailAddress: str | None = None
    Inactive: bool | None = None


class ARMemo(AccredoRecord):
    """A note on a debtor (``ARMemo``, reference 10.8a); the body is ``Memo.Text``."""

    MemoID: int
    CustomerCode: str | None = None
    MemoType: str | None = None
    MemoDate: date | None = None
    Reference: str | None = None
    Subject: str | None = None


class ARAllocation(AccredoRecord):
    """A receipt or credit matched to an invoice (reference §10.5; entity name [assumed])."""

    AllocationID: int | None = None
    CustomerCode: str | None = None
    DebitTransactionID: int | None = None
    CreditTransactionID: int | None = None
    Date: date | None = None
    Amount: Decimal | None = None
    Discount: Decimal | None = None


class OEOrderLine(AccredoRecord):
    """An item of ``OEOrder.Line`` (only with ``$expand=Line``, reference 10.7)."""

    LineID: int | None = None
    LineNo: int | None = None
    LineType: str | None = None
    LineStatus: str | None = None
    ProductCode: str | None = None
    Description: str | None = None
    QuantityOrdered: Decimal | None = None
    SellingPrice: Decimal | None = None
    ExclusiveAmountOrdered: Decimal | None = None


class OEOrder(AccredoRecord):
    """An Order Entry order (``OEOrder``, reference 10.7): its number is ``DocumentID``;
    ``OrderNo`` is the customer's own. The ``...Ordered`` amounts total what was ordered."""

    EXPAND_ONLY: ClassVar[frozenset[str]] = frozenset({"Line"})

    DocumentID: int
    CustomerCode: str
    DocumentClass: str | None = None
    PostStatus: str | None = None
    DocumentDate: date | None = None
    OrderNo: str | None = None
    CurrencyCode: str | None = None
    ExclusiveAmountOrdered: Decimal | None = None
    GrossAmountOrdered: Decimal | None = None
    ExclusiveAmountOrderedBs: Decimal | None = None  # in base currency (reference 4: ``...Bs``)
    Line: list[OEOrderLine] = Field(default_factory=list)


class PriceList(AccredoRecord):
    """A price code (``TABLE_COPRICE``, reference 10.8): a HubSpot price tier option."""

    PriceCode: str
    PriceListName: str | None = None
    LineNo: int | None = None
    Inactive: bool | None = None


class TokenResponse(BaseModel):
    """The token endpoint's answer (reference §2.1). Tokens are secrets: never shown in repr."""

    model_config = ConfigDict(extra="allow")

    access_token: SecretStr
    token_type: str = "bearer"
    expires_in: float = 3600.0
    refresh_token: SecretStr | None = None
