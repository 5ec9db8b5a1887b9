"""Secret hashing, the scope rule of reference §0, and what a client may obtain."""

from __future__ import annotations

import pytest

from domain.auth import secrets
from domain.auth.models import ClientOptions
from domain.auth.scopes import accepted_scopes, all_stack_scopes, grant, is_allowed, parse_scope


def test_hash_verifies_only_the_same_secret_and_is_salted():
    clear = secrets.generate_secret()
    first, second = secrets.hash_secret(clear), secrets.hash_secret(clear)
    assert first != second  # per-secret salt
    assert clear not in first
    assert secrets.verify_secret(clear, first) and secrets.verify_secret(clear, second)
    assert not secrets.verify_secret(clear + "x", first)
    assert not secrets.verify_secret("", first)


@pytest.mark.parametrize("stored", ["", "plain", "scrypt$1$2$3", "md5$a$b$c$d$e",
                                    "scrypt$16384$8$1$!!$!!", "scrypt$x$8$1$AAAA$AAAA"])
def test_malformed_stored_hashes_never_verify(stored: str):
    assert not secrets.verify_secret("anything", stored)


def test_generated_secrets_are_long_and_distinct():
    made = {secrets.generate_secret() for _ in range(50)}
    assert len(made) == 50 and all(len(s) >= 43 for s in made)
    assert secrets.last_digits("abcdefgh") == "efgh"


@pytest.mark.parametrize(("method", "granted", "allowed"), [
    ("GET", {"ledger:read"}, True), ("HEAD", {"ledger:read"}, True),
    ("OPTIONS", {"ledger:read"}, True), ("GET", {"ledger:write"}, True),
    ("POST", {"ledger:read"}, False), ("POST", {"ledger:write"}, True),
    ("PUT", {"ledger:read"}, False), ("DELETE", {"ledger:write"}, True),
    ("PATCH", {"ledger:read"}, False), ("GET", {"payments:write"}, False),
    ("GET", set(), False),
])
def test_scope_rule(method: str, granted: set[str], allowed: bool):
    assert is_allowed("ledger", method, granted) is allowed


def test_accepted_scopes():
    assert accepted_scopes("wallets", "get") == {"wallets:read", "wallets:write"}
    assert accepted_scopes("wallets", "POST") == {"wallets:write"}
    assert len(all_stack_scopes()) == 16


def test_grant_narrows_to_what_the_client_was_given():
    given = ("ledger:read", "ledger:write")
    assert grant(None, given) == given
    assert grant((), given) == given
    assert grant(("ledger:read", "auth:write"), given) == ("ledger:read",)
    assert grant(("auth:write",), given) == ()
    assert parse_scope("  a b  a ") == ("a", "b")
    assert parse_scope(None) == ()


def test_client_scopes_must_be_scope_tokens():
    assert ClientOptions(name="x", scopes=("a:b", "a:b")).scopes == ("a:b",)
    for bad in ("has space", 'quote"', "", "tab\t"):
        with pytest.raises(ValueError, match="scope"):
            ClientOptions(name="x", scopes=(bad,))
