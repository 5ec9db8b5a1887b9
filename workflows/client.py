"""The one way to connect to Temporal: every client, worker and replayer uses the pydantic data
converter, so a model serialised by the API is read back by the workflow unchanged."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter


async def connect(address: str, namespace: str = "default", *, lazy: bool = False) -> Client:
    return await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter, lazy=lazy
    )
