"""Webhook signatures against the reference's test vectors (reference 11.5)."""

from __future__ import annotations

from hubspot.utils.signature import Signature

from sims.hubspot.signing import decode_uri, signature_v1, signature_v3

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
V1_BODY = (
    b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
    b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
    b'"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
)


def test_v1_vector() -> None:
    assert signature_v1(SECRET, V1_BODY) == (
        "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
    )


def test_v3_vector() -> None:
    signed = signature_v3(
        SECRET,
        "POST",
        "https://www.example.com/webhook_uri",
        b"{'example_field':'example_value'}",
        1693657560000,
    )
    assert signed == "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="


def test_v3_agrees_with_the_sdk_and_detects_tampering() -> None:
    body = b'[{"eventId":7}]'
    uri = "http://127.0.0.1:9/hook?x=1"
    signed = signature_v3(SECRET, "POST", uri, body, 1693657560000)
    expected = Signature.get_signature(SECRET, body.decode(), "v3", uri, "POST", "1693657560000")
    assert signed == expected
    assert signature_v3(SECRET, "POST", uri, b'[{"eventId":8}]', 1693657560000) != signed


def test_uri_escapes_decoded_before_signing() -> None:
    assert decode_uri("https://h/p%3Fa%3Db%2Cc%40d") == "https://h/p?a%3Db,c@d"
