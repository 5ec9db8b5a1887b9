"""Pagination shared by every module: the Formance cursor envelope and the opaque cursor token.

A cursor token is base64url (without padding) of a compact JSON object; what the object holds is
each list's business (the ledger's keyset state in domain/ledger/query/cursors.py, a webhooks
list's position, an offset for exporters and pipelines). Decoding accepts padded tokens too, so
tokens issued before this module existed stay valid."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain.errors import ValidationError

T = TypeVar("T")


def encode_token(state: dict[str, Any]) -> str:
    # Plain stdlib json: integers of any size round-trip exactly.
    text = json.dumps(state, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def token_bytes(token: str) -> bytes:
    """The JSON text a token carries; ValueError (or binascii.Error) when it is not base64url."""
    text = token.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_token(token: str, *, error: str = "invalid cursor") -> dict[str, Any]:
    """The JSON object a token carries; anything else is ValidationError(error)."""
    try:
        state = json.loads(token_bytes(token))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationError(error) from None
    if not isinstance(state, dict):
        raise ValidationError(error)
    return state


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page: the Formance cursor envelope `{pageSize, hasMore, previous?, next?, data}`."""

    data: list[T]
    page_size: int
    has_more: bool
    next: str | None = None
    previous: str | None = None

    def envelope(self, render: Callable[[T], Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "pageSize": self.page_size,
            "hasMore": self.has_more,
            "data": [render(x) for x in self.data] if render else list(self.data),
        }
        if self.previous is not None:
            body["previous"] = self.previous
        if self.next is not None:
            body["next"] = self.next
        return body


def offset_page(rows: list[T], *, offset: int, size: int) -> Page[T]:
    """The page of `rows` fetched at `offset` with one row more than `size` (that extra row
    says whether a next page exists); its cursors carry the neighbouring offsets."""
    return Page(
        data=rows[:size], page_size=size, has_more=len(rows) > size,
        next=encode_token({"offset": offset + size, "pageSize": size})
        if len(rows) > size else None,
        previous=encode_token({"offset": max(0, offset - size), "pageSize": size})
        if offset > 0 else None,
    )
