"""The key ring reloads on an unknown kid, but a flood of made-up kids cannot become a flood of
database queries."""

from __future__ import annotations

from datetime import UTC, datetime

from api.auth.keys import KeyRing
from storage.auth.signing_keys import SigningKeyRecord, generate_private_key_pem

PEM = generate_private_key_pem()


class FakeKeyStore:
    def __init__(self) -> None:
        self.records = [SigningKeyRecord("k1", PEM, True, datetime.now(UTC))]
        self.loads = 0

    async def ensure_active(self) -> SigningKeyRecord:
        return self.records[0]

    async def load(self) -> list[SigningKeyRecord]:
        self.loads += 1
        return list(self.records)


async def test_unknown_kids_reload_at_most_once_per_interval():
    store, now = FakeKeyStore(), [1000.0]
    ring = KeyRing(store, min_reload_seconds=1.0, clock=lambda: now[0])
    assert await ring.knows("k1") and store.loads == 1
    assert not await ring.knows("made-up-1")  # first unknown kid: reload at once
    assert store.loads == 2
    for i in range(100):
        assert not await ring.knows(f"made-up-{i}")
    assert store.loads == 2
    # Another replica rotated: the new kid is found once the interval has passed.
    store.records.insert(0, SigningKeyRecord("k2", PEM, True, datetime.now(UTC)))
    now[0] += 1.5
    assert await ring.knows("k2") and store.loads == 3


async def test_keys_are_refreshed_periodically_and_sign_with_the_active_one():
    store, now = FakeKeyStore(), [0.0]
    ring = KeyRing(store, refresh_seconds=300, clock=lambda: now[0])
    token = await ring.sign({"a": 1})
    assert token.count(".") == 2 and store.loads == 1
    await ring.jwks()
    assert store.loads == 1
    now[0] += 301
    assert [k["kid"] for k in (await ring.jwks())["keys"]] == ["k1"]
    assert store.loads == 2
