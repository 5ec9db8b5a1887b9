"""Orchestration business errors. The spec's V2Error enum is VALIDATION, NOT_FOUND and
INTERNAL; every refusal a client can fix is VALIDATION (400), an unknown object NOT_FOUND
(404)."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import DomainError, NotFoundError, ValidationError


class ErrorCode(StrEnum):
    VALIDATION = ValidationError.code
    NOT_FOUND = NotFoundError.code
    INTERNAL = DomainError.code


class WorkflowNotFoundError(NotFoundError):
    def __init__(self, workflow_id: str) -> None:
        super().__init__(f"workflow {workflow_id!r} not found")


class InstanceNotFoundError(NotFoundError):
    def __init__(self, instance_id: str) -> None:
        super().__init__(f"instance {instance_id!r} not found")


class TriggerNotFoundError(NotFoundError):
    def __init__(self, trigger_id: str) -> None:
        super().__init__(f"trigger {trigger_id!r} not found")


class StageError(ValidationError):
    """A stage definition (or its value once variables are filled in) that cannot run, naming
    the stage and the field."""

    def __init__(self, index: int, kind: str | None, field: str | None, problem: str) -> None:
        where = f"stage {index}" + (f" ({kind})" if kind else "")
        super().__init__(f"{where}: {field + ': ' if field else ''}{problem}")


class InstanceFinishedError(ValidationError):
    def __init__(self, instance_id: str) -> None:
        super().__init__(f"instance {instance_id!r} is terminated: it takes no more events")


class EventBufferFullError(ValidationError):
    def __init__(self, instance_id: str, limit: int) -> None:
        super().__init__(f"instance {instance_id!r} already holds {limit} events no stage has "
                         "waited for yet")
