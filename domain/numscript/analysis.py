"""Static checks run once by ``compile_program``.

They reject what would fail on every execution anyway (unknown types, functions, variables,
arities, feature names in the pragma, duplicate declarations), so that a broken script is refused
before any balance is read. Run-time rules (types of values, feature flags, which the caller may
still grant at execution) stay in the interpreter.

The pass also precomputes allotment shares whose portions are all literals.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Final

from domain.numscript.allotment import resolve_shares
from domain.numscript.ast import (
    AccountTemplate,
    BinOp,
    Call,
    Const,
    Destination,
    DstAccount,
    DstAllotment,
    DstInOrder,
    DstKept,
    DstOneof,
    Expr,
    FnStatement,
    MonetaryExpr,
    Neg,
    Program,
    Save,
    Send,
    Source,
    SrcAccount,
    SrcAllotment,
    SrcInOrder,
    SrcOneof,
    SrcScaling,
    Statement,
    VarRef,
)
from domain.numscript.errors import (
    BadArityError,
    DuplicateVariableError,
    InvalidFeatureError,
    InvalidTypeError,
    NumscriptError,
    UnboundFunctionError,
    UnboundVariableError,
)
from domain.numscript.features import KNOWN_FEATURES
from domain.numscript.values import TYPE_NAMES

EXPRESSION_FUNCTIONS: Final = {
    "meta": 2,
    "balance": 2,
    "overdraft": 2,
    "get_asset": 1,
    "get_amount": 1,
}
STATEMENT_FUNCTIONS: Final = {"set_tx_meta": 2, "set_account_meta": 3}


def analyse(program: Program) -> None:
    unknown = sorted(program.pragma_features - KNOWN_FEATURES)
    if unknown:
        raise InvalidFeatureError(f"unknown feature {unknown[0]!r}", line=1, column=1)
    scope: set[str] = set()
    for decl in program.vars:
        if decl.type_name not in TYPE_NAMES:
            raise InvalidTypeError(
                f"invalid type {decl.type_name!r} for ${decl.name}", line=decl.line, column=decl.col
            )
        if decl.name in scope:
            raise DuplicateVariableError(
                f"variable ${decl.name} is declared twice", line=decl.line, column=decl.col
            )
        if decl.origin is not None:
            _expr(decl.origin, scope)
        scope.add(decl.name)
    for st in program.statements:
        if type(st) is Send:
            if st.amount is not None:
                _expr(st.amount, scope)
            if st.all_asset is not None:
                _expr(st.all_asset, scope)
            _source(st.source, scope)
            _destination(st.destination, scope)
        elif type(st) is Save:
            if st.amount is not None:
                _expr(st.amount, scope)
            if st.all_asset is not None:
                _expr(st.all_asset, scope)
            _expr(st.account, scope)
        elif type(st) is FnStatement:
            arity = STATEMENT_FUNCTIONS.get(st.name)
            if arity is None:
                raise UnboundFunctionError(
                    f"function {st.name!r} is an expression, not a statement"
                    if st.name in EXPRESSION_FUNCTIONS
                    else f"unknown function {st.name!r}",
                    line=st.line,
                    column=st.col,
                )
            _arity(st.name, arity, len(st.args), st.line, st.col)
            for arg in st.args:
                _expr(arg, scope)


def statement_exprs(st: Statement) -> Iterator[Expr]:
    """Every expression written directly in a statement (not their sub-expressions)."""
    if isinstance(st, Send):
        if st.amount is not None:
            yield st.amount
        if st.all_asset is not None:
            yield st.all_asset
        yield from _source_exprs(st.source)
        yield from _destination_exprs(st.destination)
    elif isinstance(st, Save):
        if st.amount is not None:
            yield st.amount
        if st.all_asset is not None:
            yield st.all_asset
        yield st.account
    else:
        yield from st.args


def _source_exprs(s: Source) -> Iterator[Expr]:
    if isinstance(s, SrcAccount):
        yield s.account
        if s.color is not None:
            yield s.color
        if s.bound is not None:
            yield s.bound
    elif isinstance(s, SrcScaling):
        yield s.account
        yield s.swap
    elif isinstance(s, SrcInOrder | SrcOneof):
        for item in s.items:
            yield from _source_exprs(item)
    elif isinstance(s, SrcAllotment):
        yield from (p for p in s.portions if p is not None)
        for item in s.items:
            yield from _source_exprs(item)
    else:
        yield s.cap
        yield from _source_exprs(s.source)


def _destination_exprs(d: Destination) -> Iterator[Expr]:
    if isinstance(d, DstAccount):
        yield d.account
    elif isinstance(d, DstAllotment):
        yield from (p for p in d.portions if p is not None)
        for t in d.targets:
            yield from _destination_exprs(t)
    elif isinstance(d, DstInOrder | DstOneof):
        yield from d.caps
        for t in d.targets:
            yield from _destination_exprs(t)
        yield from _destination_exprs(d.remaining)


def has_calls(e: Expr) -> bool:
    t = type(e)
    if t is Const or t is VarRef or t is AccountTemplate:
        return False
    if t is Call:
        return True
    if t is MonetaryExpr:
        assert isinstance(e, MonetaryExpr)
        return has_calls(e.asset) or has_calls(e.amount)
    if t is BinOp:
        assert isinstance(e, BinOp)
        return has_calls(e.left) or has_calls(e.right)
    assert isinstance(e, Neg)
    return has_calls(e.operand)


def _arity(name: str, expected: int, given: int, line: int, col: int) -> None:
    if expected != given:
        raise BadArityError(
            f"{name}() takes {expected} argument(s), {given} given",
            expected=expected,
            given=given,
            line=line,
            column=col,
        )


def _expr(e: Expr, scope: set[str]) -> None:
    if isinstance(e, Const):
        return
    if isinstance(e, VarRef):
        if e.name not in scope:
            raise UnboundVariableError(
                f"variable ${e.name} is not declared (or not yet bound here)",
                line=e.line,
                column=e.col,
            )
    elif isinstance(e, AccountTemplate):
        for part in e.parts:
            if isinstance(part, VarRef):
                _expr(part, scope)
    elif isinstance(e, MonetaryExpr):
        _expr(e.asset, scope)
        _expr(e.amount, scope)
    elif isinstance(e, BinOp):
        _expr(e.left, scope)
        _expr(e.right, scope)
    elif isinstance(e, Neg):
        _expr(e.operand, scope)
    else:
        arity = EXPRESSION_FUNCTIONS.get(e.name)
        if arity is None:
            raise UnboundFunctionError(
                f"function {e.name!r} is a statement, not an expression"
                if e.name in STATEMENT_FUNCTIONS
                else f"unknown function {e.name!r}",
                line=e.line,
                column=e.col,
            )
        _arity(e.name, arity, len(e.args), e.line, e.col)
        for arg in e.args:
            _expr(arg, scope)


def _static_shares(
    portions: tuple[Expr | None, ...], line: int, col: int
) -> tuple[Fraction, ...] | None:
    values: list[Fraction | None] = []
    for p in portions:
        if p is None:
            values.append(None)
        elif isinstance(p, Const) and type(p.value) is Fraction:
            values.append(p.value)
        else:
            return None
    try:
        return resolve_shares(values, line, col)
    except NumscriptError:
        return None  # let the execution raise it, where the reference does


def _source(s: Source, scope: set[str]) -> None:
    if isinstance(s, SrcAccount):
        _expr(s.account, scope)
        if s.color is not None:
            _expr(s.color, scope)
        if s.bound is not None:
            _expr(s.bound, scope)
    elif isinstance(s, SrcScaling):
        _expr(s.account, scope)
        _expr(s.swap, scope)
    elif isinstance(s, SrcInOrder | SrcOneof):
        for item in s.items:
            _source(item, scope)
    elif isinstance(s, SrcAllotment):
        for p in s.portions:
            if p is not None:
                _expr(p, scope)
        for item in s.items:
            _source(item, scope)
        s.static_shares = _static_shares(s.portions, s.line, s.col)
    else:
        _expr(s.cap, scope)
        _source(s.source, scope)


def _destination(d: Destination, scope: set[str]) -> None:
    if isinstance(d, DstAccount):
        _expr(d.account, scope)
    elif isinstance(d, DstKept):
        return
    elif isinstance(d, DstAllotment):
        for p in d.portions:
            if p is not None:
                _expr(p, scope)
        for t in d.targets:
            _destination(t, scope)
        d.static_shares = _static_shares(d.portions, d.line, d.col)
    else:
        assert isinstance(d, DstInOrder | DstOneof)
        for c in d.caps:
            _expr(c, scope)
        for t in d.targets:
            _destination(t, scope)
        _destination(d.remaining, scope)
