"""Runs the movements of a send (send_plan.py) and the update stage against the ledger and
wallets services, each with the idempotency key the workflow derived from the instance, the
stage and the movement's rank: a retried activity sends the same key and the same input, so the
ledger replays the first write instead of posting twice. The outputs are what the stage history
shows (Formance's activity outputs, in short)."""

from __future__ import annotations

from typing import Any

from domain.errors import ValidationError
from domain.ledger.errors import ReferenceConflictError
from domain.ledger.hashing import idempotency_hash
from domain.ledger.models import (
    WORLD,
    CreateTransaction,
    Posting,
    SaveMetadata,
    Script,
    TargetType,
    WriteOptions,
)
from domain.ledger.records import transaction_json
from domain.ledger.service import LedgerService
from domain.orchestration.send_plan import LedgerTransfer, Movement, WalletCredit, WalletDebit
from domain.wallets.models import Credit, Debit, Monetary, Subject, SubjectType, Wallet
from domain.wallets.service import WalletsService

# Unbounded overdraft on a through account the stage allows to go negative (Formance writes
# the posting as Numscript for this case only).
_OVERDRAFT_SCRIPT = (
    "vars {\n  monetary $amount\n  account $source\n  account $destination\n}\n"
    "send $amount (\n  source = $source allowing unbounded overdraft\n"
    "  destination = $destination\n)\n"
)


class MoneyMover:
    def __init__(self, ledger: LedgerService, wallets: WalletsService) -> None:
        self.ledger = ledger
        self.wallets = wallets

    async def move(self, movement: Movement, key: str) -> dict[str, Any] | None:
        """The movement's output as Formance's activity output shows it (CreateTransaction:
        `{data: [transaction]}`), None for wallet calls (Formance's answer no content)."""
        if isinstance(movement, LedgerTransfer):
            return await self._transfer(movement, key)
        if isinstance(movement, WalletCredit):
            await self.wallets.credit(movement.wallet_id, Credit(
                amount=Monetary(asset=movement.asset, amount=movement.amount),
                sources=_credit_sources(movement), balance=movement.balance,
                metadata=movement.metadata, timestamp=movement.timestamp,
            ), idempotency_key=key)
            return None
        assert isinstance(movement, WalletDebit)
        destination = Subject(type=SubjectType.ACCOUNT, identifier=movement.to_account) \
            if movement.to_account else None
        await self.wallets.debit(movement.wallet_id, Debit(
            amount=Monetary(asset=movement.asset, amount=movement.amount),
            balances=[movement.balance], destination=destination, metadata=movement.metadata,
            timestamp=movement.timestamp,
        ), idempotency_key=key)
        return None

    async def _transfer(self, m: LedgerTransfer, key: str) -> dict[str, Any]:
        if m.reference_conflict_is_done:
            # The payments' ledger is the module's own: created on first use.
            await self.ledger.ensure_ledger(m.ledger)
        if m.overdraft and m.source != WORLD:
            command = CreateTransaction(
                script=Script(_OVERDRAFT_SCRIPT, {"amount": f"{m.asset} {m.amount}",
                                                  "source": m.source,
                                                  "destination": m.destination}),
                timestamp=m.timestamp, reference=m.reference, metadata=dict(m.metadata))
        else:
            command = CreateTransaction(
                postings=(Posting(m.source, m.destination, m.amount, m.asset),),
                timestamp=m.timestamp, reference=m.reference, metadata=dict(m.metadata))
        options = WriteOptions(idempotency_key=key, idempotency_hash=idempotency_hash(
            {"op": "orchestration.transfer", "movement": m.model_dump(mode="json")}))
        try:
            result = await self.ledger.execute(m.ledger, command, options)
        except ReferenceConflictError:
            if not m.reference_conflict_is_done:
                raise
            return {"data": []}  # booked by an earlier run
        transaction = result.transaction
        if transaction is None:
            return {"data": []}
        doc = transaction_json(transaction)
        doc["txid"] = doc.pop("id", transaction.id)
        return {"data": [doc]}

    async def add_account_metadata(self, ledger: str, address: str, metadata: dict[str, str],
                                   key: str) -> None:
        options = WriteOptions(idempotency_key=key, idempotency_hash=idempotency_hash(
            {"op": "orchestration.update", "ledger": ledger, "address": address,
             "metadata": metadata}))
        await self.ledger.execute(ledger, SaveMetadata(TargetType.ACCOUNT, address,
                                                       dict(metadata)), options)

    async def wallet_by_name(self, name: str) -> Wallet:
        page = await self.wallets.list_wallets(name=name, page_size=2)
        if len(page.data) != 1:
            raise ValidationError(f"wallet named {name!r}: found {len(page.data)} wallets, "
                                  "expected exactly one")
        return page.data[0]


def _credit_sources(m: WalletCredit) -> list[Subject]:
    if m.from_account:
        return [Subject(type=SubjectType.ACCOUNT, identifier=m.from_account)]
    if m.from_wallet:
        return [Subject(type=SubjectType.WALLET, identifier=m.from_wallet,
                        balance=m.from_balance)]
    return []
