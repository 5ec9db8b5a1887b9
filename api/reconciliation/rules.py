"""Rules (SDK 9): CRUD, each change followed by its schedule's sync, and on-demand evaluation
answered with the stored evaluation (200), or 409 while one is running or the rule is
disabled."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from api.dependencies import dependencies
from api.reconciliation.listing import cursor, json_body, listing
from api.reconciliation.temporal import evaluate_rule, sync_rule_schedule
from domain.reconciliation.rule_views import rule as rule_view
from domain.reconciliation.rules_service import RulesService
from storage.reconciliation.alerts_store import PgAlertsStore
from storage.reconciliation.rules_store import RULE_FILTERS, PgRulesStore
from storage.reconciliation.sources import PgSources

router = APIRouter(tags=["reconciliation.v1"])


def rules_service(request: Request) -> RulesService:
    deps = dependencies(request)
    return RulesService(PgRulesStore(deps.database), PgAlertsStore(deps.database),
                        PgSources(deps.database, deps.ledger))


Rules = Annotated[RulesService, Depends(rules_service)]
PageSize = Annotated[int | None, Query(alias="pageSize", ge=1, le=1000)]
Cursor = Annotated[str | None, Query(alias="cursor")]


@router.post("/rules", operation_id="createRule", status_code=201)
async def create_rule(request: Request, rules: Rules) -> JSONResponse:
    rule = await rules.create(await json_body(request, required=True))
    await sync_rule_schedule(request, rule.id)
    return JSONResponse({"data": rule_view(rule)}, status_code=201)


@router.get("/rules", operation_id="listRules")
async def list_rules(request: Request, rules: Rules, pageSize: PageSize = None,
                     cursor_: Cursor = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor_, RULE_FILTERS)
    return cursor(await rules.list(filters, offset, size), rule_view, offset, size, filters)


@router.get("/rules/{ruleID}", operation_id="getRule")
async def get_rule(ruleID: str, rules: Rules) -> dict[str, Any]:
    return {"data": rule_view(await rules.get(ruleID))}


@router.patch("/rules/{ruleID}", operation_id="patchRule")
async def patch_rule(request: Request, ruleID: str, rules: Rules) -> dict[str, Any]:
    rule = await rules.patch(ruleID, await json_body(request, required=True))
    await sync_rule_schedule(request, rule.id)
    return {"data": rule_view(rule)}


@router.delete("/rules/{ruleID}", operation_id="deleteRule", status_code=204)
async def delete_rule(request: Request, ruleID: str, rules: Rules) -> Response:
    await rules.delete(ruleID)
    await sync_rule_schedule(request, ruleID)
    return Response(status_code=204)


@router.post("/rules/{ruleID}/evaluate", operation_id="evaluateRule")
async def evaluate(request: Request, ruleID: str, rules: Rules) -> dict[str, Any]:
    rule, data = await rules.evaluate_request(ruleID, await json_body(request, required=False))
    return {"data": (await evaluate_rule(request, rule, data)).view()}
