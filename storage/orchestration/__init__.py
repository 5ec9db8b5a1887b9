"""Orchestration persistence (migration 0012): definitions, instances, stage statuses and
activity history, triggers and occurrences. Every status change writes its Formance event to
the outbox in the same transaction."""
