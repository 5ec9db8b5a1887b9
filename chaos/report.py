"""The figures of a run, printed as the README's Reliability section quotes them, and the RSS
sampler of the soak."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from chaos.checks import slowest_after_kills, summary, takeover_times

if TYPE_CHECKING:
    from chaos.scenario import Run

WINDOW = 30.0


async def sample_rss(run: Run, stop: asyncio.Event, every: float = 10.0) -> None:
    samples: list[tuple[float, dict[str, float]]] = run.notes.setdefault("rss", [])
    while not stop.is_set():
        samples.append((time.monotonic(), run.stack.rss_mb()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def print_run(name: str, run: Run, violations: dict[str, int], started: float,
              clients: int) -> None:
    load = run.load
    notes = run.notes
    print(f"\n== chaos {name}: {clients} clients, {notes['load_s']:.0f} s of load, "
          f"settled in {notes['settle_s']:.0f} s, {notes['total_s']:.0f} s in all; "
          f"faults: {dict(run.stack.restarts)}")
    print("| operation | sent | completed | refused | unknown | retried | p50 s | p99 s | 5xx |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, t in sorted(load.tallies.items()):
        if kind == "setup":
            continue
        print(f"| {kind} | {t.sent} | {t.completed} | {t.refused} | {t.unknown} | {t.retried} "
              f"| {_p(t.latencies, 0.5):.2f} | {_p(t.latencies, 0.99):.2f} "
              f"| {sum(t.errors_5xx.values())} |")
    for kind, t in sorted(load.tallies.items()):
        for body, n in t.errors_5xx.most_common(5):
            print(f"  5xx {kind} x{n}: {body}")
        for what, n in t.other.most_common(5):
            print(f"  other {kind} x{n}: {what}")
    if run.kills:
        print(f"takeover after each kill: {summary(takeover_times(load, run.kills))}; "
              f"waited on: {slowest_after_kills(load, run.kills)}")
        for kind in sorted({op.kind for op in load.ops} - {"ledger write"}):
            print(f"  takeover, {kind} in flight: "
                  f"{summary(takeover_times(load, run.kills, kind))}")
    extra = {k: v for k, v in load.setup.items()
             if k.startswith(("webhook ", "provider", "pipeline"))}
    print(f"counts: {extra}")
    for key, value in notes.items():
        if key not in ("rss", "load_s", "settle_s", "total_s"):
            print(f"{key}: {value}")
    _windows(load.completions, started)
    _rss(notes.get("rss", []))
    print(f"log lines with a Traceback: {run.stack.log_lines('Traceback')}")
    print("invariants (violations):")
    for what, n in violations.items():
        print(f"  {what}: {n}")


def _windows(completions: list[tuple[float, str]], started: float) -> None:
    per: dict[int, Counter[str]] = {}
    for at, kind in completions:
        per.setdefault(int((at - started) // WINDOW), Counter())[kind] += 1
    if len(per) < 2:
        return
    print(f"completed per {WINDOW:.0f} s window: " + "; ".join(
        f"{int(w * WINDOW)}s: {sum(c.values())}" for w, c in sorted(per.items())))


def _rss(samples: list[tuple[float, dict[str, Any]]]) -> None:
    if len(samples) < 3:
        return
    third = max(1, len(samples) // 3)
    first, last = samples[:third], samples[-third:]
    names = sorted({n for _, s in samples for n in s})
    parts = []
    for n in names:
        a = [s[n] for _, s in first if n in s]
        b = [s[n] for _, s in last if n in s]
        if a and b:
            parts.append(f"{n} {sum(a) / len(a):.0f} -> {sum(b) / len(b):.0f} MB")
    print("RSS, first third -> last third: " + ", ".join(parts))
