"""Wallets use-cases: every call maps onto the ledger exactly as Formance wallets does (reference
§4), so a user looking at the wallets ledger sees the money the wallets API shows. Each write is
one ledger write (metadata or one transaction), idempotent through the ledger's idempotency key.

Holds are ledger accounts; their lifecycle (confirm, void, expiry) is serialised by a Temporal
workflow, which computes the amounts with `plan_confirmation` / `plan_void` and calls
`settle_hold` / `return_hold` through activities with a key per action. Those two take explicit
amounts so that a retried activity posts the very same transaction (same key, same hash) and the
ledger replays it instead of posting twice."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, uuid4, uuid5

from domain.errors import DomainError, ValidationError
from domain.ledger.errors import (
    AccountNotFoundError,
    IdempotencyKeyConflictError,
    LedgerAlreadyExistsError,
    LedgerNotFoundError,
)
from domain.ledger.hashing import idempotency_hash
from domain.ledger.models import (
    WORLD,
    Account,
    CreateTransaction,
    Posting,
    SaveMetadata,
    Script,
    TargetType,
    Transaction,
    WriteOptions,
    WriteResult,
)
from domain.ledger.query import (
    ListQuery,
    Page,
    Resource,
    format_datetime,
    parse_datetime,
    parse_list_query,
    parse_page_size,
)
from domain.ledger.validation import ADDRESS_RE, ASSET_RE
from domain.wallets import chart as c
from domain.wallets.errors import (
    BalanceAlreadyExistsError,
    BalanceNotFoundError,
    ErrorCode,
    HoldClosedError,
    HoldNotFoundError,
    IdempotencyConflictError,
    InsufficientFundError,
    WalletNotFoundError,
)
from domain.wallets.models import (
    ALL_BALANCES,
    DEFAULT_LEDGER,
    MAIN_BALANCE,
    Balance,
    BalanceWithAssets,
    Credit,
    Debit,
    Hold,
    Monetary,
    Subject,
    SubjectType,
    Wallet,
    WalletSummary,
)
from domain.wallets.ports import Ledger

T = TypeVar("T")
U = TypeVar("U")

# Deterministic ids from an Idempotency-Key: a retried create lands on the same wallet or hold.
_ID_NAMESPACE = uuid5(NAMESPACE_URL, "https://formance.com/wallets")
_BALANCE_NAME = ADDRESS_RE  # one address segment, checked below without ':'
_SCAN_PAGE = 100


def utcnow() -> datetime:
    return datetime.now(UTC)


class UnknownBalanceError(ValidationError):
    """A balance named in a request body that the wallet does not have (400, as Formance)."""

    def __init__(self, wallet_id: str, name: str) -> None:
        super().__init__(f"balance {name!r} not found in wallet {wallet_id!r}")


# --- pure rules, shared with the hold workflow -------------------------------------------------


def plan_confirmation(hold_id: str, remaining: int, amount: int | None,
                      final: bool) -> tuple[int, int]:
    """(to the destination, back to the wallet) for confirming `amount` (None or 0: everything
    that remains); with `final` the rest goes back to the wallet and the hold closes."""
    if remaining <= 0:
        raise HoldClosedError(hold_id)
    if amount is not None and amount < 0:
        raise ValidationError(f"invalid amount {amount}: a confirmation amount must be >= 0")
    take = amount or remaining
    if take > remaining:
        raise InsufficientFundError(
            f"cannot confirm {take} on hold {hold_id!r}: only {remaining} remains"
        )
    return take, (remaining - take) if final else 0


def plan_void(hold_id: str, remaining: int) -> int:
    if remaining <= 0:
        raise HoldClosedError(hold_id)
    return remaining


def check_monetary(amount: Monetary, *, positive: bool = False) -> None:
    if not ASSET_RE.match(amount.asset):
        raise ValidationError(
            f"invalid asset {amount.asset!r}: expected an uppercase code with optional "
            "decimals, such as USD/2"
        )
    if amount.amount < 0 or (positive and amount.amount == 0):
        raise ValidationError(
            f"invalid amount {amount.amount}: it must be {'> 0' if positive else '>= 0'}"
        )


def _send_script(sources: int) -> str:
    # Sources are variables rather than literals so that the compiled script is shared by every
    # wallet (the Numscript cache is keyed by the text).
    names = [f"$src{i}" for i in range(sources)]
    decls = "".join(f"  account {n}\n" for n in names)
    return (
        "vars {\n  monetary $amount\n  account $destination\n" + decls + "}\n"
        "send $amount (\n"
        f"  source = {{ {' '.join(names)} }}\n"
        "  destination = $destination\n"
        ")\n"
    )


def _sort_for_all(balances: list[Balance]) -> list[Balance]:
    """`*`: expiring balances first (soonest first), then the others by priority (highest
    first), `main` always last, as Formance orders them."""
    main = [b for b in balances if b.name == MAIN_BALANCE]
    rest = [b for b in balances if b.name != MAIN_BALANCE]
    expiring = sorted((b for b in rest if b.expires_at is not None),
                      key=lambda b: (b.expires_at, -(b.priority or 0), b.name))
    others = sorted((b for b in rest if b.expires_at is None),
                    key=lambda b: (-(b.priority or 0), b.name))
    return [*expiring, *others, *main]


def _add(into: dict[str, int], asset: str, amount: int) -> None:
    into[asset] = into.get(asset, 0) + amount


class WalletsService:
    def __init__(self, ledger: Ledger, *, ledger_name: str = DEFAULT_LEDGER,
                 chart: c.Chart | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.ledger = ledger
        self.ledger_name = ledger_name
        self.chart = chart or c.Chart()
        self.clock = clock
        self._ledger_ready = False

    # --- plumbing --------------------------------------------------------------------------

    async def _ensure_ledger(self) -> None:
        # The wallets ledger is created on the first write, as Formance does on startup.
        if self._ledger_ready:
            return
        with contextlib.suppress(LedgerAlreadyExistsError):
            await self.ledger.create_ledger(self.ledger_name, None, {}, None)
        self._ledger_ready = True

    async def _write(self, command: CreateTransaction | SaveMetadata, key: str | None,
                     payload: dict[str, Any]) -> WriteResult:
        await self._ensure_ledger()
        options = WriteOptions(idempotency_key=key or None,
                               idempotency_hash=idempotency_hash(payload) if key else None)
        try:
            return await self.ledger.execute(self.ledger_name, command, options)
        except IdempotencyKeyConflictError:
            raise IdempotencyConflictError(key or "") from None

    async def _account(self, address: str) -> Account | None:
        if not ADDRESS_RE.match(address):
            return None
        try:
            return await self.ledger.get_account(self.ledger_name, address, ("volumes",))
        except (AccountNotFoundError, LedgerNotFoundError):
            return None

    def _query(self, resource: Resource, scope: list[dict[str, Any]],
               filters: list[dict[str, Any]], *, page_size: str | int | None,
               cursor: str | None,
               sort: str | None = None, expand: tuple[str, ...] = ()) -> ListQuery:
        """A ledger list query; its cursor is the wallets cursor. A cursor must carry our
        `scope` conditions first, so that no cursor (edited, or from another list) can read
        ledger rows outside the list it was issued for."""
        if cursor:
            q = parse_list_query(resource, cursor=cursor, page_size=page_size)
            conditions = (q.raw_filter or {}).get("$and")
            if not isinstance(conditions, list) or conditions[:len(scope)] != scope:
                raise ValidationError("invalid cursor")
            return q
        return parse_list_query(resource, page_size=page_size, sort=sort,
                                query={"$and": [*scope, *filters]}, expand=expand)

    async def _accounts(self, q: ListQuery) -> Page[Account]:
        try:
            return await self.ledger.list_accounts(self.ledger_name, q)
        except LedgerNotFoundError:
            return Page(data=[], page_size=q.page_size, has_more=False)

    async def _all_accounts(self, scope: list[dict[str, Any]]) -> list[Account]:
        out: list[Account] = []
        cursor: str | None = None
        while True:
            q = self._query(Resource.ACCOUNTS, scope, [], page_size=_SCAN_PAGE, cursor=cursor,
                            expand=("volumes",))
            page = await self._accounts(q)
            out += page.data
            if not page.has_more or page.next is None:
                return out
            cursor = page.next

    @staticmethod
    def _map(page: Page[T], render: Callable[[T], U]) -> Page[U]:
        return Page(data=[render(x) for x in page.data], page_size=page.page_size,
                    has_more=page.has_more, next=page.next, previous=page.previous)

    # --- wallets ---------------------------------------------------------------------------

    def _wallet(self, account: Account, *, with_balances: bool) -> Wallet:
        md = account.metadata
        assets = None
        if with_balances:
            assets = {a: v.balance for a, v in (account.volumes or {}).items()}
        return Wallet(
            id=md.get(c.WALLET_ID, ""), name=md.get(c.WALLET_NAME, ""),
            metadata=c.decode_custom(md), ledger=self.ledger_name,
            created_at=parse_datetime(md[c.WALLET_CREATED_AT]) if md.get(c.WALLET_CREATED_AT)
            else account.insertion_date,
            main_assets=assets,
        )

    async def _wallet_account(self, wallet_id: str) -> Account:
        account = await self._account(self.chart.main_account(wallet_id))
        if account is None or account.metadata.get(c.SPEC_TYPE) != c.PRIMARY_WALLET:
            raise WalletNotFoundError(wallet_id)
        return account

    async def create_wallet(self, name: str, metadata: dict[str, str],
                            idempotency_key: str | None = None) -> Wallet:
        wallet_id = str(uuid5(_ID_NAMESPACE, f"wallet:{idempotency_key}")) if idempotency_key \
            else str(uuid4())
        created_at = self.clock()
        md = {
            c.SPEC_TYPE: c.PRIMARY_WALLET, c.WALLET_ID: wallet_id, c.WALLET_NAME: name,
            c.BALANCES: "true", c.BALANCE_NAME: MAIN_BALANCE,
            c.WALLET_CREATED_AT: format_datetime(created_at), **c.encode_custom(metadata),
        }
        result = await self._write(
            SaveMetadata(TargetType.ACCOUNT, self.chart.main_account(wallet_id), md),
            idempotency_key, {"op": "wallets.createWallet", "name": name, "metadata": metadata},
        )
        if result.idempotency_hit:  # answer with what the first call created
            return self._wallet(await self._wallet_account(wallet_id), with_balances=False)
        return Wallet(id=wallet_id, name=name, metadata=dict(metadata), ledger=self.ledger_name,
                      created_at=created_at)

    async def get_wallet(self, wallet_id: str) -> Wallet:
        return self._wallet(await self._wallet_account(wallet_id), with_balances=True)

    async def list_wallets(self, *, name: str | None = None,
                           metadata: dict[str, str] | None = None,
                           page_size: str | int | None = None,
                           cursor: str | None = None, expand_balances: bool = False
                           ) -> Page[Wallet]:
        filters: list[dict[str, Any]] = []
        if name:
            filters.append({"$match": {f"metadata[{c.WALLET_NAME}]": name}})
        for key, value in sorted((metadata or {}).items()):
            filters.append({"$match": {f"metadata[{c.CUSTOM_DATA_PREFIX}{key}]": value}})
        q = self._query(Resource.ACCOUNTS, [{"$match": {f"metadata[{c.SPEC_TYPE}]":
                                                         c.PRIMARY_WALLET}}],
                        filters, page_size=page_size, cursor=cursor,
                        expand=("volumes",) if expand_balances else ())
        return self._map(await self._accounts(q),
                         lambda a: self._wallet(a, with_balances=expand_balances))

    async def update_wallet(self, wallet_id: str, metadata: dict[str, str],
                            idempotency_key: str | None = None) -> None:
        await self._wallet_account(wallet_id)
        await self._write(
            SaveMetadata(TargetType.ACCOUNT, self.chart.main_account(wallet_id),
                         c.encode_custom(metadata)),
            idempotency_key,
            {"op": "wallets.updateWallet", "wallet": wallet_id, "metadata": metadata},
        )

    # --- balances --------------------------------------------------------------------------

    @staticmethod
    def _balance(account: Account) -> BalanceWithAssets:
        md = account.metadata
        priority = md.get(c.BALANCE_PRIORITY)
        return BalanceWithAssets(
            name=md.get(c.BALANCE_NAME, ""),
            expires_at=parse_datetime(md[c.BALANCE_EXPIRES_AT])
            if md.get(c.BALANCE_EXPIRES_AT) else None,
            priority=int(priority) if priority and priority.lstrip("-").isdigit() else None,
            assets={a: v.balance for a, v in (account.volumes or {}).items()},
        )

    async def _balance_account(self, wallet_id: str, name: str) -> Account | None:
        account = await self._account(self.chart.balance_account(wallet_id, name))
        if account is None or account.metadata.get(c.BALANCES) != "true" \
                or account.metadata.get(c.WALLET_ID) != wallet_id:
            return None
        return account

    def _balances_scope(self, wallet_id: str) -> list[dict[str, Any]]:
        return [{"$match": {f"metadata[{c.WALLET_ID}]": wallet_id}},
                {"$match": {f"metadata[{c.BALANCES}]": "true"}}]

    async def create_balance(self, wallet_id: str, balance: Balance,
                             idempotency_key: str | None = None) -> Balance:
        name = balance.name
        if name in (MAIN_BALANCE, ALL_BALANCES):
            raise ValidationError(f"balance name {name!r} is reserved")
        if not name or ":" in name or not _BALANCE_NAME.match(name):
            raise ValidationError(
                f"invalid balance name {name!r}: expected letters, digits, '_' or '-'"
            )
        await self._wallet_account(wallet_id)
        md = {c.WALLET_ID: wallet_id, c.BALANCES: "true", c.BALANCE_NAME: name}
        if balance.expires_at is not None:
            md[c.BALANCE_EXPIRES_AT] = format_datetime(balance.expires_at)
        if balance.priority is not None:
            md[c.BALANCE_PRIORITY] = str(balance.priority)
        existing = await self._balance_account(wallet_id, name)
        if existing is not None:
            # A retry of the same creation is answered as the first one was.
            same = all(existing.metadata.get(k) == v for k, v in md.items())
            if idempotency_key and same:
                return Balance(name=name, expires_at=balance.expires_at,
                               priority=balance.priority)
            raise BalanceAlreadyExistsError(wallet_id, name)
        await self._write(
            SaveMetadata(TargetType.ACCOUNT, self.chart.balance_account(wallet_id, name), md),
            idempotency_key,
            {"op": "wallets.createBalance", "wallet": wallet_id,
             "balance": balance.model_dump(mode="json")},
        )
        return Balance(name=name, expires_at=balance.expires_at, priority=balance.priority)

    async def list_balances(self, wallet_id: str, *, page_size: str | int | None = None,
                            cursor: str | None = None) -> Page[BalanceWithAssets]:
        await self._wallet_account(wallet_id)
        q = self._query(Resource.ACCOUNTS, self._balances_scope(wallet_id), [],
                        page_size=page_size, cursor=cursor, expand=("volumes",))
        return self._map(await self._accounts(q), self._balance)

    async def get_balance(self, wallet_id: str, name: str) -> BalanceWithAssets:
        await self._wallet_account(wallet_id)
        account = await self._balance_account(wallet_id, name)
        if account is None:
            raise BalanceNotFoundError(wallet_id, name)
        return self._balance(account)

    async def _all_balances(self, wallet_id: str) -> list[BalanceWithAssets]:
        return [self._balance(a) for a in await self._all_accounts(
            self._balances_scope(wallet_id))]

    # --- credit and debit ------------------------------------------------------------------

    async def _subject_address(self, subject: Subject) -> str:
        if subject.type is SubjectType.ACCOUNT:
            if not ADDRESS_RE.match(subject.identifier):
                raise ValidationError(
                    f"invalid account {subject.identifier!r}: expected segments of "
                    "[a-zA-Z0-9_-] joined by ':'"
                )
            return subject.identifier
        await self._wallet_account(subject.identifier)
        name = subject.balance or MAIN_BALANCE
        if name != MAIN_BALANCE and await self._balance_account(subject.identifier,
                                                                name) is None:
            raise UnknownBalanceError(subject.identifier, name)
        return self.chart.balance_account(subject.identifier, name)

    async def _send(self, *, amount: Monetary, sources: list[str], destination: str,
                    metadata: dict[str, str], key: str | None, payload: dict[str, Any],
                    timestamp: datetime | None = None, reference: str | None = None,
                    account_metadata: dict[str, dict[str, str]] | None = None,
                    insufficient: str) -> WriteResult:
        variables = {"amount": f"{amount.asset} {amount.amount}", "destination": destination}
        variables.update({f"src{i}": s for i, s in enumerate(sources)})
        command = CreateTransaction(
            script=Script(_send_script(len(sources)), variables), timestamp=timestamp,
            reference=reference or None, metadata={**metadata, c.TRANSACTION: "true"},
            account_metadata=account_metadata or {},
        )
        try:
            return await self._write(command, key, payload)
        except DomainError as exc:
            if exc.code == ErrorCode.INSUFFICIENT_FUND:
                raise InsufficientFundError(insufficient, details=exc.message) from None
            raise

    async def credit(self, wallet_id: str, credit: Credit,
                     idempotency_key: str | None = None) -> None:
        check_monetary(credit.amount)
        await self._wallet_account(wallet_id)
        balance = credit.balance or MAIN_BALANCE
        if balance != MAIN_BALANCE and await self._balance_account(wallet_id, balance) is None:
            raise UnknownBalanceError(wallet_id, balance)
        sources = [await self._subject_address(s) for s in credit.sources] or [WORLD]
        await self._send(
            amount=credit.amount, sources=sources,
            destination=self.chart.balance_account(wallet_id, balance),
            metadata=dict(credit.metadata), key=idempotency_key, timestamp=credit.timestamp,
            reference=credit.reference,
            payload={"op": "wallets.credit", "wallet": wallet_id,
                     "request": credit.model_dump(mode="json")},
            insufficient=f"insufficient funds in the sources to credit {credit.amount.amount} "
                         f"{credit.amount.asset} to wallet {wallet_id!r}",
        )

    async def _debit_sources(self, wallet_id: str, names: list[str], now: datetime,
                             idempotency_key: str | None) -> list[Balance]:
        if ALL_BALANCES in names:
            if len(names) > 1:
                raise ValidationError("'*' must be the only balance when debiting all balances")
            if idempotency_key:
                raise ValidationError(
                    "an Idempotency-Key cannot be used when debiting '*': the balances debited "
                    "could differ between retries"
                )
            balances: list[Balance] = list(await self._all_balances(wallet_id))
            return _sort_for_all([b for b in balances if not b.expired(now)])
        out: list[Balance] = []
        for name in names:
            if name == MAIN_BALANCE:
                out.append(Balance(name=MAIN_BALANCE))
                continue
            account = await self._balance_account(wallet_id, name)
            if account is None:
                raise UnknownBalanceError(wallet_id, name)
            balance = self._balance(account)
            if balance.expires_at is not None and idempotency_key:
                raise ValidationError(
                    f"an Idempotency-Key cannot be used when debiting the expiring balance "
                    f"{name!r}: it could have expired when the request is retried"
                )
            if not balance.expired(now):
                out.append(balance)
        return out

    async def debit(self, wallet_id: str, debit: Debit,
                    idempotency_key: str | None = None) -> Hold | None:
        """Debit now (None), or with `pending` move the funds into a new hold (returned)."""
        check_monetary(debit.amount, positive=debit.pending)
        if debit.pending and debit.timestamp is not None:
            raise ValidationError("timestamp cannot be used with pending: a hold is created now")
        if debit.hold_expires_at is not None and not debit.pending:
            raise ValidationError("expiresAt only applies to a pending debit (a hold)")
        await self._wallet_account(wallet_id)
        now = self.clock()
        names = debit.balances or [MAIN_BALANCE]
        balances = await self._debit_sources(wallet_id, names, now, idempotency_key)
        amount = debit.amount
        what = f"{amount.amount} {amount.asset}"
        if not balances:
            raise InsufficientFundError(
                f"insufficient funds to debit {what} from wallet {wallet_id!r}: every balance "
                f"listed ({', '.join(names)}) has expired"
            )
        subject = debit.destination or Subject(type=SubjectType.ACCOUNT, identifier=WORLD)
        destination = await self._subject_address(subject)
        hold: Hold | None = None
        account_metadata: dict[str, dict[str, str]] = {}
        if debit.pending:
            hold_id = str(uuid5(_ID_NAMESPACE, f"hold:{idempotency_key}")) if idempotency_key \
                else str(uuid4())
            hold = Hold(id=hold_id, wallet_id=wallet_id, asset=amount.asset,
                        description=debit.description, destination=subject,
                        metadata=dict(debit.metadata), original_amount=amount.amount,
                        remaining=amount.amount, expires_at=debit.hold_expires_at)
            hold_account = self.chart.hold_account(hold_id)
            account_metadata[hold_account] = self._hold_metadata(hold, destination)
            destination = hold_account
        await self._send(
            amount=amount,
            sources=[self.chart.balance_account(wallet_id, b.name) for b in balances],
            destination=destination, metadata=dict(debit.metadata), key=idempotency_key,
            timestamp=debit.timestamp, account_metadata=account_metadata,
            payload={"op": "wallets.debit", "wallet": wallet_id,
                     "request": debit.model_dump(mode="json")},
            insufficient=f"insufficient funds to debit {what} from wallet {wallet_id!r} "
                         f"(balances: {', '.join(b.name for b in balances)})",
        )
        return hold

    # --- holds -----------------------------------------------------------------------------

    def _hold_metadata(self, hold: Hold, destination: str) -> dict[str, str]:
        md = {
            c.SPEC_TYPE: c.HOLD_WALLET, c.HOLD_WALLET_ID: hold.wallet_id, c.HOLD_ID: hold.id,
            c.HOLD_ASSET: hold.asset, c.HOLD_DESCRIPTION: hold.description,
            c.HOLD_SUBJECT: hold.destination.model_dump_json(exclude_none=True)
            if hold.destination else "",
            c.HOLD_DESTINATION: json.dumps({"type": "account", "value": destination}),
            c.HOLD_VOID_DESTINATION: json.dumps(
                {"type": "account", "value": self.chart.main_account(hold.wallet_id)}),
            **c.encode_custom(hold.metadata),
        }
        if hold.expires_at is not None:
            md[c.HOLD_EXPIRES_AT] = format_datetime(hold.expires_at)
        return md

    @staticmethod
    def _hold(account: Account) -> Hold:
        md = account.metadata
        asset = md.get(c.HOLD_ASSET, "")
        volumes = (account.volumes or {}).get(asset)
        subject = md.get(c.HOLD_SUBJECT)
        return Hold(
            id=md.get(c.HOLD_ID, ""), wallet_id=md.get(c.HOLD_WALLET_ID, ""), asset=asset,
            description=md.get(c.HOLD_DESCRIPTION, ""),
            destination=_subject(subject),
            metadata=c.decode_custom(md),
            original_amount=volumes.input if volumes else 0,
            remaining=volumes.balance if volumes else 0,
            expires_at=parse_datetime(md[c.HOLD_EXPIRES_AT]) if md.get(c.HOLD_EXPIRES_AT)
            else None,
        )

    async def _hold_account(self, hold_id: str) -> Account:
        account = await self._account(self.chart.hold_account(hold_id))
        if account is None or account.metadata.get(c.SPEC_TYPE) != c.HOLD_WALLET:
            raise HoldNotFoundError(hold_id)
        return account

    async def get_hold(self, hold_id: str) -> Hold:
        return self._hold(await self._hold_account(hold_id))

    async def list_holds(self, *, wallet_id: str | None = None,
                         metadata: dict[str, str] | None = None,
                         page_size: str | int | None = None,
                         cursor: str | None = None) -> Page[Hold]:
        filters: list[dict[str, Any]] = []
        if wallet_id:
            filters.append({"$match": {f"metadata[{c.HOLD_WALLET_ID}]": wallet_id}})
        for key, value in sorted((metadata or {}).items()):
            filters.append({"$match": {f"metadata[{c.CUSTOM_DATA_PREFIX}{key}]": value}})
        q = self._query(Resource.ACCOUNTS,
                        [{"$match": {f"metadata[{c.SPEC_TYPE}]": c.HOLD_WALLET}}], filters,
                        page_size=page_size, cursor=cursor, expand=("volumes",))
        return self._map(await self._accounts(q), self._hold)

    async def settle_hold(self, hold_id: str, *, to_destination: int, to_wallet: int,
                          idempotency_key: str | None) -> Hold:
        """Confirm: `to_destination` from the hold to its destination and, for a final
        confirmation, `to_wallet` back to the wallet's main balance, in one transaction."""
        account = await self._hold_account(hold_id)
        md = account.metadata
        hold = self._hold(account)
        source = self.chart.hold_account(hold_id)
        postings: list[Posting] = []
        if to_destination:
            postings.append(Posting(source, _account_value(md, c.HOLD_DESTINATION),
                                    to_destination, hold.asset))
        if to_wallet:
            postings.append(Posting(source, _account_value(md, c.HOLD_VOID_DESTINATION),
                                    to_wallet, hold.asset))
        if not postings:
            raise ValidationError("nothing to confirm: the amount is 0")
        await self._post_hold(hold, postings, idempotency_key, {
            "op": "wallets.confirmHold", "hold": hold_id, "toDestination": to_destination,
            "toWallet": to_wallet,
        })
        return await self.get_hold(hold_id)

    async def return_hold(self, hold_id: str, *, amount: int,
                          idempotency_key: str | None) -> Hold:
        """Void: `amount` goes back to the accounts the hold was funded from, each getting at
        most what it gave (Formance semantics; anything beyond stays in the hold)."""
        hold = await self.get_hold(hold_id)
        hold_account = self.chart.hold_account(hold_id)
        funding = await self._funding_transaction(hold_account)
        postings: list[Posting] = []
        left = amount
        for p in funding.postings if funding else []:
            if left <= 0:
                break
            if p.destination == hold_account and p.asset == hold.asset and p.amount:
                give = min(p.amount, left)
                postings.append(Posting(hold_account, p.source, give, hold.asset))
                left -= give
        if not postings:
            raise HoldClosedError(hold_id)
        await self._post_hold(hold, postings, idempotency_key,
                              {"op": "wallets.voidHold", "hold": hold_id, "amount": amount})
        return await self.get_hold(hold_id)

    async def _funding_transaction(self, hold_account: str) -> Transaction | None:
        q = parse_list_query(Resource.TRANSACTIONS, page_size=1, sort="id:asc",
                             query={"$match": {"destination": hold_account}})
        page = await self.ledger.list_transactions(self.ledger_name, q)
        return page.data[0] if page.data else None

    async def _post_hold(self, hold: Hold, postings: list[Posting], key: str | None,
                         payload: dict[str, Any]) -> None:
        command = CreateTransaction(postings=tuple(postings),
                                    metadata={c.TRANSACTION: "true"})
        try:
            await self._write(command, key, payload)
        except DomainError as exc:
            if exc.code != ErrorCode.INSUFFICIENT_FUND:
                raise
            # Someone moved the money first (another action, or a ledger write by hand).
            current = await self.get_hold(hold.id)
            if current.closed:
                raise HoldClosedError(hold.id) from None
            raise InsufficientFundError(
                f"hold {hold.id!r} has only {current.remaining} {hold.asset} remaining",
                details=exc.message) from None

    async def confirm_hold(self, hold_id: str, *, amount: int | None = None,
                           final: bool = False, idempotency_key: str | None = None) -> Hold:
        """Confirm without a hold workflow (for callers that serialise actions themselves)."""
        hold = await self.get_hold(hold_id)
        to_destination, to_wallet = plan_confirmation(hold_id, hold.remaining, amount, final)
        return await self.settle_hold(hold_id, to_destination=to_destination,
                                      to_wallet=to_wallet, idempotency_key=idempotency_key)

    async def void_hold(self, hold_id: str, *, idempotency_key: str | None = None) -> Hold:
        """Void without a hold workflow (for callers that serialise actions themselves)."""
        hold = await self.get_hold(hold_id)
        return await self.return_hold(hold_id, amount=plan_void(hold_id, hold.remaining),
                                      idempotency_key=idempotency_key)

    # --- summary and transactions ----------------------------------------------------------

    async def summary(self, wallet_id: str) -> WalletSummary:
        await self._wallet_account(wallet_id)
        now = self.clock()
        balances = await self._all_balances(wallet_id)
        available: dict[str, int] = {}
        expired: dict[str, int] = {}
        expirable: dict[str, int] = {}
        for b in balances:
            for asset, amount in b.assets.items():
                if b.expired(now):
                    _add(expired, asset, amount)
                    continue
                _add(available, asset, amount)
                if b.expires_at is not None:
                    _add(expirable, asset, amount)
        held: dict[str, int] = {}
        holds = await self._all_accounts([
            {"$match": {f"metadata[{c.SPEC_TYPE}]": c.HOLD_WALLET}},
            {"$match": {f"metadata[{c.HOLD_WALLET_ID}]": wallet_id}},
        ])
        for account in holds:
            hold = self._hold(account)
            if hold.remaining:
                _add(held, hold.asset, hold.remaining)
        return WalletSummary(balances=balances, available_funds=available,
                             expired_funds=expired, expirable_funds=expirable, hold_funds=held)

    async def list_transactions(self, *, wallet_id: str | None = None,
                                page_size: str | int | None = None, cursor: str | None = None
                                ) -> Page[Transaction]:
        filters: list[dict[str, Any]] = []
        if wallet_id:
            # Every balance of the wallet: `wallets:<id>:` matches exactly one more segment.
            pattern = self.chart.balance_account(wallet_id, "x")[:-1]
            if not all(s for s in pattern.split(":")[:-1]) or not ADDRESS_RE.match(pattern + "x"):
                return Page(data=[], page_size=parse_page_size(page_size), has_more=False)
            filters.append({"$match": {"account": pattern}})
        q = self._query(Resource.TRANSACTIONS, [{"$match": {f"metadata[{c.TRANSACTION}]":
                                                             "true"}}],
                        filters, page_size=page_size, cursor=cursor)
        try:
            return await self.ledger.list_transactions(self.ledger_name, q)
        except LedgerNotFoundError:
            return Page(data=[], page_size=q.page_size, has_more=False)


def _subject(raw: str | None) -> Subject | None:
    # Metadata can be edited through the ledger API: a hold stays readable if it was.
    if not raw:
        return None
    try:
        return Subject.model_validate_json(raw)
    except ValueError:
        return None


def _account_value(metadata: dict[str, str], key: str) -> str:
    try:
        value = json.loads(metadata[key])["value"]
    except (KeyError, ValueError, TypeError) as exc:
        raise DomainError(f"hold metadata {key!r} is missing or malformed") from exc
    if not isinstance(value, str):
        raise DomainError(f"hold metadata {key!r} is malformed")
    return value
