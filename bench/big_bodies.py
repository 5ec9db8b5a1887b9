"""Eight concurrent maximum-size request bodies against one API process (issue 14): the API's
peak RSS, and how long a small request made meanwhile waits (the event loop is shared).

Shapes, each as large as the limits allow (LIMIT_* settings, README; the defaults unless set in
the environment): a bulk of transactions (up to LIMIT_POSTINGS_PER_TRANSACTION postings each)
filling LIMIT_BODY_BYTES, the costliest body there is per byte; bulks of a quarter of
LIMIT_BODY_BYTES_IN_FLIGHT, four of which are served at once; one transaction whose metadata
fills the body; and bodies ten times over the limit, streamed without a Content-Length (refused
while they stream). A probe process sends a small request (`GET /api/ledger/_/info`, no
database) every 20 ms throughout; its worst latency above its idle median is the stall.

`python -m bench --only big-bodies`, or `python -m bench.big_bodies` alone."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

from bench.stack import BenchStack
from config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
LEDGER = "big"
CONCURRENT = int(os.environ.get("BIG_BODIES_CONCURRENT", 8))
ROUNDS = int(os.environ.get("BIG_BODIES_ROUNDS", 3))
# The limits the API runs with: the defaults unless set in the environment (BenchStack passes
# it on to the API).
BODY_LIMIT = int(os.environ.get("LIMIT_BODY_BYTES",
                                Settings.model_fields["limit_body_bytes"].default))
POSTINGS = int(os.environ.get("LIMIT_POSTINGS_PER_TRANSACTION",
                              Settings.model_fields["limit_postings_per_transaction"].default))
IN_FLIGHT = int(os.environ.get("LIMIT_BODY_BYTES_IN_FLIGHT",
                               Settings.model_fields["limit_body_bytes_in_flight"].default))
VALUE_CHARS = int(os.environ.get(
    "LIMIT_METADATA_VALUE_CHARS", Settings.model_fields["limit_metadata_value_chars"].default))


@dataclass
class PeakSampler:
    """Peak RSS of one process, every 10 ms (a 100 ms period misses short peaks)."""

    pid: int
    baseline_mb: float = 0.0
    peak_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.baseline_mb = self.peak_mb = self._rss()
        threading.Thread(target=self._run, daemon=True).start()

    def _rss(self) -> float:
        return float(psutil.Process(self.pid).memory_info().rss) / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak_mb = max(self.peak_mb, self._rss())
            time.sleep(0.01)

    def stop(self) -> float:
        self._stop.set()
        return round(self.peak_mb, 1)


def bulk_of_postings(round_: int, request: int, size: int = 0, tag: str = "") -> bytes:
    """Transactions of up to POSTINGS postings to distinct accounts, as many postings as fit in
    `size` bytes (the body limit by default)."""
    size = size or BODY_LIMIT

    def element(n: int, count: int) -> dict[str, Any]:
        return {"action": "CREATE_TRANSACTION", "data": {"postings": [
            {"source": "world", "destination": f"r{round_}{tag}:q{request}:t{n}:a{i}",
             "amount": 1, "asset": "USD"} for i in range(count)]}}

    def fits(doc: list[dict[str, Any]]) -> bool:
        return len(orjson.dumps(doc)) <= size

    elements: list[dict[str, Any]] = []
    while fits([*elements, element(len(elements), 1)]):
        low, high = 1, POSTINGS  # the most postings the next element can take
        while low < high:
            mid = (low + high + 1) // 2
            low, high = (mid, high) if fits([*elements, element(len(elements), mid)]) \
                else (low, mid - 1)
        elements.append(element(len(elements), low))
    return orjson.dumps(elements)


def bulk_quarter(round_: int, request: int) -> bytes:
    """Bodies of a quarter of the in-flight budget (api/input_guard.py): four run at once."""
    return bulk_of_postings(round_, request, IN_FLIGHT // 4, "s")


def metadata_filled(round_: int, request: int) -> bytes:
    """One transaction whose metadata (values of the largest size allowed) fills the limit."""
    keys = BODY_LIMIT // (VALUE_CHARS + 16)
    return orjson.dumps({"postings": [{"source": "world", "destination": f"m:{round_}:{request}",
                                       "amount": 1, "asset": "USD"}],
                         "metadata": {f"k{i}": "x" * VALUE_CHARS for i in range(keys)}})


SHAPES: dict[str, tuple[str, Callable[[int, int], bytes]]] = {
    "bulk of postings filling the body": (f"/api/ledger/v2/{LEDGER}/_bulk", bulk_of_postings),
    "bulk of postings, a quarter of LIMIT_BODY_BYTES_IN_FLIGHT":
        (f"/api/ledger/v2/{LEDGER}/_bulk", bulk_quarter),
    "one transaction, metadata filling the body":
        (f"/api/ledger/v2/{LEDGER}/transactions", metadata_filled),
}


async def _over_limit_stream() -> AsyncIterator[bytes]:
    yield b'{"postings": [], "metadata": {"k": "'
    for _ in range(10 * BODY_LIMIT // 65536):
        yield b"x" * 65536
    yield b'"}}'


# The probe runs in a process of its own: in this one, sending the big bodies would delay it too.
PROBE = """
import json, os, sys, time
import httpx
base, path, stop = sys.argv[1:4]
out = []
with httpx.Client(base_url=base, timeout=120) as http:
    while not os.path.exists(stop):
        started = time.perf_counter()
        r = http.get(path)
        out.append([time.monotonic(), (time.perf_counter() - started) * 1000, r.status_code])
        time.sleep(0.02)
print(json.dumps(out))
"""


class Probe:
    def __init__(self, base: str) -> None:
        import subprocess
        import sys
        import tempfile

        self.stop_file = Path(tempfile.mkdtemp()) / "stop"
        self.process = subprocess.Popen(
            [sys.executable, "-c", PROBE, base, "/api/ledger/_/info", str(self.stop_file)],
            stdout=subprocess.PIPE)

    def finish(self) -> list[tuple[float, float, int]]:
        self.stop_file.touch()
        out, _ = self.process.communicate(timeout=120)
        return [tuple(x) for x in json.loads(out)]


async def _big(http: httpx.AsyncClient, path: str, body: bytes | None) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        if body is None:
            r = await http.post(path, content=_over_limit_stream(),
                                headers={"Content-Type": "application/json"})
        else:
            r = await http.post(path, content=body, headers={"Content-Type": "application/json"})
        status = r.status_code
    except httpx.HTTPError:  # the server may close while the client is still sending
        status = 0
    return status, (time.perf_counter() - started) * 1000


async def run_shape(base: str, pid: int, name: str, path: str,
                    make: Callable[[int, int], bytes] | None) -> dict[str, Any]:
    bodies = [[make(r, q) if make else b"" for q in range(CONCURRENT)] for r in range(ROUNDS)]
    probe = Probe(base)
    await asyncio.sleep(1.5)
    load_started = time.monotonic()
    sampler = PeakSampler(pid)
    sampler.start()
    statuses: dict[int, int] = {}
    durations: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=300,
                                 limits=httpx.Limits(max_connections=CONCURRENT)) as http:
        for round_ in range(ROUNDS):
            done = await asyncio.gather(*(
                _big(http, path, bodies[round_][q] if make else None)
                for q in range(CONCURRENT)))
            for status, ms in done:
                statuses[status] = statuses.get(status, 0) + 1
                durations.append(ms)
    load_ended = time.monotonic()
    samples = probe.finish()
    idle = [ms for at, ms, _ in samples if at < load_started]
    busy = [ms for at, ms, _ in samples if load_started <= at + ms / 1000 and at <= load_ended]
    assert all(status == 200 for _, _, status in samples)
    baseline = statistics.median(idle)
    peak = sampler.stop()
    return {
        "shape": name,
        "body_bytes": len(bodies[0][0]) if make else 10 * BODY_LIMIT,
        "requests": CONCURRENT * ROUNDS, "statuses": statuses,
        "request_p50_ms": round(statistics.median(durations)),
        "request_max_ms": round(max(durations)),
        "rss_before_mb": round(sampler.baseline_mb, 1), "rss_peak_mb": peak,
        "probe_idle_p50_ms": round(baseline, 1),
        "probe_p99_ms": round(statistics.quantiles(busy, n=100, method="inclusive")[98], 1)
        if len(busy) > 1 else None,
        "probe_max_ms": round(max(busy), 1),
        "stall_ms": round(max(busy) - baseline, 1),
    }


def run_big_bodies() -> dict[str, Any]:
    stack = BenchStack(ROOT / ".data" / "bench-big-bodies")
    stack.start()
    try:
        assert stack.api
        base = f"http://127.0.0.1:{stack.api_port}"
        resp = httpx.post(f"{base}/api/ledger/v2/{LEDGER}", json={}, timeout=30)
        assert resp.status_code == 204, resp.text
        rows = []
        for name, (path, make) in SHAPES.items():
            rows.append(asyncio.run(run_shape(base, stack.api.pid, name, path, make)))
            print(f"  {rows[-1]['shape']}: peak RSS {rows[-1]['rss_peak_mb']} MB, "
                  f"stall {rows[-1]['stall_ms']} ms", flush=True)
        rows.append(asyncio.run(run_shape(
            base, stack.api.pid, "10x the limit, chunked (refused while streaming)",
            f"/api/ledger/v2/{LEDGER}/transactions", None)))
        print(f"  {rows[-1]['shape']}: stall {rows[-1]['stall_ms']} ms", flush=True)
    finally:
        stack.stop()
    return {"concurrent": CONCURRENT, "rounds": ROUNDS, "body_limit": BODY_LIMIT,
            "in_flight": IN_FLIGHT, "load_average": os.getloadavg(), "rows": rows}


if __name__ == "__main__":
    print(json.dumps(run_big_bodies(), indent=2))
