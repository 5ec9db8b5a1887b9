"""The real server for end-to-end tests: the app served by uvicorn on a free port, on its own
thread and event loop (so a test may drive it with sync or async clients alike), against the
test's fresh database.

Two ways in:

* ``app_url``: the base URL (``http://127.0.0.1:<port>``) of a server with default settings.
  Override settings per test with an indirect parameter::

      @pytest.mark.parametrize("app_url", [{"auth_enabled": True}], indirect=True)
      async def test_x(app_url: str) -> None: ...

* ``serve_app``: a factory, ``serve_app(**settings_overrides) -> base URL``, for tests that need
  values from other fixtures in the settings (``temporal_address``...), module settings
  (``module_settings=``: the task queues of the worker the test runs), or several servers.
  Every server it starts is stopped at teardown.

Defaults: ``database_url`` of the test, ``api_port`` and ``public_base_url`` of the server, and
a ``temporal_address`` on an unused port (the health of Temporal-backed modules then fails fast);
pass ``temporal_address=`` for tests that run workflows.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn

from api.app import create_app
from config.modules import ModuleSettings
from config.settings import Settings

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0

ServeApp = Callable[..., str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    def __init__(self, settings: Settings, port: int,
                 module_settings: ModuleSettings | None = None) -> None:
        # The app owns its database pool: it is created on the server thread's event loop.
        config = uvicorn.Config(create_app(settings, module_settings=module_settings),
                                host="127.0.0.1", port=port,
                                log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{port}",
                                       daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn exited during startup (see the captured log)")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"uvicorn did not start within {START_TIMEOUT_S}s")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(STOP_TIMEOUT_S)


@pytest.fixture
def serve_app(database_url: str) -> Iterator[ServeApp]:
    servers: list[_Server] = []

    def serve(module_settings: ModuleSettings | None = None, **overrides: Any) -> str:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        values: dict[str, Any] = {
            "database_url": database_url,
            "temporal_address": f"127.0.0.1:{free_port()}",
            "api_port": port,
            "public_base_url": base,
        }
        values.update(overrides)
        server = _Server(Settings(**values), port, module_settings)
        server.start()
        servers.append(server)
        return base

    try:
        yield serve
    finally:
        for server in reversed(servers):
            server.stop()


@pytest.fixture
def app_url(request: pytest.FixtureRequest, serve_app: ServeApp) -> str:
    overrides: dict[str, Any] = getattr(request, "param", None) or {}
    return serve_app(**overrides)
