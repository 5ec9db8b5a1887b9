"""Buckets (`/v2/_/buckets/...`): soft-delete and restore every ledger of a bucket."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.ledger.v2 import service
from api.protection import protected_resources
from domain.protection import ResourceKind, protected_error

router = APIRouter(tags=["ledger.v2"])


@router.delete("/v2/_/buckets/{bucket}", operation_id="v2DeleteBucket", status_code=204)
async def delete_bucket(bucket: str, request: Request) -> Response:
    await refuse_protected_bucket(request, bucket, "deleted")
    await service(request).delete_bucket(bucket)
    return Response(status_code=204)


@router.post("/v2/_/buckets/{bucket}/restore", operation_id="v2RestoreBucket",
             status_code=204)
async def restore_bucket(bucket: str, request: Request) -> Response:
    await service(request).restore_bucket(bucket)
    return Response(status_code=204)


async def refuse_protected_bucket(request: Request, bucket: str, action: str) -> None:
    """A bucket is the stack's own when it is declared so, or when a ledger the stack needs is
    in it, or would be created in it (a module creating its ledger on first use)."""
    registry = protected_resources(request.app)
    registry.refuse(ResourceKind.BUCKET, bucket, action)
    store = service(request).store
    for needed in registry.of_kind(ResourceKind.LEDGER):
        found = await store.get_ledger(needed.name)
        home = found.bucket if found is not None else needed.bucket
        if home == bucket:
            raise protected_error(needed, action, subject=f"bucket {bucket!r} (the bucket of "
                                                          f"ledger {needed.name!r})")


def refuse_protected_ledger(request: Request, ledger: str, action: str) -> None:
    protected_resources(request.app).refuse(ResourceKind.LEDGER, ledger, action)
