"""HubSpot webhook request signatures, v1 and v3 (reference 11.5).

v1: SHA-256 hex of ``client_secret + body``. v3: Base64 HMAC-SHA256, keyed with the client
secret, of ``method + uri + body + timestamp``, where ``uri`` has a fixed set of
percent-escapes decoded first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

URI_ESCAPES = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
    "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip


def decode_uri(uri: str) -> str:
    """Decode the escapes HubSpot decodes before signing (upper or lower case hex)."""
    for escape, char in URI_ESCAPES.items():
        uri = uri.replace(escape, char).replace(escape.lower(), char)
    return uri


def signature_v1(client_secret: str, body: bytes) -> str:
    return hashlib.sha256(client_secret.encode() + body).hexdigest()


def signature_v3(client_secret: str, method: str, uri: str, body: bytes, timestamp_ms: int) -> str:
    message = method.encode() + decode_uri(uri).encode() + body + str(timestamp_ms).encode()
    digest = hmac.new(client_secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
