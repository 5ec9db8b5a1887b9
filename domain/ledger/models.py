"""Ledger values. Plain slotted dataclasses: the write path builds thousands per second, and the
API renders them itself (amounts are Python ints of any size)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

Metadata = dict[str, str]

WORLD = "world"
REVERT_METADATA_KEY = "com.formance.spec/state/reverts"


class LogType(StrEnum):
    NEW_TRANSACTION = "NEW_TRANSACTION"
    SET_METADATA = "SET_METADATA"
    REVERTED_TRANSACTION = "REVERTED_TRANSACTION"
    DELETE_METADATA = "DELETE_METADATA"


class TargetType(StrEnum):
    ACCOUNT = "ACCOUNT"
    TRANSACTION = "TRANSACTION"


@dataclass(frozen=True, slots=True)
class Posting:
    source: str
    destination: str
    amount: int
    asset: str

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "destination": self.destination,
                "amount": self.amount, "asset": self.asset}


@dataclass(frozen=True, slots=True)
class Volumes:
    input: int
    output: int

    @property
    def balance(self) -> int:
        return self.input - self.output


# account -> asset -> volumes
AggregatedVolumes = dict[str, dict[str, Volumes]]


@dataclass(slots=True)
class Transaction:
    id: int
    postings: list[Posting]
    metadata: Metadata
    timestamp: datetime
    inserted_at: datetime
    updated_at: datetime
    reference: str | None = None
    reverted_at: datetime | None = None
    post_commit_volumes: AggregatedVolumes | None = None
    post_commit_effective_volumes: AggregatedVolumes | None = None
    template: str | None = None  # the schema transaction template it was written from

    @property
    def reverted(self) -> bool:
        return self.reverted_at is not None


@dataclass(slots=True)
class Account:
    address: str
    metadata: Metadata
    first_usage: datetime
    insertion_date: datetime
    updated_at: datetime
    volumes: dict[str, Volumes] | None = None
    effective_volumes: dict[str, Volumes] | None = None


@dataclass(slots=True)
class Ledger:
    id: int
    name: str
    bucket: str
    metadata: Metadata
    features: dict[str, str]
    added_at: datetime
    deleted_at: datetime | None = None


@dataclass(slots=True)
class Log:
    id: int
    type: str
    data: dict[str, Any]
    date: datetime
    hash: bytes | None
    idempotency_key: str | None = None
    idempotency_hash: str | None = None


@dataclass(frozen=True, slots=True)
class VolumeRow:
    """One (account, asset) volume row, for GET /volumes."""

    account: str
    asset: str
    input: int
    output: int

    @property
    def balance(self) -> int:
        return self.input - self.output


@dataclass(frozen=True, slots=True)
class Stats:
    accounts: int
    transactions: int


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Script:
    """Numscript to run: `plain`, or (`plain` empty) the transaction template `template` of the
    schema version the write names, which the service resolves to its script."""

    plain: str
    vars: dict[str, str] = field(default_factory=dict)
    template: str | None = None


@dataclass(frozen=True, slots=True)
class CreateTransaction:
    postings: tuple[Posting, ...] | None = None
    script: Script | None = None
    timestamp: datetime | None = None
    reference: str | None = None
    metadata: Metadata = field(default_factory=dict)
    account_metadata: dict[str, Metadata] = field(default_factory=dict)
    force: bool = False


@dataclass(frozen=True, slots=True)
class RevertTransaction:
    id: int
    force: bool = False
    at_effective_date: bool = False
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SaveMetadata:
    target_type: TargetType
    target_id: str | int
    metadata: Metadata


@dataclass(frozen=True, slots=True)
class DeleteMetadata:
    target_type: TargetType
    target_id: str | int
    key: str


Command = CreateTransaction | RevertTransaction | SaveMetadata | DeleteMetadata


@dataclass(frozen=True, slots=True)
class WriteOptions:
    idempotency_key: str | None = None
    # SHA-256 of the request input (base64url), compared on replay.
    idempotency_hash: str | None = None
    dry_run: bool = False


@dataclass(slots=True)
class WriteResult:
    """What a write returns: the transaction (create/revert) or nothing (metadata), the log id,
    and whether it is the replay of an earlier write with the same idempotency key."""

    log_id: int
    transaction: Transaction | None = None
    idempotency_hit: bool = False
