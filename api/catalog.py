"""The Formance modules the gateway serves, with their routers and health requirements. Modules
this stack does not serve yet are listed (clients discover them in /versions) but never healthy.

A module whose router defines its own `/_info` keeps it; the gateway adds a generic one for the
others, so `/api/<module>/_info` answers for every module."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Table

from api.auth import router as auth_router
from api.ledger import LedgerRequestContext
from api.ledger import router as ledger_router
from api.modules import Module
from api.orchestration import router as orchestration_router
from api.payments import router as payments_router
from api.reconciliation import router as reconciliation_router
from api.search import router as search_router
from api.wallets import router as wallets_router
from api.webhooks import router as webhooks_router
from config.modules import ModuleSettings
from storage.auth import tables as auth_tables
from storage.ledger import exporters_store, schemas_store
from storage.ledger import tables as ledger_tables
from storage.orchestration import tables as orchestration_tables
from storage.payments import tables as payments_tables
from storage.reconciliation import tables as reconciliation_tables
from storage.search import tables as search_tables
from storage.webhooks import tables as webhook_tables


def _tables(module: object) -> tuple[str, ...]:
    return tuple(sorted(t.fullname for t in vars(module).values() if isinstance(t, Table)))


def modules(settings: ModuleSettings) -> list[Module]:
    ledger = _tables(ledger_tables) + _tables(exporters_store) + _tables(schemas_store)
    return [
        Module("auth", router=_checked(auth_router), tables=_tables(auth_tables)),
        # Pipelines run on Temporal, but the ledger itself serves without it.
        Module("ledger", router=ledger_router, wrap=LedgerRequestContext, tables=ledger),
        Module("payments", router=_checked(payments_router), tables=_tables(payments_tables),
               task_queue=settings.payments.task_queue),
        Module("orchestration", router=_checked(orchestration_router),
               tables=_tables(orchestration_tables),
               task_queue=settings.orchestration.task_queue),
        Module("reconciliation", router=_checked(reconciliation_router),
               tables=_tables(reconciliation_tables),
               task_queue=settings.reconciliation.task_queue),
        # Not on Temporal: its indexer is an outbox consumer of the events dispatcher.
        Module("search", router=_checked(search_router), tables=_tables(search_tables)),
        # Wallets are accounts of a ledger: the ledger's tables are theirs.
        Module("wallets", router=_checked(wallets_router), tables=ledger,
               task_queue=settings.wallets.task_queue),
        Module("webhooks", router=_checked(webhooks_router), tables=_tables(webhook_tables),
               task_queue=settings.webhooks.task_queue),
    ]


def _checked(router: object) -> APIRouter:
    assert isinstance(router, APIRouter)
    return router
