"""Resources, operators and the fields each list may filter on, with their kinds."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# --- Resources, operators, fields ----------------------------------------------------------------


class Resource(StrEnum):
    TRANSACTIONS = "transactions"
    ACCOUNTS = "accounts"
    VOLUMES = "volumes"
    LOGS = "logs"
    LEDGERS = "ledgers"


class Operator(StrEnum):
    MATCH = "$match"
    LT = "$lt"
    LTE = "$lte"
    GT = "$gt"
    GTE = "$gte"
    LIKE = "$like"
    IN = "$in"
    EXISTS = "$exists"


_LOGICAL = ("$and", "$or", "$not")


class Kind(StrEnum):
    """What a field's values are; decides the accepted operators and the value type."""

    STRING = "string"
    INT = "int"
    DATE = "date"
    BOOL = "bool"
    ADDRESS = "address"
    KEYS = "keys"  # plain `metadata`: only `$exists`, whose value is the key name


_ORDERED = (Operator.MATCH, Operator.LT, Operator.LTE, Operator.GT, Operator.GTE)
_OPERATORS: dict[Kind, tuple[Operator, ...]] = {
    Kind.STRING: (Operator.MATCH, Operator.LIKE, Operator.IN),
    # `$in` on integers (ids) is a harmless extension of the reference table.
    Kind.INT: (*_ORDERED, Operator.IN),
    Kind.DATE: _ORDERED,
    Kind.BOOL: (Operator.MATCH,),
    Kind.ADDRESS: (Operator.MATCH, Operator.LIKE, Operator.IN),
    Kind.KEYS: (Operator.EXISTS,),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: Kind
    keyed: bool = False  # `name[key]`: a map field (metadata[k], balance[ASSET], features[k])

    def operators(self) -> tuple[Operator, ...]:
        ops = _OPERATORS[self.kind]
        # Map fields also take `$exists` (is the key/asset present at all).
        return (*ops, Operator.EXISTS) if self.keyed else ops

    @property
    def label(self) -> str:
        return f"{self.name}[...]" if self.keyed else self.name


def _specs(*specs: FieldSpec) -> dict[tuple[str, bool], FieldSpec]:
    return {(s.name, s.keyed): s for s in specs}


_DATE = Kind.DATE
_FIELDS: dict[Resource, dict[tuple[str, bool], FieldSpec]] = {
    Resource.TRANSACTIONS: _specs(
        FieldSpec("id", Kind.INT),
        FieldSpec("reference", Kind.STRING),
        FieldSpec("timestamp", _DATE),
        FieldSpec("inserted_at", _DATE),
        FieldSpec("updated_at", _DATE),
        FieldSpec("reverted_at", _DATE),
        FieldSpec("reverted", Kind.BOOL),
        FieldSpec("account", Kind.ADDRESS),
        FieldSpec("source", Kind.ADDRESS),
        FieldSpec("destination", Kind.ADDRESS),
        FieldSpec("metadata", Kind.STRING, keyed=True),
        FieldSpec("metadata", Kind.KEYS),
    ),
    Resource.ACCOUNTS: _specs(
        FieldSpec("address", Kind.ADDRESS),
        FieldSpec("first_usage", _DATE),
        FieldSpec("insertion_date", _DATE),
        FieldSpec("updated_at", _DATE),
        FieldSpec("balance", Kind.INT),
        FieldSpec("balance", Kind.INT, keyed=True),
        FieldSpec("metadata", Kind.STRING, keyed=True),
        FieldSpec("metadata", Kind.KEYS),
    ),
    Resource.VOLUMES: _specs(
        FieldSpec("address", Kind.ADDRESS),
        FieldSpec("balance", Kind.INT),
        FieldSpec("balance", Kind.INT, keyed=True),
        FieldSpec("first_usage", _DATE),
        FieldSpec("metadata", Kind.STRING, keyed=True),
        FieldSpec("metadata", Kind.KEYS),
    ),
    Resource.LOGS: _specs(
        FieldSpec("date", _DATE),
        FieldSpec("id", Kind.INT),
        FieldSpec("type", Kind.STRING),
    ),
    Resource.LEDGERS: _specs(
        FieldSpec("name", Kind.STRING),
        FieldSpec("bucket", Kind.STRING),
        FieldSpec("metadata", Kind.STRING, keyed=True),
        FieldSpec("features", Kind.STRING, keyed=True),
    ),
}
# Alternative spellings accepted in filters, resolved to the canonical field name.
_ALIASES: dict[Resource, dict[str, str]] = {Resource.VOLUMES: {"account": "address"}}


def filter_fields(resource: Resource) -> list[str]:
    """The field names a filter on `resource` may use (map fields as `name[...]`)."""
    return sorted({s.label for s in _FIELDS[resource].values()} | set(_ALIASES.get(resource, {})))


