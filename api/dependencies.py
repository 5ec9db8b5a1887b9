"""Everything a route needs, built once when the app is created and typed: routes call
`dependencies(request)` (or a module's accessor built on it), never `getattr(app.state, ...)`.
Tests that need another task queue or shorter durations pass their own ModuleSettings to
`create_app`; nothing is overridden behind the app's back."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import TypeVar

from fastapi import FastAPI, Request

from api.temporal import Temporal
from config.modules import ModuleSettings
from config.settings import Settings
from domain.ledger.exporters import ExportersService
from domain.ledger.service import LedgerService
from domain.protection import ProtectedResources
from domain.wallets.service import WalletsService
from storage.database import Database
from storage.ledger.exporters_store import PgExporterStore
from storage.ledger.store import PgLedgerStore
from storage.wallets import wallets_service

P = TypeVar("P")


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
    # Filled by `install` from the modules that declare resources the stack depends on.
    protected: ProtectedResources = field(default_factory=ProtectedResources)
    # What a module builds for itself at startup (auth: its key ring and token parameters),
    # provided by create_app and looked up by type: this module imports no router, so no router
    # package and this module import each other.
    parts: dict[type, object] = field(default_factory=dict)

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

    def provide(self, part: object) -> None:
        self.parts[type(part)] = part

    def part(self, kind: type[P]) -> P:
        found = self.parts[kind]
        assert isinstance(found, kind)
        return found

    def install(self, app: FastAPI) -> None:
        app.state.dependencies = self
        for name in PROTECTING_MODULES:
            # Imported here: the declaring routers import this module themselves.
            import_module(name).declare_protected(self.protected, self)


# Modules whose own resources (system ledgers, the bootstrap client) the API must refuse to
# destroy; orchestration and payments add theirs here when they land.
PROTECTING_MODULES = ("api.wallets.router", "api.auth.router")


def dependencies_of(app: FastAPI) -> Dependencies:
    deps: Dependencies = app.state.dependencies
    return deps


def dependencies(request: Request) -> Dependencies:
    return dependencies_of(request.app)
