"""`python -m workers <command>` (also installed as `ledgerflow`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from pydantic import ValidationError

from config.settings import Settings, get_settings


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
                 for e in exc.errors()]
        print("ledgerflow: invalid settings\n" + "\n".join(lines), file=sys.stderr)
        raise SystemExit(2) from None


async def _until_signal(run: object) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run(stop)  # type: ignore[operator]


def _migrate(settings: Settings) -> int:
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage import migrate

    async def go() -> None:
        engine = create_async_engine(settings.effective_database_url)
        try:
            before = await migrate.current_revision(engine)
            await migrate.upgrade(engine)
            after = await migrate.current_revision(engine)
        finally:
            await engine.dispose()
        print(f"migrations: {before or 'empty'} -> {after}"
              + (" (already up to date)" if before == after else ""))

    asyncio.run(go())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ledgerflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="the whole stack: PostgreSQL, Temporal, migrations, workers, API")
    sub.add_parser("api", help="the HTTP API (uvicorn)")
    sub.add_parser("worker", help="Temporal workers for WORKER_TASK_QUEUES")
    sub.add_parser("migrate", help="apply database migrations (a no-op when up to date)")
    args = parser.parse_args(argv)
    settings = _settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "dev":
        from workers.dev_stack import run

        return run(settings)
    if args.command == "api":
        from workers.api_server import serve

        serve()
        return 0
    if args.command == "worker":
        from workers.worker import run_workers

        asyncio.run(_until_signal(lambda stop: run_workers(settings, stop)))
        return 0
    if args.command == "migrate":
        return _migrate(settings)
    return 2
