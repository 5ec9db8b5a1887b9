"""Evaluations and alerts (SDK 9): lists and reads, the alert's timeline, and the operator's
actions (ack, resolve, accept, snooze, unsnooze), each answered with the alert (200)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.reconciliation.listing import cursor, json_body, listing
from api.reconciliation.rules import Rules
from domain.reconciliation.alerts import AlertEventType
from storage.reconciliation.alerts_store import ALERT_FILTERS, EVALUATION_FILTERS

router = APIRouter(tags=["reconciliation.v1"])

PageSize = Annotated[int | None, Query(alias="pageSize", ge=1, le=1000)]
Cursor = Annotated[str | None, Query(alias="cursor")]


@router.get("/evaluations", operation_id="listEvaluations")
async def list_evaluations(request: Request, rules: Rules, pageSize: PageSize = None,
                           cursor_: Cursor = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor_, EVALUATION_FILTERS)
    page = await rules.evaluations(filters, offset, size)
    return cursor(page, lambda e: e.view(), offset, size, filters)


@router.get("/evaluations/{evaluationID}", operation_id="getEvaluation")
async def get_evaluation(evaluationID: str, rules: Rules) -> dict[str, Any]:
    return {"data": (await rules.evaluation(evaluationID)).view()}


@router.get("/alerts", operation_id="listAlerts")
async def list_alerts(request: Request, rules: Rules, pageSize: PageSize = None,
                      cursor_: Cursor = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor_, ALERT_FILTERS)
    page = await rules.alert_list(filters, offset, size)
    return cursor(page, lambda a: a.view(), offset, size, filters)


@router.get("/alerts/{alertID}", operation_id="getAlert")
async def get_alert(alertID: str, rules: Rules) -> dict[str, Any]:
    return {"data": (await rules.alert(alertID)).view()}


@router.get("/alerts/{alertID}/events", operation_id="listAlertEvents")
async def list_alert_events(request: Request, alertID: str, rules: Rules,
                            pageSize: PageSize = None, cursor_: Cursor = None
                            ) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor_)
    page = await rules.alert_events(alertID, offset, size)
    return cursor(page, lambda e: e.view(), offset, size)


async def _act(request: Request, alert_id: str, rules: Rules,
               action: AlertEventType) -> dict[str, Any]:
    body = await json_body(request, required=True)
    return {"data": (await rules.act(alert_id, action, body)).view()}


@router.post("/alerts/{alertID}/ack", operation_id="ackAlert")
async def ack_alert(request: Request, alertID: str, rules: Rules) -> dict[str, Any]:
    return await _act(request, alertID, rules, AlertEventType.ACK)


@router.post("/alerts/{alertID}/resolve", operation_id="resolveAlert")
async def resolve_alert(request: Request, alertID: str, rules: Rules) -> dict[str, Any]:
    return await _act(request, alertID, rules, AlertEventType.RESOLVE)


@router.post("/alerts/{alertID}/accept", operation_id="acceptAlert")
async def accept_alert(request: Request, alertID: str, rules: Rules) -> dict[str, Any]:
    return await _act(request, alertID, rules, AlertEventType.ACCEPT)


@router.post("/alerts/{alertID}/snooze", operation_id="snoozeAlert")
async def snooze_alert(request: Request, alertID: str, rules: Rules) -> dict[str, Any]:
    return await _act(request, alertID, rules, AlertEventType.SNOOZE)


@router.post("/alerts/{alertID}/unsnooze", operation_id="unsnoozeAlert")
async def unsnooze_alert(request: Request, alertID: str, rules: Rules) -> dict[str, Any]:
    return await _act(request, alertID, rules, AlertEventType.UNSNOOZE)
