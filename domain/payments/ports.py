"""What the payments service needs from storage (storage/payments/store.py implements it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from domain.pagination import Page
from domain.payments.models import (
    Account,
    Balance,
    Connector,
    Instance,
    Payment,
    PaymentAdjustment,
    Schedule,
    Task,
    TaskStatus,
)


class PaymentsStore(Protocol):
    async def create_connector(self, connector: Connector) -> None: ...

    async def delete_connector(self, connector_id: str) -> None: ...

    async def get_connector(self, connector_id: str) -> Connector | None: ...

    async def list_connectors(self, offset: int, size: int) -> Page[Connector]: ...

    async def start_instance(self, instance_id: str, schedule_id: str, connector_id: str,
                             at: datetime) -> None: ...

    async def finish_instance(self, instance_id: str, error: str | None, at: datetime,
                              window: int) -> int: ...

    async def pause_schedules(self, connector_id: str, reason: str, at: datetime) -> list[str]:
        ...

    async def resume_schedule(self, schedule_id: str) -> None: ...

    async def list_instances(self, schedule_id: str, offset: int,
                             size: int) -> Page[Instance]: ...

    async def copy_connector(self, old: Connector, new_id: str, new_reference: str,
                             at: datetime) -> None: ...

    async def update_config(self, connector_id: str, config: dict[str, Any],
                            updated_at: datetime) -> None: ...

    async def list_schedules(self, connector_id: str, offset: int,
                             size: int) -> Page[Schedule]: ...

    async def get_schedule(self, connector_id: str, schedule_id: str) -> Schedule | None: ...

    async def schedule_for_deletion(self, connector_id: str, task: Task) -> None: ...

    async def get_task(self, task_id: str) -> Task | None: ...

    async def finish_task(self, task_id: str, status: TaskStatus, *, error: str | None = None,
                          created_object_id: str | None = None) -> None: ...

    async def get_account(self, account_id: str) -> Account | None: ...

    async def list_accounts(self, filters: dict[str, str], offset: int,
                            size: int) -> Page[Account]: ...

    async def list_balances(self, account_id: str, asset: str | None, offset: int,
                            size: int) -> Page[Balance]: ...

    async def get_payment(self, payment_id: str) -> Payment | None: ...

    async def list_payments(self, filters: dict[str, str], offset: int,
                            size: int) -> Page[Payment]: ...

    # Ingestion: each call is one transaction holding the items, their outbox events and the
    # fetch state, so a page is stored whole or not at all.
    async def save_page(self, connector_id: str, state_key: str, state: dict[str, Any],
                        accounts: list[Account], balances: list[Balance],
                        payments: list[tuple[Payment, PaymentAdjustment]]) -> int: ...

    async def get_state(self, connector_id: str, state_key: str) -> dict[str, Any] | None: ...

    async def account_references(self, connector_id: str, after: str | None,
                                 limit: int) -> list[tuple[str, str]]: ...

    async def add_schedule(self, connector_id: str, schedule_id: str,
                           created_at: datetime) -> None: ...

    async def schedules(self, connector_id: str) -> list[str]: ...

    async def purge_connector(self, connector_id: str) -> None: ...
