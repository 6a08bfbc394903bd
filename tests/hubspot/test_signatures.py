"""Webhook signatures v1, v2, v3: published vectors, independent computation, tampering."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from accredo_hubspot.hubspot.signatures import (
    V3Refusal,
    normalize_v3_uri,
    sign_v1,
    sign_v2,
    sign_v3,
    v3_refusal,
    verify_request,
    verify_v1,
    verify_v2,
    verify_v3,
)

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
V1_BODY = (
    '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
    '"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
    '"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
)
URI = "https://www.example.com/webhook_uri"
TS_MS = 1693657560000


def test_v1_published_vector() -> None:
    """The documented v1 vector (reference §11.5)."""
    expected = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"

    assert sign_v1(SECRET, V1_BODY) == expected
    assert verify_v1(SECRET, V1_BODY.encode(), expected)


def test_v2_published_vectors() -> None:
    """The documented v2 vectors, POST with a body and GET without."""
    post = "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"
    get = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"

    assert sign_v2(SECRET, "POST", URI, '{"example_field":"example_value"}') == post
    assert sign_v2(SECRET, "GET", URI, "") == get
    assert verify_v2(SECRET, "GET", URI, b"", get)


def test_v3_published_vector() -> None:
    """The documented v3 vector (single-quoted body, as in the SDK's test)."""
    body = "{'example_field':'example_value'}"
    expected = "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="

    assert sign_v3(SECRET, "POST", URI, body, TS_MS) == expected
    assert verify_v3(SECRET, "POST", URI, body, expected, TS_MS, now_s=TS_MS / 1000 + 10)


def independent_v3(secret: str, method: str, uri: str, body: bytes, ts: int) -> str:
    """v3 computed here from the documented recipe, not by the module under test."""
    message = method.encode() + uri.encode() + body + str(ts).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def test_v3_matches_independent_computation_on_raw_bytes() -> None:
    """Non-ASCII raw bytes sign as received (no re-encoding)."""
    body = '[{"propertyValue":"Māori Ltd","objectId":1}]'.encode()
    uri = "https://hooks.example.nz/hubspot?x=1"
    signature = independent_v3("s3cret", "POST", uri, body, TS_MS)

    assert verify_v3("s3cret", "POST", uri, body, signature, str(TS_MS), now_s=TS_MS / 1000)


@pytest.mark.parametrize(
    "tamper",
    [
        {"body": b'[{"objectId":2}]'},
        {"uri": "https://hooks.example.nz/other"},
        {"method": "PUT"},
        {"secret": "wrong"},
        {"timestamp": TS_MS + 1},
    ],
)
def test_v3_rejects_tampering(tamper: dict[str, object]) -> None:
    """Changing any signed part invalidates the signature."""
    base: dict[str, object] = {
        "secret": "s3cret",
        "method": "POST",
        "uri": "https://hooks.example.nz/hubspot",
        "body": b'[{"objectId":1}]',
        "timestamp": TS_MS,
    }
    signature = independent_v3("s3cret", "POST", str(base["uri"]), b'[{"objectId":1}]', TS_MS)
    args = {**base, **tamper}

    assert not verify_v3(
        str(args["secret"]),
        str(args["method"]),
        str(args["uri"]),
        args["body"],  # type: ignore[arg-type]
        signature,
        int(args["timestamp"]),  # type: ignore[call-overload]
        now_s=TS_MS / 1000,
    )


@pytest.mark.parametrize("age_s", [301, -301, 3600])
def test_v3_rejects_stale_timestamps(age_s: int) -> None:
    """A correct signature older (or newer) than five minutes is refused."""
    body = b"[]"
    signature = independent_v3(SECRET, "POST", URI, body, TS_MS)

    assert not verify_v3(SECRET, "POST", URI, body, signature, TS_MS, now_s=TS_MS / 1000 + age_s)
    assert verify_v3(SECRET, "POST", URI, body, signature, TS_MS, now_s=TS_MS / 1000 + 299)


def test_v3_uri_escapes_are_decoded() -> None:
    """HubSpot signs the URI with some percent-escapes decoded (reference §11.5)."""
    encoded = "https://x.nz/hook%3Fa%3Db%2Cc?q=%40me"
    plain = "https://x.nz/hook?a%3Db,c?q=@me"
    signature = independent_v3(SECRET, "POST", plain, b"[]", TS_MS)

    assert normalize_v3_uri(encoded) == plain
    assert verify_v3(SECRET, "POST", encoded, b"[]", signature, TS_MS, now_s=TS_MS / 1000)


def test_v1_rejects_tampered_body() -> None:
    """v1 fails for a changed body."""
    signature = hashlib.sha256((SECRET + V1_BODY).encode()).hexdigest()

    assert verify_v1(SECRET, V1_BODY, signature)
    assert not verify_v1(SECRET, V1_BODY.replace("123", "124"), signature)


def test_verify_request_prefers_v3_and_handles_missing_headers() -> None:
    """With both signatures present v3 decides; without any header the request is refused."""
    body = V1_BODY.encode()
    v3 = independent_v3(SECRET, "POST", URI, body, TS_MS)
    headers = {
        "X-HubSpot-Signature": "0" * 64,
        "X-HubSpot-Signature-Version": "v1",
        "x-hubspot-signature-v3": v3,
        "X-HubSpot-Request-Timestamp": str(TS_MS),
    }

    assert verify_request(SECRET, "POST", URI, body, headers, now_s=TS_MS / 1000)
    assert not verify_request(SECRET, "POST", URI, body, {}, now_s=TS_MS / 1000)
    v1_only = {"X-HubSpot-Signature": sign_v1(SECRET, body), "X-HubSpot-Signature-Version": "v1"}
    assert verify_request(SECRET, "POST", URI, body, v1_only)


def test_v3_refusal_names_why_and_accepts_only_v3() -> None:
    """The web app's check: a fresh v3 signature passes; each failure is told apart for the
    log; a valid v1 signature alone is refused (it signs no timestamp, so it replays)."""
    body = V1_BODY.encode()
    good = {
        "X-HubSpot-Signature-v3": independent_v3(SECRET, "POST", URI, body, TS_MS),
        "X-HubSpot-Request-Timestamp": str(TS_MS),
    }
    now_s = TS_MS / 1000 + 10

    def refusal(headers: dict[str, str], *, at_s: float = now_s) -> V3Refusal | None:
        return v3_refusal(SECRET, "POST", URI, body, headers, now_s=at_s)

    assert refusal(good) is None
    assert refusal({}) is V3Refusal.UNSIGNED
    v1_only = {"X-HubSpot-Signature": sign_v1(SECRET, body), "X-HubSpot-Signature-Version": "v1"}
    assert refusal(v1_only) is V3Refusal.UNSIGNED
    assert refusal({**good, "X-HubSpot-Request-Timestamp": "soon"}) is V3Refusal.BAD_TIMESTAMP
    assert refusal(good, at_s=TS_MS / 1000 + 301) is V3Refusal.STALE
    forged = {**good, "X-HubSpot-Signature-v3": sign_v3("other", "POST", URI, body, TS_MS)}
    assert refusal(forged) is V3Refusal.BAD_SIGNATURE
