"""Ledger schemas: insert, read and list versions, the version a write follows (strict mode once
a ledger has one), the checks writes pass through, transaction templates and query templates."""

from __future__ import annotations

from typing import Any

from domain.errors import ValidationError
from domain.ledger import schemas as _schemas
from domain.ledger.errors import (
    IdempotencyKeyConflictError,
    SchemaNotFoundError,
    SchemaNotSpecifiedError,
)
from domain.ledger.hashing import format_time
from domain.ledger.models import (
    Command,
    Metadata,
    Posting,
    SaveMetadata,
    Script,
    TargetType,
    WriteOptions,
)
from domain.ledger.ports import LogDraft
from domain.ledger.service.ledgers import Ledgers


class Schemas(Ledgers):
    @property
    def schemas(self) -> _schemas.SchemaRegistry:
        registry: _schemas.SchemaRegistry | None = getattr(self, "_schema_registry", None)
        if registry is None:
            registry = _schemas.SchemaRegistry(self.store)
            self._schema_registry = registry
        return registry

    async def insert_schema(self, ledger: str, version: str, body: object,
                            options: WriteOptions) -> bool:
        """Returns whether it is the replay of an earlier insert (Idempotency-Hit)."""
        await self.require_ledger(ledger)
        now = self.clock()
        schema = _schemas.parse_schema_data(body, version, now)
        if options.idempotency_key:
            async with self.store.writer(ledger) as w:
                earlier = await w.find_log_by_idempotency_key(options.idempotency_key)
            if earlier is not None:
                if earlier.idempotency_hash != options.idempotency_hash:
                    raise IdempotencyKeyConflictError(options.idempotency_key)
                return True
        log = LogDraft("INSERTED_SCHEMA", {"schema": schema.to_json(format_time(now))}, now,
                       options.idempotency_key, options.idempotency_hash)
        await self.store.insert_schema(ledger, schema, log)
        self.schemas.inserted(ledger)
        return False

    async def get_schema(self, ledger: str, version: str) -> _schemas.LedgerSchema:
        await self.require_ledger(ledger)
        schema = await self.schemas.get(ledger, version)
        if schema is None:
            raise SchemaNotFoundError(version)
        return schema

    async def list_schemas(self, ledger: str, offset: int, limit: int, descending: bool
                           ) -> list[_schemas.LedgerSchema]:
        await self.require_ledger(ledger)
        return await self.store.list_schemas(ledger, offset, limit, descending)

    async def write_schema(self, ledger: str) -> _schemas.LedgerSchema | None:
        """The schema a write follows: None for a ledger without schemas; otherwise the
        requested version, which must exist (strict mode: a version is required)."""
        version = _schemas.requested_schema_version.get()
        if not await self.schemas.has_schemas(ledger):
            if version:
                raise SchemaNotFoundError(version)
            return None
        if not version:
            raise SchemaNotSpecifiedError(ledger)
        schema = await self.schemas.get(ledger, version)
        if schema is None:
            raise SchemaNotFoundError(version)
        return schema

    async def _enforce_schema(self, ledger: str, command: Command) -> None:
        schema = await self.write_schema(ledger)
        if schema is not None and isinstance(command, SaveMetadata) \
                and command.target_type is TargetType.ACCOUNT:
            _schemas.check_accounts(schema, [str(command.target_id)])

    async def _enforce_schema_postings(self, ledger: str, postings: list[Posting],
                                       account_metadata: dict[str, Metadata]) -> None:
        schema = await self.write_schema(ledger)
        if schema is not None:
            _schemas.check_postings(schema, postings, account_metadata)

    async def _template_script(self, ledger: str, script: Script) -> Script:
        """The script of transaction template `script.template` in the schema version the write
        names; the caller's vars are kept. (Its `runtime` needs no choice here: Ledgerflow has
        one Numscript engine, which accepts both runtime names.)"""
        assert script.template is not None
        schema = await self.write_schema(ledger)  # strict mode: SCHEMA_NOT_SPECIFIED
        if schema is None:
            raise ValidationError(f"transaction template {script.template!r}: the ledger has "
                                  "no schema to take it from")
        found = schema.transactions.get(script.template)
        if not isinstance(found, dict):
            raise ValidationError(f"transaction template {script.template!r} not found in "
                                  f"schema {schema.version!r}")
        return Script(str(found["script"]), script.vars, script.template)

    async def query_template(self, ledger: str, query_id: str, variables: dict[str, str],
                             params: dict[str, Any]) -> _schemas.RenderedQuery:
        """A query template of the requested schema version (default: the latest one)."""
        await self.require_ledger(ledger)
        version = _schemas.requested_schema_version.get()
        if version:
            schema = await self.get_schema(ledger, version)
        else:
            latest = await self.store.list_schemas(ledger, 0, 1, True)
            if not latest:
                raise SchemaNotFoundError("(latest)")
            schema = latest[0]
        return _schemas.render_query(schema, query_id, variables, params)
