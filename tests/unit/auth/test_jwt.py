"""RS256 signing and the verification rules, without a database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth import jwt

ISSUER, AUDIENCE, NOW = "https://stack.example/api/auth", "https://stack.example", 1_700_000_000
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _claims(**changes: Any) -> dict[str, Any]:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "exp": NOW + 60, "iat": NOW, "scope": "ledger:read"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _verify(token: str, now: float = NOW) -> dict[str, Any]:
    keys = {"k1": KEY.public_key()}
    return jwt.verify(token, keys.get, issuer=ISSUER, audience=AUDIENCE, now=now, leeway=5)


def _seg(obj: object) -> str:
    return jwt.b64url_encode(json.dumps(obj).encode())


def test_round_trip_and_header():
    token = jwt.sign(_claims(), KEY, "k1")
    assert _verify(token)["scope"] == "ledger:read"
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "k1"}


def test_audience_may_be_a_list():
    assert _verify(jwt.sign(_claims(aud=["x", AUDIENCE]), KEY, "k1"))


@pytest.mark.parametrize(("token_claims", "now", "reason"), [
    (_claims(exp=NOW - 10), NOW, "expired"),
    (_claims(), NOW + 66, "expired"),
    (_claims(exp=None), NOW, "exp"),
    (_claims(exp="tomorrow"), NOW, "not a number"),
    (_claims(exp=True), NOW, "not a number"),
    (_claims(nbf=NOW + 60), NOW, "not valid yet"),
    (_claims(iss="https://evil/api/auth"), NOW, "issuer"),
    (_claims(iss=None), NOW, "issuer"),
    (_claims(aud="https://evil"), NOW, "audience"),
    (_claims(aud=None), NOW, "audience"),
    (_claims(scope=["ledger:read"]), NOW, "scope"),
])
def test_claim_rules(token_claims: dict[str, Any], now: float, reason: str):
    with pytest.raises(jwt.InvalidTokenError, match=reason):
        _verify(jwt.sign(token_claims, KEY, "k1"), now)


def test_leeway_tolerates_small_clock_skew():
    assert _verify(jwt.sign(_claims(), KEY, "k1"), NOW + 64)
    assert _verify(jwt.sign(_claims(nbf=NOW + 3), KEY, "k1"))


def test_other_key_and_unknown_kid():
    with pytest.raises(jwt.InvalidTokenError, match="signature"):
        _verify(jwt.sign(_claims(), OTHER, "k1"))
    with pytest.raises(jwt.InvalidTokenError, match="unknown key"):
        _verify(jwt.sign(_claims(), KEY, "k2"))
    with pytest.raises(jwt.InvalidTokenError, match="key id"):
        _verify(f"{_seg({'alg': 'RS256'})}.{_seg(_claims())}.AAAA")


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", "PS256", "ES256", None, ["RS256"]])
def test_only_rs256_is_accepted(alg: object):
    body = f"{_seg({'alg': alg, 'kid': 'k1'})}.{_seg(_claims())}"
    pem = KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    mac = jwt.b64url_encode(hmac.new(pem, body.encode(), hashlib.sha256).digest())
    for token in (f"{body}.", f"{body}.{mac}"):
        with pytest.raises(jwt.InvalidTokenError, match="algorithm"):
            _verify(token)


def test_critical_extensions_are_refused():
    body = f"{_seg({'alg': 'RS256', 'kid': 'k1', 'crit': ['exp']})}.{_seg(_claims())}"
    sig = KEY.sign(body.encode(), jwt.padding.PKCS1v15(), jwt.hashes.SHA256())
    with pytest.raises(jwt.InvalidTokenError, match="critical"):
        _verify(f"{body}.{jwt.b64url_encode(sig)}")


@pytest.mark.parametrize("token", [
    "", "abc", "a.b", "a.b.c.d", "!!.e30.AA", "e30=.e30.AA", f"{_seg([1])}.e30.AA",
    f"{_seg('s')}.e30.AA", "x" * 9000,
])
def test_malformed(token: str):
    with pytest.raises(jwt.InvalidTokenError, match="malformed"):
        _verify(token)


def test_payload_must_be_a_json_object_even_when_signed():
    body = f"{_seg({'alg': 'RS256', 'kid': 'k1'})}.{_seg(['not', 'an', 'object'])}"
    sig = KEY.sign(body.encode(), jwt.padding.PKCS1v15(), jwt.hashes.SHA256())
    with pytest.raises(jwt.InvalidTokenError, match="malformed"):
        _verify(f"{body}.{jwt.b64url_encode(sig)}")


def test_public_jwk_has_no_private_member():
    jwk = jwt.public_jwk("k1", KEY.public_key())
    assert set(jwk) == {"kty", "use", "alg", "kid", "n", "e"}
    n = int.from_bytes(base64.urlsafe_b64decode(jwk["n"] + "=="), "big")
    assert n == KEY.public_key().public_numbers().n
    assert jwk["e"] == "AQAB"
