"""Wallets values. Pydantic models: holds and their commands cross Temporal through the pydantic
data converter, and amounts stay Python ints of any size."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAIN_BALANCE = "main"
ALL_BALANCES = "*"
DEFAULT_LEDGER = "wallets-002"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class SubjectType(StrEnum):
    ACCOUNT = "ACCOUNT"
    WALLET = "WALLET"


class Subject(_Model):
    """Where money comes from or goes to: a ledger account, or a wallet (one of its balances)."""

    type: SubjectType
    identifier: str
    balance: str | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        # Formance compares subject types case-insensitively.
        return value.upper() if isinstance(value, str) else value


class Monetary(_Model):
    asset: str
    amount: int


class Wallet(_Model):
    id: str
    name: str
    metadata: dict[str, str]
    ledger: str
    created_at: datetime
    # The main balance's assets, when asked for (GET /wallets/{id}, ?expand=balances).
    main_assets: dict[str, int] | None = None


class Balance(_Model):
    name: str
    expires_at: datetime | None = None
    priority: int | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class BalanceWithAssets(Balance):
    assets: dict[str, int] = Field(default_factory=dict)


class Hold(_Model):
    id: str
    wallet_id: str
    asset: str
    description: str
    destination: Subject | None
    metadata: dict[str, str]
    original_amount: int
    remaining: int
    # A Ledgerflow extension: when set, the hold workflow voids the hold at that time.
    expires_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.remaining == 0


class WalletSummary(_Model):
    balances: list[BalanceWithAssets]
    available_funds: dict[str, int]
    expired_funds: dict[str, int]
    expirable_funds: dict[str, int]
    hold_funds: dict[str, int]


class Credit(_Model):
    amount: Monetary
    sources: list[Subject] = Field(default_factory=list)
    balance: str | None = None
    reference: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    timestamp: datetime | None = None


class Debit(_Model):
    amount: Monetary
    balances: list[str] = Field(default_factory=list)
    destination: Subject | None = None
    pending: bool = False
    description: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)
    timestamp: datetime | None = None
    hold_expires_at: datetime | None = None
