"""v1 connectors: list, configs, install, uninstall, config, reset and tasks, on the v3 service
and the v3 workflow starts. The paths that name only a provider act on its single connector
(400 when it has several, 404 when none); the paths with a connector id check that it is of
that provider. A v1 task is a connector's periodic fetch (a v3 schedule)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from api.payments.listing import cursor_page
from api.payments.temporal import start_install, start_schedules_update, start_uninstall
from api.payments.v1 import schemas as s
from api.payments.v1.common import (
    Cursor,
    PageSize,
    Payments,
    all_connectors,
    json_body,
    listing,
    named_connector,
    provider_connector,
    v1_router,
)
from domain.payments.models import FETCH_CAPABILITIES, Connector, Schedule
from domain.payments.registry import PROVIDERS
from domain.payments.service import PaymentsService
from domain.payments.v1.providers import v1_provider, v3_provider
from workflows.payments.inputs import schedule_id

router = v1_router()


@router.get("/connectors", operation_id="listAllConnectors")
async def list_all_connectors(payments: Payments) -> dict[str, Any]:
    return {"data": [s.connector(c) for c in await all_connectors(payments)]}


@router.get("/connectors/configs", operation_id="listConfigsAvailableConnectors")
async def list_configs_available_connectors() -> dict[str, Any]:
    return {"data": {v1_provider(name): {f.name: f.describe() for f in spec.all_fields()}
                     for name, spec in sorted(PROVIDERS.items())}}


@router.post("/connectors/{connector}", operation_id="installConnector", status_code=201)
async def install_connector(request: Request, connector: str,
                            payments: Payments) -> JSONResponse:
    installed = await payments.install(v3_provider(connector), await json_body(request))
    await start_install(request, payments, installed)
    return JSONResponse({"data": {"connectorID": installed.id}}, status_code=201)


# --- by provider and id -----------------------------------------------------------------------

@router.delete("/connectors/{connector}/{connectorId}", operation_id="uninstallConnectorV1",
               status_code=204)
async def uninstall_connector_v1(request: Request, connector: str, connectorId: str,
                                 payments: Payments) -> Response:
    return await _uninstall(request, payments,
                            await named_connector(payments, connector, connectorId))


@router.get("/connectors/{connector}/{connectorId}/config",
            operation_id="readConnectorConfigV1")
async def read_connector_config_v1(connector: str, connectorId: str,
                                   payments: Payments) -> dict[str, Any]:
    return {"data": (await named_connector(payments, connector, connectorId)).config}


@router.post("/connectors/{connector}/{connectorId}/config",
             operation_id="updateConnectorConfigV1", status_code=204)
async def update_connector_config_v1(request: Request, connector: str, connectorId: str,
                                     payments: Payments) -> Response:
    found = await named_connector(payments, connector, connectorId)
    updated = await payments.update_config(found.id, await json_body(request))
    await start_schedules_update(request, updated)
    return Response(status_code=204)


@router.post("/connectors/{connector}/{connectorId}/reset", operation_id="resetConnectorV1",
             status_code=204)
async def reset_connector_v1(request: Request, connector: str, connectorId: str,
                             payments: Payments) -> Response:
    return await _reset(request, payments,
                        await named_connector(payments, connector, connectorId))


@router.get("/connectors/{connector}/{connectorId}/tasks",
            operation_id="listConnectorTasksV1")
async def list_connector_tasks_v1(request: Request, connector: str, connectorId: str,
                                  payments: Payments, pageSize: PageSize = None,
                                  cursor: Cursor = None) -> dict[str, Any]:
    found = await named_connector(payments, connector, connectorId)
    return await _tasks(request, payments, found, pageSize, cursor)


@router.get("/connectors/{connector}/{connectorId}/tasks/{taskId}",
            operation_id="getConnectorTaskV1")
async def get_connector_task_v1(connector: str, connectorId: str, taskId: str,
                                payments: Payments) -> dict[str, Any]:
    found = await named_connector(payments, connector, connectorId)
    return {"data": _task(found, await payments.schedule(found.id, taskId))}


# --- by provider only (deprecated in the spec: one connector per provider) --------------------

@router.delete("/connectors/{connector}", operation_id="uninstallConnector", status_code=204)
async def uninstall_connector(request: Request, connector: str,
                              payments: Payments) -> Response:
    return await _uninstall(request, payments, await provider_connector(payments, connector))


@router.get("/connectors/{connector}/config", operation_id="readConnectorConfig")
async def read_connector_config(connector: str, payments: Payments) -> dict[str, Any]:
    return {"data": (await provider_connector(payments, connector)).config}


@router.post("/connectors/{connector}/reset", operation_id="resetConnector", status_code=204)
async def reset_connector(request: Request, connector: str, payments: Payments) -> Response:
    return await _reset(request, payments, await provider_connector(payments, connector))


@router.get("/connectors/{connector}/tasks", operation_id="listConnectorTasks")
async def list_connector_tasks(request: Request, connector: str, payments: Payments,
                               pageSize: PageSize = None,
                               cursor: Cursor = None) -> dict[str, Any]:
    found = await provider_connector(payments, connector)
    return await _tasks(request, payments, found, pageSize, cursor)


@router.get("/connectors/{connector}/tasks/{taskId}", operation_id="getConnectorTask")
async def get_connector_task(connector: str, taskId: str, payments: Payments) -> dict[str, Any]:
    found = await provider_connector(payments, connector)
    return {"data": _task(found, await payments.schedule(found.id, taskId))}


# --- the v3 operations behind them ------------------------------------------------------------

async def _uninstall(request: Request, payments: PaymentsService, found: Connector) -> Response:
    task = await payments.begin_uninstall(found.id)
    await start_uninstall(request, payments, task)
    return Response(status_code=204)


async def _reset(request: Request, payments: PaymentsService, found: Connector) -> Response:
    task = await payments.begin_reset(found.id)
    await start_uninstall(request, payments, task, reset=True)
    return Response(status_code=204)


async def _tasks(request: Request, payments: PaymentsService, found: Connector,
                 page_size: int | None, cursor: str | None) -> dict[str, Any]:
    offset, size, _ = await listing(request, page_size, cursor, None, ())
    page = await payments.schedules(found.id, offset, size)
    return cursor_page(page, lambda x: _task(found, x), offset, size, {})


def _task(found: Connector, schedule: Schedule) -> dict[str, Any]:
    names = {schedule_id(found.id, c.value): c.value for c in FETCH_CAPABILITIES}
    return s.task(schedule, names.get(schedule.id, schedule.id))
