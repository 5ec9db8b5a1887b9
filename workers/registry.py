"""What each task queue runs: the one place where workflows meet the activity implementations
(and through them, storage and the network). A new module adds its `register` to MODULES."""

from __future__ import annotations

from collections.abc import Callable

from config.modules import ModuleSettings
from storage.database import Database
from workers import ledger, orchestration, payments, reconciliation, wallets, webhooks
from workers.registration import Registration

Register = Callable[[Database, ModuleSettings], Registration]

MODULES: dict[str, Register] = {
    "ledger": ledger.register,
    "orchestration": orchestration.register,
    "payments": payments.register,
    "reconciliation": reconciliation.register,
    "wallets": wallets.register,
    "webhooks": webhooks.register,
}


def registrations(database: Database, modules: ModuleSettings | None = None
                  ) -> dict[str, Registration]:
    """Task queue -> what a worker on it runs (modules configured onto one queue share it)."""
    modules = modules or ModuleSettings()
    regs: dict[str, Registration] = {}
    for register in MODULES.values():
        reg = register(database, modules)
        target = regs.setdefault(reg.task_queue, Registration(reg.task_queue))
        target.workflows += reg.workflows
        target.activities += reg.activities
        target.on_close += reg.on_close
    return {q: r for q, r in regs.items() if r}
