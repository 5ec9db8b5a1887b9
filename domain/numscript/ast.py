"""The syntax tree. Every node keeps the line and column where it starts.

Plain slotted dataclasses: the interpreter walks them on every execution, so attribute access must
stay cheap. Nodes are never mutated after ``compile_program`` returns, so one compiled program is
shared by concurrent executions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from domain.numscript.values import Value

# --- expressions -------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Const:
    """A literal, or a sub-expression folded at compile time."""

    value: Value
    line: int
    col: int
    depth: int = 1


@dataclass(slots=True, eq=False)
class VarRef:
    name: str
    line: int
    col: int
    depth: int = 1


@dataclass(slots=True, eq=False)
class AccountTemplate:
    """An account literal with ``$var`` segments (account interpolation)."""

    parts: tuple[str | VarRef, ...]
    line: int
    col: int
    depth: int = 1


@dataclass(slots=True, eq=False)
class MonetaryExpr:
    asset: Expr
    amount: Expr
    line: int
    col: int
    depth: int = 1


@dataclass(slots=True, eq=False)
class Neg:
    operand: Expr
    line: int
    col: int
    depth: int = 1


@dataclass(slots=True, eq=False)
class BinOp:
    op: str
    left: Expr
    right: Expr
    line: int
    col: int
    depth: int = 1


@dataclass(slots=True, eq=False)
class Call:
    name: str
    args: tuple[Expr, ...]
    line: int
    col: int
    depth: int = 1


Expr = Const | VarRef | AccountTemplate | MonetaryExpr | Neg | BinOp | Call

# --- sources -----------------------------------------------------------------------------------

NO_OVERDRAFT = 0
BOUNDED_OVERDRAFT = 1
UNBOUNDED_OVERDRAFT = 2


@dataclass(slots=True, eq=False)
class SrcAccount:
    account: Expr
    color: Expr | None
    overdraft: int
    bound: Expr | None
    line: int
    col: int


@dataclass(slots=True, eq=False)
class SrcScaling:
    account: Expr
    swap: Expr
    line: int
    col: int


@dataclass(slots=True, eq=False)
class SrcInOrder:
    items: tuple[Source, ...]
    line: int
    col: int


@dataclass(slots=True, eq=False)
class SrcAllotment:
    portions: tuple[Expr | None, ...]  # None is ``remaining``
    items: tuple[Source, ...]
    line: int
    col: int
    # The resolved shares when every portion is a literal, so executions skip Fraction sums.
    static_shares: tuple[Fraction, ...] | None = field(default=None)


@dataclass(slots=True, eq=False)
class SrcOneof:
    items: tuple[Source, ...]
    line: int
    col: int


@dataclass(slots=True, eq=False)
class SrcCapped:
    cap: Expr
    source: Source
    line: int
    col: int


Source = SrcAccount | SrcScaling | SrcInOrder | SrcAllotment | SrcOneof | SrcCapped

# --- destinations ------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class DstAccount:
    account: Expr
    line: int
    col: int


@dataclass(slots=True, eq=False)
class DstKept:
    line: int
    col: int


@dataclass(slots=True, eq=False)
class DstAllotment:
    portions: tuple[Expr | None, ...]  # None is ``remaining``
    targets: tuple[Destination, ...]
    line: int
    col: int
    static_shares: tuple[Fraction, ...] | None = field(default=None)


@dataclass(slots=True, eq=False)
class DstInOrder:
    caps: tuple[Expr, ...]
    targets: tuple[Destination, ...]
    remaining: Destination
    line: int
    col: int


@dataclass(slots=True, eq=False)
class DstOneof:
    caps: tuple[Expr, ...]
    targets: tuple[Destination, ...]
    remaining: Destination
    line: int
    col: int


Destination = DstAccount | DstKept | DstAllotment | DstInOrder | DstOneof

# --- statements and program --------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Send:
    amount: Expr | None  # a monetary expression, or None for send-all
    all_asset: Expr | None  # the asset of ``[ASSET *]``
    source: Source
    destination: Destination
    line: int
    col: int


@dataclass(slots=True, eq=False)
class Save:
    amount: Expr | None
    all_asset: Expr | None
    account: Expr
    line: int
    col: int


@dataclass(slots=True, eq=False)
class FnStatement:
    name: str
    args: tuple[Expr, ...]
    line: int
    col: int


Statement = Send | Save | FnStatement


@dataclass(slots=True, eq=False)
class VarDecl:
    type_name: str
    name: str
    origin: Expr | None
    line: int
    col: int


@dataclass(slots=True, eq=False)
class Program:
    text: str
    pragma_features: frozenset[str]
    host_features: frozenset[str]
    vars: tuple[VarDecl, ...]
    statements: tuple[Statement, ...]
    # Filled by ``compile_program``: the flags known at compile time, and the balance rows that
    # statements made only of literals will read, so that executions need not work them out.
    flags: frozenset[str] = field(default_factory=frozenset)
    static_reads: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    static_patterns: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    dynamic_statements: tuple[Statement, ...] = ()
