"""The log import's body is checked for NUL and unpaired surrogates as it streams
(api/input_guard.py): an escape split across two chunks is still seen, an escaped backslash
before `u0000` is plain text, and so is a surrogate pair split across two chunks."""

from __future__ import annotations

import pytest

from api.input_guard import _scanning
from domain.errors import ValidationError


async def _stream(*chunks: bytes) -> None:
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                for i, c in enumerate(chunks)]

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    scanned = _scanning(receive)
    for _ in chunks:
        await scanned()


@pytest.mark.parametrize("chunks", [
    (b'{"a": "x\\u0000"}\n',),
    (b'{"a": "x\\u00', b'00"}\n'),
    (b'{"a": "x\\', b'u0000"}\n'),
    (b'{"a": "x', b'\x00"}\n'),
    (b'{"a": "x\\ud800"}\n',),
    (b'{"a": "x\\udc00"}\n',),
    (b'{"a": "x\\ud83d', b'x"}\n'),  # a high surrogate at a chunk's end, alone after all
])
async def test_unstorable_is_refused_wherever_chunks_split(chunks: tuple[bytes, ...]) -> None:
    with pytest.raises(ValidationError, match=r"NUL character|unpaired UTF-16 surrogate"):
        await _stream(*chunks)


@pytest.mark.parametrize("chunks", [
    (b'{"a": "x\\\\u0000"}\n',),
    (b'{"a": "x\\\\', b'u0000"}\n'),
    (b'{"a": "x\\', b'\\u0000"}\n'),  # the escaped backslash itself split
    (b'{"a": "' + b"y" * 70000, b'\\\\u0000"}\n'),
    (b'{"a": "x\\ud83d', b'\\ude00"}\n'),  # a pair split across two chunks
    (b'{"a": "x\\ud83d\\ude00"}\n',),
])
async def test_escaped_backslash_and_pairs_are_text(chunks: tuple[bytes, ...]) -> None:
    await _stream(*chunks)
