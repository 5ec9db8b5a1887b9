"""The generic connector over httpx. Lists are read in a stable ascending order with page
numbers: the state is the page to read next (and, for transactions, the `updatedAt` watermark),
so a run resumes where the last one stopped and an item read twice is an idempotent upsert.

HTTP outcomes are classified once here (domain/payments/plugin.py): 429 is rate-limited (with
the provider's Retry-After), 5xx, timeouts and refused connections are retryable, other 4xx
are non-retryable, and a body that does not follow the spec is retryable (a provider answering
garbage may recover; nothing of it is stored)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from domain.payments.models import BankAccount, PaymentStatus, PaymentType
from domain.payments.plugin import (
    FetchPage,
    NonRetryableError,
    NotImplementedByPlugin,
    PSPAccount,
    PSPBalance,
    PSPInitiation,
    PSPPayment,
    PSPReversal,
    RateLimitedError,
    RetryableError,
)

_TYPES = {"PAYIN": PaymentType.PAY_IN, "PAYOUT": PaymentType.PAYOUT,
          "TRANSFER": PaymentType.TRANSFER, "OTHER": PaymentType.OTHER}


class GenericPlugin:
    def __init__(self, endpoint: str, api_key: str, http: httpx.AsyncClient) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.api_key = api_key
        self.http = http

    @classmethod
    def from_config(cls, config: dict[str, Any], http: httpx.AsyncClient) -> GenericPlugin:
        return cls(str(config["endpoint"]), str(config["apiKey"]), http)

    async def close(self) -> None:
        """The HTTP client is the worker's, shared by every connector."""

    # --- fetches ------------------------------------------------------------------------------

    async def fetch_next_accounts(self, state: dict[str, Any] | None,
                                  page_size: int) -> FetchPage:
        page = _page_of(state)
        items = await self._list("/accounts", {"page": page, "pageSize": page_size,
                                               "sort": "createdAt:asc"})
        accounts = [_account(x, name_key="accountName") for x in items]
        return _next(page, page_size, len(items), FetchPage(accounts=accounts))

    async def fetch_next_external_accounts(self, state: dict[str, Any] | None,
                                           page_size: int) -> FetchPage:
        page = _page_of(state)
        items = await self._list("/beneficiaries", {"page": page, "pageSize": page_size,
                                                    "sort": "createdAt:asc"})
        accounts = [_account(x, name_key="ownerName") for x in items]
        return _next(page, page_size, len(items), FetchPage(accounts=accounts))

    async def fetch_next_balances(self, account_reference: str) -> FetchPage:
        body = await self._get(f"/accounts/{quote(account_reference, safe='')}/balances", {})
        if not isinstance(body, dict) or not isinstance(body.get("balances"), list):
            raise RetryableError("generic provider: balances are not an object with balances")
        at = _time(body.get("at"), "balances.at")
        return FetchPage(balances=[
            PSPBalance(account_reference=account_reference, asset=_text(b, "currency"),
                       amount=_amount(b, "amount"), at=at)
            for b in body["balances"]])

    async def fetch_next_payments(self, state: dict[str, Any] | None,
                                  page_size: int) -> FetchPage:
        page = _page_of(state)
        since = (state or {}).get("updatedAtFrom")
        params: dict[str, Any] = {"page": page, "pageSize": page_size, "sort": "updatedAt:asc"}
        if isinstance(since, str):
            params["updatedAtFrom"] = since
        items = await self._list("/transactions", params)
        payments = [_payment(x) for x in items]
        if len(items) >= page_size:
            return FetchPage(payments=payments, has_more=True,
                             state={"page": page + 1, **({"updatedAtFrom": since} if since
                                                         else {})})
        # The window is read: the next run starts at the newest update seen (inclusive, so an
        # item updated within the same instant is not missed; it is re-read idempotently).
        newest = max((p.updated_at for p in payments), default=None)
        watermark = _iso(newest) if newest else since
        return FetchPage(payments=payments, has_more=False,
                         state={"page": 1, **({"updatedAtFrom": watermark} if watermark
                                              else {})})

    async def fetch_next_orders(self, state: dict[str, Any] | None,
                                page_size: int) -> FetchPage:
        # generic-openapi.yaml has no orders (nor conversions): the connector does not
        # declare FETCH_ORDERS, so no schedule calls these.
        raise NotImplementedByPlugin("fetching orders")

    async def fetch_next_conversions(self, state: dict[str, Any] | None,
                                     page_size: int) -> FetchPage:
        raise NotImplementedByPlugin("fetching conversions")

    async def create_bank_account(self, bank_account: BankAccount) -> PSPAccount:
        # The generic API lists beneficiaries but has no operation that creates one.
        raise NotImplementedByPlugin("creating a bank account")

    # --- payment initiations ------------------------------------------------------------------

    async def create_initiation(self, initiation: PSPInitiation) -> PSPPayment:
        """POST /transfers or /payouts with the attempt's idempotency key: the spec asks the
        provider to answer the existing one when the key was seen."""
        path = "/transfers" if initiation.type == "TRANSFER" else "/payouts"
        body = {"idempotencyKey": initiation.idempotency_key, "amount": str(initiation.amount),
                "currency": initiation.asset,
                "sourceAccountId": initiation.source_account_reference or "",
                "destinationAccountId": initiation.destination_account_reference or "",
                "description": initiation.description, "metadata": initiation.metadata}
        x = await self._call("POST", path, json=body)
        if not isinstance(x, dict):
            raise RetryableError(f"generic provider: {path} did not answer an object")
        created = _time(x.get("createdAt"), "createdAt")
        try:
            status = PaymentStatus(str(x.get("status")))
        except ValueError:
            raise RetryableError(
                f"generic provider: unknown status {x.get('status')!r}") from None
        return PSPPayment(
            reference=_text(x, "id"), created_at=created,
            updated_at=_time(x["updatedAt"], "updatedAt") if x.get("updatedAt") else created,
            type=_TYPES[initiation.type], amount=_amount(x, "amount"),
            asset=_text(x, "currency"), status=status,
            source_account_reference=x.get("sourceAccountId") or None,
            destination_account_reference=x.get("destinationAccountId") or None,
            metadata=_metadata(x), raw=x)

    async def reverse_initiation(self, reversal: PSPReversal) -> PSPPayment:
        # The generic API has no operation that reverses a transfer or payout.
        raise NotImplementedByPlugin("reversing a payment")

    # --- HTTP -------------------------------------------------------------------------------

    async def _list(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        body = await self._get(path, params)
        if not isinstance(body, list) or not all(isinstance(x, dict) for x in body):
            raise RetryableError(f"generic provider: {path} did not answer a list of objects")
        return body

    async def _get(self, path: str, params: dict[str, Any]) -> Any:
        return await self._call("GET", path, params=params)

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self.http.request(
                method, f"{self.endpoint}{path}",
                headers={"Authorization": f"Bearer {self.api_key}"}, **kwargs)
        except httpx.TimeoutException as exc:
            raise RetryableError(f"generic provider: {path} timed out ({exc!r})") from exc
        except httpx.HTTPError as exc:  # refused, reset, DNS: the provider may come back
            raise RetryableError(f"generic provider: {path} unreachable ({exc!r})") from exc
        status = response.status_code
        if status == 429:
            raise RateLimitedError(f"generic provider: {path} rate-limited",
                                   retry_after=_retry_after(response))
        if status >= 500:
            raise RetryableError(f"generic provider: {path} answered {status}")
        if status >= 400:
            raise NonRetryableError(f"generic provider: {path} answered {status}: "
                                    f"{response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise RetryableError(f"generic provider: {path} answered non-JSON") from exc


# --- mapping --------------------------------------------------------------------------------


def _page_of(state: dict[str, Any] | None) -> int:
    page = (state or {}).get("page")
    return page if isinstance(page, int) and page >= 1 else 1


def _next(page: int, page_size: int, count: int, result: FetchPage) -> FetchPage:
    # A full page: more may follow. A short one: stay on it, so the next run re-reads it and
    # picks up what the provider appended after it.
    if count >= page_size:
        return FetchPage(accounts=result.accounts, has_more=True, state={"page": page + 1})
    return FetchPage(accounts=result.accounts, has_more=False, state={"page": page})


def _account(x: dict[str, Any], *, name_key: str) -> PSPAccount:
    return PSPAccount(reference=_text(x, "id"), created_at=_time(x.get("createdAt"), "createdAt"),
                      name=x.get(name_key) if isinstance(x.get(name_key), str) else None,
                      metadata=_metadata(x), raw=x)


def _payment(x: dict[str, Any]) -> PSPPayment:
    kind = _TYPES.get(str(x.get("type")))
    if kind is None:
        raise RetryableError(f"generic provider: unknown transaction type {x.get('type')!r}")
    try:
        status = PaymentStatus(str(x.get("status")))
    except ValueError:
        raise RetryableError(
            f"generic provider: unknown transaction status {x.get('status')!r}") from None
    return PSPPayment(
        reference=_text(x, "id"), created_at=_time(x.get("createdAt"), "createdAt"),
        updated_at=_time(x.get("updatedAt"), "updatedAt"), type=kind,
        amount=_amount(x, "amount"), asset=_text(x, "currency"), status=status,
        scheme=x["scheme"] if isinstance(x.get("scheme"), str) and x["scheme"] else "OTHER",
        source_account_reference=x.get("sourceAccountID") or None,
        destination_account_reference=x.get("destinationAccountID") or None,
        metadata=_metadata(x), raw=x)


def _text(x: dict[str, Any], key: str) -> str:
    value = x.get(key)
    if not isinstance(value, str) or not value:
        raise RetryableError(f"generic provider: field {key} missing or not a string")
    return value


def _amount(x: dict[str, Any], key: str) -> int:
    value = x.get(key)
    text = value if isinstance(value, str) else ""
    digits = text[1:] if text.startswith("-") else text
    if not digits.isdigit() or not digits.isascii():
        raise RetryableError(f"generic provider: {key} {value!r} is not an integer string")
    return int(text)


def _time(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise RetryableError(f"generic provider: {key} missing")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RetryableError(f"generic provider: {key} {value!r} is not a date-time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _metadata(x: dict[str, Any]) -> dict[str, str]:
    md = x.get("metadata")
    return {str(k): str(v) for k, v in md.items()} if isinstance(md, dict) else {}


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("Retry-After", "")
    try:
        return timedelta(seconds=max(0.0, float(value)))
    except ValueError:
        return None


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
