"""Exporters (`/v2/_/exporters...`): where pipelines send logs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import uuid4

from fastapi import APIRouter, Request, Response

from api.dependencies import dependencies
from api.ledger.inputs import json_body
from api.ledger.render import json_response
from domain import pagination
from domain.errors import ValidationError
from domain.ledger.exporters import ExportersService
from domain.ledger.query import parse_page_size
from domain.pagination import decode_token
from storage.ledger.exporters_store import PgExporterStore

T = TypeVar("T")

router = APIRouter(tags=["ledger.v2"])


def exporters_service(request: Request) -> ExportersService:
    return dependencies(request).exporters


def exporter_store(request: Request) -> PgExporterStore:
    return dependencies(request).exporter_store


async def offset_page(request: Request,
                      fetch: Callable[[int, int], Awaitable[Sequence[T]]],
                      render: Callable[[T], Any]) -> Response:
    """The V2ExportersCursorResponse / V2PipelinesCursorResponse envelope, paged by offset (as
    Formance pages these lists): `pageSize` (default 15, at most 100) on the first page, then
    the opaque `next`/`previous` token alone as `cursor`. The spec declares no query parameter
    for these lists, so a client that sends none gets the first page."""
    params = request.query_params
    token = params.get("cursor")
    if token:
        state = decode_token(token)
        try:
            offset, size = int(state["offset"]), int(state["pageSize"])
        except (ValueError, KeyError, TypeError):
            raise ValidationError("invalid cursor") from None
        if offset < 0 or size != parse_page_size(size):
            raise ValidationError("invalid cursor")
    else:
        offset, size = 0, parse_page_size(params.get("pageSize"))
    rows = await fetch(offset, size + 1)  # one more row says whether a next page exists
    page = pagination.offset_page(list(rows), offset=offset, size=size)
    return json_response({"cursor": page.envelope(render)})


@router.get("/v2/_/exporters", operation_id="v2ListExporters")
async def list_exporters(request: Request) -> Response:
    return await offset_page(request, exporter_store(request).list_exporters,
                             lambda e: e.to_json())


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
