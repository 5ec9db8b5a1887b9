"""A recursive-descent parser for Numscript (grammar: reference/numscript.md §2).

Limits protect the process from hostile scripts: a script above ``MAX_SCRIPT_BYTES`` is refused
before lexing, and nesting deeper than ``MAX_NESTING_DEPTH`` (parentheses, sources, destinations,
operator chains) raises ``NestingTooDeepError`` instead of overflowing the Python stack, both at
parse time and later when the interpreter walks the tree.

Sub-expressions made only of literals are folded into ``Const`` nodes here, so that executions do
not recompute ``[USD/2 100]`` or ``1/3`` every time. Folding that would fail (``1/0``) is left in
the tree so that the error surfaces at run time, where the reference raises it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Final, NoReturn

from domain.numscript.ast import (
    BOUNDED_OVERDRAFT,
    NO_OVERDRAFT,
    UNBOUNDED_OVERDRAFT,
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
    SrcCapped,
    SrcInOrder,
    SrcOneof,
    SrcScaling,
    Statement,
    VarDecl,
    VarRef,
)
from domain.numscript.errors import (
    InputTooLargeError,
    NestingTooDeepError,
    NumscriptError,
    ParseError,
)
from domain.numscript.lexer import (
    ACCOUNT,
    ASSET,
    EOF,
    IDENT,
    NUMBER,
    PERCENT,
    STRING,
    VARIABLE,
    Token,
    tokenize,
)
from domain.numscript.values import (
    AccountName,
    AssetName,
    apply_binop,
    apply_neg,
    make_monetary,
)

MAX_SCRIPT_BYTES: Final = 1_000_000
MAX_NESTING_DEPTH: Final = 100

# Tokens that can start a source which is not an account expression.
_SOURCE_STARTS: Final = frozenset({"{", "oneof", "max"})


def parse(text: str, host_features: frozenset[str] = frozenset()) -> Program:
    if len(text) > MAX_SCRIPT_BYTES or len(text.encode("utf-8", "surrogatepass")) > (
        MAX_SCRIPT_BYTES
    ):
        raise InputTooLargeError(
            f"script too large: more than {MAX_SCRIPT_BYTES} bytes", line=1, column=1
        )
    return _Parser(tokenize(text), text, host_features).program()


def _describe(tok: Token) -> str:
    if tok[0] == EOF:
        return "end of input"
    text = tok[1]
    if len(text) > 40:
        text = text[:40] + "…"
    return repr(text)


class _Parser:
    __slots__ = ("depth", "host_features", "i", "text", "toks")

    def __init__(self, toks: list[Token], text: str, host_features: frozenset[str]) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0
        self.text = text
        self.host_features = host_features

    # --- helpers -------------------------------------------------------------------------------

    def fail(self, expected: str, tok: Token | None = None) -> NoReturn:
        tok = tok or self.toks[self.i]
        raise ParseError(
            f"unexpected {_describe(tok)}, expected {expected}", line=tok[2], column=tok[3]
        )

    def expect(self, kind: str, expected: str | None = None) -> Token:
        tok = self.toks[self.i]
        if tok[0] != kind:
            self.fail(expected or repr(kind), tok)
        self.i += 1
        return tok

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING_DEPTH:
            tok = self.toks[self.i]
            raise NestingTooDeepError(
                f"nesting deeper than {MAX_NESTING_DEPTH} levels", line=tok[2], column=tok[3]
            )

    def check_depth(self, depth: int, line: int, col: int) -> int:
        if depth > MAX_NESTING_DEPTH:
            raise NestingTooDeepError(
                f"expression nested deeper than {MAX_NESTING_DEPTH} levels", line=line, column=col
            )
        return depth

    # --- program -------------------------------------------------------------------------------

    def program(self) -> Program:
        toks = self.toks
        pragma: frozenset[str] = frozenset()
        if toks[0][0] == "#!":
            pragma = self.pragma()
        decls: tuple[VarDecl, ...] = ()
        if toks[self.i][0] == "vars":
            decls = self.vars_block()
        statements: list[Statement] = []
        while toks[self.i][0] != EOF:
            statements.append(self.statement())
        return Program(self.text, pragma, self.host_features, decls, tuple(statements))

    def pragma(self) -> frozenset[str]:
        self.i += 1
        self.expect("[")
        self.expect("feature")
        self.expect("(")
        names = [self.expect(STRING, "a feature name")[1][1:-1]]
        while self.toks[self.i][0] == ",":
            self.i += 1
            names.append(self.expect(STRING, "a feature name")[1][1:-1])
        self.expect(")")
        self.expect("]")
        return frozenset(names)

    def vars_block(self) -> tuple[VarDecl, ...]:
        self.i += 1
        self.expect("{")
        decls: list[VarDecl] = []
        toks = self.toks
        while toks[self.i][0] != "}":
            type_tok = self.expect(IDENT, "a variable type or '}'")
            name_tok = self.expect(VARIABLE, "a variable name")
            origin: Expr | None = None
            if toks[self.i][0] == "=":
                self.i += 1
                origin = self.expr()
            decls.append(VarDecl(type_tok[1], name_tok[1][1:], origin, type_tok[2], type_tok[3]))
        self.i += 1
        return tuple(decls)

    def statement(self) -> Statement:
        tok = self.toks[self.i]
        kind = tok[0]
        if kind == "send":
            self.i += 1
            amount, all_asset = self.sent_value()
            self.expect("(")
            self.expect("source")
            self.expect("=")
            source = self.source()
            self.expect("destination")
            self.expect("=")
            destination = self.destination()
            self.expect(")")
            return Send(amount, all_asset, source, destination, tok[2], tok[3])
        if kind == "save":
            self.i += 1
            amount, all_asset = self.sent_value()
            self.expect("from")
            account = self.expr()
            return Save(amount, all_asset, account, tok[2], tok[3])
        if kind == IDENT and self.toks[self.i + 1][0] == "(":
            self.i += 1
            return FnStatement(tok[1], self.call_args(), tok[2], tok[3])
        self.fail("a statement (send, save or a function call)")

    def sent_value(self) -> tuple[Expr | None, Expr | None]:
        tok = self.toks[self.i]
        if tok[0] != "[":
            return self.expr(), None
        self.i += 1
        asset = self.primary()
        if self.toks[self.i][0] == "*":
            self.i += 1
            self.expect("]")
            return None, asset
        amount = self.expr()
        self.expect("]")
        first = self.monetary(asset, amount, tok)
        return self.expr(first), None

    # --- expressions ---------------------------------------------------------------------------

    def expr(self, first: Expr | None = None) -> Expr:
        self.enter()
        toks = self.toks
        left = self.term(first)
        while True:
            tok = toks[self.i]
            op = tok[0]
            if op != "+" and op != "-":
                break
            self.i += 1
            right = self.term()
            left = self.binop(op, left, right, tok)
        self.depth -= 1
        return left

    def term(self, first: Expr | None = None) -> Expr:
        toks = self.toks
        left = first if first is not None else self.unary()
        while toks[self.i][0] == "/":
            tok = toks[self.i]
            self.i += 1
            left = self.binop("/", left, self.unary(), tok)
        return left

    def unary(self) -> Expr:
        toks = self.toks
        minuses: list[Token] = []
        while toks[self.i][0] == "-":
            minuses.append(toks[self.i])
            self.i += 1
        operand = self.primary()
        for tok in reversed(minuses):
            depth = self.check_depth(operand.depth + 1, tok[2], tok[3])
            if type(operand) is Const:
                try:
                    operand = Const(apply_neg(operand.value, tok[2], tok[3]), tok[2], tok[3])
                    continue
                except NumscriptError:
                    pass
            operand = Neg(operand, tok[2], tok[3], depth)
        return operand

    def binop(self, op: str, left: Expr, right: Expr, tok: Token) -> Expr:
        line, col = left.line, left.col
        depth = self.check_depth(max(left.depth, right.depth) + 1, tok[2], tok[3])
        if type(left) is Const and type(right) is Const:
            try:
                return Const(apply_binop(op, left.value, right.value, tok[2], tok[3]), line, col)
            except NumscriptError:
                pass
        return BinOp(op, left, right, tok[2], tok[3], depth)

    def monetary(self, asset: Expr, amount: Expr, tok: Token) -> Expr:
        if type(asset) is Const and type(amount) is Const:
            try:
                value = make_monetary(asset.value, amount.value, tok[2], tok[3])
                return Const(value, tok[2], tok[3])
            except NumscriptError:
                pass
        depth = self.check_depth(max(asset.depth, amount.depth) + 1, tok[2], tok[3])
        return MonetaryExpr(asset, amount, tok[2], tok[3], depth)

    def primary(self) -> Expr:
        tok = self.toks[self.i]
        kind = tok[0]
        line, col = tok[2], tok[3]
        if kind == NUMBER:
            self.i += 1
            return Const(int(tok[1].replace("_", "")), line, col)
        if kind == VARIABLE:
            self.i += 1
            return VarRef(tok[1][1:], line, col)
        if kind == ACCOUNT:
            self.i += 1
            return self.account(tok)
        if kind == ASSET:
            self.i += 1
            return Const(AssetName(tok[1]), line, col)
        if kind == STRING:
            self.i += 1
            return Const(tok[1][1:-1], line, col)
        if kind == PERCENT:
            self.i += 1
            whole, _, decimals = tok[1][:-1].partition(".")
            return Const(Fraction(int(whole + decimals), 100 * 10 ** len(decimals)), line, col)
        if kind == "[":
            self.i += 1
            self.enter()
            asset = self.primary()
            amount = self.expr()
            self.expect("]")
            self.depth -= 1
            return self.monetary(asset, amount, tok)
        if kind == "(":
            self.i += 1
            inner = self.expr()
            self.expect(")")
            return inner
        if (kind == IDENT or kind == "overdraft") and self.toks[self.i + 1][0] == "(":
            self.i += 1
            self.enter()
            args = self.call_args()
            self.depth -= 1
            depth = self.check_depth(max((a.depth for a in args), default=0) + 1, line, col)
            return Call(tok[1], args, line, col, depth)
        self.fail("an expression")

    def call_args(self) -> tuple[Expr, ...]:
        self.expect("(")
        args: list[Expr] = []
        if self.toks[self.i][0] != ")":
            args.append(self.expr())
            while self.toks[self.i][0] == ",":
                self.i += 1
                args.append(self.expr())
        self.expect(")", "',' or ')'")
        return tuple(args)

    def account(self, tok: Token) -> Expr:
        name = tok[1][1:]
        if "$" not in name:
            return Const(AccountName(name), tok[2], tok[3])
        parts = tuple(
            VarRef(seg[1:], tok[2], tok[3]) if seg.startswith("$") else seg
            for seg in name.split(":")
        )
        return AccountTemplate(parts, tok[2], tok[3])

    # --- sources -------------------------------------------------------------------------------

    def source(self) -> Source:
        self.enter()
        toks = self.toks
        tok = toks[self.i]
        kind = tok[0]
        result: Source
        if kind == "{":
            result = self.source_block()
        elif kind == "oneof":
            self.i += 1
            self.expect("{")
            items: list[Source] = []
            while toks[self.i][0] != "}":
                items.append(self.source())
            if not items:
                self.fail("a source")
            self.i += 1
            result = SrcOneof(tuple(items), tok[2], tok[3])
        elif kind == "max":
            self.i += 1
            cap = self.expr()
            self.expect("from")
            result = SrcCapped(cap, self.source(), tok[2], tok[3])
        else:
            result = self.account_source(self.expr())
        self.depth -= 1
        return result

    def account_source(self, account: Expr) -> Source:
        toks = self.toks
        color: Expr | None = None
        if toks[self.i][0] == "\\":
            self.i += 1
            color = self.expr()
        kind = toks[self.i][0]
        if kind == "allowing":
            self.i += 1
            if toks[self.i][0] == "unbounded":
                self.i += 1
                self.expect("overdraft")
                return SrcAccount(
                    account, color, UNBOUNDED_OVERDRAFT, None, account.line, account.col
                )
            self.expect("overdraft", "'unbounded' or 'overdraft'")
            self.expect("up")
            self.expect("to")
            bound = self.expr()
            return SrcAccount(account, color, BOUNDED_OVERDRAFT, bound, account.line, account.col)
        if kind == "with" and color is None:
            self.i += 1
            self.expect("scaling")
            self.expect("through")
            return SrcScaling(account, self.expr(), account.line, account.col)
        return SrcAccount(account, color, NO_OVERDRAFT, None, account.line, account.col)

    def source_block(self) -> Source:
        toks = self.toks
        open_tok = toks[self.i]
        self.i += 1
        portions: list[Expr | None] = []
        allotted: list[Source] = []
        ordered: list[Source] = []
        while True:
            tok = toks[self.i]
            kind = tok[0]
            if kind == "}":
                break
            if kind == "remaining":
                self.i += 1
                self.expect("from")
                portions.append(None)
                allotted.append(self.source())
            elif kind in _SOURCE_STARTS:
                ordered.append(self.source())
            elif kind == EOF:
                self.fail("a source or '}'")
            else:
                head = self.expr()
                if toks[self.i][0] == "from":
                    self.i += 1
                    portions.append(head)
                    allotted.append(self.source())
                else:
                    self.enter()
                    ordered.append(self.account_source(head))
                    self.depth -= 1
            if allotted and ordered:
                self.fail("allotment and in-order clauses cannot be mixed in one block", tok)
        self.i += 1
        if allotted:
            return SrcAllotment(tuple(portions), tuple(allotted), open_tok[2], open_tok[3])
        return SrcInOrder(tuple(ordered), open_tok[2], open_tok[3])

    # --- destinations --------------------------------------------------------------------------

    def destination(self) -> Destination:
        self.enter()
        toks = self.toks
        tok = toks[self.i]
        kind = tok[0]
        result: Destination
        if kind == "{":
            self.i += 1
            if toks[self.i][0] == "max":
                caps, targets, remaining = self.capped_clauses()
                result = DstInOrder(caps, targets, remaining, tok[2], tok[3])
            else:
                result = self.destination_allotment(tok)
        elif kind == "oneof":
            self.i += 1
            self.expect("{")
            caps, targets, remaining = self.capped_clauses()
            result = DstOneof(caps, targets, remaining, tok[2], tok[3])
        else:
            account = self.expr()
            result = DstAccount(account, account.line, account.col)
        self.depth -= 1
        return result

    def capped_clauses(
        self,
    ) -> tuple[tuple[Expr, ...], tuple[Destination, ...], Destination]:
        toks = self.toks
        caps: list[Expr] = []
        targets: list[Destination] = []
        while toks[self.i][0] == "max":
            self.i += 1
            caps.append(self.expr())
            targets.append(self.kept_or_to())
        self.expect("remaining", "'max' or 'remaining'")
        remaining = self.kept_or_to()
        self.expect("}", "'}' (the 'remaining' clause must be the last one)")
        return tuple(caps), tuple(targets), remaining

    def destination_allotment(self, open_tok: Token) -> Destination:
        toks = self.toks
        portions: list[Expr | None] = []
        targets: list[Destination] = []
        while toks[self.i][0] != "}":
            if toks[self.i][0] == "remaining":
                self.i += 1
                portions.append(None)
            elif toks[self.i][0] == EOF:
                self.fail("a destination clause or '}'")
            else:
                portions.append(self.expr())
            targets.append(self.kept_or_to())
        if not targets:
            self.fail("a destination clause")
        self.i += 1
        return DstAllotment(tuple(portions), tuple(targets), open_tok[2], open_tok[3])

    def kept_or_to(self) -> Destination:
        tok = self.toks[self.i]
        if tok[0] == "kept":
            self.i += 1
            return DstKept(tok[2], tok[3])
        if tok[0] == "to":
            self.i += 1
            return self.destination()
        self.fail("'to' or 'kept'")
