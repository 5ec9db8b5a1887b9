"""A local payment service provider implementing Formance's generic connector API
(payments/ce/plugins/generic/client/generic-openapi.yaml): accounts, balances, beneficiaries,
transactions, payouts and transfers, held in memory.

`python -m workers fake-psp --seed 1 --accounts 3 --payments 20` serves it; install the
`generic` connector with `endpoint` pointing at it. Tests use the same app over real HTTP.

Control endpoints (not part of the spec) under `/_fake`:
- `POST /_fake/seed {"seed", "accounts", "beneficiaries", "payments"}`: deterministic data;
- `POST /_fake/transactions [..]`: add or change transactions (a change bumps `updatedAt`);
- `POST /_fake/balances {"accountId", "balances": [{"amount", "currency"}]}`;
- `POST /_fake/faults {"fail": n, "status": 503, "rateLimit": n, "retryAfter": s,
  "garbage": n, "delay": s}`: the next n API calls fail, are rate-limited or answer garbage;
  every call waits `delay` seconds;
- `GET /_fake/stats`: calls served per path;
- `POST /_fake/sends {"fail": n, "status": 400, "delay": s, "pending": bool}`: the next n
  payouts/transfers fail with that status; each answers `delay` seconds after the payment is
  made (a provider whose answer is lost: a worker killed meanwhile); `pending` makes new ones
  PENDING (change them with `/_fake/transactions`);
- `GET /_fake/sends`: per idempotency key, the requests received and the payments created
  (at most one per key: a key seen before answers the payment it made)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
_CURRENCIES = ("USD/2", "EUR/2", "JPY/0")
_STATUSES = ("SUCCEEDED", "PENDING", "FAILED")
_TYPES = ("PAYIN", "PAYOUT", "TRANSFER")


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Faults:
    fail: int = 0
    status: int = 503
    rate_limit: int = 0
    retry_after: float = 1.0
    garbage: int = 0
    delay: float = 0.0


@dataclass
class Sends:
    requests: Counter[str] = field(default_factory=Counter)
    created: Counter[str] = field(default_factory=Counter)
    fail: int = 0
    status: int = 400
    delay: float = 0.0
    pending: bool = False
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def hold(self, delay: float) -> None:
        """Each send answers `delay` seconds after the payment is made, until released."""
        self.delay = delay
        self.released.clear()

    def release(self) -> None:
        self.delay = 0.0
        self.released.set()


@dataclass
class FakePSP:
    api_key: str | None = None
    accounts: list[dict[str, Any]] = field(default_factory=list)
    beneficiaries: list[dict[str, Any]] = field(default_factory=list)
    balances: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    calls: Counter[str] = field(default_factory=Counter)
    sends: Sends = field(default_factory=Sends)
    _clock: datetime = _EPOCH
    # Transactions sorted by (time key, id), kept until they change: a connector pages through
    # them a thousand at a time, and sorting 100,000 for every page made the PSP, not the
    # stack under test, the bottleneck of the ingestion benchmark.
    _sorted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def sorted_transactions(self, time_key: str) -> list[dict[str, Any]]:
        if time_key not in self._sorted:
            self._sorted[time_key] = sorted(self.transactions.values(),
                                            key=lambda x: (x[time_key], x["id"]))
        return self._sorted[time_key]

    def tick(self) -> datetime:
        """Strictly increasing times, so every change has an `updatedAt` of its own."""
        self._clock = max(self._clock + timedelta(milliseconds=1), datetime.now(UTC))
        return self._clock

    def seed(self, seed: int = 1, accounts: int = 3, beneficiaries: int = 1,
             payments: int = 10) -> None:
        rng = random.Random(seed)
        self.accounts = [{"id": f"acc-{i}", "accountName": f"Account {i}",
                          "createdAt": _iso(_EPOCH + timedelta(seconds=i)),
                          "metadata": {"seed": str(seed)}} for i in range(accounts)]
        self.beneficiaries = [{"id": f"ben-{i}", "ownerName": f"Owner {i}",
                               "createdAt": _iso(_EPOCH + timedelta(seconds=i)),
                               "metadata": {}} for i in range(beneficiaries)]
        self.balances = {a["id"]: [{"amount": str(rng.randint(0, 10**9)),
                                    "currency": _CURRENCIES[i % 2]}]
                         for i, a in enumerate(self.accounts)}
        self.transactions = {}
        self._sorted.clear()
        for i in range(payments):
            when = _iso(_EPOCH + timedelta(seconds=i))
            tx: dict[str, Any] = {
                "id": f"tx-{i}", "createdAt": when, "updatedAt": when,
                "currency": _CURRENCIES[i % len(_CURRENCIES)],
                "type": _TYPES[i % len(_TYPES)], "status": _STATUSES[i % len(_STATUSES)],
                "amount": str(rng.randint(1, 10**6)), "metadata": {"n": str(i)}}
            if accounts:
                tx["destinationAccountID"] = f"acc-{i % accounts}"
            self.transactions[tx["id"]] = tx

    def upsert_transaction(self, tx: dict[str, Any]) -> dict[str, Any]:
        now = _iso(self.tick())
        current = self.transactions.get(str(tx.get("id") or uuid.uuid4()))
        merged = {**(current or {"createdAt": now, "metadata": {}}), **tx, "updatedAt": now}
        merged.setdefault("id", str(uuid.uuid4()))
        self.transactions[merged["id"]] = merged
        self._sorted.clear()
        return merged


def _page(items: list[dict[str, Any]], request: Request, *, time_key: str,
          from_param: str, presorted: bool = False) -> list[dict[str, Any]]:
    """`presorted`: `items` are already in ascending (time key, id) order."""
    q = request.query_params
    since = q.get(from_param)
    descending = q.get("sort", "").endswith(":desc")
    if presorted:
        # ISO strings in UTC sort as times.
        items = items[bisect_left(items, since, key=lambda x: x[time_key]):] if since else items
        if descending:
            items = items[::-1]
    else:
        if since:
            items = [x for x in items if x[time_key] >= since]
        items = sorted(items, key=lambda x: (x[time_key], x["id"]), reverse=descending)
    size = max(1, int(q.get("pageSize", "100")))
    page = max(1, int(q.get("page", "1")))
    return items[(page - 1) * size: page * size]


def create_app(psp: FakePSP | None = None) -> Starlette:
    psp = psp or FakePSP()

    async def guarded(request: Request, answer: Any) -> Response:
        psp.calls[request.url.path] += 1
        f = psp.faults
        if f.delay:
            await asyncio.sleep(f.delay)
        if psp.api_key and request.headers.get("Authorization") != f"Bearer {psp.api_key}":
            return JSONResponse({"Title": "unauthorized", "Detail": "bad api key"}, 401)
        if f.rate_limit > 0:
            f.rate_limit -= 1
            return JSONResponse({"Title": "rate limited", "Detail": "slow down"}, 429,
                                headers={"Retry-After": str(f.retry_after)})
        if f.fail > 0:
            f.fail -= 1
            return JSONResponse({"Title": "failure", "Detail": "injected"}, f.status)
        if f.garbage > 0:
            f.garbage -= 1
            return PlainTextResponse("<html>not json</html>")
        return JSONResponse(answer() if callable(answer) else answer)

    async def accounts(request: Request) -> Response:
        return await guarded(request, lambda: _page(psp.accounts, request, time_key="createdAt",
                                                    from_param="createdAtFrom"))

    async def beneficiaries(request: Request) -> Response:
        return await guarded(request, lambda: _page(psp.beneficiaries, request,
                                                    time_key="createdAt",
                                                    from_param="createdAtFrom"))

    async def transactions(request: Request) -> Response:
        sort = request.query_params.get("sort", "updatedAt:asc")
        key = "createdAt" if sort.startswith("createdAt") else "updatedAt"
        return await guarded(request, lambda: _page(psp.sorted_transactions(key), request,
                                                    time_key=key, from_param="updatedAtFrom",
                                                    presorted=True))

    async def balances(request: Request) -> Response:
        account_id = request.path_params["accountId"]
        if account_id not in psp.balances:
            psp.calls[request.url.path] += 1
            return JSONResponse({"Title": "not found", "Detail": account_id}, 404)
        return await guarded(request, lambda: {
            "id": f"bal-{account_id}", "accountID": account_id, "at": _iso(datetime.now(UTC)),
            "balances": psp.balances[account_id]})

    async def create_movement(request: Request) -> Response:
        body = await request.json()
        key = str(body.get("idempotencyKey") or uuid.uuid4())
        sends = psp.sends
        sends.requests[key] += 1
        if sends.fail > 0:
            sends.fail -= 1
            psp.calls[request.url.path] += 1
            return JSONResponse({"Title": "refused", "Detail": "injected send failure"},
                                sends.status)

        def made() -> dict[str, Any]:
            # The idempotency key names the payment: asked again, the PSP answers the one it
            # made instead of making a second.
            tx = psp.transactions.get(f"mv-{key}")
            if tx is None:
                sends.created[key] += 1
                tx = psp.upsert_transaction({
                    "id": f"mv-{key}", "currency": body.get("currency"),
                    "amount": body.get("amount"),
                    "type": "PAYOUT" if request.url.path.endswith("payouts") else "TRANSFER",
                    "status": "PENDING" if sends.pending else "SUCCEEDED",
                    "sourceAccountID": body.get("sourceAccountId"),
                    "destinationAccountID": body.get("destinationAccountId"),
                    "metadata": body.get("metadata") or {}})
            return {**body, "id": tx["id"], "status": tx["status"],
                    "createdAt": tx["createdAt"], "updatedAt": tx["updatedAt"]}

        response = await guarded(request, made)
        if sends.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sends.released.wait(), sends.delay)
        return response

    # --- control -------------------------------------------------------------------------------

    async def seed(request: Request) -> Response:
        body = await request.json()
        psp.seed(**{k: int(v) for k, v in body.items()
                    if k in ("seed", "accounts", "beneficiaries", "payments")})
        return JSONResponse({"accounts": len(psp.accounts),
                             "transactions": len(psp.transactions)})

    async def put_transactions(request: Request) -> Response:
        body = await request.json()
        return JSONResponse([psp.upsert_transaction(tx) for tx in body])

    async def put_balances(request: Request) -> Response:
        body = await request.json()
        psp.balances[str(body["accountId"])] = list(body["balances"])
        return JSONResponse({"ok": True})

    async def set_faults(request: Request) -> Response:
        body = await request.json()
        psp.faults = Faults(fail=int(body.get("fail", 0)), status=int(body.get("status", 503)),
                            rate_limit=int(body.get("rateLimit", 0)),
                            retry_after=float(body.get("retryAfter", 1.0)),
                            garbage=int(body.get("garbage", 0)),
                            delay=float(body.get("delay", 0.0)))
        return JSONResponse({"ok": True})

    async def set_sends(request: Request) -> Response:
        body = await request.json()
        sends = psp.sends
        sends.fail = int(body.get("fail", 0))
        sends.status = int(body.get("status", 400))
        sends.hold(float(body.get("delay", 0.0)))
        sends.pending = bool(body.get("pending", False))
        return JSONResponse({"ok": True})

    async def get_sends(_: Request) -> Response:
        return JSONResponse({"requests": dict(psp.sends.requests),
                             "created": dict(psp.sends.created)})

    async def stats(_: Request) -> Response:
        return JSONResponse(dict(psp.calls))

    app = Starlette(routes=[
        Route("/accounts", accounts),
        Route("/accounts/{accountId}/balances", balances),
        Route("/beneficiaries", beneficiaries),
        Route("/transactions", transactions),
        Route("/payouts", create_movement, methods=["POST"]),
        Route("/transfers", create_movement, methods=["POST"]),
        Route("/_fake/seed", seed, methods=["POST"]),
        Route("/_fake/transactions", put_transactions, methods=["POST"]),
        Route("/_fake/balances", put_balances, methods=["POST"]),
        Route("/_fake/faults", set_faults, methods=["POST"]),
        Route("/_fake/stats", stats),
        Route("/_fake/sends", set_sends, methods=["POST"]),
        Route("/_fake/sends", get_sends, methods=["GET"]),
    ])
    app.state.psp = psp
    return app


def serve(host: str, port: int, *, seed: int, accounts: int, beneficiaries: int,
          payments: int, api_key: str | None) -> None:
    import uvicorn

    psp = FakePSP(api_key=api_key)
    psp.seed(seed=seed, accounts=accounts, beneficiaries=beneficiaries, payments=payments)
    print(f"fake PSP on http://{host}:{port} ({accounts} accounts, {payments} transactions); "
          f"install the generic connector with endpoint http://{host}:{port}")
    uvicorn.run(create_app(psp), host=host, port=port, log_level="warning")
