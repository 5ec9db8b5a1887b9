"""What the reconciliation module needs from storage and from the other modules' data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from domain.pagination import Page
from domain.reconciliation.alerts import Alert, AlertEvent, AlertEventType, Case
from domain.reconciliation.evaluations import Evaluation
from domain.reconciliation.models import Policy, Reconciliation
from domain.reconciliation.rules import Rule
from domain.reconciliation.templates import Outcome


class Sources(Protocol):
    """Balances of the ledger and of payments pools, read through those modules' own services.
    Missing ledgers and pools raise SourceNotFoundError."""

    async def check_ledger(self, ledger: str) -> None: ...

    async def check_pool(self, pool_id: str) -> None: ...

    async def ledger_balances(self, ledger: str, query: dict[str, Any],
                              at: datetime) -> dict[str, int]: ...

    async def ledger_split(self, ledger: str, query: dict[str, Any], at: datetime
                           ) -> tuple[dict[str, int], dict[str, int]]: ...

    async def pool_balances(self, pool_id: str, at: datetime) -> dict[str, int]: ...


class PoliciesStore(Protocol):
    async def create_policy(self, policy: Policy) -> None: ...

    async def get_policy(self, policy_id: str) -> Policy | None: ...

    async def list_policies(self, offset: int, size: int) -> Page[Policy]: ...

    async def delete_policy(self, policy_id: str) -> bool: ...

    async def save_reconciliation(self, run: Reconciliation) -> None: ...

    async def get_reconciliation(self, run_id: str) -> Reconciliation | None: ...

    async def list_reconciliations(self, offset: int, size: int) -> Page[Reconciliation]: ...


class RulesStore(Protocol):
    async def create_rule(self, rule: Rule) -> None: ...

    async def update_rule(self, rule: Rule) -> bool: ...

    async def get_rule(self, rule_id: str) -> Rule | None: ...

    async def list_rules(self, filters: dict[str, str], offset: int, size: int
                         ) -> Page[Rule]: ...

    async def delete_rule(self, rule_id: str) -> bool: ...


class AlertsStore(Protocol):
    async def save_evaluation(self, evaluation: Evaluation, outcomes: Sequence[Outcome],
                              case: Case) -> Evaluation: ...

    async def get_evaluation(self, evaluation_id: str) -> Evaluation | None: ...

    async def list_evaluations(self, filters: dict[str, str], offset: int, size: int
                               ) -> Page[Evaluation]: ...

    async def get_alert(self, alert_id: str) -> Alert | None: ...

    async def list_alerts(self, filters: dict[str, str], offset: int, size: int
                          ) -> Page[Alert]: ...

    async def alert_events(self, alert_id: str, offset: int, size: int
                           ) -> Page[AlertEvent]: ...

    async def act(self, alert_id: str, action: AlertEventType, body: Any, now: datetime
                  ) -> Alert: ...
