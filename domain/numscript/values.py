"""Run-time values of Numscript, their textual input formats and their string forms.

Numbers are ``int`` (any size) and portions ``fractions.Fraction``. Accounts and assets are
``str`` subclasses so that the interpreter can tell them apart from plain strings with a cheap
``type()`` check while they still behave as text everywhere else.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import Final

from domain.numscript.errors import (
    BadPortionParsingError,
    DivideByZeroError,
    InvalidAccountNameError,
    InvalidAssetError,
    InvalidMonetaryLiteralError,
    InvalidNumberLiteralError,
    MismatchedCurrencyError,
    NumscriptTypeError,
)


class AccountName(str):
    __slots__ = ()


class AssetName(str):
    __slots__ = ()


class Monetary:
    __slots__ = ("amount", "asset")

    def __init__(self, asset: str, amount: int) -> None:
        self.asset = asset
        self.amount = amount

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Monetary)
            and self.asset == other.asset
            and self.amount == other.amount
        )

    def __hash__(self) -> int:
        return hash((self.asset, self.amount))

    def __repr__(self) -> str:
        return f"[{self.asset} {self.amount}]"


Value = int | str | Fraction | Monetary

WORLD: Final = "world"
TYPE_NAMES: Final = frozenset({"number", "monetary", "portion", "account", "asset", "string"})

# ``fullmatch`` and explicit [0-9]: ``\d`` and ``$`` would accept Unicode digits and a final "\n".
ACCOUNT_RE: Final = re.compile(r"[a-zA-Z0-9_-]+(?::[a-zA-Z0-9_-]+)*")
ASSET_RE: Final = re.compile(r"[A-Z][A-Z0-9]{0,16}(?:_[A-Z]{1,16})?(?:/[0-9]{1,6})?")
COLOR_RE: Final = re.compile(r"[A-Z]*")
_NUMBER_RE: Final = re.compile(r"[+-]?[0-9]+")
_MONETARY_RE: Final = re.compile(r"(\S+) ([+-]?[0-9]+)")
_PERCENT_RE: Final = re.compile(r"([0-9]+)(?:\.([0-9]+))?%")
_RATIO_RE: Final = re.compile(r"([0-9]+) ?/ ?([0-9]+)")

# Python refuses int(str) beyond 4300 digits; stay below so that rendering never fails either.
MAX_NUMBER_DIGITS: Final = 4000


def type_name(value: Value) -> str:
    t = type(value)
    if t is int:
        return "number"
    if t is Monetary:
        return "monetary"
    if t is Fraction:
        return "portion"
    if t is AccountName:
        return "account"
    if t is AssetName:
        return "asset"
    return "string"


def render(value: Value) -> str:
    """The string form used for metadata values and error messages."""
    t = type(value)
    if t is Monetary:
        assert isinstance(value, Monetary)
        return f"{value.asset} {value.amount}"
    if t is Fraction:
        assert isinstance(value, Fraction)
        return f"{value.numerator}/{value.denominator}"
    return str(value)


def describe(value: Value) -> str:
    """A value as it would be written in a script, for error messages."""
    t = type(value)
    if t is Monetary:
        return f"[{render(value)}]"
    if t is AccountName:
        return f"@{value}"
    if t is str:
        return f'"{value}"'
    return render(value)


def fold_asset(asset: str, color: str) -> str:
    """The ledger has no colour dimension: a colour lives inside the asset name (COIN_RED,
    USD_COL/4), which is what the balances store and the postings carry."""
    if not color:
        return asset
    slash = asset.find("/")
    if slash < 0:
        return f"{asset}_{color}"
    return f"{asset[:slash]}_{color}{asset[slash:]}"


def split_scale(asset: str) -> tuple[str, int]:
    slash = asset.find("/")
    if slash < 0:
        return asset, 0
    return asset[:slash], int(asset[slash + 1 :])


@lru_cache(maxsize=4096)
def is_valid_asset(name: str) -> bool:
    return ASSET_RE.fullmatch(name) is not None


@lru_cache(maxsize=4096)
def is_valid_account(name: str) -> bool:
    return ACCOUNT_RE.fullmatch(name) is not None


def parse_number(text: str) -> int:
    if _NUMBER_RE.fullmatch(text) is None or len(text) > MAX_NUMBER_DIGITS:
        raise InvalidNumberLiteralError(f"invalid number literal: {text!r}")
    return int(text)


def parse_monetary(text: str) -> Monetary:
    m = _MONETARY_RE.fullmatch(text)
    if m is None or not is_valid_asset(m.group(1)) or len(m.group(2)) > MAX_NUMBER_DIGITS:
        raise InvalidMonetaryLiteralError(
            f'invalid monetary literal: {text!r} (expected "ASSET AMOUNT")'
        )
    return Monetary(AssetName(m.group(1)), int(m.group(2)))


def parse_portion(text: str) -> Fraction:
    if len(text) > MAX_NUMBER_DIGITS:
        raise BadPortionParsingError(f"invalid portion {text[:40]!r}…: invalid format")
    m = _PERCENT_RE.fullmatch(text)
    value: Fraction
    if m is not None:
        whole, decimals = m.group(1), m.group(2) or ""
        value = Fraction(int(whole + decimals), 100 * 10 ** len(decimals))
    else:
        m = _RATIO_RE.fullmatch(text)
        if m is None or int(m.group(2)) == 0:
            raise BadPortionParsingError(f"invalid portion {text!r}: invalid format")
        value = Fraction(int(m.group(1)), int(m.group(2)))
    if value > 1:
        raise BadPortionParsingError(
            f"invalid portion {text!r}: portion must be between 0% and 100% inclusive"
        )
    return value


def parse_account(text: str) -> AccountName:
    if text.startswith("@"):
        text = text[1:]
    if not is_valid_account(text):
        raise InvalidAccountNameError(f"invalid account name: {text!r}")
    return AccountName(text)


def parse_asset(text: str) -> AssetName:
    if not is_valid_asset(text):
        raise InvalidAssetError(f"invalid asset: {text!r}")
    return AssetName(text)


def parse_typed(type_: str, text: str) -> Value:
    """Parse a variable's input string (or a metadata value) with the variable's declared type."""
    if type_ == "number":
        return parse_number(text)
    if type_ == "monetary":
        return parse_monetary(text)
    if type_ == "portion":
        return parse_portion(text)
    if type_ == "account":
        return parse_account(text)
    if type_ == "asset":
        return parse_asset(text)
    return text


# --- operators (shared by the interpreter and the compile-time constant folding) ---------------


def make_monetary(asset: Value, amount: Value, line: int, col: int) -> Monetary:
    if type(asset) is not AssetName:
        raise NumscriptTypeError(
            f"expected an asset in a monetary literal, got {type_name(asset)} {describe(asset)}",
            line=line,
            column=col,
        )
    if type(amount) is not int:
        raise NumscriptTypeError(
            f"expected a number in a monetary literal, got {type_name(amount)} {describe(amount)}",
            line=line,
            column=col,
        )
    return Monetary(asset, amount)


def apply_neg(value: Value, line: int, col: int) -> Value:
    t = type(value)
    if t is int:
        assert isinstance(value, int)
        return -value
    if t is Monetary:
        assert isinstance(value, Monetary)
        return Monetary(value.asset, -value.amount)
    raise NumscriptTypeError(
        f"expected monetary|number, got {type_name(value)} {describe(value)}",
        line=line,
        column=col,
    )


def apply_binop(op: str, left: Value, right: Value, line: int, col: int) -> Value:
    lt = type(left)
    if op == "/":
        if lt is not int:
            raise NumscriptTypeError(
                f"expected number, got {type_name(left)} {describe(left)}", line=line, column=col
            )
        if type(right) is not int:
            raise NumscriptTypeError(
                f"expected number, got {type_name(right)} {describe(right)}",
                line=line,
                column=col,
            )
        assert isinstance(left, int) and isinstance(right, int)
        if right == 0:
            raise DivideByZeroError(f"division by zero: {left}/{right}", line=line, column=col)
        return Fraction(left, right)
    if lt is int:
        if type(right) is not int:
            raise NumscriptTypeError(
                f"expected number, got {type_name(right)} {describe(right)}",
                line=line,
                column=col,
            )
        assert isinstance(left, int) and isinstance(right, int)
        return left + right if op == "+" else left - right
    if lt is Monetary:
        if type(right) is not Monetary:
            raise NumscriptTypeError(
                f"expected monetary, got {type_name(right)} {describe(right)}",
                line=line,
                column=col,
            )
        assert isinstance(left, Monetary) and isinstance(right, Monetary)
        if left.asset != right.asset:
            raise MismatchedCurrencyError(
                f"mismatched assets: expected {left.asset}, got {right.asset}",
                line=line,
                column=col,
            )
        amount = left.amount + right.amount if op == "+" else left.amount - right.amount
        return Monetary(left.asset, amount)
    raise NumscriptTypeError(
        f"expected monetary|number, got {type_name(left)} {describe(left)}",
        line=line,
        column=col,
    )
