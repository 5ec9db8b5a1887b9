"""The API's Prometheus series and its request spans.

Every HTTP request, the ledger's hot writes included, is counted by method, route template and
status class and timed in a histogram: labels come from the route the request matched (the
template, `/api/ledger/v2/{ledger}/transactions`), never from the raw path, so a client cannot
grow the series without bound (unmatched requests share one label). Ledger writes get their own
counter. One increment and one observation per request; nothing per posting.

When tracing is on (workflows/telemetry.py), each request is a server span, current while the
request runs, so the workflow it starts (and that workflow's activities) join its trace.

`GET /metrics` serves this process's registry; with PROMETHEUS_MULTIPROC_DIR set (several
uvicorn workers, API_WORKERS > 1) it serves every worker process's series added up."""

from __future__ import annotations

import os
import time
from collections import Counter as Counter_
from collections.abc import Awaitable, Callable, Iterator

from opentelemetry.trace import SpanKind
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from api.ledger.hot_writes import is_hot
from workflows.telemetry import tracer

HTTP_REQUESTS = Counter("ledgerflow_http_requests", "HTTP requests served",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "ledgerflow_http_request_duration_seconds", "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
LEDGER_WRITES = Counter("ledgerflow_ledger_writes", "Ledger write requests (transactions, bulks)",
                        ["route", "status"])



class _WriteBatches(Collector):
    """The ledger's set-based write batches of this process (storage/ledger/batch_write.py),
    added up over ledgers (a label per ledger would grow with the ledgers): `optimistic`
    (one statement, the head this process wrote last still the head), `locked`, and `refused`
    optimistic statements (a check of the statement failed: another writer, often another
    replica, wrote in between, or a balance or date did not hold; the batch then runs locked).
    Read from the store at scrape time: the write path pays nothing for it."""

    KINDS = ("optimistic", "locked", "refused")

    def __init__(self) -> None:
        self.source: Callable[[], dict[str, dict[str, int]]] | None = None

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily("ledgerflow_ledger_write_batches",
                                     "Set-based ledger write batches, by how they were written",
                                     labels=["kind"])
        totals: Counter_[str] = Counter_()
        for per_ledger in (self.source() if self.source else {}).values():
            totals.update(per_ledger)
        for kind in self.KINDS:
            family.add_metric([kind], totals[kind])
        yield family


WRITE_BATCHES = _WriteBatches()
REGISTRY.register(WRITE_BATCHES)


class _BatchSizes(Collector):
    """The same batches by their number of transactions, as a histogram: how much the group
    commit gathers under the current load. Counted per batch by the store (one increment, not
    one per transaction) and bucketed here at scrape time."""

    BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

    def __init__(self) -> None:
        self.source: Callable[[], dict[int, int]] | None = None

    def collect(self) -> Iterator[HistogramMetricFamily]:
        sizes = self.source() if self.source else {}
        buckets = [(str(float(bound)), sum(n for size, n in sizes.items() if size <= bound))
                   for bound in self.BUCKETS]
        buckets.append(("+Inf", sum(sizes.values())))
        total = sum(size * n for size, n in sizes.items())
        yield HistogramMetricFamily("ledgerflow_ledger_write_batch_size",
                                    "Transactions per set-based ledger write batch",
                                    buckets=buckets, sum_value=total)


BATCH_SIZES = _BatchSizes()
REGISTRY.register(BATCH_SIZES)


def observe_write_batches(source: Callable[[], dict[str, dict[str, int]]],
                          sizes: Callable[[], dict[int, int]] | None = None) -> None:
    """The app's ledger store (one per process in production; the latest app in tests)."""
    WRITE_BATCHES.source = source
    BATCH_SIZES.source = sizes


UNMATCHED = "(unmatched)"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The ledger's write routes: the two the app answers before routing (api/ledger/hot_writes.py)
# and, through the router, the same two and v1's.
_HOT_TEMPLATES = {"transactions": "/api/ledger/v2/{ledger}/transactions",
                  "_bulk": "/api/ledger/v2/{ledger}/_bulk"}
_LEDGER_WRITE_SUFFIXES = ("/transactions", "/_bulk", "/transactions/batch")

Dispatch = Callable[[Scope, Receive, Send], Awaitable[None]]


def route_template(scope: Scope) -> str:
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str):
        # A module's routes live under its Mount, whose (static) prefix routing left in
        # root_path.
        return f"{scope.get('root_path', '')}{template}"
    if scope["method"] == "POST" and is_hot(scope):  # answered before routing: no route
        return _HOT_TEMPLATES[scope["path"].rsplit("/", 1)[1]]
    return UNMATCHED


class _Series:
    """The children of one (method, route, status class): label lookups cost microseconds each,
    so each is done once; routes are templates, so this stays as small as the route table."""

    __slots__ = ("latency", "requests", "writes")

    def __init__(self, method: str, route: str, status_class: str) -> None:
        self.requests = HTTP_REQUESTS.labels(method, route, status_class)
        self.latency = HTTP_LATENCY.labels(method, route)
        is_write = method == "POST" and route.startswith("/api/ledger/") \
            and route.endswith(_LEDGER_WRITE_SUFFIXES)
        self.writes = LEDGER_WRITES.labels(route, status_class) if is_write else None


_series: dict[tuple[str, str, int], _Series] = {}


def _record(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status // 100)
    series = _series.get(key)
    if series is None:
        series = _series[key] = _Series(method, route, f"{status // 100}xx")
    series.requests.inc()
    series.latency.observe(seconds)
    if series.writes is not None:
        series.writes.inc()


async def measured(scope: Scope, receive: Receive, send: Send, dispatch: Dispatch) -> None:
    """Serves one ASGI call through `dispatch`, counting and timing it (HTTP only)."""
    if scope["type"] != "http":
        await dispatch(scope, receive, send)
        return
    status = 500  # what the client sees if the app fails before answering

    async def send_status(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    method = scope["method"] if scope["method"] in _METHODS else "OTHER"
    started = time.perf_counter()
    spans = tracer()
    try:
        if spans is None:
            await dispatch(scope, receive, send_status)
        else:
            with spans.start_as_current_span(f"{method} request", kind=SpanKind.SERVER) as span:
                try:
                    await dispatch(scope, receive, send_status)
                finally:
                    route = route_template(scope)
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.request.method", method)
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
    finally:
        _record(method, route_template(scope), status, time.perf_counter() - started)


def _registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)
