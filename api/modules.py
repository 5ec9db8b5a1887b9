"""What the gateway knows of a Formance module: its name, its routes when this stack serves it,
and what its health depends on. A leaf of the api package (routers import VERSION from here);
the list of modules, which imports the routers, is api/catalog.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter
from starlette.types import ASGIApp

VERSION = "0.1.0"


@dataclass(frozen=True)
class Module:
    name: str
    router: APIRouter | None = None  # None: not served by this stack (never healthy)
    # Optional ASGI wrapper around the module's mounted routes (per-request context).
    wrap: Callable[[ASGIApp], ASGIApp] | None = None
    tables: tuple[str, ...] = ()  # it cannot serve without these
    # Its processes run on Temporal: healthy only with the frontend serving and a worker
    # polling this queue.
    task_queue: str | None = None

    @property
    def served(self) -> bool:
        return self.router is not None
