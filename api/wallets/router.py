"""Routes of the Formance wallets spec (operation ids as in the spec). Wallet writes go straight
to the ledger in-process; hold actions go through the hold workflow."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response

from api.dependencies import Dependencies, dependencies
from api.temporal import temporal_client
from api.wallets import schemas as s
from api.wallets.temporal import act_on_hold, start_hold_workflow
from domain.ledger.validation import DEFAULT_BUCKET
from domain.protection import ProtectedResources, ResourceKind
from domain.wallets.service import WalletsService
from workflows.wallets.inputs import CONFIRM_UPDATE, VOID_UPDATE, ConfirmHold

router = APIRouter(tags=["wallets.v1"])


def _service(request: Request) -> WalletsService:
    return dependencies(request).wallets


def declare_protected(registry: ProtectedResources, deps: Dependencies) -> None:
    """Wallets keep everything in one ledger: deleting it (or its bucket) or giving it a schema
    (whose strict mode refuses the wallets' writes, which name no schema version) would break
    every wallets call. The ledger is created on first use in the default bucket."""
    registry.declare(ResourceKind.LEDGER, deps.wallets.ledger_name, owner="wallets",
                     why="it holds every wallet, balance and hold", bucket=DEFAULT_BUCKET)


Wallets = Annotated[WalletsService, Depends(_service)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def _metadata_filter(request: Request) -> dict[str, str]:
    """`metadata[key]=value` (OpenAPI deepObject) query parameters."""
    out: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key.startswith("metadata[") and key.endswith("]") and len(key) > 10:
            out[key[9:-1]] = value
    return out


def _page(page: Any, render: Any) -> dict[str, Any]:
    return {"cursor": page.envelope(render)}


@router.get("/_info", operation_id="getServerInfo")
async def get_server_info() -> dict[str, str]:
    from api.modules import VERSION

    return {"name": "wallets", "version": VERSION}


@router.get("/wallets", operation_id="listWallets")
async def list_wallets(request: Request, wallets: Wallets, name: str | None = None,
                       pageSize: str | None = None, cursor: str | None = None,
                       expand: str | None = None) -> dict[str, Any]:
    page = await wallets.list_wallets(
        name=name, metadata=_metadata_filter(request), page_size=pageSize, cursor=cursor,
        expand_balances="balances" in (expand or "").split(","),
    )
    return _page(page, s.wallet_json)


@router.post("/wallets", operation_id="createWallet", status_code=201)
async def create_wallet(wallets: Wallets, body: s.CreateWalletRequest,
                        idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    wallet = await wallets.create_wallet(body.name, body.metadata or {}, idempotency_key)
    return {"data": s.wallet_json(wallet)}


@router.get("/wallets/{id}", operation_id="getWallet")
async def get_wallet(wallets: Wallets, id: str) -> dict[str, Any]:
    return {"data": s.wallet_json(await wallets.get_wallet(id))}


@router.patch("/wallets/{id}", operation_id="updateWallet", status_code=204)
async def update_wallet(wallets: Wallets, id: str, body: s.UpdateWalletRequest,
                        idempotency_key: IdempotencyKey = None) -> Response:
    await wallets.update_wallet(id, body.metadata, idempotency_key)
    return Response(status_code=204)


@router.get("/wallets/{id}/summary", operation_id="getWalletSummary")
async def get_wallet_summary(wallets: Wallets, id: str) -> dict[str, Any]:
    return {"data": s.summary_json(await wallets.summary(id))}


@router.get("/wallets/{id}/balances", operation_id="listBalances")
async def list_balances(wallets: Wallets, id: str, pageSize: str | None = None,
                        cursor: str | None = None) -> dict[str, Any]:
    page = await wallets.list_balances(id, page_size=pageSize, cursor=cursor)
    return _page(page, s.balance_json)


@router.post("/wallets/{id}/balances", operation_id="createBalance", status_code=201)
async def create_balance(wallets: Wallets, id: str, body: s.CreateBalanceRequest,
                         idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    balance = await wallets.create_balance(id, body.to_domain(), idempotency_key)
    return {"data": s.balance_json(balance)}


@router.get("/wallets/{id}/balances/{balanceName}", operation_id="getBalance")
async def get_balance(wallets: Wallets, id: str, balanceName: str) -> dict[str, Any]:
    return {"data": s.balance_json(await wallets.get_balance(id, balanceName))}


@router.post("/wallets/{id}/credit", operation_id="creditWallet", status_code=204)
async def credit_wallet(wallets: Wallets, id: str, body: s.CreditWalletRequest,
                        idempotency_key: IdempotencyKey = None) -> Response:
    await wallets.credit(id, body.to_domain(), idempotency_key)
    return Response(status_code=204)


@router.post("/wallets/{id}/debit", operation_id="debitWallet", status_code=204,
             responses={201: {"description": "Wallet successfully debited as a pending hold"}})
async def debit_wallet(request: Request, wallets: Wallets, id: str, body: s.DebitWalletRequest,
                       idempotency_key: IdempotencyKey = None) -> Response:
    debit = body.to_domain()
    if debit.pending:
        # Fail before moving money when Temporal is down: a hold without its workflow would
        # miss its expiry.
        await temporal_client(request)
    hold = await wallets.debit(id, debit, idempotency_key)
    if hold is None:
        return Response(status_code=204)
    await start_hold_workflow(request, hold)
    from fastapi.responses import JSONResponse

    return JSONResponse({"data": s.hold_json(hold)}, status_code=201)


@router.get("/holds", operation_id="getHolds")
async def get_holds(request: Request, wallets: Wallets, walletID: str | None = None,
                    pageSize: str | None = None, cursor: str | None = None) -> dict[str, Any]:
    page = await wallets.list_holds(wallet_id=walletID, metadata=_metadata_filter(request),
                                    page_size=pageSize, cursor=cursor)
    return _page(page, s.hold_json)


@router.get("/holds/{holdID}", operation_id="getHold")
async def get_hold(wallets: Wallets, holdID: str) -> dict[str, Any]:
    return {"data": s.hold_json(await wallets.get_hold(holdID), expanded=True)}


@router.post("/holds/{hold_id}/confirm", operation_id="confirmHold", status_code=204)
async def confirm_hold(request: Request, wallets: Wallets, hold_id: str,
                       body: s.ConfirmHoldRequest | None = None,
                       idempotency_key: IdempotencyKey = None) -> Response:
    hold = await wallets.get_hold(hold_id)
    command = ConfirmHold(amount=body.amount if body else None,
                          final=bool(body.final) if body else False)
    await act_on_hold(request, hold, CONFIRM_UPDATE, command, idempotency_key)
    return Response(status_code=204)


@router.post("/holds/{hold_id}/void", operation_id="voidHold", status_code=204)
async def void_hold(request: Request, wallets: Wallets, hold_id: str,
                    idempotency_key: IdempotencyKey = None) -> Response:
    hold = await wallets.get_hold(hold_id)
    await act_on_hold(request, hold, VOID_UPDATE, None, idempotency_key)
    return Response(status_code=204)


@router.get("/transactions", operation_id="getTransactions")
async def get_transactions(wallets: Wallets, walletID: str | None = None,
                           pageSize: str | None = None, cursor: str | None = None
                           ) -> dict[str, Any]:
    page = await wallets.list_transactions(wallet_id=walletID, page_size=pageSize,
                                           cursor=cursor)
    return _page(page, lambda t: s.transaction_json(wallets.ledger_name, t))
