"""The stack's own resources: what a module of the stack needs to keep working (the wallets
ledger and the bucket that holds it, the auth bootstrap client; later the system ledgers of
orchestration and payments), declared by the modules that need them into one registry per app,
and refused to any API call that would destroy or disable them.

Refused, not made recoverable: the alternatives were worse. Deleting the bucket that holds the
wallets ledger is restorable, but every wallets call answers LEDGER_NOT_FOUND until someone
thinks of restoring it; recreating the ledger behind the user's back would silently undo the
deletion they asked for. A deleted bootstrap client takes its secrets with it (only hashes are
kept) and nothing else holds every scope, so the operator is locked out until a restart
recreates it. A clear 400 that names the resource and the module that needs it loses nothing,
and the operator keeps every way to change these resources that is not an API call (settings,
the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import ValidationError


class ResourceKind(StrEnum):
    BUCKET = "bucket"
    LEDGER = "ledger"
    AUTH_CLIENT = "auth client"


@dataclass(frozen=True, slots=True)
class ProtectedResource:
    kind: ResourceKind
    name: str
    owner: str  # the module that needs it
    why: str
    # A ledger its module creates on first use: the bucket it will be created in, protected
    # from now on (deleting it first would make that creation fail).
    bucket: str | None = None


class ProtectedResourceError(ValidationError):
    """VALIDATION (400): the request is well formed, but names a resource the stack needs."""


class ProtectedResources:
    def __init__(self) -> None:
        self._items: dict[tuple[ResourceKind, str], ProtectedResource] = {}

    def declare(self, kind: ResourceKind, name: str, *, owner: str, why: str,
                bucket: str | None = None) -> None:
        """Called by each module, for each resource it needs, when the app is built. Two modules
        may need the same resource: the first declaration names it in errors."""
        self._items.setdefault((kind, name), ProtectedResource(kind, name, owner, why, bucket))

    def get(self, kind: ResourceKind, name: str) -> ProtectedResource | None:
        return self._items.get((kind, name))

    def of_kind(self, kind: ResourceKind) -> list[ProtectedResource]:
        return [r for (k, _), r in sorted(self._items.items()) if k is kind]

    def refuse(self, kind: ResourceKind, name: str, action: str) -> None:
        """Raises ProtectedResourceError when (kind, name) is declared: `action` says what was
        asked ("deleted", "changed")."""
        found = self.get(kind, name)
        if found is not None:
            raise protected_error(found, action)


def protected_error(resource: ProtectedResource, action: str, *, subject: str | None = None
                    ) -> ProtectedResourceError:
    """The refusal for `resource`; `subject` is what the request named when that is another
    resource (the bucket that holds a protected ledger)."""
    return ProtectedResourceError(
        f"{subject or f'{resource.kind} {resource.name!r}'} cannot be {action}: the stack's "
        f"{resource.owner} module needs {resource.kind} {resource.name!r} ({resource.why})")
