"""Activity names, inputs and outputs of the webhooks processes. Imported by workflows: no
storage, no httpx here."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from pydantic import BaseModel

from domain.webhooks.models import DeliveryStatus
from domain.webhooks.policy import RetrySchedule

ATTEMPT_DELIVERY = "webhooks.attempt_delivery"
CANCEL_DELIVERY = "webhooks.cancel_delivery"
SEND_TEST = "webhooks.send_test"


class AttemptDeliveryInput(BaseModel):
    delivery_id: UUID
    attempt_number: int
    schedule: RetrySchedule


class AttemptDeliveryResult(BaseModel):
    attempt_number: int  # attempts recorded so far
    status: DeliveryStatus  # pending: retry after next_delay; anything else is final
    status_code: int | None = None
    next_delay: timedelta | None = None


class CancelDeliveryInput(BaseModel):
    delivery_id: UUID


class SendTestInput(BaseModel):
    config_id: UUID
