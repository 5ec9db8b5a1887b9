"""The `dummypay` connector (Formance's test connector): the provider's accounts, external
accounts, balances and payments are JSON files in the configured `directory`.

Formance's reference material names the files but not their fields, so this format is our own
(the README shows it). Every file is a JSON array of objects; a missing file is an empty list,
so a directory may hold only the files it needs:

- `accounts.json`, `external_accounts.json`: `{"reference", "createdAt", "name"?,
  "defaultAsset"?, "metadata"?}`
- `balances.json`: `{"accountReference", "asset", "amount", "at"?}` (`at` defaults to the time
  of the read: a balance as the provider shows it now)
- `payments.json`: `{"reference", "createdAt", "updatedAt"?, "type", "status", "amount",
  "asset", "scheme"?, "sourceAccountReference"?, "destinationAccountReference"?, "metadata"?}`
  (`type` as v3 spells it: PAY-IN, PAYOUT, TRANSFER, OTHER; `updatedAt` defaults to
  `createdAt`: a new `updatedAt` or status is an adjustment of the payment)
- `orders.json`: `{"reference", "createdAt", "updatedAt"?, "direction", "sourceAsset",
  "destinationAsset", "type", "status", "baseQuantityOrdered", "timeInForce"?,
  "clientOrderID"?, "baseQuantityFilled"?, "limitPrice"?, "stopPrice"?, "expiresAt"?, "fee"?,
  "feeAsset"?, "averageFillPrice"?, "quoteAmount"?, "quoteAsset"?, "priceAsset"?,
  "sourceAccountReference"?, "destinationAccountReference"?, "error"?, "metadata"?}`
  (enums as v3 spells them; an entry with another status, fill or fee is a new adjustment of
  the order, so a file may list the same reference once per state it went through)
- `conversions.json`: `{"reference", "createdAt", "updatedAt"?, "sourceAsset",
  "destinationAsset", "sourceAmount", "status", "destinationAmount"?, "fee"?, "feeAsset"?,
  "sourceAccountReference"?, "destinationAccountReference"?, "error"?, "metadata"?}`

Amounts are integers in minor units, as JSON numbers or strings of digits. Each run pages
through a file in its order (the state is the offset) and starts again from the top at the
next run: files are small, upserts are idempotent, and an edited entry is picked up wherever
it is. A file that is not such an array is retryable: whoever writes it may fix it, and nothing
of it is stored meanwhile.

A bank account forwarded to dummypay becomes an external account whose reference is the bank
account's id; nothing is written to the directory (the files stay the user's).

Transfers and payouts succeed at once (the payment's reference is the idempotency key);
reversals answer a REFUNDED payment. Open banking: a link is the callback itself, and
following it completes the attempt with a connection, unless the config's `linkFlowError`
(`updateLinkFlowError` for an update-link) makes it fail with that message."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from domain.payments.models import (
    BankAccount,
    ConversionStatus,
    OrderDirection,
    OrderStatus,
    OrderType,
    PaymentStatus,
    PaymentType,
    TimeInForce,
)
from domain.payments.plugin import (
    FetchPage,
    NonRetryableError,
    PSPAccount,
    PSPBalance,
    PSPConversion,
    PSPInitiation,
    PSPOrder,
    PSPPayment,
    PSPReversal,
    RetryableError,
)
from domain.payments.psu import LinkAttempt

ACCOUNTS = "accounts.json"
EXTERNAL_ACCOUNTS = "external_accounts.json"
BALANCES = "balances.json"
PAYMENTS = "payments.json"
ORDERS = "orders.json"
CONVERSIONS = "conversions.json"

E = TypeVar("E", bound=StrEnum)


class DummypayPlugin:
    def __init__(self, directory: str, *, link_flow_error: str | None = None,
                 update_link_flow_error: str | None = None) -> None:
        self.directory = Path(directory)
        self.link_flow_error = link_flow_error
        self.update_link_flow_error = update_link_flow_error

    @classmethod
    def from_config(cls, config: dict[str, Any], http: httpx.AsyncClient) -> DummypayPlugin:
        # Formance's dummypay fails its link flows with these (config fields it keeps).
        return cls(str(config["directory"]),
                   link_flow_error=config.get("linkFlowError") or None,
                   update_link_flow_error=config.get("updateLinkFlowError") or None)

    async def close(self) -> None:
        """Nothing is held between calls."""

    async def fetch_next_accounts(self, state: dict[str, Any] | None,
                                  page_size: int) -> FetchPage:
        items, _, more, new_state = await self._page(ACCOUNTS, state, page_size)
        return FetchPage(accounts=[_account(x, ACCOUNTS) for x in items], has_more=more,
                         state=new_state)

    async def fetch_next_external_accounts(self, state: dict[str, Any] | None,
                                           page_size: int) -> FetchPage:
        items, _, more, new_state = await self._page(EXTERNAL_ACCOUNTS, state, page_size)
        return FetchPage(accounts=[_account(x, EXTERNAL_ACCOUNTS) for x in items],
                         has_more=more, state=new_state)

    async def fetch_next_balances(self, account_reference: str) -> FetchPage:
        now = datetime.now(UTC)
        return FetchPage(balances=[
            PSPBalance(account_reference=account_reference, asset=_text(x, "asset", BALANCES),
                       amount=_amount(x, BALANCES),
                       at=_time(x["at"], "at", BALANCES) if x.get("at") is not None else now)
            for x in await self._read(BALANCES)
            if x.get("accountReference") == account_reference])

    async def fetch_next_payments(self, state: dict[str, Any] | None,
                                  page_size: int) -> FetchPage:
        items, _, more, new_state = await self._page(PAYMENTS, state, page_size)
        return FetchPage(payments=[_payment(x) for x in items], has_more=more,
                         state=new_state)

    async def fetch_next_orders(self, state: dict[str, Any] | None,
                                page_size: int) -> FetchPage:
        items, _, more, new_state = await self._page(ORDERS, state, page_size)
        return FetchPage(orders=[_order(x) for x in items], has_more=more, state=new_state)

    async def fetch_next_conversions(self, state: dict[str, Any] | None,
                                     page_size: int) -> FetchPage:
        items, _, more, new_state = await self._page(CONVERSIONS, state, page_size)
        return FetchPage(conversions=[_conversion(x) for x in items], has_more=more,
                         state=new_state)

    async def create_bank_account(self, bank_account: BankAccount) -> PSPAccount:
        raw = {"id": bank_account.id, "name": bank_account.name,
               "accountNumber": bank_account.account_number, "iban": bank_account.iban,
               "swiftBicCode": bank_account.swift_bic_code, "country": bank_account.country}
        return PSPAccount(reference=bank_account.id, created_at=bank_account.created_at,
                          name=bank_account.name, metadata=dict(bank_account.metadata),
                          raw={k: v for k, v in raw.items() if v is not None})

    async def create_initiation(self, initiation: PSPInitiation) -> PSPPayment:
        """Succeeds at once, as Formance's dummypay does: the payment's reference is the
        attempt's idempotency key, so asking again is the same payment."""
        now = datetime.now(UTC)
        return PSPPayment(
            reference=initiation.idempotency_key, created_at=now, updated_at=now,
            type=PaymentType(initiation.type), amount=initiation.amount,
            asset=initiation.asset, status=PaymentStatus.SUCCEEDED,
            source_account_reference=initiation.source_account_reference,
            destination_account_reference=initiation.destination_account_reference,
            metadata=dict(initiation.metadata),
            raw={"idempotencyKey": initiation.idempotency_key})

    async def reverse_initiation(self, reversal: PSPReversal) -> PSPPayment:
        now = datetime.now(UTC)
        return PSPPayment(
            reference=reversal.idempotency_key, created_at=now, updated_at=now,
            type=PaymentType(reversal.type), amount=reversal.amount, asset=reversal.asset,
            status=PaymentStatus.REFUNDED, metadata=dict(reversal.metadata),
            raw={"reverses": reversal.payment_reference})

    # --- open banking -------------------------------------------------------------------------

    async def create_link(self, attempt: LinkAttempt, callback_url: str) -> str:
        """No bank page to visit: the link is the callback itself, as if the user had linked
        a bank at once (following it completes the attempt)."""
        return f"{callback_url}?{urlencode({'attemptID': attempt.id})}"

    async def complete_link(self, attempt: LinkAttempt) -> str:
        error = self.update_link_flow_error if attempt.connection_id else self.link_flow_error
        if error:
            raise NonRetryableError(error)
        return attempt.connection_id or f"dummypay-connection-{attempt.id}"

    # --- files --------------------------------------------------------------------------------

    async def _page(self, name: str, state: dict[str, Any] | None, page_size: int
                    ) -> tuple[list[dict[str, Any]], int, bool, dict[str, Any]]:
        offset = (state or {}).get("offset")
        offset = offset if isinstance(offset, int) and offset >= 0 else 0
        items = await self._read(name)
        page = items[offset:offset + page_size]
        more = offset + page_size < len(items)
        return page, offset, more, {"offset": offset + page_size} if more else {}

    async def _read(self, name: str) -> list[dict[str, Any]]:
        path = self.directory / name
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        except FileNotFoundError:
            if not await asyncio.to_thread(self.directory.is_dir):
                raise RetryableError(
                    f"dummypay: directory {str(self.directory)!r} does not exist") from None
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise RetryableError(f"dummypay: cannot read {name}: {exc}") from exc
        try:
            items = json.loads(text)
        except ValueError:
            raise RetryableError(f"dummypay: {name} is not valid JSON") from None
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            raise RetryableError(f"dummypay: {name} must be a JSON array of objects")
        return items


# --- entries to provider objects ---------------------------------------------------------------


def _account(x: dict[str, Any], name: str) -> PSPAccount:
    return PSPAccount(reference=_text(x, "reference", name),
                      created_at=_time(x.get("createdAt"), "createdAt", name),
                      name=_optional(x, "name", name),
                      default_asset=_optional(x, "defaultAsset", name),
                      metadata=_metadata(x), raw=x)


def _payment(x: dict[str, Any]) -> PSPPayment:
    try:
        kind = PaymentType(str(x.get("type")))
        status = PaymentStatus(str(x.get("status")))
    except ValueError:
        raise RetryableError(f"dummypay: {PAYMENTS}: unknown type {x.get('type')!r} or status "
                             f"{x.get('status')!r}") from None
    created = _time(x.get("createdAt"), "createdAt", PAYMENTS)
    updated = x.get("updatedAt")
    return PSPPayment(
        reference=_text(x, "reference", PAYMENTS), created_at=created,
        updated_at=_time(updated, "updatedAt", PAYMENTS) if updated is not None else created,
        type=kind, amount=_amount(x, PAYMENTS), asset=_text(x, "asset", PAYMENTS),
        status=status, scheme=_optional(x, "scheme", PAYMENTS) or "OTHER",
        source_account_reference=_optional(x, "sourceAccountReference", PAYMENTS),
        destination_account_reference=_optional(x, "destinationAccountReference", PAYMENTS),
        metadata=_metadata(x), raw=x)


def _enum(kind: type[E], x: dict[str, Any], key: str, name: str,
          default: E | None = None) -> E:
    value = x.get(key)
    if value is None and default is not None:
        return default
    try:
        return kind(str(value))
    except ValueError:
        raise RetryableError(f"dummypay: {name}: unknown {key} {value!r}") from None


def _order(x: dict[str, Any]) -> PSPOrder:
    created = _time(x.get("createdAt"), "createdAt", ORDERS)
    updated = x.get("updatedAt")
    expires = x.get("expiresAt")
    return PSPOrder(
        reference=_text(x, "reference", ORDERS), created_at=created,
        updated_at=_time(updated, "updatedAt", ORDERS) if updated is not None else created,
        direction=_enum(OrderDirection, x, "direction", ORDERS),
        source_asset=_text(x, "sourceAsset", ORDERS),
        destination_asset=_text(x, "destinationAsset", ORDERS),
        type=_enum(OrderType, x, "type", ORDERS), status=_enum(OrderStatus, x, "status", ORDERS),
        base_quantity_ordered=_amount(x, ORDERS, "baseQuantityOrdered"),
        time_in_force=_enum(TimeInForce, x, "timeInForce", ORDERS, TimeInForce.UNKNOWN),
        client_order_id=_optional(x, "clientOrderID", ORDERS),
        base_quantity_filled=_optional_amount(x, ORDERS, "baseQuantityFilled"),
        limit_price=_optional_amount(x, ORDERS, "limitPrice"),
        stop_price=_optional_amount(x, ORDERS, "stopPrice"),
        expires_at=_time(expires, "expiresAt", ORDERS) if expires is not None else None,
        fee=_optional_amount(x, ORDERS, "fee"), fee_asset=_optional(x, "feeAsset", ORDERS),
        average_fill_price=_optional_amount(x, ORDERS, "averageFillPrice"),
        quote_amount=_optional_amount(x, ORDERS, "quoteAmount"),
        quote_asset=_optional(x, "quoteAsset", ORDERS),
        price_asset=_optional(x, "priceAsset", ORDERS),
        source_account_reference=_optional(x, "sourceAccountReference", ORDERS),
        destination_account_reference=_optional(x, "destinationAccountReference", ORDERS),
        error=_optional(x, "error", ORDERS), metadata=_metadata(x), raw=x)


def _conversion(x: dict[str, Any]) -> PSPConversion:
    created = _time(x.get("createdAt"), "createdAt", CONVERSIONS)
    updated = x.get("updatedAt")
    return PSPConversion(
        reference=_text(x, "reference", CONVERSIONS), created_at=created,
        updated_at=_time(updated, "updatedAt", CONVERSIONS) if updated is not None
        else created,
        source_asset=_text(x, "sourceAsset", CONVERSIONS),
        destination_asset=_text(x, "destinationAsset", CONVERSIONS),
        source_amount=_amount(x, CONVERSIONS, "sourceAmount"),
        status=_enum(ConversionStatus, x, "status", CONVERSIONS),
        destination_amount=_optional_amount(x, CONVERSIONS, "destinationAmount"),
        fee=_optional_amount(x, CONVERSIONS, "fee"),
        fee_asset=_optional(x, "feeAsset", CONVERSIONS),
        source_account_reference=_optional(x, "sourceAccountReference", CONVERSIONS),
        destination_account_reference=_optional(x, "destinationAccountReference",
                                                CONVERSIONS),
        error=_optional(x, "error", CONVERSIONS), metadata=_metadata(x), raw=x)


def _text(x: dict[str, Any], key: str, name: str) -> str:
    value = x.get(key)
    if not isinstance(value, str) or not value:
        raise RetryableError(f"dummypay: {name}: {key} missing or not a string")
    return value


def _optional(x: dict[str, Any], key: str, name: str) -> str | None:
    value = x.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RetryableError(f"dummypay: {name}: {key} must be a string")
    return value


def _optional_amount(x: dict[str, Any], name: str, key: str) -> int | None:
    return None if x.get(key) is None else _amount(x, name, key)


def _amount(x: dict[str, Any], name: str, key: str = "amount") -> int:
    value = x.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = value if isinstance(value, str) else ""
    digits = text[1:] if text.startswith("-") else text
    if not digits.isdigit() or not digits.isascii():
        raise RetryableError(f"dummypay: {name}: {key} {value!r} is not an integer")
    return int(text)


def _time(value: Any, key: str, name: str) -> datetime:
    if not isinstance(value, str):
        raise RetryableError(f"dummypay: {name}: {key} missing")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RetryableError(f"dummypay: {name}: {key} {value!r} is not a date-time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _metadata(x: dict[str, Any]) -> dict[str, str]:
    md = x.get("metadata")
    return {str(k): str(v) for k, v in md.items()} if isinstance(md, dict) else {}
