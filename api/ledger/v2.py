"""Ledger v2 routes (paths relative to /api/ledger), with the Formance operation ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from api.dependencies import dependencies
from api.errors import error_response
from api.ledger.inputs import (
    expect_object,
    header,
    json_body,
    parse_bulk_element,
    parse_create_transaction,
    parse_revert,
    parse_transaction_id,
    query_bool,
    string_map,
)
from api.ledger.render import Renderer, bigint_as_string, json_response
from api.modules import VERSION
from domain.errors import DomainError, ValidationError
from domain.ledger.errors import BulkSizeExceededError, ErrorCode
from domain.ledger.hashing import idempotency_hash
from domain.ledger.models import (
    Command,
    DeleteMetadata,
    SaveMetadata,
    TargetType,
    WriteOptions,
    WriteResult,
)
from domain.ledger.query import (
    ListQuery,
    Resource,
    parse_datetime,
    parse_expand,
    parse_list_query,
)
from domain.ledger.service import BulkElement, LedgerService

router = APIRouter(tags=["ledger.v2"])


def service(request: Request) -> LedgerService:
    return dependencies(request).ledger


def renderer(request: Request) -> Renderer:
    return Renderer(bigint_as_string(request))


async def list_query(request: Request, resource: Resource,
                     options: dict[str, Any] | None = None) -> ListQuery:
    params = request.query_params
    body = await json_body(request)
    query: Any = body if body is not None else params.get("query")
    return parse_list_query(
        resource, cursor=params.get("cursor"), page_size=params.get("pageSize"),
        sort=params.get("sort"), order=params.get("order"), reverse=params.get("reverse"),
        pit=params.get("pit") or params.get("endTime"), oot=params.get("oot")
        or params.get("startTime"),
        query=query, expand=params.getlist("expand") or None, options=options,
    )


def expand_and_pit(request: Request, resource: Resource
                   ) -> tuple[tuple[str, ...], datetime | None]:
    """`expand` and `pit` of a single-resource read."""
    params = request.query_params
    expand = parse_expand(resource, params.getlist("expand") or None)
    pit = parse_datetime(params["pit"], context="pit") if params.get("pit") else None
    return expand, pit


def write_options(request: Request, payload: Any, *, allow_dry_run: bool = True
                  ) -> WriteOptions:
    key = header(request, b"idempotency-key") or None
    return WriteOptions(
        idempotency_key=key,
        idempotency_hash=idempotency_hash(payload) if key else None,
        dry_run=allow_dry_run and query_bool(request, "dryRun"),
    )


def hit_headers(result: WriteResult) -> dict[str, str] | None:
    return {"Idempotency-Hit": "true"} if result.idempotency_hit else None


# --- server and ledgers ---------------------------------------------------------------------

# `/_info` (v1's getInfo, the ConfigInfo shape) is served by api/ledger/v1.py.
@router.get("/_/info", operation_id="v2GetInfo")
async def get_info(request: Request) -> Response:
    """V2ConfigInfo: the spec requires `config` without describing it, so it carries what a
    client can act on: the storage driver, the bucket and features a new ledger gets by default,
    and whether non-default features may be asked for."""
    from domain.ledger.validation import DEFAULT_BUCKET, DEFAULT_FEATURES

    experimental = service(request).experimental_features
    return json_response({
        "server": "ledger", "version": VERSION,
        "config": {"storage": {"driver": "postgres"}, "defaultBucket": DEFAULT_BUCKET,
                   "defaultFeatures": DEFAULT_FEATURES, "experimentalFeatures": experimental},
    })


@router.get("/v2", operation_id="v2ListLedgers")
async def list_ledgers(request: Request) -> Response:
    q = await list_query(request, Resource.LEDGERS, {
        "includeDeleted": query_bool(request, "includeDeleted")})
    page = await service(request).list_ledgers(q)
    return json_response({"cursor": page.envelope(Renderer.ledger)})


@router.post("/v2/{ledger}", operation_id="v2CreateLedger", status_code=204)
async def create_ledger(ledger: str, request: Request) -> Response:
    body = expect_object((await json_body(request)) or {}, "body")
    bucket = body.get("bucket")
    if bucket is not None and not isinstance(bucket, str):
        raise ValidationError("bucket must be a string")
    await service(request).create_ledger(
        ledger, bucket, string_map(body.get("metadata"), "metadata"),
        string_map(body.get("features"), "features"))
    return Response(status_code=204)


@router.get("/v2/{ledger}", operation_id="v2GetLedger")
async def get_ledger(ledger: str, request: Request) -> Response:
    return json_response({"data": Renderer.ledger(await service(request).get_ledger(ledger))})


@router.get("/v2/{ledger}/_info", operation_id="v2GetLedgerInfo")
async def get_ledger_info(ledger: str, request: Request) -> Response:
    found = await service(request).get_ledger(ledger)
    migrations = [{"version": "0002", "name": "ledger", "state": "DONE",
                   "date": Renderer.ledger(found)["addedAt"]}]
    return json_response({"data": {"name": ledger, "storage": {"migrations": migrations}}})


@router.put("/v2/{ledger}/metadata", operation_id="v2UpdateLedgerMetadata", status_code=204)
async def update_ledger_metadata(ledger: str, request: Request) -> Response:
    metadata = string_map(await json_body(request, required=True), "body")
    await service(request).update_ledger_metadata(ledger, metadata)
    return Response(status_code=204)


@router.delete("/v2/{ledger}/metadata/{key}", operation_id="v2DeleteLedgerMetadata",
               status_code=204)
async def delete_ledger_metadata(ledger: str, key: str, request: Request) -> Response:
    await service(request).delete_ledger_metadata(ledger, key)
    return Response(status_code=204)


@router.get("/v2/{ledger}/stats", operation_id="v2ReadStats")
async def read_stats(ledger: str, request: Request) -> Response:
    stats = await service(request).stats(ledger)
    return json_response({"data": {"accounts": stats.accounts,
                                   "transactions": stats.transactions}})


# --- transactions ---------------------------------------------------------------------------

@router.post("/v2/{ledger}/transactions", operation_id="v2CreateTransaction")
async def create_transaction(ledger: str, request: Request) -> Response:
    body = await json_body(request, required=True)
    force = query_bool(request, "force")
    command = parse_create_transaction(body, force=force)
    opts = write_options(request, {"op": "create", "body": body, "force": force})
    result = await service(request).execute(ledger, command, opts)
    tx = result.transaction
    assert tx is not None
    return json_response({"data": renderer(request).transaction(tx)},
                         headers=hit_headers(result))


@router.get("/v2/{ledger}/transactions", operation_id="v2ListTransactions")
async def list_transactions(ledger: str, request: Request) -> Response:
    q = await list_query(request, Resource.TRANSACTIONS)
    page = await service(request).list_transactions(ledger, q)
    return json_response({"cursor": page.envelope(renderer(request).transaction)})


@router.head("/v2/{ledger}/transactions", operation_id="v2CountTransactions")
async def count_transactions(ledger: str, request: Request) -> Response:
    q = await list_query(request, Resource.TRANSACTIONS)
    count = await service(request).count_transactions(ledger, q)
    return Response(status_code=204, headers={"Count": str(count)})


@router.get("/v2/{ledger}/transactions/{id}", operation_id="v2GetTransaction")
async def get_transaction(ledger: str, id: str, request: Request) -> Response:
    expand, pit = expand_and_pit(request, Resource.TRANSACTIONS)
    tx = await service(request).get_transaction(ledger, parse_transaction_id(id), expand, pit)
    return json_response({"data": renderer(request).transaction(tx)})


@router.post("/v2/{ledger}/transactions/{id}/metadata",
             operation_id="v2AddMetadataOnTransaction", status_code=204)
async def add_transaction_metadata(ledger: str, id: str, request: Request) -> Response:
    tx_id = parse_transaction_id(id)
    metadata = string_map(await json_body(request, required=True), "body")
    return await _write(request, ledger, SaveMetadata(TargetType.TRANSACTION, tx_id, metadata),
                        {"op": "tx-metadata", "id": tx_id, "metadata": metadata})


@router.delete("/v2/{ledger}/transactions/{id}/metadata/{key}",
               operation_id="v2DeleteTransactionMetadata", status_code=204)
async def delete_transaction_metadata(ledger: str, id: str, key: str, request: Request
                                      ) -> Response:
    tx_id = parse_transaction_id(id)
    return await _write(request, ledger, DeleteMetadata(TargetType.TRANSACTION, tx_id, key),
                        {"op": "tx-metadata-delete", "id": tx_id, "key": key})


@router.post("/v2/{ledger}/transactions/{id}/revert", operation_id="v2RevertTransaction",
             status_code=201)
async def revert_transaction(ledger: str, id: str, request: Request) -> Response:
    tx_id = parse_transaction_id(id)
    body = await json_body(request)
    force = query_bool(request, "force")
    at_effective = query_bool(request, "atEffectiveDate")
    command = parse_revert(body, tx_id, force=force, at_effective_date=at_effective)
    opts = write_options(request, {"op": "revert", "id": tx_id, "body": body, "force": force,
                                   "atEffectiveDate": at_effective})
    result = await service(request).execute(ledger, command, opts)
    assert result.transaction is not None
    return json_response({"data": renderer(request).transaction(result.transaction)},
                         status=201, headers=hit_headers(result))


async def _write(request: Request, ledger: str, command: Command, payload: Any) -> Response:
    result = await service(request).execute(ledger, command, write_options(request, payload))
    return Response(status_code=204, headers=hit_headers(result))


# --- accounts -------------------------------------------------------------------------------

@router.get("/v2/{ledger}/accounts", operation_id="v2ListAccounts")
async def list_accounts(ledger: str, request: Request) -> Response:
    q = await list_query(request, Resource.ACCOUNTS)
    page = await service(request).list_accounts(ledger, q)
    return json_response({"cursor": page.envelope(renderer(request).account)})


@router.head("/v2/{ledger}/accounts", operation_id="v2CountAccounts")
async def count_accounts(ledger: str, request: Request) -> Response:
    q = await list_query(request, Resource.ACCOUNTS)
    count = await service(request).count_accounts(ledger, q)
    return Response(status_code=204, headers={"Count": str(count)})


@router.get("/v2/{ledger}/accounts/{address}", operation_id="v2GetAccount")
async def get_account(ledger: str, address: str, request: Request) -> Response:
    expand, pit = expand_and_pit(request, Resource.ACCOUNTS)
    account = await service(request).get_account(ledger, address, expand, pit)
    return json_response({"data": renderer(request).account(account)})


@router.post("/v2/{ledger}/accounts/{address}/metadata", operation_id="v2AddMetadataToAccount",
             status_code=204)
async def add_account_metadata(ledger: str, address: str, request: Request) -> Response:
    metadata = string_map(await json_body(request, required=True), "body")
    return await _write(request, ledger, SaveMetadata(TargetType.ACCOUNT, address, metadata),
                        {"op": "account-metadata", "address": address, "metadata": metadata})


@router.delete("/v2/{ledger}/accounts/{address}/metadata/{key}",
               operation_id="v2DeleteAccountMetadata", status_code=204)
async def delete_account_metadata(ledger: str, address: str, key: str, request: Request
                                  ) -> Response:
    return await _write(request, ledger, DeleteMetadata(TargetType.ACCOUNT, address, key),
                        {"op": "account-metadata-delete", "address": address, "key": key})


# --- balances, volumes, logs ----------------------------------------------------------------

@router.get("/v2/{ledger}/aggregate/balances", operation_id="v2GetBalancesAggregated")
async def aggregate_balances(ledger: str, request: Request) -> Response:
    q = await list_query(request, Resource.ACCOUNTS, {
        "useInsertionDate": query_bool(request, "useInsertionDate")})
    balances = await service(request).aggregate_balances(ledger, q)
    r = renderer(request)
    return json_response({"data": {asset: r.num(v) for asset, v in balances.items()}})


@router.get("/v2/{ledger}/volumes", operation_id="v2GetVolumesWithBalances")
async def list_volumes(ledger: str, request: Request) -> Response:
    group_by = request.query_params.get("groupBy")
    options: dict[str, Any] = {"insertionDate": query_bool(request, "insertionDate")}
    if group_by:
        if not group_by.isdigit():
            raise ValidationError(f"groupBy must be a positive integer, got {group_by!r}")
        options["groupBy"] = int(group_by)
    q = await list_query(request, Resource.VOLUMES, options)
    page = await service(request).list_volumes(ledger, q)
    return json_response({"cursor": page.envelope(renderer(request).volume_row)})


@router.get("/v2/{ledger}/logs", operation_id="v2ListLogs")
async def list_logs(ledger: str, request: Request) -> Response:
    q = await list_query(request, Resource.LOGS)
    page = await service(request).list_logs(ledger, q)
    return json_response({"cursor": page.envelope(Renderer.log)})


# --- bulk -----------------------------------------------------------------------------------

@router.post("/v2/{ledger}/_bulk", operation_id="v2CreateBulk")
async def create_bulk(ledger: str, request: Request) -> Response:
    from domain.ledger.validation import bulk_element_limit

    content_type = (header(request, b"content-type") or "").split(";")[0].strip().lower()
    if content_type in STREAM_CONTENT_TYPES:
        # Neither the v2 spec nor the reference defines these streams' framing or their
        # streamed answers; refusing them clearly beats guessing a wire format.
        return error_response(
            415, ErrorCode.VALIDATION,
            f"content type {content_type} is not supported by this server; send the bulk as "
            "application/json (a JSON array of elements)")
    body = await json_body(request)
    items = body if body is not None else []
    if not isinstance(items, list):
        raise ValidationError("the bulk body must be a JSON array of elements")
    if len(items) > (limit := bulk_element_limit()):
        raise BulkSizeExceededError(f"bulk has {len(items)} elements, the maximum is {limit}")
    elements = []
    for index, item in enumerate(items):
        action, ik, command = parse_bulk_element(item, index)
        elements.append(BulkElement(action, command, WriteOptions(
            idempotency_key=ik,
            idempotency_hash=idempotency_hash({"op": action, "data": item.get("data")})
            if ik else None)))
    outcomes = await service(request).bulk(
        ledger, elements, atomic=query_bool(request, "atomic"),
        parallel=query_bool(request, "parallel"),
        continue_on_failure=query_bool(request, "continueOnFailure"))
    r = renderer(request)
    data: list[dict[str, Any]] = []
    for outcome in outcomes:
        if outcome.error is not None:
            data.append(_bulk_error(outcome.error))
            continue
        assert outcome.result is not None
        doc: dict[str, Any] = {"responseType": outcome.action, "logID": outcome.result.log_id}
        if outcome.result.transaction is not None:
            doc["data"] = r.transaction(outcome.result.transaction)
        data.append(doc)
    failed = any(o.error is not None for o in outcomes)
    return json_response({"data": data}, status=400 if failed else 200)


STREAM_CONTENT_TYPES = frozenset({
    "application/vnd.formance.ledger.api.v2.bulk+json-stream",
    "application/vnd.formance.ledger.api.v2.bulk+script-stream",
})


def _bulk_error(error: DomainError) -> dict[str, Any]:
    doc: dict[str, Any] = {"responseType": "ERROR", "logID": 0, "errorCode": error.code,
                           "errorDescription": error.message}
    if error.details:
        doc["errorDetails"] = error.details
    return doc

