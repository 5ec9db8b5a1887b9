"""A lean HTTP/1.1 keep-alive load generator on raw asyncio streams.

httpx costs ~200 us of CPU per request, which on a 2-core machine would make the generator the
bottleneck; this one spends a few tens of microseconds, and reports its own CPU time so the
report can show it was not the limit."""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

RequestFactory = Callable[[int], tuple[str, str, bytes]]  # worker index -> (method, path, body)


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    expected_errors: int = 0  # e.g. insufficient funds in the hot-account scenario
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    cpu_s: float = 0.0
    error_samples: list[str] = field(default_factory=list)
    items_per_request: int = 1

    def summary(self) -> dict[str, float | int | list[str]]:
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else 0.0

        ok = self.requests - self.errors - self.expected_errors
        return {
            "requests": self.requests,
            "ok": ok,
            "errors": self.errors,
            "expected_errors": self.expected_errors,
            "rps": round(self.requests / self.elapsed_s, 1) if self.elapsed_s else 0,
            "tps": round(ok * self.items_per_request / self.elapsed_s, 1) if self.elapsed_s else 0,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "loadgen_cpu_pct": round(100 * self.cpu_s / self.elapsed_s, 1)
            if self.elapsed_s else 0,
            "elapsed_s": round(self.elapsed_s, 3),
            "error_samples": self.error_samples[:3],
        }


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _worker(index: int, host: str, port: int, make: RequestFactory, deadline: float,
                  result: LoadResult, expected: Callable[[int, bytes], bool]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            method, path, body = make(index)
            request = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
                       f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                       ).encode() + body
            start = time.perf_counter()
            writer.write(request)
            status, payload = await _read_response(reader)
            result.latencies_ms.append((time.perf_counter() - start) * 1000)
            result.requests += 1
            if status >= 300:
                if expected(status, payload):
                    result.expected_errors += 1
                else:
                    result.errors += 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(f"{status} {payload[:200]!r}")
    finally:
        writer.close()


def _never(status: int, body: bytes) -> bool:
    return False


def insufficient_funds(status: int, body: bytes) -> bool:
    try:
        return status == 400 and orjson.loads(body).get("errorCode") == "INSUFFICIENT_FUND"
    except orjson.JSONDecodeError:
        return False


async def run_load(host: str, port: int, make: RequestFactory, *, connections: int,
                   duration_s: float, expected: Callable[[int, bytes], bool] = _never,
                   items_per_request: int = 1) -> LoadResult:
    result = LoadResult(items_per_request=items_per_request)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    deadline = start + duration_s
    await asyncio.gather(*(
        _worker(i, host, port, make, deadline, result, expected) for i in range(connections)
    ))
    result.elapsed_s = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    result.cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return result
