"""The one classifier of "PostgreSQL is unreachable" (storage/failures.py)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from domain.availability import DatabaseUnavailableError
from storage.failures import is_connection_failure, unavailable
from tests.conftest import free_port


async def test_a_refused_connection_is_unavailable_through_either_driver_layer() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(Exception) as raw:
        await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/x", timeout=2)
    assert is_connection_failure(raw.value)
    engine = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x")
    try:
        with pytest.raises(Exception) as wrapped:
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    assert isinstance(unavailable(wrapped.value), DatabaseUnavailableError)


def test_server_states_of_a_going_away_server_are_unavailable() -> None:
    assert is_connection_failure(asyncpg.exceptions.AdminShutdownError("terminating"))
    assert is_connection_failure(asyncpg.exceptions.CannotConnectNowError("starting up"))
    assert is_connection_failure(asyncpg.exceptions.ConnectionDoesNotExistError("closed"))
    assert is_connection_failure(asyncpg.exceptions.TooManyConnectionsError("too many"))


def test_business_and_programming_errors_are_not() -> None:
    assert not is_connection_failure(asyncpg.exceptions.UniqueViolationError("dup"))
    assert not is_connection_failure(ValueError("bug"))
    # a socket error of someone else's (not raised by the driver) is not the database's
    assert not is_connection_failure(ConnectionRefusedError("webhook endpoint"))
    assert unavailable(ValueError("bug")) is None
