"""Workflows (flow definitions), instances with their stage statuses and histories, triggers
and their occurrences, as the store keeps them and the API renders them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Workflow(_Model):
    id: str
    name: str | None = None
    stages: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class StageStatus(_Model):
    """One stage of an instance as it ran (or runs): Formance's V2StageStatus, plus the kind
    and the resolved spec that the instance history serves."""

    instance_id: str
    stage: int
    kind: str
    input: dict[str, Any] = Field(default_factory=dict)
    started_at: datetime
    terminated_at: datetime | None = None
    error: str | None = None


class Instance(_Model):
    id: str
    workflow_id: str
    trigger_id: str | None = None
    created_at: datetime
    updated_at: datetime
    terminated: bool = False
    terminated_at: datetime | None = None
    error: str | None = None
    statuses: list[StageStatus] = Field(default_factory=list)


class ActivityRecord(_Model):
    """One activity of a stage (its stage history): name, input and output as Formance names
    them (CreateTransaction, DebitWallet, ...), its attempt and error."""

    instance_id: str
    stage: int
    seq: int
    name: str
    input: dict[str, Any]
    output: dict[str, Any] | None = None
    error: str | None = None
    attempt: int = 1
    started_at: datetime
    terminated_at: datetime | None = None


class Trigger(_Model):
    id: str
    name: str | None = None
    event: str
    version: str | None = None
    workflow_id: str
    filter: str | None = None
    vars: dict[str, str] = Field(default_factory=dict)
    created_at: datetime


class Occurrence(_Model):
    id: str
    trigger_id: str
    event_id: int | None = None
    date: datetime
    event: dict[str, Any]
    instance_id: str | None = None
    error: str | None = None


class TriggerTest(_Model):
    """What `POST /triggers/{id}/test` answers: the filter's verdict and each variable."""

    match: bool
    filter_error: str | None = None
    variables: dict[str, tuple[str | None, str | None]] = Field(default_factory=dict)
