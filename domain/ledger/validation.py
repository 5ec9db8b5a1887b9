"""Input rules of the Formance ledger: addresses, assets, ledger and bucket names, features."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from domain.errors import ValidationError
from domain.ledger.models import Posting

ADDRESS_RE = re.compile(r"^[a-zA-Z0-9_-]+(:[a-zA-Z0-9_-]+)*$")
ASSET_RE = re.compile(r"^[A-Z][A-Z0-9]{0,16}(_[A-Z]{1,16})?(/\d{1,6})?$")
NAME_RE = re.compile(r"^[0-9a-zA-Z_-]{1,63}$")
RESERVED_LEDGER_NAMES = frozenset({"_", "_info", "_healthcheck"})
DEFAULT_BUCKET = "_default"


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """What one API request may ask for (config/settings.py `LIMIT_*` has the defaults)."""

    postings_per_transaction: int
    bulk_elements: int
    metadata_keys: int
    metadata_value_chars: int
    script_chars: int


# The limits of the request being served, set by the API for each request (api/input_guard.py).
# Unset (None) outside a request: the workers' own writes replay what a request already passed,
# and must not fail later because an operator lowered a limit in between.
REQUEST_LIMITS: ContextVar[RequestLimits | None] = ContextVar("request_limits", default=None)
DEFAULT_BULK_ELEMENTS = 100  # Formance's default, for bulks outside a request


def check_postings_count(count: int, what: str = "postings") -> None:
    """Called by the API's parser before it builds the postings (a request of 134,000 postings
    took seconds), and again by the service for commands from elsewhere."""
    limits = REQUEST_LIMITS.get()
    if limits is not None and count > limits.postings_per_transaction:
        raise ValidationError(f"{what} has {count} elements, the limit is "
                              f"{limits.postings_per_transaction} per transaction")


def bulk_element_limit() -> int:
    limits = REQUEST_LIMITS.get()
    return limits.bulk_elements if limits is not None else DEFAULT_BULK_ELEMENTS


def validate_script_size(text: str, *, what: str = "script.plain") -> None:
    limits = REQUEST_LIMITS.get()
    if limits is not None and len(text) > limits.script_chars:
        raise ValidationError(
            f"{what} has {len(text)} characters, the limit is {limits.script_chars}")


DEFAULT_FEATURES: dict[str, str] = {
    "MOVES_HISTORY": "ON",
    "MOVES_HISTORY_POST_COMMIT_EFFECTIVE_VOLUMES": "SYNC",
    "HASH_LOGS": "SYNC",
    "ACCOUNT_METADATA_HISTORY": "SYNC",
    "TRANSACTION_METADATA_HISTORY": "SYNC",
}
ALLOWED_FEATURE_VALUES: dict[str, frozenset[str]] = {
    "MOVES_HISTORY": frozenset({"ON", "OFF"}),
    "MOVES_HISTORY_POST_COMMIT_EFFECTIVE_VOLUMES": frozenset({"SYNC", "DISABLED"}),
    "HASH_LOGS": frozenset({"SYNC", "ASYNC", "DISABLED"}),
    "ACCOUNT_METADATA_HISTORY": frozenset({"SYNC", "DISABLED"}),
    "TRANSACTION_METADATA_HISTORY": frozenset({"SYNC", "DISABLED"}),
}


def validate_address(address: str, *, what: str = "address") -> str:
    if not ADDRESS_RE.fullmatch(address):
        raise ValidationError(
            f"invalid {what} {address!r}: expected segments of [a-zA-Z0-9_-] joined by ':'"
        )
    return address


def validate_asset(asset: str) -> str:
    if not ASSET_RE.fullmatch(asset):
        raise ValidationError(
            f"invalid asset {asset!r}: expected [A-Z][A-Z0-9]{{0,16}}(_[A-Z]{{1,16}})?(/decimals)?"
        )
    return asset


def validate_posting(posting: Posting, index: int) -> None:
    where = f"postings[{index}]"
    validate_address(posting.source, what=f"{where}.source")
    validate_address(posting.destination, what=f"{where}.destination")
    validate_asset(posting.asset)
    if posting.amount < 0:
        raise ValidationError(f"{where}.amount must be >= 0, got {posting.amount}")


def validate_postings(postings: Sequence[Posting]) -> None:
    check_postings_count(len(postings))
    for index, posting in enumerate(postings):
        validate_posting(posting, index)


def validate_ledger_name(name: str) -> str:
    if not NAME_RE.fullmatch(name) or name in RESERVED_LEDGER_NAMES:
        raise ValidationError(
            f"invalid ledger name {name!r}: expected ^[0-9a-zA-Z_-]{{1,63}}$, not a reserved name"
        )
    return name


def validate_bucket(bucket: str) -> str:
    if not NAME_RE.fullmatch(bucket):
        raise ValidationError(f"invalid bucket name {bucket!r}: expected ^[0-9a-zA-Z_-]{{1,63}}$")
    return bucket


def resolve_features(
    requested: Mapping[str, str] | None, *, experimental: bool = False
) -> dict[str, str]:
    """The full feature set of a new ledger: defaults overridden by the request. Formance refuses
    a non-default set unless the server runs with experimental features."""
    features = dict(DEFAULT_FEATURES)
    for name, value in (requested or {}).items():
        allowed = ALLOWED_FEATURE_VALUES.get(name)
        if allowed is None:
            raise ValidationError(
                f"unknown feature {name!r}; known: {', '.join(sorted(ALLOWED_FEATURE_VALUES))}"
            )
        if value not in allowed:
            raise ValidationError(
                f"invalid value {value!r} for feature {name}; allowed: {', '.join(sorted(allowed))}"
            )
        features[name] = value
    if features != DEFAULT_FEATURES and not experimental:
        raise ValidationError(
            "features other than the defaults need the server's experimental features"
        )
    return features


def validate_metadata(metadata: Mapping[str, object], *, what: str = "metadata") -> dict[str, str]:
    limits = REQUEST_LIMITS.get()
    if limits is not None and len(metadata) > limits.metadata_keys:
        raise ValidationError(
            f"{what} has {len(metadata)} keys, the limit is {limits.metadata_keys}")
    size = limits.metadata_value_chars if limits is not None else None
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise ValidationError(f"{what}[{key!r}] must be a string, got {type(value).__name__}")
        if size is not None and (len(value) > size or len(key) > size):
            name = f"{what}[{key[:64]!r}]"
            raise ValidationError(
                f"{name} key has {len(key)} characters, the limit is {size}" if len(key) > size
                else f"{name} has {len(value)} characters, the limit is {size}")
    return dict(metadata)  # type: ignore[arg-type]
