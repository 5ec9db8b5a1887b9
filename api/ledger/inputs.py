"""Request bodies to domain commands, by hand: bodies carry amounts of any size (the stdlib JSON
decoder keeps them exact) and every rejection must name the field at fault."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from domain.amounts import parse_amount
from domain.errors import ValidationError
from domain.ledger.models import (
    CreateTransaction,
    DeleteMetadata,
    Posting,
    RevertTransaction,
    SaveMetadata,
    Script,
    TargetType,
)
from domain.ledger.query import load_json, parse_bool, parse_datetime
from domain.ledger.validation import check_postings_count, validate_script_size

_INTEGER = re.compile(r"^[0-9]+$")
# Ledgerflow has one Numscript engine (the reference interpreter); both Formance runtime names
# are accepted so that clients written for either keep working.
RUNTIMES = ("experimental-interpreter", "machine")
_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "an integer", float: "a number", type(None): "null"}


def _kind(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


async def json_body(request: Request, *, required: bool = False) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise ValidationError("a JSON body is required")
        return None
    try:
        return load_json(raw, context="JSON body")
    except ValidationError as exc:
        raise ValidationError(f"malformed JSON body: {exc.message}") from None


def expect_object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(f"{where} must be an object, got {_kind(value)}")
    return value


def string_map(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    doc = expect_object(value, where)
    for key, item in doc.items():
        if not isinstance(item, str):
            raise ValidationError(f"{where}[{key!r}] must be a string, got {_kind(item)}")
    return doc


def optional_string(doc: dict[str, Any], key: str, where: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{where}.{key} must be a string, got {_kind(value)}")
    return value


def optional_bool(doc: dict[str, Any], key: str, where: str) -> bool:
    value = doc.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValidationError(f"{where}.{key} must be a boolean, got {_kind(value)}")
    return value


def amount(value: object, where: str) -> int:
    """An integer amount: a JSON integer, or a string of digits (bigint-as-string clients).
    The stack's one amount parser (domain/amounts.py), shared with wallets."""
    return parse_amount(value, where)


def parse_postings(value: object, where: str) -> tuple[Posting, ...]:
    if not isinstance(value, list):
        raise ValidationError(f"{where} must be an array, got {_kind(value)}")
    check_postings_count(len(value), where)  # before building them (LIMIT_POSTINGS_...)
    out = []
    for i, item in enumerate(value):
        at = f"{where}[{i}]"
        doc = expect_object(item, at)
        fields = {}
        for key in ("source", "destination", "asset"):
            text = doc.get(key)
            if not isinstance(text, str):
                raise ValidationError(f"{at}.{key} must be a string, got {_kind(text)}")
            fields[key] = text
        if "amount" not in doc:
            raise ValidationError(f"{at}.amount is required")
        out.append(Posting(fields["source"], fields["destination"],
                           amount(doc["amount"], f"{at}.amount"), fields["asset"]))
    return tuple(out)


def parse_create_transaction(body: object, *, force: bool, where: str = "body"
                             ) -> CreateTransaction:
    doc = expect_object(body if body is not None else {}, where)
    postings = parse_postings(doc["postings"], f"{where}.postings") \
        if doc.get("postings") is not None else None
    script = None
    raw_script = doc.get("script")
    if raw_script is not None:
        s = expect_object(raw_script, f"{where}.script")
        plain = s.get("plain")
        template = s.get("template")
        if template is not None:
            # A template of the schema version the write names (resolved by the service).
            if not isinstance(template, str) or not template:
                raise ValidationError(
                    f"{where}.script.template must be a non-empty string, got {_kind(template)}")
            if plain:
                raise ValidationError(
                    f"give either {where}.script.plain or {where}.script.template, not both")
            plain = ""
        elif not isinstance(plain, str):
            raise ValidationError(f"{where}.script.plain must be a string, got {_kind(plain)}")
        validate_script_size(plain, what=f"{where}.script.plain")
        raw_vars = s.get("vars") or {}
        expect_object(raw_vars, f"{where}.script.vars")
        variables = {}
        for key, value in raw_vars.items():
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise ValidationError(
                    f"{where}.script.vars[{key!r}] must be a string, got {_kind(value)}")
            variables[key] = str(value)
        script = Script(plain, variables, template)
        if postings is not None and not postings:
            postings = None  # SDKs send `postings: []` next to a script
    runtime = doc.get("runtime")
    if runtime is not None and runtime not in RUNTIMES:
        raise ValidationError(
            f"{where}.runtime must be one of {', '.join(RUNTIMES)}; got {runtime!r}")
    timestamp = doc.get("timestamp")
    account_metadata = {}
    raw_am = doc.get("accountMetadata")
    if raw_am is not None:
        for address, md in expect_object(raw_am, f"{where}.accountMetadata").items():
            account_metadata[address] = string_map(md, f"{where}.accountMetadata[{address!r}]")
    return CreateTransaction(
        postings=postings,
        script=script,
        timestamp=parse_datetime(timestamp, context=f"{where}.timestamp")
        if timestamp is not None else None,
        reference=optional_string(doc, "reference", where),
        metadata=string_map(doc.get("metadata"), f"{where}.metadata"),
        account_metadata=account_metadata,
        force=force or optional_bool(doc, "force", where),
    )


def parse_revert(body: object, transaction_id: int, *, force: bool, at_effective_date: bool,
                 where: str = "body") -> RevertTransaction:
    doc = expect_object(body if body is not None else {}, where)
    return RevertTransaction(
        id=transaction_id,
        force=force or optional_bool(doc, "force", where),
        at_effective_date=at_effective_date or optional_bool(doc, "atEffectiveDate", where),
        metadata=string_map(doc.get("metadata"), f"{where}.metadata"),
    )


def parse_transaction_id(value: object, where: str = "id") -> int:
    if isinstance(value, bool):
        raise ValidationError(f"{where} must be an integer, got a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        number = int(value.strip())
    else:
        raise ValidationError(f"{where} must be a non-negative integer, got {value!r}")
    if number < 0 or number >= 2**63:
        raise ValidationError(f"{where} out of range: {number}")
    return number


def parse_target(doc: dict[str, Any], where: str) -> tuple[TargetType, str | int]:
    raw_type = doc.get("targetType")
    try:
        target_type = TargetType(str(raw_type))
    except ValueError:
        raise ValidationError(
            f"{where}.targetType must be ACCOUNT or TRANSACTION, got {raw_type!r}") from None
    target = doc.get("targetId")
    if target_type is TargetType.TRANSACTION:
        return target_type, parse_transaction_id(target, f"{where}.targetId")
    if not isinstance(target, str):
        raise ValidationError(f"{where}.targetId must be an account address string")
    return target_type, target


def parse_bulk_element(item: object, index: int) -> tuple[str, str | None, Any]:
    where = f"[{index}]"
    doc = expect_object(item, where)
    action = doc.get("action")
    ik = doc.get("ik")
    if ik is not None and not isinstance(ik, str):
        raise ValidationError(f"{where}.ik must be a string")
    data = doc.get("data")
    at = f"{where}.data"
    command: Any
    if action == "CREATE_TRANSACTION":
        command = parse_create_transaction(data, force=False, where=at)
    elif action == "ADD_METADATA":
        d = expect_object(data, at)
        target_type, target = parse_target(d, at)
        command = SaveMetadata(target_type, target, string_map(d.get("metadata"), f"{at}.metadata"))
    elif action == "REVERT_TRANSACTION":
        d = expect_object(data, at)
        command = parse_revert(d, parse_transaction_id(d.get("id"), f"{at}.id"), force=False,
                               at_effective_date=False, where=at)
    elif action == "DELETE_METADATA":
        d = expect_object(data, at)
        target_type, target = parse_target(d, at)
        key = d.get("key")
        if not isinstance(key, str):
            raise ValidationError(f"{at}.key must be a string")
        command = DeleteMetadata(target_type, target, key)
    else:
        raise ValidationError(
            f"{where}.action must be one of CREATE_TRANSACTION, ADD_METADATA, "
            f"REVERT_TRANSACTION, DELETE_METADATA; got {action!r}")
    return str(action), ik, command


def query_bool(request: Request, name: str) -> bool:
    if not request.scope.get("query_string"):  # the write path's usual case: no parsing
        return False
    return parse_bool(request.query_params.get(name), name=name)


def header(request: Request, name: bytes) -> str | None:
    """The first value of a header (`name` in lower case, as ASGI gives them). Starlette's
    Headers.get decodes every header through the Mapping ABC on each call: twice per write it
    cost 5% of the write path's CPU."""
    for key, value in request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
