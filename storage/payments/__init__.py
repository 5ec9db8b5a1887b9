"""Payments persistence: connectors, the objects their schedules ingest, fetch states, schedules
and tasks (migration 0007). Every write of an object writes its Formance event to the outbox in
the same transaction."""
