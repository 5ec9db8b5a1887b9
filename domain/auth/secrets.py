"""Client secrets: generated from the OS CSPRNG, stored only as a salted scrypt hash, checked in
constant time.

scrypt rather than a plain hash: a leaked database must not hand out working credentials even
for the (few) secrets a person chose by hand, e.g. a bootstrap secret from the environment."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

_SCHEME = "scrypt"
# ~16 MiB and a few tens of milliseconds per hash: cheap for a token request, costly to brute force.
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_LAST_DIGITS = 4


def generate_secret() -> str:
    """256 random bits, URL-safe (it travels in form bodies and Basic auth)."""
    return secrets.token_urlsafe(32)


def last_digits(secret: str) -> str:
    return secret[-_LAST_DIGITS:]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length,
                          maxmem=256 * 1024 * 1024)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(secret, salt, _N, _R, _P, _KEY_BYTES)
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """True when `secret` hashes to `encoded`; False for any malformed stored value."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(digest, validate=True)
        candidate = _scrypt(secret, base64.b64decode(salt, validate=True), int(n), int(r),
                            int(p), len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(candidate, expected)


@functools.cache
def _dummy_hash() -> str:
    return hash_secret(generate_secret())


def burn_verification_time(secret: str) -> None:
    """Costs what one verification costs, so a token request for an unknown client takes as long
    as one for a known client: response time must not tell which client ids exist."""
    verify_secret(secret, _dummy_hash())
