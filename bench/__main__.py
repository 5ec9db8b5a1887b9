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
from pathlib import Path

from bench.ledger_writes import SCENARIOS, run_scenario, seed
from bench.pgbench_reference import run_pgbench
from bench.stack import BenchStack, MemorySampler

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
                row = asyncio.run(run_scenario(scenario, stack.api_port, connections,
                                               args.duration))
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


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per run")
    parser.add_argument("--connections", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 16, 64])
    parser.add_argument("--scenarios", default="a,b,c,d,e")
    parser.add_argument("--api-workers", type=int, default=int(os.environ.get("API_WORKERS", 1)))
    parser.add_argument("--pool-size", type=int, default=40)
    parser.add_argument("--no-pgbench", action="store_true")
    parser.add_argument("--only", choices=["ledger", "numscript"], default=None)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if args.only in (None, "numscript") and (ROOT / "bench" / "numscript_bench.py").exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "numscript_bench.py")], check=True)
    if args.only in (None, "ledger"):
        report = ledger_writes(args)
        columns = ["scenario", "connections", "tps", "p50_ms", "p99_ms", "errors",
                   "expected_errors", "loadgen_cpu_pct", "vs_raw_sql"]
        print("\nLedger writes through the REST API")
        print(_table(report["rows"], columns))  # type: ignore[arg-type]
        print("\npgbench, the same SQL work without the API:")
        print(_table(report["pgbench_reference"], ["clients", "tps", "latency_avg_ms"]))  # type: ignore[arg-type]
        print(f"\nAPI peak RSS: {report['api_peak_rss_mb']} MB")
        out = RESULTS / f"ledger-writes-{stamp}.json"
        out.write_text(json.dumps(report, indent=2))
        print(f"written: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
