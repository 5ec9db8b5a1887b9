"""The schedule's action input (written by an activity) and the fetch workflow's input (read by
the workflow) are two declarations of one shape: they must stay equal."""

from __future__ import annotations

from activities.payments.contracts import FetchPageInput
from workflows.payments.inputs import FetchInput, jitter


def test_the_schedule_input_and_the_fetch_workflow_input_agree() -> None:
    assert FetchPageInput.model_fields.keys() == FetchInput.model_fields.keys()
    data = FetchPageInput(connector_id="c", capability="FETCH_PAYMENTS").model_dump()
    assert FetchInput.model_validate(data).model_dump() == data


def test_jitter_is_half_the_period_at_most_five_minutes() -> None:
    from datetime import timedelta

    assert jitter(timedelta(seconds=2)) == timedelta(seconds=1)
    assert jitter(timedelta(hours=1)) == timedelta(minutes=5)
