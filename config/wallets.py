"""`LEDGERFLOW_WALLETS_*`: the wallets module's settings."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

TASK_QUEUE = "ledgerflow-wallets"
# The ledger that holds the wallets when none is configured (Formance's default); the same
# value as domain.wallets.models.DEFAULT_LEDGER (config imports nothing of ours; a unit test
# keeps the two equal).
DEFAULT_LEDGER = "wallets-002"


class WalletsSettings(BaseSettings):
    """The ledger holding the wallets and an optional account prefix (Formance's `--ledger` and
    `--account-prefix`), and the task queue of the hold workflows."""

    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_WALLETS_", extra="ignore",
                                      frozen=True)

    ledger: str = DEFAULT_LEDGER
    account_prefix: str = ""
    task_queue: str = TASK_QUEUE
