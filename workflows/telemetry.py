"""What every Temporal client of ours carries besides the data converter (workflows/client.py):
a count of workflow starts by type and outcome, and, when tracing is configured, temporalio's
OpenTelemetry interceptor, so a trace runs from the HTTP request through the workflow start to
the workflow and its activities (the interceptor of a client is also its workers').

Tracing is off unless configured (OTEL_EXPORTER_OTLP_ENDPOINT, or a test's exporter); the
tracer is ours, not OpenTelemetry's process-global one, so configuring it again replaces it."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Tracer
from prometheus_client import Counter, disable_created_metrics
from temporalio.client import (
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    StartWorkflowUpdateWithStartInput,
    WorkflowHandle,
    WorkflowUpdateHandle,
)
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.exceptions import WorkflowAlreadyStartedError

# No `*_created` series beside each counter: twice the series for a value nobody graphs.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Label values are workflow type names (a fixed set in the code) and three outcomes.
WORKFLOW_STARTS = Counter(
    "ledgerflow_workflow_starts", "Workflow starts requested by this process",
    ["workflow_type", "outcome"])  # started | already_started | failed

_tracer: Tracer | None = None
_provider: TracerProvider | None = None


def configure_tracing(service: str, endpoint: str | None, *,
                      exporter: SpanExporter | None = None) -> bool:
    """Export spans to `endpoint` (OTLP/HTTP) or to `exporter`; neither: tracing stays off.
    Call before connecting: a client takes its interceptors when it connects."""
    global _tracer, _provider
    if exporter is None and not endpoint:
        return False
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=f"{str(endpoint).rstrip('/')}/v1/traces")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    if _provider is not None:
        _provider.shutdown()
    _provider, _tracer = provider, provider.get_tracer("ledgerflow")
    return True


def disable_tracing() -> None:
    """Flushes and stops the exporter (tests; a process exiting)."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _provider = _tracer = None


def flush_traces() -> None:
    if _provider is not None:
        _provider.force_flush()


def tracer() -> Tracer | None:
    return _tracer


def client_interceptors() -> list[Interceptor]:
    interceptors: list[Interceptor] = [_CountStarts()]
    if _tracer is not None:
        interceptors.append(TracingInterceptor(_tracer))
    return interceptors


class _CountStarts(Interceptor):
    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _CountingOutbound(next)


class _CountingOutbound(OutboundInterceptor):
    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        try:
            handle = await super().start_workflow(input)
        except BaseException as exc:
            _count(input.workflow, exc)
            raise
        _count(input.workflow, None)
        return handle

    async def start_update_with_start_workflow(
            self, input: StartWorkflowUpdateWithStartInput) -> WorkflowUpdateHandle[Any]:
        # Counted as a start attempt: the server starts the workflow only when none is open.
        workflow = input.start_workflow_input.workflow
        try:
            handle = await super().start_update_with_start_workflow(input)
        except BaseException as exc:
            _count(workflow, exc)
            raise
        _count(workflow, None)
        return handle


def _count(workflow: str, error: BaseException | None) -> None:
    outcome = ("started" if error is None else
               "already_started" if isinstance(error, WorkflowAlreadyStartedError) else "failed")
    WORKFLOW_STARTS.labels(workflow, outcome).inc()
