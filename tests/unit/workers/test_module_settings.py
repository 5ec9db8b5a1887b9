"""Module settings (config/<m>.py) agree with the names the rest of the code relies on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config import wallets
from config.ledger import PipelineSettings
from config.modules import ModuleSettings
from domain.wallets.models import DEFAULT_LEDGER
from workflows import task_queues


def test_config_defaults_match_the_domain_and_the_reserved_queues() -> None:
    # config imports nothing of ours, so the wallets ledger's default is written twice.
    assert wallets.DEFAULT_LEDGER == DEFAULT_LEDGER
    modules = ModuleSettings()
    assert modules.wallets.task_queue == task_queues.WALLETS
    assert modules.webhooks.task_queue == task_queues.WEBHOOKS
    assert modules.pipelines.task_queue == task_queues.LEDGER


def test_pipeline_durations_and_queue_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERFLOW_PIPELINES_POLL_INTERVAL", "0.2")
    monkeypatch.setenv("LEDGERFLOW_PIPELINES_TASK_QUEUE", "ledger-blue")
    settings = PipelineSettings()
    assert settings.poll_interval == timedelta(milliseconds=200)
    assert settings.task_queue == "ledger-blue"
