"""The payments objects as the v3 API shows them. Amounts are integers in minor units (any
size); assets are UMN strings ("USD/2")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Capability(StrEnum):
    FETCH_ACCOUNTS = "FETCH_ACCOUNTS"
    FETCH_BALANCES = "FETCH_BALANCES"
    FETCH_EXTERNAL_ACCOUNTS = "FETCH_EXTERNAL_ACCOUNTS"
    FETCH_PAYMENTS = "FETCH_PAYMENTS"
    FETCH_OTHERS = "FETCH_OTHERS"
    FETCH_ORDERS = "FETCH_ORDERS"
    FETCH_CONVERSIONS = "FETCH_CONVERSIONS"
    CREATE_WEBHOOKS = "CREATE_WEBHOOKS"
    TRANSLATE_WEBHOOKS = "TRANSLATE_WEBHOOKS"
    CREATE_BANK_ACCOUNT = "CREATE_BANK_ACCOUNT"
    CREATE_TRANSFER = "CREATE_TRANSFER"
    CREATE_PAYOUT = "CREATE_PAYOUT"
    ALLOW_FORMANCE_ACCOUNT_CREATION = "ALLOW_FORMANCE_ACCOUNT_CREATION"
    ALLOW_FORMANCE_PAYMENT_CREATION = "ALLOW_FORMANCE_PAYMENT_CREATION"


# The capabilities that are polled, each on its own Temporal Schedule, in the order the first
# runs are triggered (accounts before the balances read per stored account).
FETCH_CAPABILITIES = (Capability.FETCH_ACCOUNTS, Capability.FETCH_EXTERNAL_ACCOUNTS,
                      Capability.FETCH_BALANCES, Capability.FETCH_PAYMENTS,
                      Capability.FETCH_ORDERS, Capability.FETCH_CONVERSIONS)


class AccountType(StrEnum):
    UNKNOWN = "UNKNOWN"
    INTERNAL = "INTERNAL"
    EXTERNAL = "EXTERNAL"


class PaymentType(StrEnum):
    UNKNOWN = "UNKNOWN"
    PAY_IN = "PAY-IN"
    PAYOUT = "PAYOUT"
    TRANSFER = "TRANSFER"
    OTHER = "OTHER"


class PaymentStatus(StrEnum):
    UNKNOWN = "UNKNOWN"
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    REFUNDED = "REFUNDED"
    REFUNDED_FAILURE = "REFUNDED_FAILURE"
    REFUND_REVERSED = "REFUND_REVERSED"
    DISPUTE = "DISPUTE"
    DISPUTE_WON = "DISPUTE_WON"
    DISPUTE_LOST = "DISPUTE_LOST"
    AMOUNT_ADJUSTEMENT = "AMOUNT_ADJUSTEMENT"  # sic, as in the spec
    AUTHORISATION = "AUTHORISATION"
    CAPTURE = "CAPTURE"
    CAPTURE_FAILED = "CAPTURE_FAILED"
    OTHER = "OTHER"


class TaskStatus(StrEnum):
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class Connector:
    id: str
    reference: str
    name: str
    provider: str
    created_at: datetime
    config: dict[str, Any]
    scheduled_for_deletion: bool = False
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    connector_id: str
    provider: str
    reference: str
    created_at: datetime
    type: AccountType
    name: str | None = None
    default_asset: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Balance:
    account_id: str
    asset: str
    balance: int
    created_at: datetime
    last_updated_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentAdjustment:
    id: str
    reference: str
    created_at: datetime
    status: PaymentStatus
    amount: int | None
    asset: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Payment:
    """What the provider says of one payment now; its adjustments are its history (one per
    status or amount change the provider reported)."""

    id: str
    connector_id: str
    provider: str
    reference: str
    created_at: datetime
    type: PaymentType
    initial_amount: int
    amount: int
    asset: str
    scheme: str
    status: PaymentStatus
    source_account_id: str | None = None
    destination_account_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    adjustments: tuple[PaymentAdjustment, ...] = ()


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    connector_id: str | None
    status: TaskStatus
    created_at: datetime
    updated_at: datetime
    created_object_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    """A connector's Temporal Schedule (one per fetch capability), as the API lists it."""

    id: str
    connector_id: str
    created_at: datetime
    paused_at: datetime | None = None
    paused_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Instance:
    """One fetch run a schedule started (the workflow id; a continue-as-new keeps it)."""

    id: str
    schedule_id: str
    connector_id: str
    created_at: datetime
    updated_at: datetime
    terminated: bool
    terminated_at: datetime | None = None
    error: str | None = None


class PoolType(StrEnum):
    STATIC = "STATIC"
    DYNAMIC = "DYNAMIC"


@dataclass(frozen=True, slots=True)
class Pool:
    id: str  # a uuid
    name: str
    created_at: datetime
    type: PoolType
    account_ids: tuple[str, ...] = ()
    query: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class PoolBalance:
    """The member accounts' balances of one asset, added up (at an instant, or the latest)."""

    asset: str
    amount: int
    related_accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BankAccountRelatedAccount:
    """The external account a connector created when the bank account was forwarded to it."""

    account_id: str
    connector_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BankAccount:
    id: str  # a uuid
    created_at: datetime
    name: str
    account_number: str | None = None
    iban: str | None = None
    swift_bic_code: str | None = None
    country: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    related_accounts: tuple[BankAccountRelatedAccount, ...] = ()


# --- orders and conversions (exchange-style connectors; read-only through the API) -----------


class OrderDirection(StrEnum):
    UNKNOWN = "UNKNOWN"
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    UNKNOWN = "UNKNOWN"
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_LIMIT = "STOP_LIMIT"
    STOP = "STOP"
    TWAP = "TWAP"
    VWAP = "VWAP"
    PEG = "PEG"
    BLOCK = "BLOCK"
    RFQ = "RFQ"
    TRAILING_STOP = "TRAILING_STOP"
    TRAILING_STOP_LIMIT = "TRAILING_STOP_LIMIT"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"
    LIMIT_MAKER = "LIMIT_MAKER"


class OrderStatus(StrEnum):
    UNKNOWN = "UNKNOWN"
    PENDING = "PENDING"
    OPEN = "OPEN"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


class TimeInForce(StrEnum):
    UNKNOWN = "UNKNOWN"
    GOOD_UNTIL_CANCELLED = "GOOD_UNTIL_CANCELLED"
    GOOD_UNTIL_DATE_TIME = "GOOD_UNTIL_DATE_TIME"
    IMMEDIATE_OR_CANCEL = "IMMEDIATE_OR_CANCEL"
    FILL_OR_KILL = "FILL_OR_KILL"


class ConversionStatus(StrEnum):
    UNKNOWN = "UNKNOWN"
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class OrderAdjustment:
    """One state of an order the provider reported (status, fill, fee); append-only."""

    id: str
    reference: str
    created_at: datetime
    status: OrderStatus
    base_quantity_filled: int | None = None
    fee: int | None = None
    fee_asset: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Order:
    """The order as its latest adjustment shows it (`updated_at` is that adjustment's time)."""

    id: str
    connector_id: str
    provider: str
    reference: str
    created_at: datetime
    updated_at: datetime
    direction: OrderDirection
    source_asset: str
    destination_asset: str
    type: OrderType
    status: OrderStatus
    base_quantity_ordered: int
    time_in_force: TimeInForce
    client_order_id: str | None = None
    base_quantity_filled: int | None = None
    limit_price: int | None = None
    stop_price: int | None = None
    expires_at: datetime | None = None
    fee: int | None = None
    fee_asset: str | None = None
    average_fill_price: int | None = None
    quote_amount: int | None = None
    quote_asset: str | None = None
    price_asset: str | None = None
    source_account_id: str | None = None
    destination_account_id: str | None = None
    error: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    adjustments: tuple[OrderAdjustment, ...] = ()


@dataclass(frozen=True, slots=True)
class Conversion:
    """A swap between two assets; only its latest observed state is kept (no history)."""

    id: str
    connector_id: str
    provider: str
    reference: str
    created_at: datetime
    updated_at: datetime
    source_asset: str
    destination_asset: str
    source_amount: int
    status: ConversionStatus
    destination_amount: int | None = None
    fee: int | None = None
    fee_asset: str | None = None
    source_account_id: str | None = None
    destination_account_id: str | None = None
    error: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
