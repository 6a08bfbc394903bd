"""HubSpot request signatures (webhooks, workflow actions), as pure functions.

Reference §11.5:

* v1: ``sha256_hex(client_secret + body)`` in ``X-HubSpot-Signature`` (webhooks API events);
* v2: ``sha256_hex(client_secret + method + uri + body)`` (workflow actions, CRM cards);
* v3: ``base64(hmac_sha256(client_secret, method + uri + body + timestamp))`` in
  ``X-HubSpot-Signature-v3`` with ``X-HubSpot-Request-Timestamp`` (epoch ms); requests older
  than 5 minutes are rejected, and some percent-escapes in the URI are decoded first.

The body must be the raw bytes received, and the URI the exact public URL HubSpot called.
Every comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from enum import StrEnum

#: Maximum age of a v3 request (reference §11.5: 5 minutes; the SDK uses 300 s).
MAX_TIMESTAMP_AGE_S = 300
#: Escapes HubSpot decodes in the URI before signing v3 (reference §11.5).
V3_DECODED_ESCAPES = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
HEADER_SIGNATURE = "X-HubSpot-Signature"
HEADER_SIGNATURE_VERSION = "X-HubSpot-Signature-Version"
HEADER_SIGNATURE_V3 = "X-HubSpot-Signature-v3"
HEADER_TIMESTAMP = "X-HubSpot-Request-Timestamp"


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def normalize_v3_uri(uri: str) -> str:
    """Decode the escapes HubSpot decodes before signing (either case of hex digits)."""
    out = uri
    for escape, char in V3_DECODED_ESCAPES.items():
        out = out.replace(escape, char).replace(escape.lower(), char)
    return out


def sign_v1(client_secret: str, body: str | bytes) -> str:
    """The v1 signature: SHA-256 hex of secret + body."""
    return hashlib.sha256(_as_bytes(client_secret) + _as_bytes(body)).hexdigest()


def sign_v2(client_secret: str, method: str, uri: str, body: str | bytes) -> str:
    """The v2 signature: SHA-256 hex of secret + method + uri + body."""
    source = _as_bytes(client_secret + method.upper() + uri) + _as_bytes(body)
    return hashlib.sha256(source).hexdigest()


def sign_v3(client_secret: str, method: str, uri: str, body: str | bytes, timestamp_ms: int) -> str:
    """The v3 signature: Base64 of HMAC-SHA256(secret, method + uri + body + timestamp)."""
    message = (
        _as_bytes(method.upper() + normalize_v3_uri(uri))
        + _as_bytes(body)
        + str(timestamp_ms).encode()
    )
    digest = hmac.new(_as_bytes(client_secret), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _equal(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), given.strip().encode("utf-8"))


def verify_v1(client_secret: str, body: str | bytes, signature: str) -> bool:
    """True if ``signature`` is the v1 signature of ``body``."""
    return _equal(sign_v1(client_secret, body), signature.lower())


def verify_v2(client_secret: str, method: str, uri: str, body: str | bytes, signature: str) -> bool:
    """True if ``signature`` is the v2 signature of this request."""
    return _equal(sign_v2(client_secret, method, uri, body), signature.lower())


def timestamp_is_fresh(
    timestamp_ms: int, *, now_s: float, max_age_s: float = MAX_TIMESTAMP_AGE_S
) -> bool:
    """True if the request is at most ``max_age_s`` old (and not from the far future)."""
    age_s = now_s - timestamp_ms / 1000.0
    return -max_age_s <= age_s <= max_age_s


def verify_v3(
    client_secret: str,
    method: str,
    uri: str,
    body: str | bytes,
    signature: str,
    timestamp: str | int,
    *,
    now_s: float | None = None,
    max_age_s: float = MAX_TIMESTAMP_AGE_S,
) -> bool:
    """True if ``signature`` is the v3 signature and the timestamp is fresh.

    ``now_s`` (epoch seconds) defaults to the wall clock; pass it to make tests deterministic.
    """
    try:
        timestamp_ms = int(str(timestamp).strip())
    except ValueError:
        return False
    now = time.time() if now_s is None else now_s
    if not timestamp_is_fresh(timestamp_ms, now_s=now, max_age_s=max_age_s):
        return False
    return _equal(sign_v3(client_secret, method, uri, body, timestamp_ms), signature)


class V3Refusal(StrEnum):
    """Why a request fails the v3 check: for the log line, never for the answer's body."""

    UNSIGNED = "unsigned"  # no v3 signature or no timestamp
    BAD_TIMESTAMP = "bad timestamp"  # not epoch milliseconds
    STALE = "stale"  # outside the 5-minute window
    BAD_SIGNATURE = "bad signature"


def v3_refusal(
    client_secret: str,
    method: str,
    uri: str,
    body: str | bytes,
    headers: Mapping[str, str],
    *,
    now_s: float | None = None,
) -> V3Refusal | None:
    """None if the request carries a valid, fresh v3 signature; else why not.

    Only v3 counts here: v1 and v2 sign no timestamp, so a captured request could be replayed
    forever. ``headers`` keys are matched case-insensitively.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    signature = lowered.get(HEADER_SIGNATURE_V3.lower())
    timestamp = lowered.get(HEADER_TIMESTAMP.lower())
    if not signature or not timestamp:
        return V3Refusal.UNSIGNED
    try:
        timestamp_ms = int(timestamp.strip())
    except ValueError:
        return V3Refusal.BAD_TIMESTAMP
    now = time.time() if now_s is None else now_s
    if not timestamp_is_fresh(timestamp_ms, now_s=now):
        return V3Refusal.STALE
    if not verify_v3(client_secret, method, uri, body, signature, timestamp_ms, now_s=now):
        return V3Refusal.BAD_SIGNATURE
    return None


def verify_request(
    client_secret: str,
    method: str,
    uri: str,
    body: str | bytes,
    headers: dict[str, str],
    *,
    now_s: float | None = None,
) -> bool:
    """Verify whichever signature the headers carry, preferring v3 (HubSpot sends both).

    ``headers`` keys are matched case-insensitively.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    if HEADER_SIGNATURE_V3.lower() in lowered:
        return v3_refusal(client_secret, method, uri, body, lowered, now_s=now_s) is None
    legacy = lowered.get(HEADER_SIGNATURE.lower())
    if legacy is None:
        return False
    version = lowered.get(HEADER_SIGNATURE_VERSION.lower(), "v1").lower()
    if version == "v2":
        return verify_v2(client_secret, method, uri, body, legacy)
    if version == "v1":
        return verify_v1(client_secret, body, legacy)
    return False
