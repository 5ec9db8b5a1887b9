"""Input rules: addresses, assets, ledger and bucket names, features, metadata."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.errors import ValidationError
from domain.ledger.models import Posting
from domain.ledger.validation import (
    DEFAULT_FEATURES,
    resolve_features,
    validate_address,
    validate_asset,
    validate_bucket,
    validate_ledger_name,
    validate_metadata,
    validate_postings,
)


@pytest.mark.parametrize("address", ["world", "users:1", "a:b:c", "A_b-9", "x:-:_"])
def test_valid_addresses(address: str) -> None:
    assert validate_address(address) == address


@pytest.mark.parametrize("address", ["", ":", "users:", ":users", "a::b", "a b", "é", "a.b",
                                     "users:1/2"])
def test_invalid_addresses(address: str) -> None:
    with pytest.raises(ValidationError, match="address"):
        validate_address(address)


# `$` alone would also accept a final newline (re.match semantics): names must match whole.
@pytest.mark.parametrize("check", [validate_address, validate_asset, validate_ledger_name])
def test_a_trailing_newline_is_refused(check: Callable[[str], str]) -> None:
    with pytest.raises(ValidationError):
        check("USD\n")


@pytest.mark.parametrize("asset", ["USD", "USD/2", "EUR/0", "COIN", "A", "USDC_ETH/6",
                                   "X1234567890123456", "BTC/123456"])
def test_valid_assets(asset: str) -> None:
    assert validate_asset(asset) == asset


@pytest.mark.parametrize("asset", ["", "usd", "1USD", "USD/", "USD/1234567", "USD/a", "USD_",
                                   "USD_eth", "X123456789012345678", "US D", "USD/2/2"])
def test_invalid_assets(asset: str) -> None:
    with pytest.raises(ValidationError, match="asset"):
        validate_asset(asset)


def test_postings_are_checked_and_named() -> None:
    validate_postings([Posting("world", "a", 0, "USD/2")])
    with pytest.raises(ValidationError, match=r"postings\[1\]\.destination"):
        validate_postings([Posting("world", "a", 1, "USD"), Posting("a", "b:", 1, "USD")])
    with pytest.raises(ValidationError, match=r"postings\[0\]\.amount"):
        validate_postings([Posting("world", "a", -1, "USD")])


@pytest.mark.parametrize("name", ["main", "a", "A-b_9", "x" * 63])
def test_valid_ledger_names(name: str) -> None:
    assert validate_ledger_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 64, "a b", "a:b", "é", "_", "_info",
                                  "_healthcheck"])
def test_invalid_ledger_names(name: str) -> None:
    with pytest.raises(ValidationError, match="ledger name"):
        validate_ledger_name(name)


def test_buckets() -> None:
    assert validate_bucket("_default") == "_default"
    with pytest.raises(ValidationError, match="bucket"):
        validate_bucket("no/slash")


def test_features_default_and_validation() -> None:
    assert resolve_features(None) == DEFAULT_FEATURES
    assert resolve_features({"HASH_LOGS": "SYNC"}) == DEFAULT_FEATURES  # same as the default
    with pytest.raises(ValidationError, match="experimental"):
        resolve_features({"HASH_LOGS": "ASYNC"})
    assert resolve_features({"HASH_LOGS": "ASYNC"}, experimental=True)["HASH_LOGS"] == "ASYNC"
    with pytest.raises(ValidationError, match="unknown feature"):
        resolve_features({"NOPE": "ON"}, experimental=True)
    with pytest.raises(ValidationError, match="invalid value"):
        resolve_features({"MOVES_HISTORY": "SYNC"}, experimental=True)


def test_metadata_values_are_strings() -> None:
    assert validate_metadata({"a": "1"}) == {"a": "1"}
    with pytest.raises(ValidationError, match=r"metadata\['a'\]"):
        validate_metadata({"a": 1})
