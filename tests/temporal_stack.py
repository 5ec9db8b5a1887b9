"""The one way a test runs "the app + a module's worker on a unique task queue" against the
session's Temporal dev server and the test's database.

`ModuleStack` gives every module a task queue of its own (so tests running at once never take
each other's tasks), builds the app with those settings (create_app(module_settings=...)), and
runs the module's worker from its own registration (workers/<m>.py `register`): exactly what
production runs, nothing overridden behind the app's back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from temporalio.worker import Worker

from api.app import create_app
from config.ledger import PipelineSettings
from config.modules import ModuleSettings
from config.orchestration import OrchestrationSettings
from config.payments import PaymentsSettings
from config.reconciliation import ReconciliationSettings
from config.settings import Settings
from config.wallets import WalletsSettings
from config.webhooks import WebhooksSettings
from storage.database import Database
from workers.registration import Registration
from workers.registry import MODULES
from workers.worker import worker_options


def unique_modules(*, wallets: dict[str, Any] | None = None,
                   webhooks: dict[str, Any] | None = None,
                   pipelines: dict[str, Any] | None = None,
                   payments: dict[str, Any] | None = None,
                   orchestration: dict[str, Any] | None = None,
                   reconciliation: dict[str, Any] | None = None) -> ModuleSettings:
    """Module settings with a fresh task queue per module, plus the given overrides."""
    tag = uuid.uuid4().hex[:12]
    return ModuleSettings(
        wallets=WalletsSettings(**{"task_queue": f"wallets-test-{tag}", **(wallets or {})}),
        webhooks=WebhooksSettings(**{"task_queue": f"webhooks-test-{tag}",
                                     **(webhooks or {})}),
        pipelines=PipelineSettings(**{"task_queue": f"ledger-test-{tag}",
                                      **(pipelines or {})}),
        payments=PaymentsSettings(**{"task_queue": f"payments-test-{tag}",
                                     **(payments or {})}),
        orchestration=OrchestrationSettings(**{"task_queue": f"orchestration-test-{tag}",
                                               **(orchestration or {})}),
        reconciliation=ReconciliationSettings(**{"task_queue": f"reconciliation-test-{tag}",
                                                 **(reconciliation or {})}),
    )


class ModuleStack:
    def __init__(self, module: str, temporal_env: Any, database: Database, database_url: str,
                 temporal_address: str, modules: ModuleSettings | None = None) -> None:
        self.module = module
        self.client = temporal_env.client
        self.database = database
        self.modules = modules or unique_modules()
        self.settings = Settings(database_url=database_url, temporal_address=temporal_address)
        self.app: FastAPI = create_app(self.settings, database=database,
                                       module_settings=self.modules)

    def registration(self) -> Registration:
        return MODULES[self.module](self.database, self.modules)

    @property
    def task_queue(self) -> str:
        return self.registration().task_queue

    @asynccontextmanager
    async def worker(self, **options: Any) -> AsyncIterator[Worker]:
        reg = self.registration()
        try:
            async with Worker(self.client, task_queue=reg.task_queue, workflows=reg.workflows,
                              activities=reg.activities, **{**worker_options(), **options}
                              ) as worker:
                yield worker
        finally:
            await reg.close()

    @asynccontextmanager
    async def http(self, base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as c:
            yield c
