"""What the reconciliation module needs from storage and from the other modules' data."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from domain.pagination import Page
from domain.reconciliation.models import Policy, Reconciliation


class Sources(Protocol):
    """Balances of the ledger and of payments pools, read through those modules' own services.
    Missing ledgers and pools raise SourceNotFoundError."""

    async def check_ledger(self, ledger: str) -> None: ...

    async def check_pool(self, pool_id: str) -> None: ...

    async def ledger_balances(self, ledger: str, query: dict[str, Any],
                              at: datetime) -> dict[str, int]: ...

    async def pool_balances(self, pool_id: str, at: datetime) -> dict[str, int]: ...


class PoliciesStore(Protocol):
    async def create_policy(self, policy: Policy) -> None: ...

    async def get_policy(self, policy_id: str) -> Policy | None: ...

    async def list_policies(self, offset: int, size: int) -> Page[Policy]: ...

    async def delete_policy(self, policy_id: str) -> bool: ...

    async def save_reconciliation(self, run: Reconciliation) -> None: ...

    async def get_reconciliation(self, run_id: str) -> Reconciliation | None: ...

    async def list_reconciliations(self, offset: int, size: int) -> Page[Reconciliation]: ...
