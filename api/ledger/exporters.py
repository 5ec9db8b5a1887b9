"""Exporters (`/v2/_/exporters...`): where pipelines send logs."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from fastapi import APIRouter, Request, Response

from api.ledger.inputs import json_body
from api.ledger.render import json_response
from domain.ledger.exporters import ExportersService
from storage.ledger.exporters_store import PgExporterStore

router = APIRouter(tags=["ledger.v2"])


def exporters_service(request: Request) -> ExportersService:
    state = request.app.state
    svc = getattr(state, "ledger_exporters_service", None)
    if svc is None:
        svc = ExportersService(PgExporterStore(state.database))
        state.ledger_exporters_service = svc
    return svc


@router.get("/v2/_/exporters", operation_id="v2ListExporters")
async def list_exporters(request: Request) -> Response:
    found = await exporters_service(request).store.list_exporters()
    return json_response({"cursor": {"pageSize": len(found), "hasMore": False,
                                     "data": [e.to_json() for e in found]}})


@router.post("/v2/_/exporters", operation_id="v2CreateExporter", status_code=201)
async def create_exporter(request: Request) -> Response:
    exporter = await exporters_service(request).create_exporter(
        str(uuid4()), await json_body(request, required=True), datetime.now(UTC))
    return json_response({"data": exporter.to_json()}, status=201)


@router.get("/v2/_/exporters/{exporterID}", operation_id="v2GetExporterState")
async def get_exporter(exporterID: str, request: Request) -> Response:
    exporter = await exporters_service(request).get_exporter(exporterID)
    return json_response({"data": exporter.to_json()})


@router.put("/v2/_/exporters/{exporterID}", operation_id="v2UpdateExporter", status_code=204)
async def update_exporter(exporterID: str, request: Request) -> Response:
    await exporters_service(request).update_exporter(
        exporterID, await json_body(request, required=True))
    return Response(status_code=204)


@router.delete("/v2/_/exporters/{exporterID}", operation_id="v2DeleteExporter",
               status_code=204)
async def delete_exporter(exporterID: str, request: Request) -> Response:
    await exporters_service(request).delete_exporter(exporterID)
    return Response(status_code=204)
