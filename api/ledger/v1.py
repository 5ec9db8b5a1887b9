"""Ledger v1, the legacy API, at the root of /api/ledger: the Formance v1 paths and shapes over
the same LedgerService as v2 (nothing here decides anything about the ledger).

v1 quirks kept on purpose (shared/reference/api-behaviours.md, "Ledger v1 differences"): a
ledger is created on first use (bucket = its name); `txid`; an unknown account is a 200 with an
empty account; `preview` is dryRun and `disableChecks` is force; filters are plain query
parameters; `page_size`/`pagination_token`/`after` are accepted; error codes are those of the v1
enum. One departure: `/transactions/batch` is served (all or none), where Formance ledger v2
answers 400 "not supported"."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from api.errors import error_response, status_for
from api.ledger.context import REQUESTS
from api.ledger.inputs import (
    expect_object,
    json_body,
    parse_create_transaction,
    parse_transaction_id,
    query_bool,
)
from api.ledger.render import Renderer, json_response
from api.ledger.v2 import service, write_options
from api.modules import VERSION
from domain.amounts import parse_amount
from domain.errors import DomainError, ValidationError
from domain.ledger.errors import ErrorCode, V1ErrorCode
from domain.ledger.models import (
    Account,
    Log,
    LogType,
    RevertTransaction,
    SaveMetadata,
    TargetType,
    Transaction,
    WriteOptions,
)
from domain.ledger.query import ListQuery, Resource, parse_list_query
from domain.ledger.service import BulkElement, LedgerService

V1_CODES = frozenset(V1ErrorCode)
# v2 codes the v1 enum lacks; anything else unknown to v1 keeps its status and says VALIDATION
# (an SDK parses errorCode as the v1 enum).
_V1_EQUIVALENT: dict[str, V1ErrorCode] = {
    ErrorCode.LEDGER_NOT_FOUND: V1ErrorCode.NOT_FOUND,
    ErrorCode.NO_POSTINGS: V1ErrorCode.NO_SCRIPT,
    ErrorCode.INTERPRETER_PARSE: V1ErrorCode.COMPILATION_FAILED,
    ErrorCode.INTERPRETER_RUNTIME: V1ErrorCode.COMPILATION_FAILED,
    ErrorCode.SERVICE_UNAVAILABLE: V1ErrorCode.INTERNAL,
}
_BALANCE_OPERATORS = {"gte": "$gte", "lte": "$lte", "gt": "$gt", "lt": "$lt", "e": "$match"}


def v1_code(code: str) -> str:
    return code if code in V1_CODES else _V1_EQUIVALENT.get(code, V1ErrorCode.VALIDATION)


class V1Route(APIRoute):
    """Answers domain errors with the v1 error codes."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                return error_response(status_for(exc.code), v1_code(exc.code), exc.message,
                                      exc.details)

        return handle


class NoScriptError(DomainError):
    code = V1ErrorCode.NO_SCRIPT


# --- in-memory request metrics (GET /_/metrics) ---------------------------------------------------

# `/_info` and `/_/metrics` are mounted before the v2 router (see api/ledger/__init__.py): the
# v1 spec's getInfo answers `{data: ConfigInfo}`.
info_router = APIRouter(tags=["ledger.v1"])
router = APIRouter(tags=["ledger.v1"], route_class=V1Route)


@info_router.get("/_info", operation_id="getInfo")
async def get_info(request: Request) -> Response:
    page = await service(request).list_ledgers(parse_list_query(Resource.LEDGERS,
                                                                page_size=100))
    return json_response({"data": {
        "server": "ledger", "version": VERSION,
        "config": {"storage": {"driver": "postgres",
                               "ledgers": [ledger.name for ledger in page.data]}},
    }})


@info_router.get("/_/metrics", operation_id="getMetrics")
async def get_metrics(request: Request) -> Response:
    return json_response({"requests": dict(sorted(REQUESTS.items())),
                          "writeBatches": service(request).store.write_stats()})


async def ledger_service(request: Request, ledger: str) -> LedgerService:
    svc = service(request)
    await svc.ensure_ledger(ledger)
    return svc


# --- rendering ----------------------------------------------------------------------------------

_V2_ONLY = ("id", "insertedAt", "updatedAt", "preCommitEffectiveVolumes",
            "postCommitEffectiveVolumes")


def render_transaction(tx: Transaction) -> dict[str, Any]:
    doc = Renderer(False).transaction(tx)
    txid = doc["id"]
    for key in _V2_ONLY:
        doc.pop(key, None)
    return {"txid": txid, **doc}


def render_account(account: Account) -> dict[str, Any]:
    r = Renderer(False)
    volumes = account.volumes or {}
    return {"address": account.address, "metadata": account.metadata,
            "volumes": {asset: r.volumes(v) for asset, v in volumes.items()},
            "balances": {asset: v.balance for asset, v in volumes.items()}}


# --- inputs -------------------------------------------------------------------------------------

def v1_metadata(value: object, where: str) -> dict[str, str]:
    """v1 metadata values may be any JSON: non-strings are kept as their JSON text (v2 stores
    strings only)."""
    if value is None:
        return {}
    doc = expect_object(value, where)
    return {k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
            for k, v in doc.items()}


def v1_vars(value: object) -> dict[str, str]:
    """Numscript vars: v1 allows monetary `{amount, asset}` objects."""
    out: dict[str, str] = {}
    for key, var in expect_object(value or {}, "script.vars").items():
        if isinstance(var, dict) and {"amount", "asset"} <= set(var):
            amount = parse_amount(var["amount"], f"script.vars.{key}.amount")
            out[key] = f"{var['asset']} {amount}"
        elif isinstance(var, str):
            out[key] = var
        else:
            out[key] = json.dumps(var)
    return out


def parse_v1_transaction(body: object, where: str = "body") -> Any:
    doc = expect_object(body, where)
    postings = doc.get("postings") or None
    script = doc.get("script")
    plain = script.get("plain") if isinstance(script, dict) else None
    if not postings and not plain:
        raise NoScriptError("you need to pass either a posting array or a numscript script")
    if postings and plain:
        raise ValidationError("cannot pass postings and numscript in the same request")
    v2: dict[str, Any] = {"metadata": v1_metadata(doc.get("metadata"), f"{where}.metadata")}
    for key in ("timestamp", "reference"):
        if doc.get(key) is not None:
            v2[key] = doc[key]
    if postings:
        v2["postings"] = postings
    else:
        v2["script"] = {"plain": plain, "vars": v1_vars(script.get("vars"))}  # type: ignore[union-attr]
    return parse_create_transaction(v2, force=False, where=where), v2


def _params(request: Request, name: str, *aliases: str) -> str | None:
    for key in (name, *aliases):
        value = request.query_params.get(key)
        if value:
            return value
    return None


def _metadata_clauses(request: Request) -> list[dict[str, Any]]:
    return [{"$match": {key: value}} for key, value in request.query_params.multi_items()
            if key.startswith("metadata[") and key.endswith("]")]


def v1_query(request: Request, resource: Resource, clauses: list[dict[str, Any]],
             expand: tuple[str, ...] = ()) -> ListQuery:
    cursor = _params(request, "cursor", "pagination_token")
    page_size = _params(request, "pageSize", "page_size")
    if cursor:
        return parse_list_query(resource, cursor=cursor, page_size=page_size)
    return parse_list_query(resource, page_size=page_size,
                            query={"$and": clauses} if clauses else None,
                            expand=list(expand) or None)


def _time_clauses(request: Request, field: str) -> list[dict[str, Any]]:
    clauses = []
    start = _params(request, "startTime", "start_time")
    end = _params(request, "endTime", "end_time")
    if start:
        clauses.append({"$gte": {field: start}})
    if end:
        clauses.append({"$lt": {field: end}})  # v1: endTime is exclusive
    return clauses


def _after(request: Request, field: str) -> list[dict[str, Any]]:
    after = request.query_params.get("after")
    if not after:
        return []
    return [{"$lt": {field: parse_transaction_id(after, "after")}}]


def transactions_query(request: Request) -> ListQuery:
    clauses = [{"$match": {key: request.query_params[key]}}
               for key in ("reference", "account", "source", "destination")
               if request.query_params.get(key)]
    clauses += _time_clauses(request, "timestamp") + _metadata_clauses(request)
    clauses += _after(request, "id")
    return v1_query(request, Resource.TRANSACTIONS, clauses, ("volumes",))


def accounts_query(request: Request, expand: tuple[str, ...] = ()) -> ListQuery:
    clauses: list[dict[str, Any]] = []
    if request.query_params.get("address"):
        clauses.append({"$match": {"address": request.query_params["address"]}})
    clauses += _metadata_clauses(request)
    balance = request.query_params.get("balance")
    if balance:
        try:
            amount = int(balance)
        except ValueError:
            raise ValidationError(f"balance must be an integer, got {balance!r}") from None
        operator = _params(request, "balanceOperator", "balance_operator") or "gte"
        if operator == "ne":
            clauses.append({"$not": {"$match": {"balance": amount}}})
        elif operator in _BALANCE_OPERATORS:
            clauses.append({_BALANCE_OPERATORS[operator]: {"balance": amount}})
        else:
            raise ValidationError(f"balanceOperator must be one of gte, lte, gt, lt, e, ne; "
                                  f"got {operator!r}")
    return v1_query(request, Resource.ACCOUNTS, clauses, expand)


# --- ledger -------------------------------------------------------------------------------------

@router.get("/{ledger}/_info", operation_id="getLedgerInfo")
async def get_ledger_info(ledger: str, request: Request) -> Response:
    found = await (await ledger_service(request, ledger)).get_ledger(ledger)
    migrations = [{"version": "0002", "name": "ledger", "state": "DONE",
                   "date": Renderer.ledger(found)["addedAt"]}]
    return json_response({"data": {"name": ledger, "storage": {"migrations": migrations}}})


@router.get("/{ledger}/stats", operation_id="readStats")
async def read_stats(ledger: str, request: Request) -> Response:
    stats = await (await ledger_service(request, ledger)).stats(ledger)
    return json_response({"data": {"accounts": stats.accounts,
                                   "transactions": stats.transactions}})


@router.get("/{ledger}/mapping", operation_id="getMapping")
async def get_mapping(ledger: str, request: Request) -> Response:
    return json_response({"data": await service(request).get_v1_mapping(ledger)})


@router.put("/{ledger}/mapping", operation_id="updateMapping")
async def update_mapping(ledger: str, request: Request) -> Response:
    """Stored and returned as given. Ledgerflow does not evaluate v1 mapping contracts (nor
    does Formance ledger v2, which no longer routes this endpoint); schemas replace them."""
    body = expect_object(await json_body(request, required=True), "body")
    contracts = body.get("contracts")
    if not isinstance(contracts, list):
        raise ValidationError("body.contracts must be an array")
    for i, contract in enumerate(contracts):
        c = expect_object(contract, f"body.contracts[{i}]")
        if not isinstance(c.get("expr"), dict):
            raise ValidationError(f"body.contracts[{i}].expr must be an object")
        if c.get("account") is not None and not isinstance(c["account"], str):
            raise ValidationError(f"body.contracts[{i}].account must be a string")
    await service(request).save_v1_mapping(ledger, body)
    return json_response({"data": body})


# --- accounts -----------------------------------------------------------------------------------

@router.get("/{ledger}/accounts", operation_id="listAccounts")
async def list_accounts(ledger: str, request: Request) -> Response:
    svc = await ledger_service(request, ledger)
    page = await svc.list_accounts(ledger, accounts_query(request))
    return json_response({"cursor": page.envelope(
        lambda a: {"address": a.address, "metadata": a.metadata})})


@router.head("/{ledger}/accounts", operation_id="countAccounts")
async def count_accounts(ledger: str, request: Request) -> Response:
    svc = await ledger_service(request, ledger)
    count = await svc.count_accounts(ledger, accounts_query(request))
    return Response(status_code=204, headers={"Count": str(count)})


@router.get("/{ledger}/accounts/{address}", operation_id="getAccount")
async def get_account(ledger: str, address: str, request: Request) -> Response:
    from domain.ledger.errors import AccountNotFoundError

    svc = await ledger_service(request, ledger)
    try:
        account = await svc.get_account(ledger, address, ("volumes",))
    except AccountNotFoundError:  # v1: an unknown account is an empty one
        return json_response({"data": {"address": address, "metadata": {}, "volumes": {},
                                       "balances": {}}})
    return json_response({"data": render_account(account)})


@router.post("/{ledger}/accounts/{address}/metadata", operation_id="addMetadataToAccount",
             status_code=204)
async def add_account_metadata(ledger: str, address: str, request: Request) -> Response:
    metadata = v1_metadata(await json_body(request, required=True), "body")
    svc = await ledger_service(request, ledger)
    result = await svc.execute(ledger, SaveMetadata(TargetType.ACCOUNT, address, metadata),
                               write_options(request, {"op": "account-metadata",
                                                       "address": address,
                                                       "metadata": metadata},
                                             allow_dry_run=False))
    return Response(status_code=204, headers=_hit(result.idempotency_hit))


# --- balances -----------------------------------------------------------------------------------

@router.get("/{ledger}/balances", operation_id="getBalances")
async def get_balances(ledger: str, request: Request) -> Response:
    svc = await ledger_service(request, ledger)
    page = await svc.list_accounts(ledger, accounts_query(request, ("volumes",)))
    return json_response({"cursor": page.envelope(lambda a: {a.address: {
        asset: v.balance for asset, v in (a.volumes or {}).items()}})})


@router.get("/{ledger}/aggregate/balances", operation_id="getBalancesAggregated")
async def aggregate_balances(ledger: str, request: Request) -> Response:
    svc = await ledger_service(request, ledger)
    clauses = []
    if request.query_params.get("address"):
        clauses.append({"$match": {"address": request.query_params["address"]}})
    q = parse_list_query(Resource.ACCOUNTS, query={"$and": clauses} if clauses else None)
    return json_response({"data": await svc.aggregate_balances(ledger, q)})


# --- transactions -------------------------------------------------------------------------------

@router.get("/{ledger}/transactions", operation_id="listTransactions")
async def list_transactions(ledger: str, request: Request) -> Response:
    svc = await ledger_service(request, ledger)
    page = await svc.list_transactions(ledger, transactions_query(request))
    return json_response({"cursor": page.envelope(render_transaction)})


@router.head("/{ledger}/transactions", operation_id="countTransactions")
async def count_transactions(ledger: str, request: Request) -> Response:
    svc = await ledger_service(request, ledger)
    count = await svc.count_transactions(ledger, transactions_query(request))
    return Response(status_code=200, headers={"Count": str(count)})


@router.post("/{ledger}/transactions/batch", operation_id="CreateTransactions")
async def create_transactions_batch(ledger: str, request: Request) -> Response:
    """All or none, as ledger v1 committed a batch: the transactions are written in order in
    one database transaction (the v2 atomic bulk), so a later one may spend what an earlier one
    brought, and any failure leaves the ledger as it was. The answer is the v1
    TransactionsResponse; a failure is the v1 error of the first transaction that failed, its
    index in the message. (Formance ledger v2 answers this route with a bare 400; Ledgerflow
    keeps the v1 contract the SDKs still expose.)"""
    body = expect_object(await json_body(request, required=True), "body")
    items = body.get("transactions")
    if not isinstance(items, list):
        raise ValidationError("body.transactions must be an array of transactions")
    elements = []
    for index, item in enumerate(items):
        where = f"body.transactions[{index}]"
        try:
            command, _ = parse_v1_transaction(item, where)
        except DomainError as exc:
            if where in exc.message:  # it already names the transaction
                return error_response(status_for(exc.code), v1_code(exc.code), exc.message)
            return _batch_error(index, exc)
        elements.append(BulkElement("CREATE_TRANSACTION", command, WriteOptions()))
    svc = await ledger_service(request, ledger)
    outcomes = await svc.bulk(ledger, elements, atomic=True, parallel=False,
                              continue_on_failure=False)
    for index, outcome in enumerate(outcomes):
        if outcome.error is not None:  # the first failure; the rest were cancelled by it
            return _batch_error(index, outcome.error)
    data = []
    for outcome in outcomes:
        assert outcome.result is not None and outcome.result.transaction is not None
        data.append(render_transaction(outcome.result.transaction))
    return json_response({"data": data})


def _batch_error(index: int, exc: DomainError) -> Response:
    return error_response(status_for(exc.code), v1_code(exc.code),
                          f"transactions[{index}]: {exc.message}", exc.details)


@router.post("/{ledger}/transactions", operation_id="createTransaction")
async def create_transaction(ledger: str, request: Request) -> Response:
    command, v2_body = parse_v1_transaction(await json_body(request, required=True))
    svc = await ledger_service(request, ledger)
    options = _options(request, {"op": "create", "body": v2_body, "force": False})
    result = await svc.execute(ledger, command, options)
    assert result.transaction is not None
    return json_response({"data": [render_transaction(result.transaction)]},
                         headers=_hit(result.idempotency_hit))


@router.post("/{ledger}/script", operation_id="runScript")
async def run_script(ledger: str, request: Request) -> Response:
    """Deprecated v1 route, kept: errors come back as 200 with the error fields."""
    body = expect_object(await json_body(request, required=True), "body")
    try:
        command, v2_body = parse_v1_transaction({
            "script": {"plain": body.get("plain"), "vars": body.get("vars") or {}},
            "reference": body.get("reference"), "metadata": body.get("metadata")})
        svc = await ledger_service(request, ledger)
        result = await svc.execute(ledger, command, _options(
            request, {"op": "create", "body": v2_body, "force": False}))
    except DomainError as exc:
        code = v1_code(exc.code)
        doc = {"errorCode": code, "errorMessage": exc.message, "error_code": code,
               "error_message": exc.message}
        if exc.details:
            doc["details"] = exc.details
        return json_response(doc)
    assert result.transaction is not None
    return json_response({"transaction": render_transaction(result.transaction)})


@router.get("/{ledger}/transactions/{txid}", operation_id="getTransaction")
async def get_transaction(ledger: str, txid: str, request: Request) -> Response:
    svc = await ledger_service(request, ledger)
    tx = await svc.get_transaction(ledger, parse_transaction_id(txid, "txid"), ("volumes",))
    return json_response({"data": render_transaction(tx)})


@router.post("/{ledger}/transactions/{txid}/metadata", operation_id="addMetadataOnTransaction",
             status_code=204)
async def add_transaction_metadata(ledger: str, txid: str, request: Request) -> Response:
    tx_id = parse_transaction_id(txid, "txid")
    metadata = v1_metadata(await json_body(request, required=True), "body")
    svc = await ledger_service(request, ledger)
    result = await svc.execute(ledger, SaveMetadata(TargetType.TRANSACTION, tx_id, metadata),
                               write_options(request, {"op": "tx-metadata", "id": tx_id,
                                                       "metadata": metadata},
                                             allow_dry_run=False))
    return Response(status_code=204, headers=_hit(result.idempotency_hit))


@router.post("/{ledger}/transactions/{txid}/revert", operation_id="revertTransaction",
             status_code=201)
async def revert_transaction(ledger: str, txid: str, request: Request) -> Response:
    tx_id = parse_transaction_id(txid, "txid")
    force = query_bool(request, "disableChecks")
    svc = await ledger_service(request, ledger)
    result = await svc.execute(ledger, RevertTransaction(id=tx_id, force=force),
                               write_options(request, {"op": "revert", "id": tx_id, "body": None,
                                                       "force": force,
                                                       "atEffectiveDate": False},
                                             allow_dry_run=False))
    assert result.transaction is not None
    return json_response({"data": render_transaction(result.transaction)}, status=201,
                         headers=_hit(result.idempotency_hit))


# --- logs ---------------------------------------------------------------------------------------

# The v1 Log schema knows two types. A revert is, in v1's model, a new transaction (its metadata
# `com.formance.spec/state/reverts` says which one it reverts), so REVERTED_TRANSACTION is shown
# as NEW_TRANSACTION with the same `transaction` in its data. Deleted metadata, schemas and any
# later v2 log type have no v1 equivalent: they are left out, in the query itself so that pages
# keep their size and cursors stay exact (an SDK parses `type` as the v1 enum and would fail).
_V1_LOG_TYPES = {LogType.NEW_TRANSACTION: LogType.NEW_TRANSACTION,
                 LogType.SET_METADATA: LogType.SET_METADATA,
                 LogType.REVERTED_TRANSACTION: LogType.NEW_TRANSACTION}
_V1_LOG_FILTER = {"$or": [{"$match": {"type": t.value}} for t in _V1_LOG_TYPES]}


def render_log(log: Log) -> dict[str, Any]:
    doc = Renderer.log(log)
    if log.type == LogType.REVERTED_TRANSACTION:
        doc["type"] = LogType.NEW_TRANSACTION.value
        doc["data"] = {"accountMetadata": {}, **log.data}
    return doc


@router.get("/{ledger}/logs", operation_id="listLogs")
async def list_logs(ledger: str, request: Request) -> Response:
    svc = await ledger_service(request, ledger)
    clauses = [_V1_LOG_FILTER, *_time_clauses(request, "date"), *_after(request, "id")]
    page = await svc.list_logs(ledger, v1_query(request, Resource.LOGS, clauses))
    return json_response({"cursor": page.envelope(render_log)})


def _options(request: Request, payload: Any) -> WriteOptions:
    opts = write_options(request, payload, allow_dry_run=False)
    return WriteOptions(idempotency_key=opts.idempotency_key,
                        idempotency_hash=opts.idempotency_hash,
                        dry_run=query_bool(request, "preview"))


def _hit(hit: bool) -> dict[str, str] | None:
    return {"Idempotency-Hit": "true"} if hit else None
