"""The wallets module's worker registration (composition root): the hold workflow and its
activities, which reach the wallets ledger through the wallets service."""

from __future__ import annotations

from activities.wallets.activities import WalletsActivities
from config.modules import ModuleSettings
from storage.database import Database
from storage.wallets import wallets_service
from workers.registration import Registration
from workflows.wallets.all import WORKFLOWS


def register(database: Database, modules: ModuleSettings) -> Registration:
    acts = WalletsActivities(wallets_service(database, modules.wallets))
    return Registration(modules.wallets.task_queue, list(WORKFLOWS), acts.all())
