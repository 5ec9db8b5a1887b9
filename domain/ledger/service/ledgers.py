"""Ledgers and buckets: create, read and describe a ledger, its metadata and stats, soft-delete
and restore a bucket, and the v1 API's ledger-on-first-use with its stored mapping. Every other
use-case of the package builds on `Ledgers`, because every one starts by requiring its ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from domain.ledger.errors import BucketNotFoundError, LedgerAlreadyExistsError, LedgerNotFoundError
from domain.ledger.models import Ledger, Metadata, Stats
from domain.ledger.ports import LedgerStore
from domain.ledger.query import ListQuery, Page
from domain.ledger.validation import (
    DEFAULT_BUCKET,
    resolve_features,
    validate_bucket,
    validate_ledger_name,
    validate_metadata,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Ledgers:
    def __init__(self, store: LedgerStore, *, clock: Callable[[], datetime] = utcnow,
                 experimental_features: bool = False) -> None:
        self.store = store
        self.clock = clock
        self.experimental_features = experimental_features

    async def create_ledger(self, name: str, bucket: str | None, metadata: Metadata,
                            features: dict[str, str] | None) -> None:
        validate_ledger_name(name)
        ledger = Ledger(
            id=0, name=name, bucket=validate_bucket(bucket or DEFAULT_BUCKET),
            metadata=validate_metadata(metadata),
            features=resolve_features(features, experimental=self.experimental_features),
            added_at=self.clock(),
        )
        if await self.store.get_ledger(name) is not None:
            raise LedgerAlreadyExistsError(name)
        await self.store.create_ledger(ledger)

    async def get_ledger(self, name: str) -> Ledger:
        ledger = await self.store.get_ledger(name)
        if ledger is None or ledger.deleted_at is not None:  # soft-deleted bucket: not found
            raise LedgerNotFoundError(name)
        return ledger

    async def require_ledger(self, name: str) -> None:
        if not await self.store.ledger_exists(name):
            raise LedgerNotFoundError(name)

    async def list_ledgers(self, query: ListQuery) -> Page[Ledger]:
        return await self.store.list_ledgers(query)

    async def update_ledger_metadata(self, name: str, metadata: Metadata) -> None:
        await self.require_ledger(name)
        await self.store.update_ledger_metadata(name, validate_metadata(metadata))

    async def delete_ledger_metadata(self, name: str, key: str) -> None:
        await self.require_ledger(name)
        await self.store.delete_ledger_metadata(name, key)

    async def stats(self, name: str) -> Stats:
        await self.require_ledger(name)
        return await self.store.stats(name)

    async def delete_bucket(self, bucket: str) -> None:
        """Soft-deletes every ledger of the bucket: hidden from lists, 404 on use."""
        if not await self.store.set_bucket_deleted(validate_bucket(bucket), self.clock()):
            raise BucketNotFoundError(bucket)

    async def restore_bucket(self, bucket: str) -> None:
        if not await self.store.set_bucket_deleted(validate_bucket(bucket), None):
            raise BucketNotFoundError(bucket)

    async def ensure_ledger(self, name: str) -> None:
        """Ledger v1 creates a ledger on first use, in a bucket of its own name."""
        if await self.store.ledger_exists(name):
            return
        try:
            await self.create_ledger(name, name, {}, None)
        except LedgerAlreadyExistsError:
            if not await self.store.ledger_exists(name):  # it exists, soft-deleted
                raise LedgerNotFoundError(name) from None

    async def get_v1_mapping(self, ledger: str) -> dict[str, Any] | None:
        await self.ensure_ledger(ledger)
        return await self.store.get_v1_mapping(ledger)

    async def save_v1_mapping(self, ledger: str, mapping: dict[str, Any]) -> None:
        await self.ensure_ledger(ledger)
        await self.store.save_v1_mapping(ledger, mapping)
