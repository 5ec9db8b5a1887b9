"""Wallets persistence. Wallets keep no tables of their own: wallets, balances and holds are
accounts of the wallets ledger (as in Formance), so this package only wires the wallets service
onto the ledger store, for the API and the activities alike."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.ledger.service import LedgerService
from domain.wallets.chart import Chart
from domain.wallets.models import DEFAULT_LEDGER
from domain.wallets.service import WalletsService
from storage.database import Database
from storage.ledger.store import PgLedgerStore


class WalletsSettings(BaseSettings):
    """`LEDGERFLOW_WALLETS_*`: the ledger holding the wallets and an optional account prefix
    (Formance's `--ledger` and `--account-prefix`)."""

    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_WALLETS_", extra="ignore",
                                      frozen=True)

    ledger: str = DEFAULT_LEDGER
    account_prefix: str = ""


def wallets_service(database: Database, settings: WalletsSettings | None = None,
                    ledger: LedgerService | None = None) -> WalletsService:
    settings = settings or WalletsSettings()
    return WalletsService(ledger or LedgerService(PgLedgerStore(database)),
                          ledger_name=settings.ledger, chart=Chart(settings.account_prefix))
