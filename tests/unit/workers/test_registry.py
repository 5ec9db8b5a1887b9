"""Every activity a module's workflows call (its stubs) is registered on the module's task queue,
under the same name; every module's registration has workflows and a queue of its own config.
A stub calling a name nobody registers would leave workflows waiting forever in production."""

from __future__ import annotations

from importlib import import_module

import pytest
from temporalio import activity

from activities.stub import Stub
from config.modules import ModuleSettings
from storage.database import Database
from workers.registry import MODULES, registrations


def _stubs(module: str) -> list[Stub[object, object]]:
    stubs = import_module(f"activities.{module}.stubs")
    return [v for v in vars(stubs).values() if isinstance(v, Stub)]


@pytest.fixture
def database() -> Database:  # never connected: registration only builds objects
    return Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")


@pytest.mark.parametrize("module", sorted(MODULES))
async def test_every_stubbed_activity_is_registered_on_its_queue(
        module: str, database: Database) -> None:
    reg = MODULES[module](database, ModuleSettings())
    try:
        # The name Temporal registers each implementation under (what a worker polls for).
        registered = {activity._Definition.must_from_callable(a).name for a in reg.activities}
        stubbed = {s.name for s in _stubs(module)}
        assert stubbed, f"activities.{module}.stubs declares no Stub"
        assert stubbed <= registered, f"not registered: {sorted(stubbed - registered)}"
        assert all(s.name.startswith(f"{module}.") for s in _stubs(module))
        assert reg.workflows
    finally:
        await reg.close()
        await database.dispose()


async def test_queues_come_from_module_settings(database: Database) -> None:
    modules = ModuleSettings()
    regs = registrations(database, modules)
    try:
        assert set(regs) == {modules.wallets.task_queue, modules.webhooks.task_queue,
                             modules.pipelines.task_queue, modules.payments.task_queue,
                             modules.reconciliation.task_queue,
                             modules.orchestration.task_queue}
    finally:
        for reg in regs.values():
            await reg.close()
        await database.dispose()
