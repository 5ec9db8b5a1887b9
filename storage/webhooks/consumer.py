"""The webhooks consumer of the events dispatcher: one pending delivery per active config
subscribed to the event's `<app>.<type>`, written in the dispatcher's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events.models import Event

CONSUMER_NAME = "webhooks"

# One statement per batch. The unique (event_id, config_id) makes a replayed batch harmless.
_ENQUEUE = text("""
INSERT INTO webhook_deliveries
    (id, event_id, config_id, event_type, idempotency_key, payload, status, attempt_count,
     replay_generation, created_at, updated_at)
SELECT gen_random_uuid(), e.event_id, c.id, e.event_type, e.idempotency_key, e.payload,
       'pending', 0, 0, now(), now()
FROM unnest(CAST(:event_ids AS bigint[]), CAST(:event_types AS text[]),
            CAST(:idempotency_keys AS text[]), CAST(:payloads AS text[]))
     AS e(event_id, event_type, idempotency_key, payload)
JOIN webhook_configs c ON c.active AND c.event_types @> ARRAY[e.event_type]
ORDER BY e.event_id, c.id
ON CONFLICT (event_id, config_id) DO NOTHING
""")


def delivered_body(event: Event) -> str:
    """The bus event as Formance webhooks send it: the envelope with `type` as `<app>.<type>`."""
    body = dict(event.envelope)
    body["type"] = event.qualified_type
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


class WebhookDeliveriesConsumer:
    name = CONSUMER_NAME

    async def handle(self, events: Sequence[Event], transaction: AsyncConnection) -> None:
        if not events:
            return
        await transaction.execute(_ENQUEUE, {
            "event_ids": [e.id for e in events],
            "event_types": [e.qualified_type for e in events],
            "idempotency_keys": [e.idempotency_key for e in events],
            "payloads": [delivered_body(e) for e in events],
        })
