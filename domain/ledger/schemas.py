"""Ledger schemas: a versioned chart of accounts, transaction templates and query templates.

Once a ledger has a schema, every write names the version it follows (`?schemaVersion=`) and its
accounts must fit that version's chart; a ledger without schemas pays one cached dictionary
lookup per write (see SchemaRegistry).

Chart of accounts (Formance V2ChartOfAccounts): nested segments. A key starting with `.` is a
property of the segment (`.self`: the prefix itself is an account; `.pattern`: a regular
expression the segment must fully match, for variable segments; `.rules`; `.metadata`: default
metadata); a key starting with `$` is a variable segment (one per level), any other key a fixed
segment. `world` is always allowed: it is the ledger's own source of money.

`.rules` is stored and returned, not enforced: the Formance contract gives it no fields
(V2ChartAccountRules is an empty object). `.metadata` is checked to be V2ChartAccountMetadata
(`{key: {default?: string}}`) and stored; applying the defaults to a new account needs the
account upsert to tell a created row from an existing one, which is the storage's to do.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.errors import ValidationError
from domain.ledger.models import WORLD, Metadata, Posting

# The `schemaVersion` of the current request. The API sets it (a router dependency reads the
# query parameter) so that every write path, bulk included, sees it without a new argument.
requested_schema_version: ContextVar[str | None] = ContextVar(
    "ledger_requested_schema_version", default=None)

_SEGMENT = re.compile(r"^[a-zA-Z0-9_-]+$")
_VERSION = re.compile(r"^[0-9a-zA-Z_.+-]{1,63}$")
_QUERY_RESOURCES = ("transactions", "accounts", "logs", "volumes")
_VAR = re.compile(r"\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


class SchemaViolationError(ValidationError):
    """A write that does not fit the ledger's schema (Formance answers 400 VALIDATION)."""


@dataclass(frozen=True, slots=True)
class LedgerSchema:
    version: str
    created_at: datetime
    chart: dict[str, Any]
    transactions: dict[str, Any] = field(default_factory=dict)
    queries: dict[str, Any] = field(default_factory=dict)

    def to_json(self, created_at: str) -> dict[str, Any]:
        return {"version": self.version, "createdAt": created_at, "chart": self.chart,
                "transactions": self.transactions, "queries": self.queries}


def validate_version(version: str) -> str:
    if not _VERSION.match(version):
        raise ValidationError(f"invalid schema version {version!r}: expected 1 to 63 of "
                              "[0-9a-zA-Z_.+-]")
    return version


def parse_schema_data(body: object, version: str, created_at: datetime) -> LedgerSchema:
    """Validates a V2SchemaData body; every rejection names the path at fault."""
    if not isinstance(body, dict):
        raise ValidationError("schema body must be an object")
    chart = body.get("chart")
    if not isinstance(chart, dict):
        raise ValidationError("schema.chart is required and must be an object")
    for name, node in chart.items():
        _check_segment(name, node, f"chart.{name}", top=True)
    transactions = body.get("transactions") or {}
    if not isinstance(transactions, dict):
        raise ValidationError("schema.transactions must be an object")
    for name, template in transactions.items():
        where = f"transactions.{name}"
        if not isinstance(template, dict) or not isinstance(template.get("script"), str):
            raise ValidationError(f"{where}.script is required and must be a string")
        runtime = template.get("runtime")
        if runtime is not None and runtime not in ("machine", "experimental-interpreter"):
            raise ValidationError(f"{where}.runtime must be machine or experimental-interpreter")
    queries = body.get("queries") or {}
    if not isinstance(queries, dict):
        raise ValidationError("schema.queries must be an object")
    for name, template in queries.items():
        where = f"queries.{name}"
        if not isinstance(template, dict):
            raise ValidationError(f"{where} must be an object")
        if template.get("resource") not in _QUERY_RESOURCES:
            raise ValidationError(f"{where}.resource must be one of {', '.join(_QUERY_RESOURCES)}")
        for key in ("params", "vars", "body"):
            if template.get(key) is not None and not isinstance(template[key], dict):
                raise ValidationError(f"{where}.{key} must be an object")
    return LedgerSchema(version=validate_version(version), created_at=created_at,
                        chart=chart, transactions=transactions, queries=queries)


def _check_segment(name: str, node: object, where: str, *, top: bool = False) -> None:
    variable = name.startswith("$")
    if variable and top:
        raise ValidationError(f"{where}: the first segment of an account must be fixed")
    if not _SEGMENT.match(name[1:] if variable else name):
        raise ValidationError(f"{where}: invalid segment name {name!r}")
    if not isinstance(node, dict):
        raise ValidationError(f"{where} must be an object")
    pattern = node.get(".pattern")
    if pattern is not None:
        if not variable:
            raise ValidationError(f"{where}: .pattern is only allowed on a $variable segment")
        if not isinstance(pattern, str):
            raise ValidationError(f"{where}.pattern must be a string")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValidationError(f"{where}.pattern is not a valid regular expression: {exc}"
                                  ) from None
    for key in (".rules", ".self"):
        if node.get(key) is not None and not isinstance(node[key], dict):
            raise ValidationError(f"{where}{key} must be an object")
    md = node.get(".metadata")
    if md is not None and not isinstance(md, dict):
        raise ValidationError(f"{where}.metadata must be an object")
    for key, spec in (md or {}).items():  # V2ChartAccountMetadata: {default?: string}
        if not isinstance(spec, dict) or not isinstance(spec.get("default", ""), str):
            raise ValidationError(f"{where}.metadata.{key} must be an object with an optional "
                                  "string `default`")
    children = [k for k in node if not k.startswith(".")]
    if sum(1 for k in children if k.startswith("$")) > 1:
        raise ValidationError(f"{where}: at most one $variable segment per level")
    for child in children:
        _check_segment(child, node[child], f"{where}.{child}")


def match_account(chart: dict[str, Any], address: str) -> str | None:
    """None when the address fits the chart, else the reason (naming the rule it breaks)."""
    if address == WORLD:
        return None
    node: dict[str, Any] | None = None
    level: dict[str, Any] = chart
    path: list[str] = []
    for segment in address.split(":"):
        if segment in level and not segment.startswith((".", "$")):
            node = level[segment]
            path.append(segment)
        else:
            variables = [k for k in level if k.startswith("$")]
            if not variables:
                where = ":".join(path) or "the chart root"
                return f"segment {segment!r} is not declared under {where}"
            node = level[variables[0]]
            assert node is not None
            pattern = node.get(".pattern")
            if isinstance(pattern, str) and not re.fullmatch(pattern, segment):
                return (f"segment {segment!r} does not match the pattern {pattern!r} of "
                        f"{':'.join([*path, variables[0]])}")
            path.append(variables[0])
        assert node is not None
        level = {k: v for k, v in node.items() if not k.startswith(".")}
    assert node is not None
    if level and ".self" not in node:
        return f"{':'.join(path)} is not an account of the chart (it has sub-accounts, no .self)"
    return None


def check_accounts(schema: LedgerSchema, addresses: list[str]) -> None:
    for address in sorted(set(addresses)):
        reason = match_account(schema.chart, address)
        if reason is not None:
            raise SchemaViolationError(
                f"account {address!r} does not fit the chart of accounts of schema "
                f"{schema.version!r}: {reason}")


def check_postings(schema: LedgerSchema, postings: list[Posting],
                   account_metadata: dict[str, Metadata]) -> None:
    addresses = [p.source for p in postings] + [p.destination for p in postings]
    check_accounts(schema, addresses + list(account_metadata))


# --- query templates ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RenderedQuery:
    resource: str
    body: dict[str, Any] | None
    params: dict[str, Any]


def render_query(schema: LedgerSchema, query_id: str, variables: dict[str, str],
                 params: dict[str, Any]) -> RenderedQuery:
    """The template `query_id` with `${var}` placeholders replaced by the caller's variables
    (or the declared defaults); the caller's params override the template's."""
    template = schema.queries.get(query_id)
    if not isinstance(template, dict):
        from domain.errors import NotFoundError

        raise NotFoundError(f"query template {query_id!r} not found in schema "
                            f"{schema.version!r}")
    declared: dict[str, Any] = template.get("vars") or {}
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in variables:
            values[name] = variables[name]
        elif isinstance(spec, dict) and "default" in spec:
            values[name] = spec["default"]
    unknown = sorted(set(variables) - set(declared))
    if unknown:
        raise ValidationError(f"query template {query_id!r} declares no variable "
                              f"{', '.join(unknown)}")

    def substitute(value: Any) -> Any:
        if isinstance(value, str):
            whole = _VAR.fullmatch(value)
            if whole:  # a whole-value placeholder keeps the variable's type (numbers stay numbers)
                return _var(values, whole.group(1), query_id)
            return _VAR.sub(lambda m: str(_var(values, m.group(1), query_id)), value)
        if isinstance(value, dict):
            return {substitute(k): substitute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [substitute(v) for v in value]
        return value

    body = template.get("body")
    merged = {**(template.get("params") or {}), **params}
    return RenderedQuery(resource=str(template["resource"]),
                         body=substitute(body) if body else None, params=merged)


def _var(values: dict[str, Any], name: str, query_id: str) -> Any:
    if name not in values:
        raise ValidationError(f"query template {query_id!r} needs variable {name!r}")
    return values[name]


# --- registry: the cheap "does this ledger have schemas" check ------------------------------------

class SchemaReader(Protocol):
    async def has_schemas(self, ledger: str) -> bool: ...

    async def get_schema(self, ledger: str, version: str) -> LedgerSchema | None: ...


class SchemaRegistry:
    """Per-process cache. Schemas are immutable and never deleted, so a version once read and a
    ledger once seen with schemas are cached for good. "No schema" is cached for
    `negative_ttl` seconds (cleared at once when this process inserts one): another replica's
    insert is enforced here after at most that delay."""

    def __init__(self, reader: SchemaReader, *, negative_ttl: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.reader = reader
        self.negative_ttl = negative_ttl
        self.clock = clock
        self._with_schemas: set[str] = set()
        self._without_until: dict[str, float] = {}
        self._versions: dict[tuple[str, str], LedgerSchema] = {}
        self._checks: dict[str, asyncio.Future[bool]] = {}
        self._generation = 0

    async def has_schemas(self, ledger: str) -> bool:
        if ledger in self._with_schemas:
            return True
        until = self._without_until.get(ledger)
        if until is not None and until > self.clock():
            return False
        # One query per expiry, not one per write in flight when the answer expires.
        check = self._checks.get(ledger)
        if check is None:
            check = asyncio.ensure_future(self._check(ledger))
            self._checks[ledger] = check
            check.add_done_callback(lambda _: self._checks.pop(ledger, None))
        return await asyncio.shield(check)

    async def _check(self, ledger: str) -> bool:
        generation = self._generation
        if await self.reader.has_schemas(ledger):
            self._with_schemas.add(ledger)
            self._without_until.pop(ledger, None)
            return True
        if generation == self._generation:  # no insert meanwhile made the answer stale
            self._without_until[ledger] = self.clock() + self.negative_ttl
        return ledger in self._with_schemas

    async def get(self, ledger: str, version: str) -> LedgerSchema | None:
        found = self._versions.get((ledger, version))
        if found is None:
            found = await self.reader.get_schema(ledger, version)
            if found is not None:
                self._versions[(ledger, version)] = found
        return found

    def inserted(self, ledger: str) -> None:
        self._generation += 1
        self._with_schemas.add(ledger)
        self._without_until.pop(ledger, None)
