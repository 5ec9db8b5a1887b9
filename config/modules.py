"""The settings of every Temporal-backed module, read once at startup and handed to the API and
the workers together, so both sides agree on task queues and durations."""

from __future__ import annotations

from dataclasses import dataclass, field

from config.ledger import PipelineSettings
from config.orchestration import OrchestrationSettings
from config.payments import PaymentsSettings
from config.reconciliation import ReconciliationSettings
from config.search import SearchSettings
from config.wallets import WalletsSettings
from config.webhooks import WebhooksSettings


@dataclass(frozen=True)
class ModuleSettings:
    wallets: WalletsSettings = field(default_factory=WalletsSettings)
    webhooks: WebhooksSettings = field(default_factory=WebhooksSettings)
    pipelines: PipelineSettings = field(default_factory=PipelineSettings)
    payments: PaymentsSettings = field(default_factory=PaymentsSettings)
    orchestration: OrchestrationSettings = field(default_factory=OrchestrationSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    reconciliation: ReconciliationSettings = field(default_factory=ReconciliationSettings)
