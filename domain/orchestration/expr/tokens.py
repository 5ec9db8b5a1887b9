"""The tokenizer: numbers, strings ("...", '...' with escapes, `raw`), names and operators."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from domain.orchestration.expr.errors import ExprError
from domain.orchestration.expr.limits import MAX_SOURCE_CHARS


class Kind(Enum):
    NUMBER = "number"
    STRING = "string"
    NAME = "name"
    OP = "operator"
    END = "end"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    value: object
    pos: int


# Longest first, so `**` is not read as two `*`.
OPERATORS = sorted([
    "?.", "??", "..", "==", "!=", "<=", ">=", "&&", "||", "**",
    "+", "-", "*", "/", "%", "^", "<", ">", "!", "(", ")", "[", "]", "{", "}", ",", ":",
    ".", "?",
], key=len, reverse=True)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0",
            "b": "\b", "f": "\f", "v": "\v", "a": "\a"}


def tokenize(source: str) -> list[Token]:
    if len(source) > MAX_SOURCE_CHARS:
        raise ExprError(f"expression too long ({len(source)} characters, at most "
                        f"{MAX_SOURCE_CHARS})")
    out: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and source[i + 1].isdigit()
                              and not (out and out[-1].text == ".")):
            i = _number(source, i, out)
        elif ch in "\"'":
            i = _string(source, i, out)
        elif ch == "`":
            end = source.find("`", i + 1)
            if end < 0:
                raise ExprError("unterminated string", i)
            out.append(Token(Kind.STRING, source[i:end + 1], source[i + 1:end], i))
            i = end + 1
        elif ch.isalpha() or ch in "_$#":
            j = i + 1
            while j < n and (source[j].isalnum() or source[j] == "_"):
                j += 1
            out.append(Token(Kind.NAME, source[i:j], source[i:j], i))
            i = j
        else:
            for op in OPERATORS:
                if source.startswith(op, i):
                    out.append(Token(Kind.OP, op, op, i))
                    i += len(op)
                    break
            else:
                raise ExprError(f"unexpected character {ch!r}", i)
    out.append(Token(Kind.END, "", None, n))
    return out


def _number(source: str, i: int, out: list[Token]) -> int:
    j, n = i, len(source)
    is_float = False
    if source.startswith(("0x", "0X"), i):
        j = i + 2
        while j < n and (source[j] in "0123456789abcdefABCDEF_"):
            j += 1
        out.append(Token(Kind.NUMBER, source[i:j], int(source[i + 2:j].replace("_", ""), 16),
                         i))
        return j
    while j < n and (source[j].isdigit() or source[j] == "_"):
        j += 1
    # "1..3" is a range: the dot belongs to the operator.
    if j < n and source[j] == "." and not source.startswith("..", j):
        is_float = True
        j += 1
        while j < n and source[j].isdigit():
            j += 1
    if j < n and source[j] in "eE":
        k = j + 1
        if k < n and source[k] in "+-":
            k += 1
        if k < n and source[k].isdigit():
            is_float = True
            j = k
            while j < n and source[j].isdigit():
                j += 1
    text = source[i:j].replace("_", "")
    try:
        value: object = float(text) if is_float else int(text)
    except ValueError:
        raise ExprError(f"invalid number {source[i:j]!r}", i) from None
    out.append(Token(Kind.NUMBER, source[i:j], value, i))
    return j


def _string(source: str, i: int, out: list[Token]) -> int:
    quote, j, n = source[i], i + 1, len(source)
    chars: list[str] = []
    while j < n and source[j] != quote:
        ch = source[j]
        if ch == "\\":
            j += 1
            if j >= n:
                break
            esc = source[j]
            if esc in _ESCAPES:
                chars.append(_ESCAPES[esc])
            elif esc in "uU" or esc == "x":
                width = {"u": 4, "U": 8, "x": 2}[esc]
                digits = source[j + 1:j + 1 + width]
                try:
                    code = int(digits, 16)
                    if len(digits) != width:
                        raise ValueError
                    chars.append(chr(code))
                except ValueError:
                    raise ExprError("invalid escape in string", j) from None
                j += width
            else:
                raise ExprError(f"invalid escape \\{esc} in string", j)
        else:
            chars.append(ch)
        j += 1
    if j >= n:
        raise ExprError("unterminated string", i)
    out.append(Token(Kind.STRING, source[i:j + 1], "".join(chars), i))
    return j + 1
