"""The search indexer alone, as the dispatcher runs it, for the search benchmark's lag run
(`python -m bench.search_indexer`, DATABASE_URL from the environment; stops on SIGTERM)."""

from __future__ import annotations

import asyncio
import signal

from config.modules import ModuleSettings
from config.settings import get_settings
from storage.database import Database
from workers.search_dispatch import search_dispatcher


async def main() -> None:
    settings = get_settings()
    modules = ModuleSettings()
    database = Database(settings.effective_database_url, pool_size=2)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await search_dispatcher(database, modules).run(
            stop, poll_interval=modules.search.poll_interval.total_seconds())
    finally:
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
