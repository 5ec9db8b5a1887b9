"""`python -m workers <command>` (also installed as `ledgerflow`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from pydantic import ValidationError

from config.settings import Settings, get_settings
from workers.process_exit import exit_after_drain
from workers.signals import until_signal

if TYPE_CHECKING:
    from storage.database import Database


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
                 for e in exc.errors()]
        print("ledgerflow: invalid settings\n" + "\n".join(lines), file=sys.stderr)
        raise SystemExit(2) from None


def _doctor(settings: Settings, queues: str | None) -> int:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its set-up chatter hid the checks
    from config.modules import ModuleSettings
    from storage.database import Database
    from workers import doctor
    from workers.pool import named_queues
    from workers.registry import registrations

    async def go() -> int:
        # By default, the queues something is registered on (modules sharing one queue once).
        database = Database(settings.effective_database_url, pool_size=1)
        regs = registrations(database, ModuleSettings())
        for reg in regs.values():
            await reg.close()
        await database.dispose()
        chosen = named_queues(queues, regs) if queues else sorted(regs)
        return await doctor.run(settings, chosen)

    return asyncio.run(go())


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
        for line in await _apply_auth_bootstrap(settings):
            print(f"auth: {line}")

    asyncio.run(go())
    return 0


async def _apply_auth_bootstrap(settings: Settings) -> list[str]:
    """AUTH_BOOTSTRAP_CLIENT_ID/SECRET and AUTH_BOOTSTRAP_USER_EMAIL, applied with the migrations
    so a deployment gets its first client without a login provider."""
    secret = settings.auth_bootstrap_client_secret
    if not (secret or settings.auth_bootstrap_user_email):
        return []
    from storage.auth.bootstrap import apply_bootstrap_settings
    from storage.database import Database

    db = Database(settings.effective_database_url, pool_size=1)
    try:
        return await apply_bootstrap_settings(
            db, client_id=settings.auth_bootstrap_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            user_email=settings.auth_bootstrap_user_email)
    finally:
        await db.dispose()


def _auth_command(settings: Settings, args: argparse.Namespace) -> int:
    from domain.auth.scopes import all_stack_scopes
    from domain.errors import DomainError
    from storage.auth import bootstrap
    from storage.auth.signing_keys import SqlSigningKeyStore
    from storage.database import Database

    async def go() -> None:
        db = Database(settings.effective_database_url, pool_size=1)
        try:
            if args.command == "create-user":
                user = await bootstrap.ensure_user(db, email=args.email, subject=args.subject)
                print(f"user {user.id} subject={user.subject} email={user.email or '-'}")
            elif args.command == "create-client":
                scopes = tuple(args.scope or all_stack_scopes())
                client_id, secret = await bootstrap.create_client_with_secret(
                    db, args.name, scopes)
                print(f"client_id={client_id}\nclient_secret={secret}\n"
                      f"scopes={' '.join(scopes)}\n(the secret is shown only this once)")
            else:
                key = await SqlSigningKeyStore(db).rotate()
                print(f"new signing key {key.kid}; earlier keys stay published in the JWKS")
        finally:
            await db.dispose()

    try:
        asyncio.run(go())
    except DomainError as exc:
        print(f"ledgerflow: {exc.message}", file=sys.stderr)
        return 1
    return 0


def _dispatcher_metrics(settings: Settings, database: Database, stop: asyncio.Event
                        ) -> list[Awaitable[None]]:
    """With DISPATCHER_METRICS_PORT: /metrics served, and the outbox lag kept up to date."""
    from workflows.telemetry import configure_tracing

    configure_tracing("ledgerflow-dispatcher", settings.otel_exporter_otlp_endpoint)
    if settings.dispatcher_metrics_port is None:
        return []
    from workers import outbox_lag
    from workers.metrics import serve_metrics

    serve_metrics(settings.dispatcher_metrics_port)
    return [outbox_lag.run(database, stop)]


def _search_reindex(settings: Settings, restart: bool) -> int:
    from config.search import SearchSettings
    from storage.database import Database
    from workers.search_reindex import reindex

    async def go() -> int:
        database = Database(settings.effective_database_url, pool_size=2)
        try:
            return await reindex(database, batch_size=SearchSettings().reindex_batch_size,
                                 restart=restart)
        finally:
            await database.dispose()

    print(f"search-reindex: {asyncio.run(go()):,} documents written", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ledgerflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="the whole stack: PostgreSQL, Temporal, migrations, workers, API")
    sub.add_parser("api", help="the HTTP API (uvicorn)")
    worker = sub.add_parser("worker", help="a worker pool: Temporal workers for its task "
                            "queues (WORKER_TASK_QUEUES); drains on SIGTERM")
    worker.add_argument("--queues", help="comma-separated task queues or groups "
                        "(payments,webhooks) or 'all'; default: WORKER_TASK_QUEUES")
    worker.add_argument("--concurrency", type=int, help="activities at once per queue in this "
                        "process; default: WORKER_CONCURRENCY and WORKER_QUEUE_CONCURRENCY")
    doctor = sub.add_parser("doctor", help="check PostgreSQL (reachable, migrated), Temporal's "
                            "search attributes and that every task queue has workers")
    doctor.add_argument("--queues", help="the task queues to check; default: every queue a "
                        "module runs on")
    recorder = sub.add_parser("record-histories", help="re-record the replay histories of "
                            "tests/replay/histories/ from the workflow tests (a checkout only)")
    recorder.add_argument("--module", action="append", help="repeatable; default: every module")
    sub.add_parser("dispatcher", help="the events dispatcher: outbox to webhooks (one is enough)")
    sub.add_parser("migrate", help="apply database migrations (a no-op when up to date) and "
                   "the AUTH_BOOTSTRAP_* settings")
    user = sub.add_parser("create-user", help="create an auth user (there is no login provider)")
    user.add_argument("--email", required=True)
    user.add_argument("--subject", help="defaults to the email")
    client = sub.add_parser("create-client", help="create an OAuth2 client and print its secret")
    client.add_argument("--name", required=True)
    client.add_argument("--scope", action="append",
                        help="repeatable, e.g. --scope ledger:read; default: every Stack scope")
    sub.add_parser("rotate-signing-key", help="sign new tokens with a fresh RSA key")
    reindex = sub.add_parser("search-reindex", help="rebuild the search index from the source "
                             "tables (resumes after the last committed chunk)")
    reindex.add_argument("--restart", action="store_true",
                         help="forget the checkpoints and rebuild every source from the start")
    psp = sub.add_parser("fake-psp", help="a local PSP implementing the generic connector's "
                         "API (seeded, in memory), for the payments `generic` connector")
    psp.add_argument("--host", default="127.0.0.1")
    psp.add_argument("--port", type=int, default=8089)
    psp.add_argument("--seed", type=int, default=1)
    psp.add_argument("--accounts", type=int, default=3)
    psp.add_argument("--beneficiaries", type=int, default=1)
    psp.add_argument("--payments", type=int, default=20)
    psp.add_argument("--api-key", help="required as `Authorization: Bearer <key>` if set")
    args = parser.parse_args(argv)
    if args.command == "record-histories":  # its own throwaway stack: no settings either
        from workers.record_histories import record

        return record(args.module)
    if args.command == "fake-psp":  # needs no settings: it is the provider, not the stack
        from workers.fake_psp import serve as serve_psp

        serve_psp(args.host, args.port, seed=args.seed, accounts=args.accounts,
                  beneficiaries=args.beneficiaries, payments=args.payments,
                  api_key=args.api_key)
        return 0
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

        if args.concurrency is not None and args.concurrency < 1:
            parser.error("--concurrency must be at least 1")
        try:
            asyncio.run(until_signal(lambda stop: run_workers(
                settings, stop, queues=args.queues, concurrency=args.concurrency)))
        except ValueError as exc:  # a queue or limit that does not exist: said, not a traceback
            print(f"ledgerflow: {exc}", file=sys.stderr)
            return 2
        exit_after_drain(0)
    if args.command == "doctor":
        return _doctor(settings, args.queues)
    if args.command == "dispatcher":
        from storage.database import Database
        from workers.dispatcher import run_dispatcher

        async def dispatch(stop: asyncio.Event) -> None:
            # Concurrent sends each record their attempt: a pool (plus its equal overflow)
            # smaller than the send concurrency opened a new PostgreSQL session every ~10
            # deliveries.
            from config.webhooks import WebhooksSettings

            sends = WebhooksSettings().max_concurrent_sends
            database = Database(settings.effective_database_url,
                                pool_size=max(settings.database_pool_size, (sends + 1) // 2))
            try:
                await asyncio.gather(run_dispatcher(settings, database, stop),
                                     *_dispatcher_metrics(settings, database, stop))
            finally:
                await database.dispose()

        asyncio.run(until_signal(dispatch))
        exit_after_drain(0)
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "search-reindex":
        return _search_reindex(settings, args.restart)
    if args.command in ("create-user", "create-client", "rotate-signing-key"):
        return _auth_command(settings, args)
    return 2
