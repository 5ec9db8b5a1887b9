"""Ids of instances: random for a run asked through the API, derived from the trigger and the
event for a trigger's run, so a redelivered event names the same instance (and workflow)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid4, uuid5

_TRIGGERED = uuid5(NAMESPACE_URL, "https://ledgerflow/orchestration/triggered-instance")


def new_id() -> str:
    return str(uuid4())


def triggered_instance_id(trigger_id: str, event_id: int) -> str:
    return str(uuid5(_TRIGGERED, f"{trigger_id}/{event_id}"))
