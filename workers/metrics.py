"""Prometheus /metrics of a worker or dispatcher process, on the port its setting names
(WORKER_METRICS_PORT, DISPATCHER_METRICS_PORT; unset: nothing is served).

One endpoint per process serves both our series (prometheus_client's registry) and, for a
worker, the Temporal SDK's own (task latencies, slots, poll counts, workflow completions and
failures by type): the SDK's Rust core serves those on a loopback port of its own, and each
scrape appends them, so a scraper has one target per process."""

from __future__ import annotations

import logging
import socket
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from domain.webhooks.models import Attempt, DeliveryStatus
from storage.webhooks.delivery_queue import DeliveryQueue

log = logging.getLogger("ledgerflow.metrics")

# Outcomes are domain.webhooks.models.AttemptOutcome's three values.
WEBHOOK_ATTEMPTS = Counter("ledgerflow_webhook_attempts", "Webhook delivery attempts",
                           ["outcome"])


def _free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker_runtime(port: int | None) -> Runtime | None:
    """A Temporal runtime exporting the SDK's metrics, with /metrics served on `port`; None
    (the default runtime, no metrics) when `port` is unset."""
    if port is None:
        return None
    sdk = f"127.0.0.1:{_free_loopback_port()}"
    runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(
        bind_address=sdk, durations_as_seconds=True)))
    serve_metrics(port, sdk_address=sdk)
    return runtime


def serve_metrics(port: int, *, sdk_address: str | None = None,
                  host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """Serves GET /metrics on a daemon thread for the life of the process."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            body = generate_latest() + (_sdk_metrics(sdk_address) if sdk_address else b"")
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE_LATEST)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per scrape would drown the process's own log

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("metrics served on :%d/metrics", port)
    return server


def _sdk_metrics(address: str) -> bytes:
    try:
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=2) as response:
            return bytes(response.read())
    except OSError as exc:  # the SDK's exporter starts with the first client; say so, no 500
        return f"# Temporal SDK metrics unavailable: {exc}\n".encode()


class CountedDeliveryQueue(DeliveryQueue):
    """The webhooks delivery queue, counting each attempt it records by outcome: every
    attempt (the dispatcher's first, the retry workflows' later ones) is recorded here once."""

    async def record_attempt(self, attempt: Attempt, status: DeliveryStatus) -> None:
        await super().record_attempt(attempt, status)
        WEBHOOK_ATTEMPTS.labels(attempt.outcome.value).inc()
