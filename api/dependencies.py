"""Everything a route needs, built once when the app is created and typed: routes call
`dependencies(request)` (or a module's accessor built on it), never `getattr(app.state, ...)`.
Tests that need another task queue or shorter durations pass their own ModuleSettings to
`create_app`; nothing is overridden behind the app's back."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI, Request

from api.temporal import Temporal
from config.modules import ModuleSettings
from config.settings import Settings
from domain.ledger.exporters import ExportersService
from domain.ledger.service import LedgerService
from domain.wallets.service import WalletsService
from storage.database import Database
from storage.ledger.exporters_store import PgExporterStore
from storage.ledger.store import PgLedgerStore
from storage.wallets import wallets_service


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    modules: ModuleSettings
    database: Database
    temporal: Temporal
    ledger: LedgerService
    exporters: ExportersService
    exporter_store: PgExporterStore
    wallets: WalletsService

    @classmethod
    def build(cls, settings: Settings, database: Database, modules: ModuleSettings
              ) -> Dependencies:
        # One ledger service (and store) per app, shared by the ledger and wallets modules.
        ledger = LedgerService(PgLedgerStore(database))
        exporter_store = PgExporterStore(database)
        return cls(
            settings=settings, modules=modules, database=database,
            temporal=Temporal(settings.effective_temporal_address, settings.temporal_namespace),
            ledger=ledger, exporters=ExportersService(exporter_store),
            exporter_store=exporter_store,
            wallets=wallets_service(database, modules.wallets, ledger),
        )

    def install(self, app: FastAPI) -> None:
        app.state.dependencies = self
        # Routers that still look services up by these names find the ones built here.
        app.state.ledger_service = self.ledger
        app.state.wallets_service = self.wallets


def dependencies(request: Request) -> Dependencies:
    deps: Dependencies = request.app.state.dependencies
    return deps
