"""Log export (NDJSON stream) and import (the same stream, checked then re-applied at once)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from api.ledger.buckets import refuse_protected_ledger
from api.ledger.render import Renderer
from api.ledger.v2 import service
from domain.ledger.importing import parse_ndjson
from domain.ledger.models import Log
from storage.ledger.jsonutil import dumps

router = APIRouter(tags=["ledger.v2"])

# A whole import is checked before anything is written, so it is held in memory: bound it.
MAX_IMPORT_BYTES = 256 * 1024 * 1024


def export_line(log: Log) -> dict[str, Any]:
    doc = Renderer.log(log)
    if log.idempotency_hash:  # lets a replay after import still recognise its key
        doc["idempotencyHash"] = log.idempotency_hash
    return doc


@router.post("/v2/{ledger}/logs/export", operation_id="v2ExportLogs")
async def export_logs(ledger: str, request: Request) -> Response:
    svc = service(request)
    await svc.require_ledger(ledger)  # a 404 before the stream starts

    async def lines() -> AsyncIterator[bytes]:
        async for log in svc.export_logs(ledger):
            yield (dumps(export_line(log)) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/octet-stream")


@router.post("/v2/{ledger}/logs/import", operation_id="v2ImportLogs", status_code=204)
async def import_logs(ledger: str, request: Request) -> Response:
    from domain.ledger.errors import ImportLogsError

    # An import may carry any log, a schema among them (strict mode): the stack's own ledgers
    # are written by their module only. Refused before the body is read.
    refuse_protected_ledger(request, ledger, "imported into")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_IMPORT_BYTES:
            raise ImportLogsError(f"import larger than {MAX_IMPORT_BYTES} bytes")
    body = bytes(raw)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        body = _multipart_file(content_type, body)
    await service(request).import_logs(ledger, parse_ndjson(body.splitlines()))
    return Response(status_code=204)


def _multipart_file(content_type: str, body: bytes) -> bytes:
    """The SDK sends the stream as the `file` part of a multipart form (V2ImportLogsRequest).
    Parsed with the stdlib: the form is one file part."""
    from email.parser import BytesParser
    from email.policy import HTTP

    from domain.errors import ValidationError

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    raise ValidationError("multipart import needs a `file` part")
