"""Routes of the Formance webhooks spec (operation ids as in the spec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response

from api.dependencies import dependencies
from api.webhooks.schemas import (
    ConfigChangeSecret,
    ConfigUser,
    ReplayDeliveriesRequest,
    attempt_json,
    config_json,
    delivery_json,
    replay_result_json,
    test_attempt_json,
)
from api.webhooks.temporal import TemporalRetryCanceller, run_test_delivery
from domain.errors import ValidationError
from domain.pagination import Page, decode_token, encode_token
from domain.webhooks.errors import DeliveryNotFoundError
from domain.webhooks.models import DeliveryFilter, DeliveryStatus
from domain.webhooks.replays import BulkReplayRequest, WebhookReplays
from domain.webhooks.service import WebhookConfigs, parse_id
from storage.webhooks.replays import SqlReplayStore
from storage.webhooks.store import SqlWebhookStore

router = APIRouter(tags=["webhooks.v1"])
_BAD_CURSOR = "invalid 'cursor' query param"


def _store(request: Request) -> SqlWebhookStore:
    return SqlWebhookStore(dependencies(request).database)


def _configs(request: Request) -> WebhookConfigs:
    deps = dependencies(request)
    return WebhookConfigs(SqlWebhookStore(deps.database), TemporalRetryCanceller(deps))


def _replays(request: Request) -> WebhookReplays:
    deps = dependencies(request)
    return WebhookReplays(SqlReplayStore(deps.database), TemporalRetryCanceller(deps))


Configs = Annotated[WebhookConfigs, Depends(_configs)]
Store = Annotated[SqlWebhookStore, Depends(_store)]
Replays = Annotated[WebhookReplays, Depends(_replays)]
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", max_length=255)]


@router.get("/configs", operation_id="getManyConfigs")
async def get_many_configs(
    configs: Configs, id: str | None = None, endpoint: str | None = None
) -> dict[str, Any]:
    found = await configs.list(config_id=id, endpoint=endpoint)
    return {"cursor": {"hasMore": False, "data": [config_json(c) for c in found]}}


@router.post("/configs", operation_id="insertConfig")
async def insert_config(configs: Configs, body: ConfigUser) -> dict[str, Any]:
    return {"data": config_json(await configs.create(body.to_domain()))}


@router.put("/configs/{id}", operation_id="updateConfig")
async def update_config(configs: Configs, id: str, body: ConfigUser) -> dict[str, Any]:
    return {"data": config_json(await configs.update(id, body.to_domain()))}


@router.delete("/configs/{id}", operation_id="deleteConfig")
async def delete_config(configs: Configs, id: str) -> Response:
    await configs.delete(id)
    return Response(status_code=200)


@router.get("/configs/{id}/test", operation_id="testConfig")
async def test_config(configs: Configs, request: Request, id: str) -> dict[str, Any]:
    config = await configs.get(id)
    result = await run_test_delivery(dependencies(request), config)
    return {"data": test_attempt_json(result, config)}


@router.put("/configs/{id}/activate", operation_id="activateConfig")
async def activate_config(configs: Configs, id: str) -> dict[str, Any]:
    return {"data": config_json(await configs.activate(id))}


@router.put("/configs/{id}/deactivate", operation_id="deactivateConfig")
async def deactivate_config(configs: Configs, id: str) -> dict[str, Any]:
    return {"data": config_json(await configs.deactivate(id))}


@router.put("/configs/{id}/secret/change", operation_id="changeConfigSecret")
async def change_config_secret(
    configs: Configs, id: str, body: Annotated[ConfigChangeSecret | None, Body()] = None
) -> dict[str, Any]:
    return {"data": config_json(await configs.change_secret(id, body.secret if body else None))}


# --- Deliveries (Formance webhooks v2.5+) -------------------------------------------------------

@router.get("/deliveries", operation_id="getDeliveries")
async def get_deliveries(
    store: Store,
    config_id: Annotated[UUID | None, Query(alias="configId")] = None,
    status: DeliveryStatus | None = None,
    created_from: Annotated[datetime | None, Query(alias="createdAtFrom")] = None,
    created_to: Annotated[datetime | None, Query(alias="createdAtTo")] = None,
    cursor: str | None = None,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    after: tuple[datetime, UUID] | None = None
    if cursor:
        state = decode_token(cursor, error=_BAD_CURSOR)
        try:
            filters = DeliveryFilter.model_validate(state["filters"])
            page_size = int(state["pageSize"])
            after = (datetime.fromisoformat(state["createdAt"]), UUID(state["id"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(_BAD_CURSOR) from exc
    else:
        filters = DeliveryFilter(config_id=config_id, status=status, created_from=created_from,
                                 created_to=created_to)
    rows = await store.list_deliveries(filters, after=after, limit=page_size + 1)
    last = rows[page_size - 1] if len(rows) > page_size else None
    page = Page(data=rows[:page_size], page_size=page_size, has_more=last is not None,
                next=encode_token({
                    "filters": filters.model_dump(mode="json"), "pageSize": page_size,
                    "createdAt": last.created_at.isoformat(), "id": str(last.id),
                }) if last is not None else None)
    return {"cursor": page.envelope(lambda d: delivery_json(d, with_payload=False))}


@router.post("/deliveries/replay", operation_id="replayDeliveries")
async def replay_deliveries(
    replays: Replays, key: IdempotencyKey, body: ReplayDeliveriesRequest
) -> dict[str, Any]:
    if body.cursor:
        state = decode_token(body.cursor, error=_BAD_CURSOR)
        try:
            request = BulkReplayRequest.model_validate(state["request"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError("invalid 'cursor'") from exc
    else:
        request = BulkReplayRequest(
            created_from=body.created_from, created_to=body.created_to,
            statuses=[DeliveryStatus(s) for s in body.statuses], config_ids=body.config_ids,
            page_size=body.page_size,
        )
    result = await replays.replay_many(request, key)
    next_cursor = None
    if result.has_more and result.next_after is not None:
        following = request.model_copy(update={"created_to": result.created_to,
                                               "after": result.next_after})
        next_cursor = encode_token({"request": following.model_dump(mode="json")})
    return {"data": replay_result_json(result, next_cursor)}


@router.get("/deliveries/{id}", operation_id="getDelivery")
async def get_delivery(store: Store, id: str) -> dict[str, Any]:
    delivery = await store.get_delivery(parse_id(id, "delivery"))
    if delivery is None:
        raise DeliveryNotFoundError(id)
    return {"data": delivery_json(delivery, with_payload=True)}


@router.post("/deliveries/{id}/replay", operation_id="replayDelivery")
async def replay_delivery(replays: Replays, key: IdempotencyKey, id: str) -> dict[str, Any]:
    delivery = await replays.replay(parse_id(id, "delivery"), key)
    return {"data": delivery_json(delivery, with_payload=True)}


@router.get("/deliveries/{id}/attempts", operation_id="getDeliveryAttempts")
async def get_delivery_attempts(
    store: Store, id: str, cursor: str | None = None,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    delivery_id = parse_id(id, "delivery")
    if await store.get_delivery(delivery_id) is None:
        raise DeliveryNotFoundError(id)
    after: tuple[int, int] | None = None
    if cursor:
        state = decode_token(cursor, error=_BAD_CURSOR)
        try:
            after = (int(state.get("generation", 0)), int(state["after"]))
            page_size = int(state["pageSize"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(_BAD_CURSOR) from exc
    rows = await store.list_attempts(delivery_id, after=after, limit=page_size + 1)
    last = rows[page_size - 1] if len(rows) > page_size else None
    page = Page(data=rows[:page_size], page_size=page_size, has_more=last is not None,
                next=encode_token({"generation": last.replay_generation,
                                   "after": last.attempt_number, "pageSize": page_size})
                if last is not None else None)
    return {"cursor": page.envelope(attempt_json)}
