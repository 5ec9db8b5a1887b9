"""Temporal paths on the dev server (issue 9): workflow start to first activity, per process, from
the workflow histories, and the API-level latency and throughput of the operations.

Processes measured (those that exist): webhook retries, wallet holds, ledger pipelines. From each
sampled history (fetched with workflows.client.connect):

- `start_to_wft_ms`: WorkflowExecutionStarted -> first WorkflowTaskStarted (the worker picked the
  workflow up);
- `act_sched_to_start_ms`: first ActivityTaskScheduled -> its ActivityTaskStarted (the worker
  picked the activity up); `all_act_sched_to_start_*`: the same over every activity;
- `start_to_act_ms`: WorkflowExecutionStarted -> first ActivityTaskStarted minus the time the
  process waits by design before it: the retry's backoff timer (TimerStarted -> TimerFired) for
  webhook retries; for holds the wait for the confirm update, so the figure is
  WorkflowExecutionUpdateAccepted -> first ActivityTaskStarted; pipelines do not wait."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from bench.temporal_stack import TemporalBenchStack
from bench.webhooks_deliveries import (
    Receiver,
    create_configs,
    create_ledger,
    delete_configs,
    parse_date,
    pct,
    post_bulks,
    request,
)
from workflows.client import connect
from workflows.ledger.inputs import pipeline_workflow_id
from workflows.wallets.inputs import hold_workflow_id

E = EventType
HISTORY_SAMPLE = 40


def _t(event: HistoryEvent) -> float:
    return event.event_time.seconds + event.event_time.nanos / 1e9


def history_metrics(events: list[HistoryEvent], *, after_update: bool = False
                    ) -> dict[str, Any]:
    started = next(_t(e) for e in events
                   if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    first_wft = next((_t(e) for e in events
                      if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED), None)
    scheduled = {e.event_id: _t(e) for e in events
                 if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    act_started = [(e.activity_task_started_event_attributes.scheduled_event_id, _t(e))
                   for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED]
    act_started.sort(key=lambda pair: pair[1])
    timers = {e.event_id: _t(e) for e in events
              if e.event_type == E.EVENT_TYPE_TIMER_STARTED}
    out: dict[str, Any] = {
        "started_at": started,
        "start_to_wft_ms": (first_wft - started) * 1000 if first_wft else None,
        "sched_to_start_all_ms": [(t - scheduled[s]) * 1000 for s, t in act_started
                                  if s in scheduled],
    }
    if act_started:
        first_sched, first_start = act_started[0]
        out["act_sched_to_start_ms"] = (first_start - scheduled[first_sched]) * 1000
        origin = started
        if after_update:
            origin = next((_t(e) for e in events
                           if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
                          started)
        slept = sum(_t(e) - timers[e.timer_fired_event_attributes.started_event_id]
                    for e in events if e.event_type == E.EVENT_TYPE_TIMER_FIRED
                    and _t(e) <= first_start
                    and e.timer_fired_event_attributes.started_event_id in timers)
        out["start_to_act_ms"] = (first_start - origin - slept) * 1000
        out["slept_ms"] = slept * 1000
    return out


async def histories(client: Client, workflow_ids: list[str], *, after_update: bool = False,
                    first_run: bool = True, started: dict[str, float] | None = None
                    ) -> dict[str, Any]:
    """Aggregated metrics over the first run of each workflow id; `started` receives each
    workflow's WorkflowExecutionStarted time."""
    rows = []
    for workflow_id in workflow_ids[:HISTORY_SAMPLE]:
        handle = client.get_workflow_handle(workflow_id)
        with contextlib.suppress(Exception):
            if first_run:
                desc = await handle.describe()
                run_id = desc.raw_description.workflow_execution_info.first_run_id or None
                handle = client.get_workflow_handle(workflow_id, run_id=run_id)
            history = await handle.fetch_history()
            rows.append(history_metrics(list(history.events), after_update=after_update))
            if started is not None:
                started[workflow_id] = rows[-1]["started_at"]

    def agg(key: str) -> dict[str, float]:
        values = [float(r[key]) for r in rows if r.get(key) is not None]
        return {f"{key[:-3]}_p50_ms": pct(values, 0.5), f"{key[:-3]}_p99_ms": pct(values, 0.99)}

    pooled = [v for r in rows for v in r["sched_to_start_all_ms"]]
    slept = [float(r["slept_ms"]) for r in rows if "slept_ms" in r]
    return {"histories": len(rows), **agg("start_to_wft_ms"), **agg("act_sched_to_start_ms"),
            **agg("start_to_act_ms"), "activities_pooled": len(pooled),
            "all_act_sched_to_start_p50_ms": pct(pooled, 0.5),
            "all_act_sched_to_start_p99_ms": pct(pooled, 0.99),
            "timer_slept_p50_ms": pct(slept, 0.5)}


def latency(values: list[float], elapsed: float) -> dict[str, float]:
    return {"count": len(values), "per_s": round(len(values) / elapsed, 1) if elapsed else 0,
            "p50_ms": pct(values, 0.5), "p99_ms": pct(values, 0.99)}


async def _ok(resp: Awaitable[httpx.Response], status: int, what: str) -> httpx.Response:
    got = await resp
    if got.status_code != status:
        raise RuntimeError(f"{what}: {got.status_code} {got.text[:300]}")
    return got


# --- webhook retries ---------------------------------------------------------------------------


async def webhook_retries(stack: TemporalBenchStack, client: Client, http: httpx.AsyncClient,
                          deliveries: int, timeout_s: float) -> dict[str, Any]:
    """The receiver answers 500 to each delivery's first attempt: every delivery becomes a
    `webhook-retry` workflow that sleeps min_backoff, then runs `webhooks.attempt_delivery`."""
    receiver = Receiver(fail_first=True)
    await receiver.start()
    receiver.reset(deliveries)
    config_ids = await create_configs(http, receiver, 1, "retry")
    cpu = stack.cpu_clock()
    try:
        await create_ledger(http, "tpbench")
        await post_bulks(http, "tpbench", deliveries, 50)
        complete = await receiver.wait(timeout_s)
        cpu_pct = cpu.report()
    finally:
        await delete_configs(http, config_ids)
        await receiver.close()
    first: dict[bytes, float] = {}
    retried: list[float] = []
    for r in receiver.requests:
        if r.webhook_id is None:
            continue
        if r.status == 500:
            first[r.webhook_id] = r.arrival
        elif r.webhook_id in first:
            retried.append((r.arrival - first[r.webhook_id]) * 1000)
    ids = {f"webhook-{config_ids[0]}-{wid.decode()}": at for wid, at in first.items()}
    started: dict[str, float] = {}
    metrics = await histories(client, list(ids), started=started)
    # The dispatcher's hand-off: failed first attempt -> retry workflow started.
    handoff = [(started[w] - ids[w]) * 1000 for w in started]
    return {"process": "webhook-retry", "workflows": len(ids), "complete": complete,
            "failed_attempt_to_wf_start_p50_ms": pct(handoff, 0.5),
            "failed_attempt_to_wf_start_p99_ms": pct(handoff, 0.99),
            "failed_attempt_to_retry_arrival_p50_ms": pct(retried, 0.5),
            "failed_attempt_to_retry_arrival_p99_ms": pct(retried, 0.99),
            **metrics, **cpu_pct}


# --- wallet holds --------------------------------------------------------------------------------


async def _wallet(http: httpx.AsyncClient) -> str:
    resp = await _ok(request(http, "POST", "/api/wallets/wallets",
                             json={"name": "bench", "metadata": {}}), 201, "create wallet")
    wallet_id = str(resp.json()["data"]["id"])
    await _ok(http.post(f"/api/wallets/wallets/{wallet_id}/credit", json={
        "amount": {"asset": "USD/2", "amount": 10**15}}), 204, "credit")
    return wallet_id


async def holds(stack: TemporalBenchStack, client: Client, http: httpx.AsyncClient,
                concurrency: int, duration_s: float) -> dict[str, Any]:
    """Each task: pending debit (API -> ledger write -> start `hold-<id>`), then confirm of the
    whole amount (API -> update-with-start -> settle activity -> result), on its own wallet."""
    wallets = [await _wallet(http) for _ in range(concurrency)]
    debits: list[float] = []
    confirms: list[float] = []
    hold_ids: list[str] = []
    errors: list[str] = []
    deadline = time.perf_counter() + duration_s

    async def loop(wallet_id: str) -> None:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            resp = await http.post(f"/api/wallets/wallets/{wallet_id}/debit", json={
                "amount": {"asset": "USD/2", "amount": 100}, "metadata": {}, "pending": True})
            t1 = time.perf_counter()
            if resp.status_code != 201:
                errors.append(f"debit {resp.status_code} {resp.text[:200]}")
                continue
            debits.append((t1 - t0) * 1000)
            hold_id = str(resp.json()["data"]["id"])
            hold_ids.append(hold_id)
            resp = await http.post(f"/api/wallets/holds/{hold_id}/confirm", json={})
            if resp.status_code != 204:
                errors.append(f"confirm {resp.status_code} {resp.text[:200]}")
                continue
            confirms.append((time.perf_counter() - t1) * 1000)

    start = time.perf_counter()
    cpu = stack.cpu_clock()
    await asyncio.gather(*(loop(w) for w in wallets))
    elapsed = time.perf_counter() - start
    cpu_pct = cpu.report()
    step = max(1, len(hold_ids) // HISTORY_SAMPLE)
    sample = [hold_workflow_id(h) for h in hold_ids[::step]]
    return {"process": "wallets-hold", "concurrency": concurrency,
            "elapsed_s": round(elapsed, 1), "errors": len(errors), "error_samples": errors[:3],
            "debit_pending": latency(debits, elapsed), "confirm": latency(confirms, elapsed),
            **await histories(client, sample, after_update=True), **cpu_pct}


# --- ledger pipelines ----------------------------------------------------------------------------


async def pipelines(client: Client, http: httpx.AsyncClient, count: int, actions: int,
                    timeout_s: float) -> dict[str, Any]:
    """`count` pipelines, each to its own http exporter on the receiver, over a ledger with logs:
    create (= workflow start) latency, create -> first batch at the receiver, log date -> export
    arrival for logs written while they run (poll interval 1 s when caught up), and the
    stop/start update round trips."""
    ledger = "plbench"
    receiver = Receiver()
    await receiver.start()
    receiver.reset(10**9)
    await create_ledger(http, ledger)
    await post_bulks(http, ledger, 100, 50)
    created: list[float] = []
    pipeline_ids: list[str] = []
    exporter_ids: list[str] = []
    try:
        first_batch: list[float] = []
        for i in range(count):
            resp = await _ok(request(http, "POST", "/api/ledger/v2/_/exporters", json={
                "driver": "http", "config": {"url": receiver.url(f"/export/{i}")}}),
                201, "create exporter")
            exporter_ids.append(str(resp.json()["data"]["id"]))
        t_created: dict[bytes, float] = {}
        for i, exporter_id in enumerate(exporter_ids):
            t0 = time.perf_counter()
            wall = time.time()
            resp = await _ok(request(http, "POST", f"/api/ledger/v2/{ledger}/pipelines",
                                     json={"exporterID": exporter_id}), 201, "create pipeline")
            created.append((time.perf_counter() - t0) * 1000)
            t_created[f"/export/{i}".encode()] = wall
            pipeline_ids.append(str(resp.json()["data"]["id"]))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                _until(lambda: len({r.path for r in receiver.requests}) >= count), timeout_s)
        seen: set[bytes] = set()
        for r in receiver.requests:
            if r.path in t_created and r.path not in seen:
                seen.add(r.path)
                first_batch.append((r.arrival - t_created[r.path]) * 1000)

        # Logs written while the pipelines run: log date -> arrival at the exporter.
        receiver.reset(10**9)
        for _ in range(5):
            await post_bulks(http, ledger, 10, 10)
            await asyncio.sleep(0.3)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_until(lambda: _exported(receiver) >= count * 50), timeout_s)
        export_lat = []
        for r in receiver.requests:
            for log in orjson.loads(r.body) if r.body else []:
                if isinstance(log, dict) and log.get("date"):
                    export_lat.append((r.arrival - parse_date(log["date"])) * 1000)

        # stop/start round trips (workflow updates through the API), one at a time.
        stops: list[float] = []
        starts: list[float] = []
        t_actions = time.perf_counter()
        for n in range(actions):
            pipeline_id = pipeline_ids[n % len(pipeline_ids)]
            for verb, into in (("stop", stops), ("start", starts)):
                t0 = time.perf_counter()
                await _ok(http.post(f"/api/ledger/v2/{ledger}/pipelines/{pipeline_id}/{verb}"),
                          202, verb)
                into.append((time.perf_counter() - t0) * 1000)
        actions_elapsed = time.perf_counter() - t_actions
        metrics = await histories(client, [pipeline_workflow_id(ledger, p) for p in pipeline_ids])
    finally:
        for pipeline_id in pipeline_ids:
            with contextlib.suppress(httpx.HTTPError):
                await request(http, "DELETE", f"/api/ledger/v2/{ledger}/pipelines/{pipeline_id}")
        await receiver.close()
    return {"process": "ledger-pipeline", "pipelines": count,
            "create": latency(created, sum(created) / 1000),
            "create_to_first_export_p50_ms": pct(first_batch, 0.5),
            "create_to_first_export_p99_ms": pct(first_batch, 0.99),
            "log_to_export_p50_ms": pct(export_lat, 0.5),
            "log_to_export_p99_ms": pct(export_lat, 0.99),
            "stop": latency(stops, actions_elapsed), "start": latency(starts, actions_elapsed),
            **metrics}


def _exported(receiver: Receiver) -> int:
    return sum(len(orjson.loads(r.body)) for r in receiver.requests if r.body)


async def _until(done: Callable[[], bool]) -> None:
    while not done():  # noqa: ASYNC110 - a condition over the receiver's list, no event for it
        await asyncio.sleep(0.1)


# --- all of it -----------------------------------------------------------------------------------


async def run_temporal(stack: TemporalBenchStack, *, duration_s: float = 12.0,
                       concurrency: tuple[int, ...] = (1, 8), retries: int = 50,
                       pipelines_count: int = 4, timeout_s: float = 90.0) -> dict[str, Any]:
    client = await connect(stack.temporal_address)
    rows: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60,
                                 limits=httpx.Limits(max_connections=64)) as http:
        rows.append(await webhook_retries(stack, client, http, retries, timeout_s))
        print(f"  temporal webhook-retry: {rows[-1]['workflows']} workflows", flush=True)
        for level in concurrency:
            rows.append(await holds(stack, client, http, level, duration_s))
            print(f"  temporal holds c={level}: {rows[-1]['debit_pending']['per_s']} debits/s, "
                  f"{rows[-1]['confirm']['per_s']} confirms/s", flush=True)
        rows.append(await pipelines(client, http, pipelines_count, 10, timeout_s))
        print(f"  temporal pipelines: {pipelines_count}", flush=True)
    return {"rows": rows}
