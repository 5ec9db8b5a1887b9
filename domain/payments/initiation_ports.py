"""What the payment initiations service needs: storage (storage/payments/initiations_store.py)
and the initiation workflows (api/payments/initiations_temporal.py sends them as Temporal
starts and updates)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.pagination import Page
from domain.payments.initiation_requests import ReversalRequest
from domain.payments.initiations import InitiationAdjustment, PaymentInitiation, Reversal
from domain.payments.models import Payment, PaymentAdjustment, Task


class InitiationsStore(Protocol):
    async def create_initiation(self, initiation: PaymentInitiation,
                                first: InitiationAdjustment) -> PaymentInitiation:
        """The initiation stored with its first adjustment and SAVED_PAYMENT_INITIATION; one
        stored before under the same id is returned as it is (nothing written)."""
        ...

    async def get_initiation(self, initiation_id: str) -> PaymentInitiation | None: ...

    async def list_initiations(self, filters: dict[str, str], offset: int,
                               size: int) -> Page[PaymentInitiation]: ...

    async def list_adjustments(self, initiation_id: str, offset: int,
                               size: int) -> Page[InitiationAdjustment]: ...

    async def list_related_payments(self, initiation_id: str, offset: int,
                                    size: int) -> Page[Payment]: ...

    async def add_adjustment(self, adjustment: InitiationAdjustment, *,
                             open_task: Task | None = None,
                             finish_task: Task | None = None) -> None:
        """Appends the adjustment (skipped if its id exists: a retried activity) and moves
        the initiation's status to it, opening or finishing a task in the same transaction."""
        ...

    async def delete_initiation(self, initiation_id: str, cancelled_task: str | None) -> None:
        ...

    async def create_reversal(self, reversal: Reversal, adjustment: InitiationAdjustment,
                              task: Task) -> None: ...

    async def get_reversal(self, reversal_id: str) -> Reversal | None: ...

    async def finish_reversal(self, reversal: Reversal, adjustment: InitiationAdjustment,
                              task: Task) -> None: ...

    # The provider send of one attempt, recorded around the call (exactly once per attempt).
    async def begin_send(self, initiation_id: str, attempt: int, key: str,
                         at: datetime) -> str | None:
        """Records the attempt as sending (once); the payment id it produced if it was sent."""
        ...

    async def finish_send(self, initiation_id: str, attempt: int, payment: Payment,
                          adjustment: PaymentAdjustment) -> None:
        """Stores the provider's payment, links it to the initiation (related payment) and
        marks the attempt sent, in one transaction."""
        ...

    async def payment_status(self, payment_id: str) -> str | None:
        """The stored payment's status (its connector's fetches keep it up to date)."""
        ...

    async def reserve_send_slot(self, connector_id: str, interval_s: float,
                                now: datetime) -> float:
        """Seconds to wait before this send, so the connector's sends are `interval_s` apart."""
        ...


class InitiationWorkflows(Protocol):
    async def start(self, initiation: PaymentInitiation) -> None:
        """Starts the initiation's workflow (a retried create finds the running one)."""
        ...

    async def approve(self, initiation: PaymentInitiation) -> str: ...

    async def reject(self, initiation: PaymentInitiation) -> None: ...

    async def retry(self, initiation: PaymentInitiation) -> str: ...

    async def reverse(self, initiation: PaymentInitiation,
                      request: ReversalRequest) -> tuple[str, str]:
        """(task id, reversal id)."""
        ...

    async def delete(self, initiation: PaymentInitiation) -> None: ...
