"""What each task queue runs. Every process package adds its entry here: the one place where
workflows meet the activity implementations (and through them, storage and the network)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from config.settings import Settings
from storage.database import Database


@dataclass
class Registration:
    workflows: list[type] = field(default_factory=list)
    activities: list[Callable[..., Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.workflows or self.activities)


def registrations(settings: Settings, database: Database) -> dict[str, Registration]:
    """Task queue -> what a worker on it runs. Queues without anything yet are absent."""
    regs: dict[str, Registration] = {}
    for contribute in _contributors():
        for queue, reg in contribute(settings, database).items():
            target = regs.setdefault(queue, Registration())
            target.workflows += reg.workflows
            target.activities += reg.activities
    return {q: r for q, r in regs.items() if r}


def _contributors() -> Sequence[Callable[[Settings, Database], dict[str, Registration]]]:
    # Each process package contributes a function `(settings, database) -> {queue: Registration}`.
    # Add yours to this list.
    from workers.dispatcher import register as webhooks
    from workers.ledger_pipelines import register as ledger_pipelines
    from workers.wallets import register as wallets

    return [webhooks, wallets, ledger_pipelines]
