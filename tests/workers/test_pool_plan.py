"""What a worker pool polls and how hard (workers/pool.py): queues by name or group, per-queue
concurrency and rate limits from the settings, --queues/--concurrency overriding them, and
mistakes refused with the name that is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from config.settings import Settings
from workers.pool import QueueLimits, named_queues, plan
from workflows import task_queues


def test_queues_by_group_or_full_name_and_the_settings_limits() -> None:
    settings = Settings(worker_task_queues="payments, ledgerflow-webhooks",
                        worker_concurrency=50, worker_queue_concurrency="webhooks=8",
                        worker_queue_rate_limits="payments=2.5", worker_drain_grace_seconds=45)
    pool = plan(settings)
    assert pool.queues == [task_queues.PAYMENTS, task_queues.WEBHOOKS]
    assert pool.limits == {task_queues.PAYMENTS: QueueLimits(50, 2.5),
                           task_queues.WEBHOOKS: QueueLimits(8, None)}
    assert pool.grace == timedelta(seconds=45)
    assert pool.worker_kwargs(task_queues.PAYMENTS) == {
        "max_concurrent_activities": 50, "max_task_queue_activities_per_second": 2.5,
        "graceful_shutdown_timeout": timedelta(seconds=45)}


def test_the_command_line_overrides_queues_and_concurrency() -> None:
    settings = Settings(worker_task_queues="all", worker_queue_concurrency="webhooks=8",
                        worker_queue_rate_limits="webhooks=10")
    pool = plan(settings, queues="webhooks,wallets", concurrency=3)
    assert pool.queues == [task_queues.WEBHOOKS, task_queues.WALLETS]
    # --concurrency is the figure for every queue of this process; rate limits still apply.
    assert pool.limits[task_queues.WEBHOOKS] == QueueLimits(3, 10.0)
    assert pool.limits[task_queues.WALLETS] == QueueLimits(3, None)


def test_configured_queues_are_known_too() -> None:
    pool = plan(Settings(), ["payments-test-1"], queues="payments-test-1")
    assert pool.queues == ["payments-test-1"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"worker_task_queues": "paymnts"}, "unknown task queue 'paymnts'"),
    ({"worker_task_queues": " , "}, "no task queue selected"),
    ({"worker_queue_concurrency": "payments"}, "WORKER_QUEUE_CONCURRENCY: 'payments'"),
    ({"worker_queue_rate_limits": "payments=0"}, "WORKER_QUEUE_RATE_LIMITS: 'payments=0'"),
    ({"worker_queue_rate_limits": "nowhere=3"}, "unknown task queue 'nowhere'"),
])
def test_mistakes_are_refused_by_name(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan(Settings(**kwargs))  # type: ignore[arg-type]


def test_the_worker_command_refuses_an_unknown_queue_before_connecting_anywhere() -> None:
    # Nothing listens on these: a refusal that tried to connect would fail differently.
    env = {**os.environ, "DATABASE_URL": "postgresql://x@127.0.0.1:1/x",
           "TEMPORAL_ADDRESS": "127.0.0.1:2"}
    proc = subprocess.run([sys.executable, "-m", "workers", "worker", "--queues", "paymnts"],
                          cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "ledgerflow: unknown task queue 'paymnts'; known: ledgerflow-ledger" in proc.stderr


def test_doctor_checks_queues_as_named_resolving_only_our_groups() -> None:
    assert named_queues("payments, someone-elses-queue,ledgerflow-webhooks") == [
        task_queues.PAYMENTS, "someone-elses-queue", task_queues.WEBHOOKS]
