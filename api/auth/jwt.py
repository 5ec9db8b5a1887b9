"""RS256 JSON Web Tokens (RFC 7515/7519) with `cryptography`, and JWKs (RFC 7517).

Deliberately narrow: the only algorithm accepted is RS256, taken from our configuration and
never from the token, so `alg: none` and the HS256-signed-with-the-public-key confusion cannot
work; the key is chosen by `kid` among our own keys only."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALGORITHM = "RS256"
MAX_TOKEN_LENGTH = 8192  # far above any token we issue; bounds the work a hostile header costs


class InvalidTokenError(Exception):
    """Why a bearer token was refused; the message is safe to show to the caller."""


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(value: str) -> bytes:
    if not value or "=" in value:
        raise InvalidTokenError("malformed token: bad base64url segment")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidTokenError("malformed token: bad base64url segment") from exc


def _uint(n: int) -> str:
    return b64url_encode(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("signing keys must be RSA")
    return key


def public_jwk(kid: str, key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {"kty": "RSA", "use": "sig", "alg": ALGORITHM, "kid": kid,
            "n": _uint(numbers.n), "e": _uint(numbers.e)}


def _json_segment(obj: Mapping[str, object]) -> str:
    return b64url_encode(json.dumps(obj, separators=(",", ":"), sort_keys=True).encode())


def sign(claims: Mapping[str, object], key: rsa.RSAPrivateKey, kid: str) -> str:
    signing_input = f"{_json_segment({'alg': ALGORITHM, 'typ': 'JWT', 'kid': kid})}." \
                    f"{_json_segment(claims)}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url_encode(signature)}"


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(segment))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidTokenError(f"malformed token: {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise InvalidTokenError(f"malformed token: {what} is not a JSON object")
    return value


def unverified_header(token: str) -> dict[str, Any]:
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidTokenError("malformed token: too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidTokenError("malformed token: a JWS has three dot-separated parts")
    return _json_object(parts[0], "header")


def _numeric(claims: Mapping[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise InvalidTokenError(f"token has no {name} claim")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTokenError(f"token claim {name} is not a number")
    return float(value)


def verify(
    token: str, public_key: Callable[[str], rsa.RSAPublicKey | None], *, issuer: str,
    audience: str, now: float, leeway: float,
) -> dict[str, Any]:
    """The claims of `token` once its signature, issuer, audience and validity window hold.
    `public_key(kid)` returns one of our keys, or None for a kid we do not know."""
    header = unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError(f"token algorithm must be {ALGORITHM}")
    if "crit" in header:  # RFC 7515 §4.1.11: we understand no extension, so must refuse
        raise InvalidTokenError("token uses critical header extensions")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidTokenError("token has no key id")
    key = public_key(kid)
    if key is None:
        raise InvalidTokenError("token is signed with an unknown key")
    head, body, sig = token.split(".")
    try:
        key.verify(b64url_decode(sig), f"{head}.{body}".encode("ascii"), padding.PKCS1v15(),
                   hashes.SHA256())
    except (InvalidSignature, UnicodeEncodeError) as exc:
        raise InvalidTokenError("token signature is invalid") from exc
    claims = _json_object(body, "payload")
    if claims.get("iss") != issuer:
        raise InvalidTokenError("token issuer is not this stack")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences:
        raise InvalidTokenError("token audience is not this stack")
    exp = _numeric(claims, "exp", required=True)
    assert exp is not None
    if now > exp + leeway:
        raise InvalidTokenError("token is expired")
    nbf = _numeric(claims, "nbf", required=False)
    if nbf is not None and now + leeway < nbf:
        raise InvalidTokenError("token is not valid yet")
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise InvalidTokenError("token claim scope is not a string")
    return claims
