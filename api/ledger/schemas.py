"""Ledger schemas (`/v2/{ledger}/schemas...`) and query templates (`/queries/{id}/run`), and
the request dependency that carries `?schemaVersion=` to every ledger write."""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import APIRouter, Request, Response

from api.ledger.buckets import refuse_protected_ledger
from api.ledger.inputs import expect_object, json_body, string_map
from api.ledger.render import json_response
from api.ledger.v2 import hit_headers, renderer, service, write_options
from domain.errors import ValidationError
from domain.ledger.hashing import format_time
from domain.ledger.models import WriteResult
from domain.ledger.query import Resource, parse_list_query, parse_page_size
from domain.ledger.schemas import LedgerSchema, validate_version

router = APIRouter(tags=["ledger.v2"])


def render_schema(schema: LedgerSchema) -> dict[str, Any]:
    return schema.to_json(format_time(schema.created_at))


@router.post("/v2/{ledger}/schemas/{version}", operation_id="v2InsertSchema", status_code=204)
async def insert_schema(ledger: str, version: str, request: Request) -> Response:
    # A schema puts its ledger in strict mode (every write must name a schema version): the
    # module that writes a ledger of the stack's own names none, so it would stop working.
    refuse_protected_ledger(request, ledger, "given a schema")
    body = await json_body(request, required=True)
    hit = await service(request).insert_schema(
        ledger, validate_version(version), body,
        write_options(request, {"op": "schema", "version": version, "body": body},
                      allow_dry_run=False))
    return Response(status_code=204, headers=hit_headers(WriteResult(0, idempotency_hit=hit)))


@router.get("/v2/{ledger}/schemas/{version}", operation_id="v2GetSchema")
async def get_schema(ledger: str, version: str, request: Request) -> Response:
    schema = await service(request).get_schema(ledger, version)
    return json_response({"data": render_schema(schema)})


def _cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


@router.get("/v2/{ledger}/schemas", operation_id="v2ListSchemas")
async def list_schemas(ledger: str, request: Request) -> Response:
    params = request.query_params
    if params.get("cursor"):
        try:
            text = params["cursor"]
            state = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            offset, size, desc = int(state["offset"]), int(state["pageSize"]), bool(state["desc"])
        except (ValueError, KeyError, TypeError):
            raise ValidationError("invalid cursor") from None
    else:
        size = parse_page_size(params.get("pageSize"))
        offset = 0
        sort = (params.get("sort") or "createdAt").split(":")
        if sort[0] not in ("createdAt", "created_at"):
            raise ValidationError(f"schemas can only be sorted on createdAt, not {sort[0]!r}")
        order = sort[1] if len(sort) > 1 else (params.get("order") or "desc")
        if order not in ("asc", "desc"):
            raise ValidationError(f"order must be asc or desc, got {order!r}")
        desc = order == "desc"
    rows = await service(request).list_schemas(ledger, offset, size + 1, desc)
    cursor: dict[str, Any] = {"pageSize": size, "hasMore": len(rows) > size,
                              "data": [render_schema(s) for s in rows[:size]]}
    if len(rows) > size:
        cursor["next"] = _cursor({"offset": offset + size, "pageSize": size, "desc": desc})
    if offset > 0:
        cursor["previous"] = _cursor({"offset": max(0, offset - size), "pageSize": size,
                                      "desc": desc})
    return json_response({"cursor": cursor})


@router.post("/v2/{ledger}/queries/{id}/run", operation_id="v2RunQuery")
async def run_query(ledger: str, id: str, request: Request) -> Response:
    body = expect_object((await json_body(request)) or {}, "body")
    svc = service(request)
    params = request.query_params
    cursor = body.get("cursor") or params.get("cursor")
    caller: dict[str, Any] = dict(expect_object(body.get("params") or {}, "body.params"))
    for key in ("pageSize", "sort", "pit", "order", "reverse"):
        if params.get(key):
            caller[key] = params[key]
    if params.getlist("expand"):
        caller["expand"] = params.getlist("expand")
    rendered = await svc.query_template(
        ledger, id, string_map(body.get("vars"), "body.vars"), caller)
    resource = Resource(rendered.resource)
    p = rendered.params
    expand = p.get("expand")
    q = parse_list_query(
        resource, cursor=cursor, page_size=p.get("pageSize"), sort=p.get("sort"),
        order=p.get("order"), reverse=p.get("reverse"), pit=p.get("pit"),
        query=rendered.body, expand=[expand] if isinstance(expand, str) else expand)
    r = renderer(request)
    if resource is Resource.TRANSACTIONS:
        envelope = (await svc.list_transactions(ledger, q)).envelope(r.transaction)
    elif resource is Resource.ACCOUNTS:
        envelope = (await svc.list_accounts(ledger, q)).envelope(r.account)
    elif resource is Resource.LOGS:
        from api.ledger.render import Renderer

        envelope = (await svc.list_logs(ledger, q)).envelope(Renderer.log)
    else:
        envelope = (await svc.list_volumes(ledger, q)).envelope(r.volume_row)
    return json_response({"resource": resource.value, "cursor": envelope})
