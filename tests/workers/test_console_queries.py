"""Every list-filter query of the README's "Temporal UI as a console" table is accepted by a real
Temporal server (the session's dev server, with our search attributes): a misspelt attribute,
a wrong quote or an unknown operator makes the server refuse the query, and this test fail.
A query naming a real started workflow finds it, so the attribute values are the real ones."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from tests.workflows.takeover_worker import WORKFLOW, Work
from workflows import search_attributes

README = Path(__file__).resolve().parents[2] / "README.md"


def console_queries() -> list[str]:
    text = README.read_text()
    section = text.split("## The Temporal UI as a console", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\|[^|]+\| `([^`]+)` \|$", section, re.MULTILINE)


def test_the_readme_has_queries_for_each_module_with_workflows() -> None:
    queries = " ".join(console_queries())
    for workflow_type in ("wallets-hold", "webhook-retry", "payments-fetch", "ledger-pipeline"):
        assert f"WorkflowType = '{workflow_type}'" in queries


@pytest.mark.parametrize("query", console_queries())
async def test_each_query_is_accepted_by_temporal(temporal_env: Any, query: str) -> None:
    async for _ in temporal_env.client.list_workflows(query, limit=1):
        break


async def test_a_query_by_business_id_finds_the_workflow(temporal_env: Any) -> None:
    wallet = f"wallet-{uuid.uuid4()}"
    client = temporal_env.client
    # Started on a queue nobody polls: only its visibility record matters here.
    handle = await client.start_workflow(
        WORKFLOW, Work(marker="unused"), id=f"console-{uuid.uuid4()}",
        task_queue=f"console-{uuid.uuid4()}",
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(search_attributes.WALLET_ID, wallet),
            SearchAttributePair(search_attributes.STATUS, "OPEN")]))
    try:
        query = next(q for q in console_queries() if "LedgerflowWalletId" in q)
        query = query.replace("'wallets-hold'", f"'{WORKFLOW}'").replace("<wallet id>", wallet)
        found: list[str] = []
        for _ in range(50):  # visibility is eventually consistent
            found = [w.id async for w in client.list_workflows(query)]
            if found:
                break
            await asyncio.sleep(0.2)
        assert found == [handle.id]
    finally:
        await handle.terminate()
