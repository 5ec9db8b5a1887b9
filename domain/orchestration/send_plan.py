"""What a `send` stage does to the ledgers and wallets, as a list of money movements computed
from the resolved stage, the wallets' ledger and the ids of named wallets (Formance's mapping,
reference §3 and temporal-processes §1.2):

- account -> account on one ledger: one transaction; across ledgers: source -> its
  throughAccount on the source ledger (`orchestration/move-to-ledger`), then the destination's
  throughAccount -> destination on the destination ledger (`orchestration/move-from-ledger`);
- account <-> wallet on the wallets' ledger: one wallet credit (from the account) or debit (to
  the account); on another ledger, a movement on each side tagged the same way;
- wallet -> wallet: one credit of the destination from the source wallet;
- from a payment: first the payment is booked throughAccount -> holdingAccount (reference = the
  holding account, so a second booking is refused and counts as done), then the holding account
  is the source.

Pure: the workflow computes the plan and runs each movement as one activity with a key of its
own, so a retried activity replays its movement instead of posting it twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.orchestration.stages import (
    WORLD,
    AccountRef,
    PaymentSource,
    Send,
    as_bool,
    as_datetime,
    as_int,
)

MOVE_TO_LEDGER = "orchestration/move-to-ledger"
COMPENSATES = "orchestration/compensates"
MOVE_FROM_LEDGER = "orchestration/move-from-ledger"


class _Op(BaseModel):
    model_config = ConfigDict(frozen=True)
    asset: str
    amount: int
    metadata: dict[str, str] = Field(default_factory=dict)
    timestamp: datetime | None = None


class LedgerTransfer(_Op):
    """CreateTransaction: `source` -> `destination` on `ledger`."""

    op: Literal["CreateTransaction"] = "CreateTransaction"
    ledger: str
    source: str
    destination: str
    # Unbounded overdraft on the source (a throughAccount the stage allows to go negative).
    overdraft: bool = False
    reference: str | None = None
    # A payment booked already (its reference is taken) counts as booked.
    reference_conflict_is_done: bool = False


class WalletCredit(_Op):
    """CreditWallet: into a wallet's balance, from an account of the wallets' ledger, another
    wallet, or (none) the world."""

    op: Literal["CreditWallet"] = "CreditWallet"
    wallet_id: str
    balance: str
    from_account: str | None = None
    from_wallet: str | None = None
    from_balance: str | None = None


class WalletDebit(_Op):
    """DebitWallet: out of a wallet's balance, to an account of the wallets' ledger or (none)
    the world."""

    op: Literal["DebitWallet"] = "DebitWallet"
    wallet_id: str
    balance: str
    to_account: str | None = None


Movement = LedgerTransfer | WalletCredit | WalletDebit


class PaymentFunds(BaseModel):
    """What GetPayment told the workflow about a payment source."""

    model_config = ConfigDict(frozen=True)
    amount: int
    asset: str


class _Side(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["account", "wallet"]
    ledger: str
    address: str = ""  # account
    through: str = WORLD
    overdraft: bool = False
    wallet_id: str = ""  # wallet
    balance: str = "main"


def plan_send(spec: Send, *, wallets_ledger: str, wallet_ids: dict[str, str],
              payment: PaymentFunds | None = None) -> list[Movement]:
    """`wallet_ids` maps "source"/"destination" to the wallet's id (named wallets resolved).
    A payment destination is not planned here (debit first, then the initiation)."""
    movements: list[Movement] = []
    asset, amount = _amount(spec, payment)
    timestamp = as_datetime(spec.timestamp) if spec.timestamp else None
    base = {"asset": asset, "amount": amount, "metadata": dict(spec.metadata),
            "timestamp": timestamp}
    if spec.source.payment is not None:
        movements.append(_book_payment(spec.source.payment, base))
        source = _Side(kind="account", ledger=spec.source.payment.ledger,
                       address=spec.source.payment.holding)
    elif spec.source.account is not None:
        source = _account_side(spec.source.account)
    else:
        assert spec.source.wallet is not None
        source = _Side(kind="wallet", ledger=wallets_ledger, wallet_id=wallet_ids["source"],
                       balance=spec.source.wallet.balance)
    if spec.destination.payment is not None:
        return [*movements, _to_outside(source, base)]
    if spec.destination.account is not None:
        destination = _account_side(spec.destination.account)
    else:
        assert spec.destination.wallet is not None
        destination = _Side(kind="wallet", ledger=wallets_ledger,
                            wallet_id=wallet_ids["destination"],
                            balance=spec.destination.wallet.balance)
    return movements + _move(source, destination, base)


def _amount(spec: Send, payment: PaymentFunds | None) -> tuple[str, int]:
    if spec.amount is not None:
        value = as_int(spec.amount.amount)
        assert value is not None
        return spec.amount.asset, value
    assert payment is not None
    return payment.asset, payment.amount


def _account_side(ref: AccountRef) -> _Side:
    return _Side(kind="account", ledger=ref.ledger, address=ref.id, through=ref.through_account,
                 overdraft=bool(as_bool(ref.allow_overdraft)))


def _book_payment(source: PaymentSource, base: dict[str, Any]) -> LedgerTransfer:
    return LedgerTransfer(
        ledger=source.ledger, source=source.through_account, destination=source.holding,
        overdraft=bool(as_bool(source.allow_overdraft)), reference=source.holding,
        reference_conflict_is_done=True, **base)


def _to_outside(source: _Side, base: dict[str, Any]) -> Movement:
    """The debit that funds a payment leaving the stack: to the throughAccount (a wallet: to
    the world), as Formance debits before it initiates the payment."""
    if source.kind == "wallet":
        return WalletDebit(wallet_id=source.wallet_id, balance=source.balance,
                           **base)
    return LedgerTransfer(ledger=source.ledger, source=source.address,
                          destination=source.through, **base)


def _move(src: _Side, dst: _Side, base: dict[str, Any]) -> list[Movement]:
    md: dict[str, str] = dict(base["metadata"])
    rest = {k: v for k, v in base.items() if k != "metadata"}
    if src.ledger == dst.ledger:
        return [_single(src, dst, md, rest)]
    out_md = {**md, MOVE_TO_LEDGER: dst.ledger}
    in_md = {**md, MOVE_FROM_LEDGER: src.ledger}
    if src.kind == "wallet":
        leave: Movement = WalletDebit(wallet_id=src.wallet_id, balance=src.balance,
                                      metadata=out_md, **rest)
    else:
        leave = LedgerTransfer(ledger=src.ledger, source=src.address, destination=src.through,
                               metadata=out_md, **rest)
    if dst.kind == "wallet":
        enter: Movement = WalletCredit(wallet_id=dst.wallet_id, balance=dst.balance,
                                       metadata=in_md, **rest)
    else:
        enter = LedgerTransfer(ledger=dst.ledger, source=dst.through, destination=dst.address,
                               overdraft=dst.overdraft, metadata=in_md,
                               **rest)
    return [leave, enter]


def _single(src: _Side, dst: _Side, md: dict[str, str], rest: dict[str, Any]) -> Movement:
    if src.kind == "account" and dst.kind == "account":
        return LedgerTransfer(ledger=src.ledger, source=src.address, destination=dst.address,
                              metadata=md, **rest)
    if dst.kind == "wallet":
        return WalletCredit(
            wallet_id=dst.wallet_id, balance=dst.balance, metadata=md,
            from_account=src.address if src.kind == "account" else None,
            from_wallet=src.wallet_id if src.kind == "wallet" else None,
            from_balance=src.balance if src.kind == "wallet" else None,
            **rest)
    return WalletDebit(wallet_id=src.wallet_id, balance=src.balance, to_account=dst.address,
                       metadata=md, **rest)


def compensation(funding: Movement, reason: str) -> Movement:
    """The movement that gives back what `funding` took for a payment that did not go
    through: the through account back to the account, the world back to the wallet."""
    metadata = {COMPENSATES: reason}
    if isinstance(funding, LedgerTransfer):
        return LedgerTransfer(ledger=funding.ledger, source=funding.destination,
                              destination=funding.source, asset=funding.asset,
                              amount=funding.amount, metadata=metadata)
    assert isinstance(funding, WalletDebit)
    return WalletCredit(wallet_id=funding.wallet_id, balance=funding.balance,
                        asset=funding.asset, amount=funding.amount, metadata=metadata)
