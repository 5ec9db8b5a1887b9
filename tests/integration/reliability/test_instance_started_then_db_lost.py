"""Found by `make chaos outbox`: PostgreSQL killed between a flow instance's workflow start and
the read of its row answered 503 "database unavailable, retry" for an instance that existed and
ran; the client, told to retry, started a second instance and its send stage paid twice. Once
the workflow is started, the answer is the instance as created, never a "retry"."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from api.orchestration.temporal import run_instance
from domain.availability import DatabaseUnavailableError
from domain.orchestration.models import Instance, Workflow

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class _Service:
    def __init__(self) -> None:
        self.forgotten: list[str] = []
        self.store = SimpleNamespace(forget_instance=self._forget)

    async def _forget(self, instance_id: str) -> None:
        self.forgotten.append(instance_id)

    async def new_instance(self, workflow_id: str, variables: dict[str, str]) -> Instance:
        return Instance(id="i-1", workflow_id=workflow_id, created_at=NOW, updated_at=NOW)

    async def get_instance(self, instance_id: str) -> Instance:
        raise DatabaseUnavailableError()


class _Temporal:
    def __init__(self) -> None:
        self.started: list[Any] = []

    async def start(self, spec: Any, task_queue: str, **_: Any) -> bool:
        self.started.append(spec)
        return True


def _deps(temporal: _Temporal) -> Any:
    orchestration = SimpleNamespace(max_pending_events=10, task_queue="q",
                                    payment_poll_interval=SimpleNamespace(
                                        total_seconds=lambda: 5.0))
    return SimpleNamespace(temporal=temporal, modules=SimpleNamespace(
        wallets=SimpleNamespace(ledger="wallets"), orchestration=orchestration))


async def test_the_started_instance_is_answered_not_a_retry() -> None:
    temporal, service = _Temporal(), _Service()
    workflow = Workflow(id="w-1", stages=[{"noop": {}}], created_at=NOW, updated_at=NOW)
    instance = await run_instance(_deps(temporal), service, workflow,  # type: ignore[arg-type]
                                  {"user": "u"}, wait=False)
    assert instance.id == "i-1" and not instance.terminated
    assert len(temporal.started) == 1
    assert service.forgotten == []  # the row stays: its workflow runs
