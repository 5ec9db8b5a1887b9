"""Buckets (`/v2/_/buckets/...`): soft-delete and restore every ledger of a bucket."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.ledger.v2 import service

router = APIRouter(tags=["ledger.v2"])


@router.delete("/v2/_/buckets/{bucket}", operation_id="v2DeleteBucket", status_code=204)
async def delete_bucket(bucket: str, request: Request) -> Response:
    await service(request).delete_bucket(bucket)
    return Response(status_code=204)


@router.post("/v2/_/buckets/{bucket}/restore", operation_id="v2RestoreBucket",
             status_code=204)
async def restore_bucket(bucket: str, request: Request) -> Response:
    await service(request).restore_bucket(bucket)
    return Response(status_code=204)
