"""Routes of the reconciliation spec (operation ids as in the spec): `_info`, policies, runs
(`POST /policies/{id}/reconciliation`, answered with the stored result) and their lists; the
SDK 9 additions (rules, evaluations, alerts) are included from their own routers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from api.dependencies import dependencies
from api.modules import VERSION
from api.reconciliation import alerts, rules
from api.reconciliation.listing import cursor, json_body, listing
from api.reconciliation.temporal import run_reconciliation
from domain.reconciliation import views
from domain.reconciliation.policies import PoliciesService
from storage.reconciliation.policies_store import PgPoliciesStore
from storage.reconciliation.sources import PgSources

router = APIRouter(tags=["reconciliation.v1"])
router.include_router(rules.router)
router.include_router(alerts.router)


def _service(request: Request) -> PoliciesService:
    deps = dependencies(request)
    return PoliciesService(PgPoliciesStore(deps.database), PgSources(deps.database, deps.ledger))


Policies = Annotated[PoliciesService, Depends(_service)]
PageSize = Annotated[int | None, Query(alias="pageSize", ge=1, le=1000)]
Cursor = Annotated[str | None, Query()]


@router.get("/_info", operation_id="getServerInfo")
async def get_info() -> dict[str, str]:
    return {"version": VERSION}


@router.post("/policies", operation_id="createPolicy", status_code=201)
async def create_policy(request: Request, policies: Policies) -> JSONResponse:
    policy = await policies.create(await json_body(request, required=True))
    return JSONResponse({"data": views.policy(policy)}, status_code=201)


@router.get("/policies", operation_id="listPolicies")
async def list_policies(request: Request, policies: Policies, pageSize: PageSize = None,
                        cursor_: Annotated[str | None, Query(alias="cursor")] = None
                        ) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor_)
    return cursor(await policies.list(offset, size), views.policy, offset, size)


@router.get("/policies/{policyID}", operation_id="getPolicy")
async def get_policy(policyID: str, policies: Policies) -> dict[str, Any]:
    return {"data": views.policy(await policies.get(policyID))}


@router.delete("/policies/{policyID}", operation_id="deletePolicy", status_code=204)
async def delete_policy(policyID: str, policies: Policies) -> Response:
    await policies.delete(policyID)
    return Response(status_code=204)


@router.post("/policies/{policyID}/reconciliation", operation_id="reconcile")
async def reconcile(request: Request, policyID: str, policies: Policies) -> dict[str, Any]:
    run = await policies.run_request(policyID, await json_body(request, required=True))
    return {"data": views.reconciliation(await run_reconciliation(request, run))}


@router.get("/reconciliations", operation_id="listReconciliations")
async def list_reconciliations(request: Request, policies: Policies, pageSize: PageSize = None,
                               cursor_: Annotated[str | None, Query(alias="cursor")] = None
                               ) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor_)
    return cursor(await policies.reconciliations(offset, size), views.reconciliation, offset,
                  size)


@router.get("/reconciliations/{reconciliationID}", operation_id="getReconciliation")
async def get_reconciliation(reconciliationID: str, policies: Policies) -> dict[str, Any]:
    return {"data": views.reconciliation(await policies.reconciliation(reconciliationID))}
