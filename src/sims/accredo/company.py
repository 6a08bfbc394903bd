"""The simulated company's own details and its users (``/Company`` and ``/User``, reference 10.9).

Shapes follow the spec's ``Company_Results`` and ``User_Results`` (every field a non-unicode
string, so no macrons here). Values are the demo company's [assumed].
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

BASE_CURRENCY = "NZD"
#: The e-mail address of the API (web service) user; it may log in with it (reference 2.1).
API_USER_EMAIL = "sync@demo-supplies.co.nz"

COMPANY: dict[str, str] = {
    "CompanyName": "Demo Supplies Ltd",
    "TradingName": "Demo Supplies",
    "Name": "Demo Supplies Ltd",
    "CompanyType": "Company",
    "AddressLine1": "12 Hinemoa Street",
    "AddressLine2": "Birkenhead",
    "AddressLine3": "Auckland",
    "AddressLine4": "",
    "AddressLine5": "",
    "PostCode": "0626",
    "CountryCode": "NZ",
    "CountryName": "New Zealand",
    "PostalAddress": "PO Box 34 123, Birkenhead, Auckland 0746",
    "PhoneNo": "09 480 1234",
    "PhoneNo2": "",
    "PhoneNo3": "",
    "GstNo": "123-456-789",
    "CompanyNo": "9429041000007",
    "TaxRegimeName": "New Zealand",
    "WebAddress": "https://www.demo-supplies.co.nz",
    "EmailAddress": "accounts@demo-supplies.co.nz",
    "BaseCurrencyCode": BASE_CURRENCY,
    "CompanyMenuCode": "",
    "CompanyMenuName": "",
    "LinksPath": "",
    "ImagesPath": "",
}

#: Users of the company besides the API user (the seed's records were made by ADMIN; the
#: ``/_sim/`` controls act as SIM, reference 9.4).
USERS: dict[str, dict[str, str]] = {
    "ADMIN": {"UserName": "Administrator", "UserGroup": "ADMIN"},
    "SIM": {
        "UserName": "Accounts team (simulated)",
        "UserGroup": "ACCOUNTS",
        "EmailAddress": "accounts@demo-supplies.co.nz",
    },
}

_USER_FIELDS = (
    "LoginUserCode",
    "WindowsUserName",
    "UserGroup",
    "UserName",
    "CreatedUserCode",
    "EmailAddress",
    "PhoneNo",
    "PhoneNo2",
    "PhoneNo3",
    "Comment",
    "Details",
    "Custom1",
    "Custom2",
    "ModifiedUserCode",
    "CreatedDate",
    "CreatedTime",
    "ModifiedDate",
    "ModifiedTime",
    "SessionCode",
    "SMTPFrom",
    "SMTPReplyTo",
    "SMTPCC",
    "SMTPBCC",
    "ImagePath",
    "DefaultAuthorisationCode",
    "DefaultSalesPersonCode",
    "DefaultStorePersonCode",
    "DefaultJobPersonCode",
)


def company_details(code: str) -> dict[str, str]:
    """``/Company``: the company's details under its code."""
    return {"CompanyCode": code, "Datapath": f"C:\\Accredo\\Data\\{code}", **COMPANY}


def user_details(login: str, api_user: str) -> dict[str, Any]:
    """``/User``: the logged-in user; ``api_user`` is the connector's own (web service) user."""
    known = USERS.get(login)
    if known is None and login == api_user:
        known = {
            "UserName": "Web service sync",
            "UserGroup": "WEB",
            "EmailAddress": API_USER_EMAIL,
        }
    out = {name: "" for name in _USER_FIELDS}
    out.update(
        known or {},
        LoginUserCode=login,
        CreatedUserCode="ADMIN",
        ModifiedUserCode="ADMIN",
        CreatedDate="2024-01-15",
        CreatedTime="09:00:00",
        ModifiedDate="2024-01-15",
        ModifiedTime="09:00:00",
    )
    return out


#: The Web Service release the spec subset describes (reference 0: v7.0.13.109).
VERSION = "7.0.13.109"


def about(edition: str, started: datetime) -> dict[str, Any]:
    """``/About`` (``About_Results``): the release, for clients that read ``Version``."""
    up_s = int((datetime.now() - started).total_seconds())
    return {
        "Licensee": COMPANY["CompanyName"],
        "SerialNo": 70013,
        "Release": VERSION.rsplit(".", 1)[0],
        "Product": f"Accredo {edition}",
        "OS": "Windows Server 2022",
        "Version": VERSION.rsplit(".", 1)[0],
        "FullVersion": VERSION,
        "Copyright": "Simulated Accredo Web Service",
        "LoadPath": f"C:\\Accredo\\{edition}\\",
        "SysPath": f"C:\\Accredo\\{edition}\\System\\",
        "LinksPath": "",
        "ImagePath": "",
        "WorkerToken": "",
        "WorkerRequestContext": "",
        "WorkerStart": started.strftime("%Y-%m-%dT%H:%M:%S"),
        "WorkerUpTime": f"{up_s // 3600:02d}:{up_s // 60 % 60:02d}:{up_s % 60:02d}",
        "LiveLoggingEnabled": False,
        "LiveLoggingTypes": [],
        "FileLoggingEnabled": False,
        "FileLoggingTypes": [],
    }
