"""The connector plugin protocol (Formance's `models.Plugin`, PSP part) and its config schema.

A plugin is built from a validated config and answers one page at a time: each `fetch_next_*`
takes the opaque state it returned last time (None on the first run) and returns the items,
the new state and whether more pages follow. The engine stores the state with the items in one
transaction, so a page is never half ingested and the next run resumes where the last ended.

Provider failures are classified here, so the activities map them to Temporal retries in one
place: non-retryable (the request itself is wrong, or not implemented: retrying cannot help),
retryable (timeouts, 5xx, garbage a later attempt may not repeat), rate-limited (retried after
the provider's Retry-After)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from domain.payments.durations import format_go_duration, parse_go_duration
from domain.payments.errors import InvalidConfigError
from domain.payments.models import (
    BankAccount,
    Capability,
    ConversionStatus,
    OrderDirection,
    OrderStatus,
    OrderType,
    PaymentStatus,
    PaymentType,
    TimeInForce,
)

# --- what plugins return ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PSPAccount:
    reference: str
    created_at: datetime
    name: str | None = None
    default_asset: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PSPBalance:
    account_reference: str
    asset: str
    amount: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PSPPayment:
    """One provider view of a payment: a new view (another `updated_at` or status) becomes an
    adjustment of the stored payment."""

    reference: str
    created_at: datetime
    updated_at: datetime
    type: PaymentType
    amount: int
    asset: str
    status: PaymentStatus
    scheme: str = "OTHER"
    source_account_reference: str | None = None
    destination_account_reference: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PSPOrder:
    """One provider view of an order: a view with another status, fill or fee becomes an
    adjustment of the stored order (`updated_at` is when the provider saw that state)."""

    reference: str
    created_at: datetime
    updated_at: datetime
    direction: OrderDirection
    source_asset: str
    destination_asset: str
    type: OrderType
    status: OrderStatus
    base_quantity_ordered: int
    time_in_force: TimeInForce = TimeInForce.UNKNOWN
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
    source_account_reference: str | None = None
    destination_account_reference: str | None = None
    error: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PSPConversion:
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
    source_account_reference: str | None = None
    destination_account_reference: str | None = None
    error: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PSPInitiation:
    """A transfer or payout to send. `idempotency_key` is the same for every call of one
    attempt (the initiation id and the attempt number), so a provider that honours it creates
    one payment however often a lost answer makes us ask again."""

    idempotency_key: str
    type: str  # TRANSFER or PAYOUT
    amount: int
    asset: str
    destination_account_reference: str | None
    source_account_reference: str | None = None
    description: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PSPReversal:
    idempotency_key: str  # the reversal's id
    type: str  # the reversed initiation's type
    payment_reference: str  # the provider's reference of the payment being reversed
    amount: int
    asset: str
    description: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FetchPage:
    accounts: list[PSPAccount] = field(default_factory=list)
    balances: list[PSPBalance] = field(default_factory=list)
    payments: list[PSPPayment] = field(default_factory=list)
    orders: list[PSPOrder] = field(default_factory=list)
    conversions: list[PSPConversion] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    has_more: bool = False


# --- errors -------------------------------------------------------------------------------------


class FailureKind(StrEnum):
    NON_RETRYABLE = "NON_RETRYABLE"
    RETRYABLE = "RETRYABLE"
    RATE_LIMITED = "RATE_LIMITED"


class PluginError(Exception):
    """A provider call failed. Not a DomainError: the activity decides the Temporal retry from
    `kind` (and `retry_after` for a rate limit)."""

    kind = FailureKind.RETRYABLE

    def __init__(self, message: str, *, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class NonRetryableError(PluginError):
    kind = FailureKind.NON_RETRYABLE


class NotImplementedByPlugin(NonRetryableError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not implemented by this connector")


class RetryableError(PluginError):
    kind = FailureKind.RETRYABLE


class RateLimitedError(PluginError):
    kind = FailureKind.RATE_LIMITED


# --- the protocol ---------------------------------------------------------------------------


class ConnectorPlugin(Protocol):
    async def fetch_next_accounts(self, state: dict[str, Any] | None,
                                  page_size: int) -> FetchPage: ...

    async def fetch_next_external_accounts(self, state: dict[str, Any] | None,
                                           page_size: int) -> FetchPage: ...

    async def fetch_next_balances(self, account_reference: str) -> FetchPage: ...

    async def fetch_next_payments(self, state: dict[str, Any] | None,
                                  page_size: int) -> FetchPage: ...

    async def fetch_next_orders(self, state: dict[str, Any] | None,
                                page_size: int) -> FetchPage: ...

    async def fetch_next_conversions(self, state: dict[str, Any] | None,
                                     page_size: int) -> FetchPage: ...

    async def create_bank_account(self, bank_account: BankAccount) -> PSPAccount:
        """The external account the provider now holds for this bank account (its reference
        is the provider's). NotImplementedByPlugin when the provider cannot create one."""
        ...

    async def create_initiation(self, initiation: PSPInitiation) -> PSPPayment:
        """Sends the transfer or payout; the payment the provider created (PENDING if it is
        not final yet). NotImplementedByPlugin when the provider cannot."""
        ...

    async def reverse_initiation(self, reversal: PSPReversal) -> PSPPayment:
        """The provider's payment that gives the amount back (NotImplementedByPlugin if it
        cannot)."""
        ...

    async def close(self) -> None: ...


# --- config schema ----------------------------------------------------------------------------


# Unsigned config integers are page sizes and counts: bounded, so none overflows downstream.
MAX_UNSIGNED = 2**31 - 1


class DataType(StrEnum):
    STRING = "string"
    DURATION = "duration"
    UNSIGNED_INTEGER = "unsigned integer"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True)
class ConfigField:
    name: str
    data_type: DataType
    required: bool
    default: str | None = None

    def describe(self) -> dict[str, Any]:
        """The field as `GET /v3/connectors/configs` lists it."""
        out: dict[str, Any] = {"dataType": self.data_type.value, "required": self.required}
        if self.default is not None:
            out["defaultValue"] = self.default
        return out


# Every connector has these (Formance's common config).
COMMON_FIELDS = (
    ConfigField("name", DataType.STRING, True),
    ConfigField("pollingPeriod", DataType.DURATION, False, "30m"),
    ConfigField("pageSize", DataType.UNSIGNED_INTEGER, False, "25"),
)


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """What the registry knows of a provider without building it: its capabilities, config
    schema and page size. The implementation (with its network client) is registered next to
    the activities, which are the only ones that call providers."""

    name: str
    # The spec's discriminator value of this provider's config (V3ConnectorConfig oneOf).
    display_name: str
    capabilities: tuple[Capability, ...]
    fields: tuple[ConfigField, ...]

    def all_fields(self) -> tuple[ConfigField, ...]:
        own = {f.name for f in self.fields}
        return tuple(f for f in COMMON_FIELDS if f.name not in own) + self.fields

    def validate_config(self, raw: Any, *, min_polling_period: timedelta) -> dict[str, Any]:
        """The config with its defaults applied; InvalidConfigError naming the first bad field.
        Unknown fields are kept (Formance ignores them)."""
        if not isinstance(raw, dict):
            raise InvalidConfigError("the connector config must be a JSON object")
        config = dict(raw)
        for f in self.all_fields():
            value = config.get(f.name)
            if value is None or value == "":
                if f.required:
                    raise InvalidConfigError(f"missing required config field: {f.name}")
                if f.default is None:
                    continue
                value = f.default
            config[f.name] = _checked(f, value, min_polling_period)
        # Clients (the official SDK) tell the config's type by this field when they read it.
        config["provider"] = self.display_name
        return config


def _checked(f: ConfigField, value: Any, min_polling_period: timedelta) -> Any:
    if f.data_type is DataType.STRING:
        if not isinstance(value, str):
            raise InvalidConfigError(f"config field {f.name} must be a string")
        return value
    if f.data_type is DataType.BOOLEAN:
        if not isinstance(value, bool):
            raise InvalidConfigError(f"config field {f.name} must be a boolean")
        return value
    if f.data_type is DataType.UNSIGNED_INTEGER:
        number = value
        if isinstance(value, str) and value.isdigit():
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int) \
                or not 1 <= number <= MAX_UNSIGNED:
            raise InvalidConfigError(
                f"config field {f.name} must be an integer from 1 to {MAX_UNSIGNED}")
        return number
    if not isinstance(value, str):
        raise InvalidConfigError(f"config field {f.name} must be a duration string like '30m'")
    try:
        period = parse_go_duration(value)
    except ValueError:
        raise InvalidConfigError(
            f"config field {f.name} must be a duration string like '30m', got {value!r}"
        ) from None
    if f.name == "pollingPeriod" and period < min_polling_period:
        raise InvalidConfigError(
            f"config field pollingPeriod must be at least {format_go_duration(min_polling_period)}"
            f", got {value!r}")
    return value


def polling_period(config: dict[str, Any]) -> timedelta:
    return parse_go_duration(str(config.get("pollingPeriod") or "30m"))


def page_size(config: dict[str, Any]) -> int:
    size = config.get("pageSize")
    return size if isinstance(size, int) and size > 0 else 25
