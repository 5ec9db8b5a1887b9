"""Reconciliation business errors, with every code the module answers with in one ErrorCode enum
(Formance's reconciliation service answers VALIDATION, NOT_FOUND and INTERNAL; CONFLICT is what
the SDK 9 additions answer for an evaluation already running and a refused alert action)."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import ConflictError, DomainError, NotFoundError, ValidationError


class ErrorCode(StrEnum):
    VALIDATION = ValidationError.code
    NOT_FOUND = NotFoundError.code
    CONFLICT = ConflictError.code
    INTERNAL = DomainError.code


class PolicyNotFoundError(NotFoundError):
    def __init__(self, policy_id: str) -> None:
        super().__init__(f"policy {policy_id!r} not found")


class ReconciliationNotFoundError(NotFoundError):
    def __init__(self, reconciliation_id: str) -> None:
        super().__init__(f"reconciliation {reconciliation_id!r} not found")


class RuleNotFoundError(NotFoundError):
    def __init__(self, rule_id: str) -> None:
        super().__init__(f"rule {rule_id!r} not found")


class EvaluationNotFoundError(NotFoundError):
    def __init__(self, evaluation_id: str) -> None:
        super().__init__(f"evaluation {evaluation_id!r} not found")


class AlertNotFoundError(NotFoundError):
    def __init__(self, alert_id: str) -> None:
        super().__init__(f"alert {alert_id!r} not found")


class SourceNotFoundError(NotFoundError):
    """A ledger or pool a policy or rule reads no longer exists (it did when it was saved)."""


class AlertStateError(ConflictError):
    """An alert action its current state refuses (snoozing a RESOLVED alert, ...)."""


class EvaluationRunningError(ConflictError):
    def __init__(self, rule_id: str) -> None:
        super().__init__(f"an evaluation of rule {rule_id!r} is already running")


class RuleDisabledError(ConflictError):
    def __init__(self, rule_id: str) -> None:
        super().__init__(f"rule {rule_id!r} is disabled; enable it to evaluate it")
