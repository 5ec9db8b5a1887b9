"""The throwaway stack the fuzzer runs against: PostgreSQL, the Temporal dev server, the API, one
worker and the dispatcher, as `make run` starts them (bench/temporal_stack.py), with auth on and a
bootstrap client whose credentials only this run knows."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path

import httpx

from bench.temporal_stack import ROOT, TemporalBenchStack

FUZZ_CLIENT_ID = "fuzz-bootstrap"


class FuzzStack(TemporalBenchStack):
    def __init__(self, root: Path, *, env: dict[str, str] | None = None) -> None:
        self.client_id = FUZZ_CLIENT_ID
        self.client_secret = secrets.token_urlsafe(32)
        auth_env = {
            "AUTH_ENABLED": "true",
            "AUTH_BOOTSTRAP_CLIENT_ID": self.client_id,
            "AUTH_BOOTSTRAP_CLIENT_SECRET": self.client_secret,
            # The run's single token must outlive any time budget (schemathesis sends it as a
            # fixed header and would not fetch another).
            "AUTH_TOKEN_TTL_SECONDS": "86400",
        }
        # Small pool: the machine is shared and the fuzzer sends one request at a time.
        super().__init__(root, env={**auth_env, **(env or {})}, pool_size=10)
        # Tokens name their issuer after the URL clients use: it must be known before start.
        self.extra_env["PUBLIC_BASE_URL"] = self.base_url

    async def _migrate(self) -> None:
        # `workers migrate` is the documented way a deployment gets its first client: it applies
        # the migrations and the AUTH_BOOTSTRAP_* settings together.
        env = dict(os.environ, DATABASE_URL=self.database_url, LOG_LEVEL="WARNING",
                   **self.extra_env)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "workers", "migrate", env=env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"`workers migrate` failed:\n{output.decode(errors='replace')}")


def client_credentials_token(base_url: str, client_id: str, client_secret: str) -> str:
    resp = httpx.post(f"{base_url}/api/auth/oauth/token", timeout=30, data={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": client_secret})
    if resp.status_code != 200:
        raise RuntimeError(f"no token for {client_id}: {resp.status_code} {resp.text[:300]}")
    return str(resp.json()["access_token"])
