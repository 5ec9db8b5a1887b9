"""Wallets persistence. Wallets keep no tables of their own: wallets, balances and holds are
accounts of the wallets ledger (as in Formance), so this package only wires the wallets service
onto the ledger store, for the API and the activities alike. Its settings live in
config/wallets.py."""

from __future__ import annotations

from config.wallets import WalletsSettings
from domain.ledger.service import LedgerService
from domain.wallets.chart import Chart
from domain.wallets.service import WalletsService
from storage.database import Database
from storage.ledger.store import PgLedgerStore

__all__ = ["wallets_service"]


def wallets_service(database: Database, settings: WalletsSettings | None = None,
                    ledger: LedgerService | None = None) -> WalletsService:
    settings = settings or WalletsSettings()
    return WalletsService(ledger or LedgerService(PgLedgerStore(database)),
                          ledger_name=settings.ledger, chart=Chart(settings.account_prefix))
