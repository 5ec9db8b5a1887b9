"""The one way to connect to Temporal: every client, worker and replayer uses the pydantic data
converter, so a model serialised by the API is read back by the workflow unchanged; and every
client carries the interceptors of workflows/telemetry.py (start counts, traces when on)."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from workflows.telemetry import client_interceptors


async def connect(address: str, namespace: str = "default", *, lazy: bool = False,
                  runtime: Runtime | None = None) -> Client:
    """`runtime`: a worker's, exporting the SDK's metrics (workers/metrics.py)."""
    return await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter, lazy=lazy,
        interceptors=client_interceptors(), runtime=runtime,
    )
