"""Turns script text into tokens that remember their line and column.

A token is a plain tuple ``(kind, text, line, column)`` because the parser touches every token
several times and tuples are the cheapest thing Python has. ``kind`` is the keyword or the
punctuation itself (``"send"``, ``"{"``) or one of the upper-case class names below.
"""

from __future__ import annotations

import re
from typing import Final

from domain.numscript.errors import ParseError
from domain.numscript.values import MAX_NUMBER_DIGITS

Token = tuple[str, str, int, int]

NUMBER: Final = "NUMBER"
PERCENT: Final = "PERCENT"
STRING: Final = "STRING"
ASSET: Final = "ASSET"
VARIABLE: Final = "VARIABLE"
ACCOUNT: Final = "ACCOUNT"
IDENT: Final = "IDENT"
EOF: Final = "EOF"

KEYWORDS: Final = frozenset(
    {
        "vars", "max", "source", "destination", "send", "from", "up", "to", "remaining",
        "allowing", "unbounded", "overdraft", "oneof", "kept", "save", "with", "scaling",
        "through", "feature",
    }
)  # fmt: skip

_SEGMENT = r"(?:[a-zA-Z0-9_-]+|\$[a-z_][a-z0-9_]*)"
_BLANK = r"[ \t\r\n]*+(?://[^\n]*+[ \t\r\n]*+)*+"  # possessive: blanks never backtrack
# The alternatives in the order that makes the common tokens match first.
_TOKEN = (
    r"[a-z]+[a-z_]*"
    rf"|@{_SEGMENT}(?::{_SEGMENT})*"
    r"|[A-Z][A-Z0-9]*(?:/[0-9]+)?"
    r"|\$[a-z_][a-z0-9_]*"
    r'|"(?:\\[^\n]|[^"\\\n])*"'
    r"|[0-9]+(?:\.[0-9]+)?%"
    r"|[0-9]+(?:_[0-9]+)*"
    r"|/\*"
    r"|[{}()\[\],=+\-/*\\]"
    r"|\#!"
    r"|\Z"
)
# Blanks and line comments are captured as the prefix of the next token, so one match per token.
_PAIRS: Final = re.compile(f"({_BLANK})({_TOKEN})")
_ONE: Final = re.compile(f"{_BLANK}({_TOKEN})")
_BLANKS: Final = re.compile(_BLANK)
_BLOCK_EDGE: Final = re.compile(r"/\*|\*/")

_KIND_BY_FIRST_CHAR: Final = {
    **{c: ASSET for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    **{c: NUMBER for c in "0123456789"},
    "@": ACCOUNT,
    "$": VARIABLE,
    '"': STRING,
    "#": "#!",
}


def tokenize(text: str) -> list[Token]:
    if "/*" not in text:
        tokens = _tokenize_fast(text)
        if tokens is not None:
            return tokens
    return _tokenize_slow(text)


def _tokenize_fast(text: str) -> list[Token] | None:
    """``findall`` scans in C; returns None when the text has something ``findall`` skipped (an
    invalid character), which the slow path then locates precisely."""
    tokens: list[Token] = []
    append = tokens.append
    kinds = _KIND_BY_FIRST_CHAR
    keywords = KEYWORDS
    pos = 0
    line = 1
    line_start = 0
    for blank, lexeme in _PAIRS.findall(text):
        if blank:
            newlines = blank.count("\n")
            if newlines:
                line += newlines
                line_start = pos + blank.rfind("\n") + 1
            pos += len(blank)
        col = pos - line_start + 1
        pos += len(lexeme)
        if not lexeme:
            append((EOF, "", line, col))
            break
        first = lexeme[0]
        if "a" <= first <= "z":
            append((lexeme if lexeme in keywords else IDENT, lexeme, line, col))
            continue
        kind = kinds.get(first)
        if kind is None:
            append((lexeme, lexeme, line, col))
            continue
        if kind == NUMBER:
            if lexeme[-1] == "%":
                kind = PERCENT
            if len(lexeme) > MAX_NUMBER_DIGITS:
                raise ParseError(
                    f"number literal too long (at most {MAX_NUMBER_DIGITS} digits)",
                    line=line,
                    column=col,
                )
        append((kind, lexeme, line, col))
    if pos != len(text) or not tokens or tokens[-1][0] != EOF:
        return None
    return tokens


def _tokenize_slow(text: str) -> list[Token]:
    """One ``match`` per token: handles nested block comments and reports bad characters."""
    tokens: list[Token] = []
    match = _ONE.match
    pos = 0
    while True:
        m = match(text, pos)
        if m is None:
            bad = _BLANKS.match(text, pos).end()  # type: ignore[union-attr]
            line, col = _position(text, bad)
            raise ParseError(f"unexpected character {text[bad]!r}", line=line, column=col)
        start = m.start(1)
        pos = m.end()
        lexeme = m.group(1)
        line, col = _position(text, start)
        if lexeme == "/*":
            pos = _skip_block_comment(text, pos, line, col)
            continue
        if not lexeme:
            tokens.append((EOF, "", line, col))
            return tokens
        fast = _tokenize_fast(lexeme)  # classifies the lone token exactly as the fast path
        assert fast is not None
        tokens.append((fast[0][0], lexeme, line, col))


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _skip_block_comment(text: str, pos: int, line: int, col: int) -> int:
    """Block comments nest; return the offset just after the matching ``*/``."""
    depth = 1
    search = _BLOCK_EDGE.search
    while depth:
        m = search(text, pos)
        if m is None:
            raise ParseError("unterminated block comment", line=line, column=col)
        depth += 1 if m.group() == "/*" else -1
        pos = m.end()
    return pos
