"""The wallets worker registration (composition root): the hold workflow and its activities,
which reach the wallets ledger through the wallets service."""

from __future__ import annotations

from activities.wallets.activities import WalletsActivities
from config.settings import Settings
from storage.database import Database
from storage.wallets import WalletsSettings, wallets_service
from workers.registry import Registration
from workflows import task_queues
from workflows.wallets.hold import HoldWorkflow


def activities(database: Database, settings: WalletsSettings | None = None) -> WalletsActivities:
    return WalletsActivities(wallets_service(database, settings))


def register(settings: Settings, database: Database) -> dict[str, Registration]:
    del settings  # the wallets knobs are LEDGERFLOW_WALLETS_* (storage.wallets.WalletsSettings)
    return {task_queues.WALLETS: Registration(workflows=[HoldWorkflow],
                                              activities=activities(database).all())}
