"""What the PSU service needs: storage (storage/payments/psu_store.py) and the open-banking
workflows (api/payments/psu_temporal.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.pagination import Page
from domain.payments.models import Task
from domain.payments.psu import Connection, LinkAttempt, PaymentServiceUser


class PSUStore(Protocol):
    async def create_psu(self, psu: PaymentServiceUser) -> None: ...

    async def get_psu(self, psu_id: str) -> PaymentServiceUser | None: ...

    async def list_psus(self, offset: int, size: int) -> Page[PaymentServiceUser]: ...

    async def add_bank_account(self, psu_id: str, bank_account_id: str,
                               at: datetime) -> None: ...

    async def add_connector(self, psu_id: str, connector_id: str, at: datetime) -> None: ...

    async def has_connector(self, psu_id: str, connector_id: str) -> bool: ...

    async def create_attempt(self, attempt: LinkAttempt) -> None: ...

    async def get_attempt(self, attempt_id: str) -> LinkAttempt | None: ...

    async def set_link(self, attempt_id: str, link: str) -> None: ...

    async def finish_attempt(self, attempt: LinkAttempt,
                             connection: Connection | None) -> LinkAttempt:
        """The attempt completed (its connection saved) or exited, with its event; one
        finished before stays as it was."""
        ...

    async def list_attempts(self, psu_id: str, connector_id: str, offset: int,
                            size: int) -> Page[LinkAttempt]: ...

    async def get_connection(self, connection_id: str) -> Connection | None: ...

    async def list_connections(self, psu_id: str, connector_id: str | None, offset: int,
                               size: int) -> Page[Connection]: ...

    async def open_task(self, task: Task) -> None: ...

    async def delete_open_banking(self, psu_id: str, connector_id: str | None,
                                  connection_id: str | None) -> None:
        """Deletes the connection, or the PSU's connections and registration on the
        connector, or (neither given) the PSU with everything it has; with its event."""
        ...


class OpenBankingWorkflows(Protocol):
    async def link(self, attempt: LinkAttempt, callback_url: str) -> str:
        """Starts the attempt's link flow; the link the user follows."""
        ...

    async def complete(self, attempt: LinkAttempt) -> LinkAttempt: ...

    async def delete(self, task: Task, psu_id: str, connector_id: str | None,
                     connection_id: str | None) -> None: ...
