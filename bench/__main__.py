"""`make bench`: benchmarks on an embedded stack of their own; prints a table and writes JSON to
bench/results/. `python -m bench --help` for the knobs (BENCH_ARGS in make)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.ledger_reads import run_reads
from bench.ledger_reads import seed as reads_seed
from bench.ledger_writes import SCENARIOS, run_scenario, seed
from bench.pgbench_reference import run_pgbench
from bench.stack import BenchStack, MemorySampler, tree_cpu_seconds
from bench.temporal_stack import TemporalBenchStack

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def _table(rows: list[dict[str, object]], columns: list[str]) -> str:
    widths = {c: max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)


def ledger_writes(args: argparse.Namespace) -> dict[str, object]:
    stack = BenchStack(ROOT / ".data" / "bench", api_workers=args.api_workers,
                       pool_size=args.pool_size)
    stack.start()
    rows: list[dict[str, object]] = []
    reference: list[dict[str, float]] = []
    try:
        assert stack.pg
        seed(f"http://127.0.0.1:{stack.api_port}")
        assert stack.api
        sampler = MemorySampler(stack.api.pid)
        sampler.start()
        wanted = set(args.scenarios.split(","))
        for scenario in SCENARIOS:
            if scenario.key not in wanted:
                continue
            for connections in args.connections:
                assert stack.pg.process is not None
                cpu = (tree_cpu_seconds(stack.api.pid), tree_cpu_seconds(stack.pg.process.pid))
                row = asyncio.run(run_scenario(scenario, stack.api_port, connections,
                                               args.duration))
                # Where the time goes, per transaction written: the API's Python and
                # PostgreSQL, which share the machine's cores with the load generator.
                written = float(row["tps"]) * float(row["elapsed_s"])  # type: ignore[arg-type]
                if written:
                    row["api_cpu_ms_per_tx"] = round(
                        (tree_cpu_seconds(stack.api.pid) - cpu[0]) * 1000 / written, 3)
                    row["pg_cpu_ms_per_tx"] = round(
                        (tree_cpu_seconds(stack.pg.process.pid) - cpu[1]) * 1000 / written, 3)
                rows.append(row)
                print(_table([row], list(row)[:12]).splitlines()[1], flush=True)
        peak_mb = sampler.stop()
        if not args.no_pgbench:
            for clients in args.connections:
                reference.append(run_pgbench(stack.pg.port, "ledgerflow", clients,
                                             int(args.duration)))
    finally:
        stack.stop()
    best_ref = max((r["tps"] for r in reference), default=0.0)
    for row in rows:
        if best_ref and row["scenario"] in {"a", "b", "c", "d"}:
            row["vs_raw_sql"] = round(float(row["tps"]) / best_ref, 2)  # type: ignore[arg-type]
    return {"api_workers": args.api_workers, "duration_s": args.duration, "rows": rows,
            "pgbench_reference": reference, "api_peak_rss_mb": peak_mb}


def _cpu_columns(rows: object) -> list[str]:
    return sorted({k for row in rows for k in row if k.startswith("cpu_")})  # type: ignore[attr-defined]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def temporal_benchmarks(args: argparse.Namespace, stamp: str) -> None:
    """Webhook deliveries (issue 7) and Temporal paths (issue 9) on one stack with Temporal."""
    from bench.temporal_paths import run_temporal
    from bench.webhooks_deliveries import WEBHOOK_ENV, run_webhooks

    stack = TemporalBenchStack(ROOT / ".data" / "bench-temporal", env=WEBHOOK_ENV)
    stack.start()
    reports: dict[str, dict[str, object]] = {}
    try:
        if args.only in (None, "webhooks"):
            load = _load()
            report = asyncio.run(run_webhooks(stack, configs=args.webhook_configs,
                                              events=args.webhook_events))
            report["load_before"], report["load_after"] = load, _load()
            reports["webhooks"] = report
        if args.only in (None, "temporal"):
            load = _load()
            report = asyncio.run(run_temporal(stack, duration_s=args.temporal_duration))
            report["load_before"], report["load_after"] = load, _load()
            reports["temporal"] = report
    finally:
        stack.stop()
    if "webhooks" in reports:
        report = reports["webhooks"]
        print("\nWebhook deliveries to a local receiver (dispatcher settings: "
              f"{report['settings']}; load {report['load_before']} -> {report['load_after']})")
        print(_table(report["rows"], [  # type: ignore[arg-type]
            "phase", "events", "configs", "delivered", "duplicates", "elapsed_s",
            "deliveries_per_s", "latency_p50_ms", "latency_p99_ms", "write_tps",
            "pg_sessions_opened", "complete"]))
        print("CPU during each phase, % of one core (2 cores in all):")
        print(_table(report["rows"], ["phase", *_cpu_columns(report["rows"])]))  # type: ignore[arg-type]
        out = RESULTS / f"webhooks-{stamp}.json"
        out.write_text(json.dumps(report, indent=2))
        print(f"written: {out.relative_to(ROOT)}")
    if "temporal" in reports:
        report = reports["temporal"]
        rows = report["rows"]
        print(f"\nTemporal paths (dev server; load {report['load_before']} -> "
              f"{report['load_after']})")
        print(_table(rows, [  # type: ignore[arg-type]
            "process", "concurrency", "histories", "start_to_wft_p50_ms", "start_to_wft_p99_ms",
            "act_sched_to_start_p50_ms", "act_sched_to_start_p99_ms", "start_to_act_p50_ms",
            "start_to_act_p99_ms", "all_act_sched_to_start_p99_ms", "timer_slept_p50_ms"]))
        ops = []
        for row in rows:  # type: ignore[attr-defined]
            for op in ("debit_pending", "confirm", "create", "stop", "start"):
                if op in row:
                    ops.append({"process": row["process"], "operation": op,
                                "concurrency": row.get("concurrency", 1), **row[op]})
        print("\nAPI operations")
        print(_table(ops, ["process", "operation", "concurrency", "count", "per_s", "p50_ms",
                           "p99_ms"]))
        print("CPU during the retries and holds runs, % of one core (2 cores in all):")
        print(_table(rows, ["process", "concurrency", *_cpu_columns(rows)]))  # type: ignore[arg-type]
        extra = [{k: v for k, v in row.items() if "arrival" in k or "export" in k or "wf_start" in k
                  or k in ("process", "errors")} for row in rows]  # type: ignore[attr-defined]
        print("\nEnd to end: " + "; ".join(
            ", ".join(f"{k}={v}" for k, v in e.items()) for e in extra if len(e) > 1))
        out = RESULTS / f"temporal-paths-{stamp}.json"
        out.write_text(json.dumps(report, indent=2))
        print(f"written: {out.relative_to(ROOT)}")


def _on_temporal_stack(name: str, run: Callable[[TemporalBenchStack], dict[str, Any]]
                       ) -> dict[str, Any]:
    """Runs one benchmark on a Temporal bench stack of its own (.data/bench-<name>), with the
    machine's load before and after in the report."""
    stack = TemporalBenchStack(ROOT / ".data" / f"bench-{name}")
    stack.start()
    try:
        load = _load()
        report = run(stack)
        report["load_before"], report["load_after"] = load, _load()
    finally:
        stack.stop()
    return report


def _write(report: dict[str, Any], name: str, stamp: str) -> None:
    out = RESULTS / f"{name}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"written: {out.relative_to(ROOT)}")


def payments_ingestion(args: argparse.Namespace, stamp: str) -> None:
    """Issue 16: payments from the fake PSP ingested end to end, then list latency on them."""
    from bench.payments_ingestion import run_payments

    report = _on_temporal_stack("payments", lambda stack: asyncio.run(run_payments(
        stack, payments=args.payments, page_size=args.payments_page_size)))
    ingestion = report["ingestion"]
    print(f"\nPayments ingestion end to end: the generic connector polling the fake PSP "
          f"(load {report['load_before']} -> {report['load_after']})")
    print(_table([ingestion], list(ingestion)))
    print(f"\nPayments API reads on the {ingestion['payments']:,} ingested payments "
          "(one connection)")
    print(_table(report["reads"], ["when", "read", "requests", "p50_ms", "p99_ms", "mean_ms"]))
    _write(report, "payments-ingestion", stamp)


def payments_initiations(args: argparse.Namespace, stamp: str) -> None:
    """Issue 17: payment initiations: create latency, approve to PROCESSED, throughput."""
    from bench.payments_initiations import run_initiations

    report = _on_temporal_stack("initiations", lambda stack: asyncio.run(run_initiations(
        stack, clients=args.initiation_clients, duration_s=args.initiation_duration)))
    print(f"\nPayment initiations with dummypay (load {report['load_before']} -> "
          f"{report['load_after']})")
    print(_table(report["rows"], ["measure", "samples", "p50_ms", "p99_ms", "mean_ms"]))
    print(_table([report["throughput"]], list(report["throughput"])))
    _write(report, "payments-initiations", stamp)


def orchestration_benchmark(args: argparse.Namespace, stamp: str) -> None:
    """Issue 18: flow instances with ?wait=true (1 and N clients), event -> trigger -> instance."""
    from bench.orchestration import run_orchestration

    report = _on_temporal_stack("orchestration", lambda stack: asyncio.run(run_orchestration(
        stack, clients=args.flow_clients, duration_s=args.flow_duration)))
    print(f"\nOrchestration flows (load {report['load_before']} -> {report['load_after']})")
    print(_table(report["rows"], ["measure", "samples", "p50_ms", "p99_ms", "mean_ms"]))
    print(_table([report["throughput"]], list(report["throughput"])))
    _write(report, "orchestration", stamp)


def search_benchmark(args: argparse.Namespace, stamp: str) -> None:
    """Issue 20: search over 1,000,000 indexed documents, and the indexing lag under writes."""
    from bench.search import run_search

    load = _load()
    report = run_search(ROOT / ".data" / "bench-search", args.search_documents,
                        args.search_requests, args.search_lag_duration)
    report["load_before"], report["load_after"] = load, _load()
    print(f"\nSearch on {args.search_documents:,} documents (one connection; load "
          f"{report['load_before']} -> {report['load_after']})")
    print(_table(report["queries"], ["query", "requests", "p50_ms", "p99_ms", "mean_ms",
                                     "hits_per_page"]))
    print("\nIndexing lag while the ledger writes (scenario a, 16 connections)")
    print(_table([report["lag"]], list(report["lag"])))
    print("\nIndexer capacity (a backlog of ledger events, indexed in batches)")
    print(_table([report["capacity"]], list(report["capacity"])))
    _write(report, "search", stamp)


def reconciliation_benchmark(args: argparse.Namespace, stamp: str) -> None:
    """Issue 19: a policy run over 10,000 accounts and 1,000,000 transactions, time to result."""
    from bench.reconciliation import main_async

    report = _on_temporal_stack("reconciliation", lambda stack: main_async(
        stack, accounts=args.recon_accounts, transactions=args.recon_transactions,
        runs=args.recon_runs))
    print(f"\nReconciliation run through the API: a policy matching {report['accounts']:,} "
          f"accounts, {report['transactions']:,} transactions (seeded in SQL in "
          f"{report['seed_s']} s; load {report['load_before']} -> {report['load_after']})")
    print(_table(report["rows"], ["point_in_time", "transactions_before", "runs", "first_ms",
                                  "p50_ms", "min_ms", "max_ms"]))
    _write(report, "reconciliation", stamp)


def ledger_reads(args: argparse.Namespace) -> list[dict[str, object]]:
    stack = BenchStack(ROOT / ".data" / "bench-reads", api_workers=args.api_workers,
                       pool_size=args.pool_size)
    stack.start()
    try:
        assert stack.pg
        started = time.monotonic()
        reads_seed(f"http://127.0.0.1:{stack.api_port}", stack.pg.port, "ledgerflow",
                   args.reads_transactions)
        print(f"seeded {args.reads_transactions:,} transactions in "
              f"{time.monotonic() - started:.0f}s", flush=True)
        return asyncio.run(run_reads(stack.api_port, args.reads_transactions,
                                     min(args.duration, 15.0)))
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per run")
    parser.add_argument("--connections", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 16, 64])
    parser.add_argument("--scenarios", default="a,b,c,d,e")
    parser.add_argument("--api-workers", type=int, default=int(os.environ.get("API_WORKERS", 1)))
    parser.add_argument("--pool-size", type=int, default=40)
    parser.add_argument("--no-pgbench", action="store_true")
    parser.add_argument("--only", choices=["ledger", "hashing", "reads", "numscript", "webhooks",
                                           "temporal", "big-bodies", "payments", "search",
                                           "reconciliation", "payments-initiations",
                                           "orchestration"],
                        default=None)
    parser.add_argument("--search-documents", type=int, default=1_000_000,
                        help="documents seeded into the search index")
    parser.add_argument("--search-requests", type=int, default=200,
                        help="requests per search query shape")
    parser.add_argument("--search-lag-duration", type=float, default=15.0,
                        help="seconds of ledger writes while the search lag is sampled")
    parser.add_argument("--recon-accounts", type=int, default=10_000,
                        help="ledger accounts the reconciliation policy's query matches")
    parser.add_argument("--recon-transactions", type=int, default=1_000_000,
                        help="transactions in the ledger the reconciliation run reads")
    parser.add_argument("--recon-runs", type=int, default=5,
                        help="runs timed per point in time")
    parser.add_argument("--reads-transactions", type=int, default=1_000_000,
                        help="size of the ledger the read benchmark queries")
    parser.add_argument("--webhook-configs", type=int, default=5,
                        help="webhook configs (each event is delivered to each)")
    parser.add_argument("--webhook-events", type=int, default=500,
                        help="events per webhook phase")
    parser.add_argument("--temporal-duration", type=float, default=12.0,
                        help="seconds per holds concurrency level")
    parser.add_argument("--payments", type=int, default=100_000,
                        help="payments the fake PSP serves to the ingestion benchmark")
    parser.add_argument("--payments-page-size", type=int, default=1000,
                        help="the generic connector's pageSize in the ingestion benchmark")
    parser.add_argument("--initiation-clients", type=int, default=32,
                        help="concurrent clients of the payment initiations throughput run")
    parser.add_argument("--initiation-duration", type=float, default=10.0,
                        help="seconds of the payment initiations throughput run")
    parser.add_argument("--flow-clients", type=int, default=32,
                        help="concurrent clients running one-send flow instances")
    parser.add_argument("--flow-duration", type=float, default=10.0,
                        help="seconds of the concurrent flow instances run")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if args.only in (None, "numscript") and (ROOT / "bench" / "numscript_bench.py").exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "numscript_bench.py")], check=True)
    if args.only in (None, "hashing"):
        from bench.hashing_cost import run_hashing

        hashing = run_hashing()
        print("\nLog hash chain, CPU per transaction on the set-based write path:")
        print(_table([hashing], list(hashing)))
        (RESULTS / f"hashing-{stamp}.json").write_text(json.dumps(hashing, indent=2))
    if args.only in (None, "ledger"):
        report = ledger_writes(args)
        columns = ["scenario", "connections", "tps", "p50_ms", "p99_ms", "errors",
                   "expected_errors", "loadgen_cpu_pct", "api_cpu_ms_per_tx",
                   "pg_cpu_ms_per_tx", "vs_raw_sql"]
        print("\nLedger writes through the REST API")
        print(_table(report["rows"], columns))  # type: ignore[arg-type]
        print("\npgbench, the same SQL work without the API:")
        print(_table(report["pgbench_reference"], ["clients", "tps", "latency_avg_ms"]))  # type: ignore[arg-type]
        print(f"\nAPI peak RSS: {report['api_peak_rss_mb']} MB")
        out = RESULTS / f"ledger-writes-{stamp}.json"
        out.write_text(json.dumps(report, indent=2))
        print(f"written: {out.relative_to(ROOT)}")
    if args.only in (None, "reads"):
        rows = ledger_reads(args)
        print(f"\nLedger reads on {args.reads_transactions:,} transactions (1 connection)")
        print(_table(rows, ["read", "requests", "rps", "p50_ms", "p99_ms", "errors"]))
        out = RESULTS / f"ledger-reads-{stamp}.json"
        out.write_text(json.dumps(rows, indent=2))
        print(f"written: {out.relative_to(ROOT)}")
    if args.only in (None, "big-bodies"):
        from bench.big_bodies import run_big_bodies

        bodies = run_big_bodies()
        print(f"\n{bodies['concurrent']} concurrent maximum-size bodies, {bodies['rounds']} rounds "
              "(API RSS, and the stall of a small request made meanwhile)")
        print(_table(bodies["rows"], [
            "shape", "body_bytes", "requests", "statuses", "request_p50_ms", "rss_before_mb",
            "rss_peak_mb", "probe_idle_p50_ms", "probe_p99_ms", "probe_max_ms", "stall_ms"]))
        out = RESULTS / f"big-bodies-{stamp}.json"
        out.write_text(json.dumps(bodies, indent=2))
        print(f"written: {out.relative_to(ROOT)}")
    if args.only in (None, "webhooks", "temporal"):
        temporal_benchmarks(args, stamp)
    if args.only in (None, "payments-initiations"):
        payments_initiations(args, stamp)
    if args.only in (None, "orchestration"):
        orchestration_benchmark(args, stamp)
    if args.only in (None, "payments"):
        payments_ingestion(args, stamp)
    if args.only in (None, "search"):
        search_benchmark(args, stamp)
    if args.only in (None, "reconciliation"):
        reconciliation_benchmark(args, stamp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
