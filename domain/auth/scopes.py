"""The Stack's scopes and the rule every module enforces (reference §0): reads need
`<module>:read` or `<module>:write`, everything else `<module>:write`."""

from __future__ import annotations

from collections.abc import Iterable

STACK_MODULES = (
    "auth", "ledger", "payments", "wallets", "webhooks", "orchestration", "reconciliation",
    "search",
)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def all_stack_scopes() -> tuple[str, ...]:
    return tuple(f"{m}:{level}" for m in STACK_MODULES for level in ("read", "write"))


def accepted_scopes(module: str, method: str) -> frozenset[str]:
    """Any one of these scopes lets a request with `method` through on `module`."""
    if method.upper() in READ_METHODS:
        return frozenset({f"{module}:read", f"{module}:write"})
    return frozenset({f"{module}:write"})


def is_allowed(module: str, method: str, granted: Iterable[str]) -> bool:
    return not accepted_scopes(module, method).isdisjoint(granted)


def parse_scope(value: str | None) -> tuple[str, ...]:
    """A space-delimited scope parameter or claim (RFC 6749 §3.3), repeats dropped."""
    if not value:
        return ()
    return tuple(dict.fromkeys(value.split()))


def grant(requested: tuple[str, ...] | None, allowed: Iterable[str]) -> tuple[str, ...]:
    """The scopes a client obtains: what it asked for, narrowed to what it was given; all it was
    given when it asked for nothing in particular."""
    allowed_order = tuple(dict.fromkeys(allowed))
    if not requested:
        return allowed_order
    allowed_set = set(allowed_order)
    return tuple(s for s in requested if s in allowed_set)
