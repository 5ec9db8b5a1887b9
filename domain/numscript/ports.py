"""What the interpreter needs from the outside world, and an in-memory implementation.

Balances are keyed by account and *asset name as the ledger stores it*: an asset colour is folded
into the name (``COIN_RED``, ``USD_COL/4``), so the store needs no notion of colour.

One wildcard exists, for asset scaling: an asset ``"EUR/*"`` in a query asks for every balance of
the account whose asset is ``EUR`` or ``EUR/<digits>`` (any scale, uncoloured). The store answers
with the rows it has; missing rows are zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Protocol

SCALE_WILDCARD: Final = "/*"


def matches_wildcard(asset: str, base: str) -> bool:
    return asset == base or (asset.startswith(base) and asset[len(base) : len(base) + 1] == "/")


class Store(Protocol):
    async def get_balances(self, query: dict[str, set[str]]) -> dict[str, dict[str, int]]:
        """account -> assets wanted -> current balance. Absent rows may be omitted (they are 0).
        The interpreter never asks twice for the same (account, asset) in one execution."""
        ...

    async def get_accounts_metadata(self, query: dict[str, set[str]]) -> dict[str, dict[str, str]]:
        """account -> metadata keys wanted -> value. Absent keys are omitted."""
        ...


class StaticStore:
    """A ``Store`` over fixed dictionaries, recording every query (to check batching)."""

    def __init__(
        self,
        balances: Mapping[str, Mapping[str, int]] | None = None,
        metadata: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.balances = {acc: dict(row) for acc, row in (balances or {}).items()}
        self.metadata = {acc: dict(row) for acc, row in (metadata or {}).items()}
        self.balance_queries: list[dict[str, set[str]]] = []
        self.metadata_queries: list[dict[str, set[str]]] = []

    async def get_balances(self, query: dict[str, set[str]]) -> dict[str, dict[str, int]]:
        self.balance_queries.append({acc: set(assets) for acc, assets in query.items()})
        result: dict[str, dict[str, int]] = {}
        for account, assets in query.items():
            row = self.balances.get(account, {})
            found: dict[str, int] = {}
            for asset in assets:
                if asset.endswith(SCALE_WILDCARD):
                    base = asset[: -len(SCALE_WILDCARD)]
                    found.update((a, v) for a, v in row.items() if matches_wildcard(a, base))
                elif asset in row:
                    found[asset] = row[asset]
            result[account] = found
        return result

    async def get_accounts_metadata(self, query: dict[str, set[str]]) -> dict[str, dict[str, str]]:
        self.metadata_queries.append({acc: set(keys) for acc, keys in query.items()})
        result: dict[str, dict[str, str]] = {}
        for account, keys in query.items():
            row = self.metadata.get(account, {})
            result[account] = {k: row[k] for k in keys if k in row}
        return result
