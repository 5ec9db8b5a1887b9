"""The API's side of the connector workflows: install and uninstall, through the app's one
Temporal client (errors mapped in api/temporal.py). The rows come first: a connector whose
install cannot start is forgotten, an uninstall that cannot start fails its task."""

from __future__ import annotations

from fastapi import Request

from api.dependencies import dependencies
from domain.payments.models import Connector, Task, TaskStatus
from domain.payments.service import PaymentsService
from workflows.payments.inputs import (
    forward_bank_account_start,
    install_start,
    reset_start,
    uninstall_start,
    update_schedules_start,
)


async def start_install(request: Request, service: PaymentsService,
                        connector: Connector) -> None:
    deps = dependencies(request)
    try:
        await deps.temporal.start(install_start(connector.id, connector.provider),
                                  deps.modules.payments.task_queue,
                                  unavailable="the connector could not be installed")
    except BaseException:
        await service.forget(connector.id)
        raise


async def start_uninstall(request: Request, service: PaymentsService, task: Task, *,
                          reset: bool = False) -> None:
    deps = dependencies(request)
    assert task.connector_id is not None
    spec = (reset_start if reset else uninstall_start)(task.connector_id, task.id)
    try:
        await deps.temporal.start(spec,
                                  deps.modules.payments.task_queue,
                                  unavailable="the uninstall could not be started; retry it")
    except Exception as exc:
        await service.store.finish_task(task.id, TaskStatus.FAILED, error=str(exc))
        raise


async def start_schedules_update(request: Request, connector: Connector) -> None:
    deps = dependencies(request)
    await deps.temporal.start(
        update_schedules_start(connector.id), deps.modules.payments.task_queue,
        unavailable="the config was saved but the schedules could not be updated; send it "
                    "again")


async def start_forward(request: Request, service: PaymentsService, bank_account_id: str,
                        task: Task) -> None:
    deps = dependencies(request)
    assert task.connector_id is not None
    try:
        await deps.temporal.start(
            forward_bank_account_start(bank_account_id, task.connector_id, task.id),
            deps.modules.payments.task_queue,
            unavailable="the bank account could not be forwarded; retry it")
    except Exception as exc:
        await service.store.finish_task(task.id, TaskStatus.FAILED, error=str(exc))
        raise
