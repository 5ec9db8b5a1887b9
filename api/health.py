"""Health from real checks of what each module needs to serve: PostgreSQL answering, the
module's tables present, and for a module whose processes run on Temporal, the frontend serving
and at least one worker polling the module's task queue (DescribeTaskQueue). A module this
stack does not serve is never healthy. Every check is bounded in time, so a dead dependency
answers quickly instead of hanging; the Temporal client is the app's one client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass

from sqlalchemy import text

from api.modules import Module
from api.temporal import Temporal
from storage.database import Database

CHECK_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class DependencyReport:
    postgres: str | None  # None when healthy, else what is wrong
    temporal: str | None


async def _bounded(name: str, where: str, check: Awaitable[object]) -> str | None:
    try:
        await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"{name} at {where} did not answer within {CHECK_TIMEOUT_SECONDS:.0f}s"
    except Exception as exc:  # every failure of a dependency is reported, none raised
        detail = str(exc) or exc.__class__.__name__
        if name == "PostgreSQL":
            return detail  # Database.check already names where it tried
        return f"{name} at {where} is unreachable: {detail}"
    return None


class HealthChecks:
    def __init__(self, database: Database, temporal: Temporal) -> None:
        self.database = database
        self.temporal = temporal

    async def dependencies(self) -> DependencyReport:
        pg, tmp = await asyncio.gather(
            _bounded("PostgreSQL", self.database.display_url, self.database.check()),
            _bounded("Temporal", self.temporal.address, self.temporal.check()),
        )
        return DependencyReport(postgres=pg, temporal=tmp)

    async def modules(self, modules: Iterable[Module]) -> dict[str, list[str]]:
        """Module name -> what keeps it from serving (empty: healthy)."""
        mods = list(modules)
        deps = await self.dependencies()
        missing = await self._missing_tables({t for m in mods for t in m.tables}, deps)
        queues = {m.task_queue for m in mods if m.served and m.task_queue}
        pollers = await self._pollers(queues, deps)
        report: dict[str, list[str]] = {}
        for m in mods:
            if not m.served:
                report[m.name] = [f"{m.name} is not served by this stack"]
                continue
            problems = [deps.postgres] if deps.postgres else []
            problems += [f"table {t} is missing (run the migrations)"
                         for t in sorted(missing & set(m.tables))]
            if m.task_queue:
                if deps.temporal:
                    problems.append(deps.temporal)
                else:
                    problems += pollers[m.task_queue]
            report[m.name] = problems
        return report

    async def _missing_tables(self, tables: set[str], deps: DependencyReport) -> set[str]:
        if not tables or deps.postgres:
            return set()

        async def query() -> set[str]:
            async with self.database.engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT t FROM unnest(CAST(:names AS text[])) AS t "
                         "WHERE to_regclass(t) IS NULL"), {"names": sorted(tables)})
                return {str(r[0]) for r in rows}

        try:
            return await asyncio.wait_for(query(), CHECK_TIMEOUT_SECONDS)
        except Exception:  # PostgreSQL went away since its check: that check already says so
            return set()

    async def _pollers(self, queues: set[str], deps: DependencyReport) -> dict[str, list[str]]:
        if deps.temporal or not queues:
            return {q: [] for q in queues}

        async def one(queue: str) -> list[str]:
            try:
                count = await asyncio.wait_for(self.temporal.pollers(queue),
                                               CHECK_TIMEOUT_SECONDS)
            except Exception as exc:  # reported as the module's problem, never raised
                return [f"task queue {queue} could not be described: {exc}"]
            return [] if count else [f"no worker polls task queue {queue}"]

        ordered = sorted(queues)
        found = await asyncio.gather(*(one(q) for q in ordered))
        return dict(zip(ordered, found, strict=True))
