"""The registry of the stack's own resources (domain/protection.py)."""

from __future__ import annotations

import pytest

from domain.errors import ValidationError
from domain.protection import ProtectedResources, ResourceKind, protected_error


def test_declared_resources_are_refused_with_their_owner_and_reason() -> None:
    registry = ProtectedResources()
    registry.declare(ResourceKind.LEDGER, "wallets-002", owner="wallets", why="holds wallets",
                     bucket="_default")
    # A second module needing the same resource does not replace the first declaration.
    registry.declare(ResourceKind.LEDGER, "wallets-002", owner="other", why="also")
    registry.declare(ResourceKind.AUTH_CLIENT, "boot", owner="auth", why="way in")

    registry.refuse(ResourceKind.LEDGER, "users", "deleted")  # not declared: no error
    registry.refuse(ResourceKind.BUCKET, "wallets-002", "deleted")  # kinds are distinct
    with pytest.raises(ValidationError) as exc:
        registry.refuse(ResourceKind.LEDGER, "wallets-002", "given a schema")
    assert exc.value.code == "VALIDATION"
    assert exc.value.message == ("ledger 'wallets-002' cannot be given a schema: the stack's "
                                 "wallets module needs ledger 'wallets-002' (holds wallets)")
    [ledger] = registry.of_kind(ResourceKind.LEDGER)
    assert (ledger.owner, ledger.bucket) == ("wallets", "_default")
    assert [r.name for r in registry.of_kind(ResourceKind.AUTH_CLIENT)] == ["boot"]
    assert protected_error(ledger, "deleted", subject="bucket '_default'").message.startswith(
        "bucket '_default' cannot be deleted: the stack's wallets module needs ledger")
