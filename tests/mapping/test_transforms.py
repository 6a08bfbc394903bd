"""Pure transforms: money, dates across NZ daylight saving, text, enums, normalisers."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.mapping.transforms import (
    TransformError,
    abn_is_valid,
    bool_value,
    date_epoch_ms,
    date_value,
    datetime_value,
    domain_value,
    email_domain,
    enum_value,
    gs1_check_digit,
    integer,
    money,
    normalise_abn,
    normalise_nzbn,
    number,
    percent,
    text,
    web_domain,
)

NZ = ZoneInfo("Pacific/Auckland")

# -- money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.5"), "1234.50"),
        (Decimal("0.005"), "0.01"),
        (Decimal("0.015"), "0.02"),
        (Decimal("2.675"), "2.68"),  # the classic float trap: 2.675 as a float rounds down
        (Decimal("-0.005"), "-0.01"),
        (Decimal("-0.004"), "0.00"),  # no negative zero
        (Decimal("1E+3"), "1000.00"),  # no exponent
        (12, "12.00"),
        ("7956.64", "7956.64"),
        (None, ""),
    ],
)
def test_money_examples(value: object, expected: str) -> None:
    assert money(value) == expected


def test_money_refuses_floats_and_garbage() -> None:
    with pytest.raises(TransformError, match="float"):
        money(2.675, "accredo_balance_total")
    with pytest.raises(TransformError, match="accredo_balance_total"):
        money("12,345.00", "accredo_balance_total")
    with pytest.raises(TransformError):
        money(Decimal("NaN"))
    assert issubclass(TransformError, ConnectorError)


money_decimals = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=6
)


@given(money_decimals)
def test_money_always_two_places_no_float_error(value: Decimal) -> None:
    out = money(value)
    whole, _, cents = out.lstrip("-").partition(".")
    assert whole.isdigit() and len(cents) == 2
    assert "," not in out and "e" not in out.lower()
    assert abs(Decimal(out) - value) <= Decimal("0.005")
    # half up: exactly half a cent always rounds away from zero
    if abs(value * 100 - (value * 100).to_integral_value(rounding="ROUND_DOWN")) == Decimal("0.5"):
        assert abs(Decimal(out)) > abs(value)


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2))
def test_money_round_trips_cents(value: Decimal) -> None:
    out = money(value)
    assert Decimal(out) == value
    assert money(out) == out  # idempotent on its own output


# -- numbers -------------------------------------------------------------------------------------


def test_number_integer_percent() -> None:
    assert number(Decimal("32.50")) == "32.5"
    assert number(Decimal("32.00")) == "32"
    assert number(Decimal("1E+2")) == "100"
    assert number(Decimal("32.456"), decimals=1) == "32.5"
    assert integer(Decimal("12.5")) == "13"
    assert integer(7) == "7"
    assert percent(Decimal("87.25")) == "87.3"
    assert percent(None) == ""


# -- dates ---------------------------------------------------------------------------------------


def test_plain_date_and_string() -> None:
    assert date_value(date(2026, 4, 5)) == "2026-04-05"
    assert date_value("2026-04-05") == "2026-04-05"
    assert date_value(None) == ""
    with pytest.raises(TransformError, match="accredo_last_invoice_date"):
        date_value("05/04/2026", "accredo_last_invoice_date")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # NZDT ends 2026-04-05 03:00 -> 02:00: both sides of the change keep their NZ date
        (datetime(2026, 4, 5, 0, 30, tzinfo=NZ), "2026-04-05"),
        (datetime(2026, 4, 5, 2, 30, fold=0, tzinfo=NZ), "2026-04-05"),
        (datetime(2026, 4, 5, 2, 30, fold=1, tzinfo=NZ), "2026-04-05"),
        (datetime(2026, 4, 5, 23, 59, tzinfo=NZ), "2026-04-05"),
        # NZST -> NZDT 2026-09-27 02:00 -> 03:00
        (datetime(2026, 9, 27, 0, 15, tzinfo=NZ), "2026-09-27"),
        (datetime(2026, 9, 27, 3, 15, tzinfo=NZ), "2026-09-27"),
        (datetime(2026, 9, 27, 23, 45, tzinfo=NZ), "2026-09-27"),
    ],
)
def test_nz_datetimes_keep_their_nz_date_across_dst(local: datetime, expected: str) -> None:
    assert date_value(local) == expected
    # the same instant expressed in UTC gives the same business date
    assert date_value(local.astimezone(UTC)) == expected


def test_nz_midnight_in_utc_is_previous_utc_day_but_nz_date() -> None:
    nz_midnight_utc = datetime(2026, 4, 4, 11, 0, tzinfo=UTC)  # 2026-04-05 00:00 NZDT
    assert date_value(nz_midnight_utc) == "2026-04-05"
    winter_midnight_utc = datetime(2026, 9, 26, 12, 0, tzinfo=UTC)  # 2026-09-27 00:00 NZST
    assert date_value(winter_midnight_utc) == "2026-09-27"


@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1),
        max_value=datetime(2028, 12, 31),
        timezones=st.just(NZ),
    )
)
def test_any_nz_datetime_maps_to_its_nz_calendar_date(value: datetime) -> None:
    out = date_value(value)
    assert out == value.astimezone(NZ).date().isoformat()
    # and the value is midnight UTC of that day in epoch-ms form
    day = date.fromisoformat(out)
    assert date_epoch_ms(day) % 86_400_000 == 0
    assert datetime.fromtimestamp(date_epoch_ms(day) / 1000, UTC).date() == day


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_first_and_last_nz_minute_of_any_day_give_that_day(day: date) -> None:
    first = datetime.combine(day, time(0, 0), tzinfo=NZ).astimezone(UTC)
    last = datetime.combine(day, time(23, 59), tzinfo=NZ).astimezone(UTC)
    assert first.date() == day - timedelta(days=1)  # NZ is always ahead of UTC
    assert date_value(first) == day.isoformat()
    assert date_value(last) == day.isoformat()


def test_date_epoch_ms_documented_example() -> None:
    assert date_epoch_ms(date(2015, 5, 1)) == 1430438400000


def test_datetime_value() -> None:
    value = datetime(2026, 4, 5, 2, 30, 15, 123456, fold=1, tzinfo=NZ)  # NZST (+12)
    assert datetime_value(value) == "2026-04-04T14:30:15.123Z"
    value = datetime(2026, 4, 5, 2, 30, 15, 123456, fold=0, tzinfo=NZ)  # NZDT (+13)
    assert datetime_value(value) == "2026-04-04T13:30:15.123Z"
    with pytest.raises(TransformError, match="timezone"):
        datetime_value(datetime(2026, 1, 1))


# -- bool, text, enum ----------------------------------------------------------------------------


def test_bool() -> None:
    assert bool_value(True) == "true"
    assert bool_value(False) == "false"
    assert bool_value(None) == ""
    with pytest.raises(TransformError):
        bool_value("yes")


def test_text_trims_and_limits() -> None:
    assert text("  Ngāti Whātua Ōrākei Trust \n") == "Ngāti Whātua Ōrākei Trust"
    assert text("O'Brien's Café") == "O'Brien's Café"
    with pytest.raises(TransformError, match="longer than 5"):
        text("abcdef", "name", max_length=5)


names = st.text(
    alphabet=st.sampled_from(list("abcAZ āēīōūĀĒĪŌŪ'’-&.é")) | st.characters(),
    max_size=60,
)


@given(names)
def test_text_is_idempotent_and_nfc(value: str) -> None:
    out = text(value)
    assert out == out.strip()
    assert unicodedata.is_normalized("NFC", out)
    assert text(out) == out
    # decomposed and composed macrons give the same value (stable shadows)
    assert text(unicodedata.normalize("NFD", value)) == out


def test_enum_validated_against_options() -> None:
    options = ("ok", "on_stop")
    assert enum_value("ok", options) == "ok"
    with pytest.raises(TransformError, match="accredo_credit_status") as info:
        enum_value("On stop", options, "accredo_credit_status")
    assert info.value.field == "accredo_credit_status"
    assert info.value.value == "On stop"


# -- normalisers ---------------------------------------------------------------------------------


def _with_gs1(body: str) -> str:
    return body + str(gs1_check_digit(body))


def test_nzbn_known_values() -> None:
    assert normalise_nzbn("6291041500213") == "6291041500213"  # GS1's own GTIN-13 example
    assert normalise_nzbn("9429041000014") == "9429041000014"
    assert normalise_nzbn("942 904 1000 014") == "9429041000014"
    assert normalise_nzbn("9429041000011") is None  # bad check digit
    assert normalise_nzbn("942904100001") is None
    assert normalise_nzbn(None) is None
    assert normalise_nzbn("94290410000１4") is None  # full-width digit


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_nzbn_check_digit_detects_every_single_digit_error(body: str) -> None:
    nzbn = _with_gs1(body)
    assert normalise_nzbn(nzbn) == nzbn
    assert normalise_nzbn("-".join([nzbn[:3], nzbn[3:]])) == nzbn
    for position in range(13):
        for digit in "0123456789":
            if digit != nzbn[position]:
                wrong = nzbn[:position] + digit + nzbn[position + 1 :]
                assert normalise_nzbn(wrong) is None


def make_abn(tail: str) -> str:
    """A valid ABN ending in the 9 digits ``tail``."""
    for head in range(10, 100):
        candidate = f"{head}{tail}"
        if abn_is_valid(candidate):
            return candidate
    raise AssertionError("no ABN prefix found")


def test_abn_known_value() -> None:
    assert normalise_abn("51 824 753 556") == "51824753556"  # the ATO's published example
    assert normalise_abn("51824753557") is None
    assert normalise_abn("5182475355") is None


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_abn_checksum_round_trip_and_transpositions(tail: str) -> None:
    abn = make_abn(tail)
    assert normalise_abn(abn) == abn
    assert normalise_abn(f"{abn[:2]} {abn[2:5]} {abn[5:8]} {abn[8:]}") == abn
    for position in range(11):
        for digit in "0123456789":
            if digit != abn[position]:
                wrong = abn[:position] + digit + abn[position + 1 :]
                assert normalise_abn(wrong) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.Example.co.nz/contact?x=1", "example.co.nz"),
        ("www.kiwi-widgets.nz", "kiwi-widgets.nz"),
        ("kiwi-widgets.nz/", "kiwi-widgets.nz"),
        ("HTTP://user@Shop.Example.COM:8080/a", "shop.example.com"),
        ("http://māori.nz", "xn--mori-qsa.nz"),
        ("xn--mori-qsa.nz", "xn--mori-qsa.nz"),
        ("", None),
        ("   ", None),
        ("not a url", None),
        ("localhost", None),
    ],
)
def test_web_domain(url: str, expected: str | None) -> None:
    assert web_domain(url) == expected


def test_email_domain() -> None:
    assert email_domain("Accounts@Kiwi-Widgets.co.nz ") == "kiwi-widgets.co.nz"
    assert email_domain("a@b@Example.com") == "example.com"
    assert email_domain("kia.ora@māori.nz") == "xn--mori-qsa.nz"
    assert email_domain("no-at-sign") is None
    assert email_domain("@example.com") is None
    assert email_domain(None) is None


def test_domain_value() -> None:
    assert domain_value("https://www.example.co.nz") == "example.co.nz"
    assert domain_value("rubbish") == ""
    assert domain_value(None) == ""
