"""Real dependency checks: a query on PostgreSQL, a health RPC on the Temporal frontend.
Both are bounded in time so a dead dependency answers 503 quickly instead of hanging."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import Client

from storage.database import Database
from workflows.client import connect

CHECK_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class HealthReport:
    postgres: str | None  # None when healthy, else what is wrong
    temporal: str | None

    @property
    def healthy(self) -> bool:
        return self.postgres is None and self.temporal is None

    def problems(self) -> str:
        return "; ".join(p for p in (self.postgres, self.temporal) if p)


class TemporalProbe:
    """Keeps one lazily connected client; a failed connection is retried at the next check."""

    def __init__(self, address: str, namespace: str) -> None:
        self.address = address
        self.namespace = namespace
        self._client: Client | None = None

    async def check(self) -> None:
        if self._client is None:
            self._client = await connect(self.address, self.namespace)
        ok = await self._client.service_client.check_health(timeout=timedelta(seconds=2))
        if not ok:
            raise RuntimeError("the frontend reports NOT_SERVING")


async def _bounded(name: str, where: str, check: object) -> str | None:
    try:
        await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)  # type: ignore[arg-type]
    except TimeoutError:
        return f"{name} at {where} did not answer within {CHECK_TIMEOUT_SECONDS:.0f}s"
    except Exception as exc:  # every failure of a dependency is reported, none raised
        detail = str(exc) or exc.__class__.__name__
        if name == "PostgreSQL":
            return detail  # Database.check already names where it tried
        return f"{name} at {where} is unreachable: {detail}"
    return None


async def check_health(database: Database, temporal: TemporalProbe) -> HealthReport:
    pg, tmp = await asyncio.gather(
        _bounded("PostgreSQL", database.display_url, database.check()),
        _bounded("Temporal", temporal.address, temporal.check()),
    )
    return HealthReport(postgres=pg, temporal=tmp)
