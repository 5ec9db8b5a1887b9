"""Reconciliation events, written to the outbox in the transaction that stores the change, so
webhooks (and any other outbox consumer) can notify: a run stored, and each alert transition
whose notification is not muted (a repeated identical failure or a snoozed alert's failure is
kept in the alert's timeline, not published)."""

from __future__ import annotations

from enum import StrEnum

APP = "reconciliation"


class EventType(StrEnum):
    SAVED_RECONCILIATION = "SAVED_RECONCILIATION"
    OPENED_ALERT = "OPENED_ALERT"  # a first failure, or a failure reopening a resolved alert
    UPDATED_ALERT = "UPDATED_ALERT"  # a failure again, with other evidence
    ACKNOWLEDGED_ALERT = "ACKNOWLEDGED_ALERT"
    RESOLVED_ALERT = "RESOLVED_ALERT"  # passing evaluation, resolve or accept
    SNOOZED_ALERT = "SNOOZED_ALERT"
    UNSNOOZED_ALERT = "UNSNOOZED_ALERT"
