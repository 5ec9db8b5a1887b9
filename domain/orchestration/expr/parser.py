"""A precedence-climbing parser of the expr-lang subset, with expr-lang's precedence:
`?:` < `??` < `||`/`or` < `&&`/`and` < comparisons, `in`, `contains`, `startsWith`,
`endsWith` < `..` < `+ -` < `* / %` < `** ^` (right associative) < unary `! not - +` <
member access, indexing, slicing and calls. Nesting is bounded (limits.MAX_DEPTH)."""

from __future__ import annotations

from domain.orchestration.expr import ast
from domain.orchestration.expr.errors import ExprError
from domain.orchestration.expr.limits import MAX_DEPTH
from domain.orchestration.expr.tokens import Kind, Token, tokenize

_WORD_OPS = {"and": "&&", "or": "||", "not": "!"}
_BINARY: dict[str, int] = {
    "??": 5, "||": 10, "&&": 15,
    "==": 20, "!=": 20, "<": 20, ">": 20, "<=": 20, ">=": 20, "in": 20, "not in": 20,
    "contains": 20, "startsWith": 20, "endsWith": 20, "matches": 20,
    "..": 25, "+": 30, "-": 30, "*": 60, "/": 60, "%": 60, "**": 100, "^": 100,
}
_RIGHT = {"**", "^"}
_CONSTANTS = {"true": True, "false": False, "nil": None}


def parse(source: str) -> ast.Node:
    parser = _Parser(tokenize(source))
    node = parser.expression(0)
    token = parser.peek()
    if token.kind is not Kind.END:
        raise ExprError(f"unexpected {token.text!r}", token.pos)
    return node


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.next()
        if token.kind is not Kind.OP or token.text != text:
            shown = "end of expression" if token.kind is Kind.END else repr(token.text)
            raise ExprError(f"expected {text!r}, found {shown}", token.pos)
        return token

    def _enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested too deeply (at most {MAX_DEPTH} levels)", pos)

    def _binary_op(self) -> str | None:
        token = self.peek()
        if token.kind is Kind.OP and token.text in _BINARY:
            return token.text
        if token.kind is Kind.NAME:
            word = _WORD_OPS.get(token.text, token.text)
            if word == "!" and self.peek(1).kind is Kind.NAME and self.peek(1).text == "in":
                return "not in"
            if word in _BINARY and word != "!":
                return word
        return None

    def expression(self, min_prec: int) -> ast.Node:
        self._enter(self.peek().pos)
        try:
            left = self.unary()
            while True:
                op = self._binary_op()
                if op is None or _BINARY[op] < min_prec:
                    break
                pos = self.next().pos
                if op == "not in":
                    self.next()
                prec = _BINARY[op]
                right = self.expression(prec if op in _RIGHT else prec + 1)
                left = ast.Binary(op, left, right, pos)
            if min_prec == 0 and self._at("?"):
                self.next()
                then = self.expression(0)
                self.expect(":")
                otherwise = self.expression(0)
                left = ast.Conditional(left, then, otherwise)
            return left
        finally:
            self.depth -= 1

    def _at(self, text: str) -> bool:
        token = self.peek()
        return token.kind is Kind.OP and token.text == text

    def unary(self) -> ast.Node:
        token = self.peek()
        op = token.text if token.kind is Kind.OP else _WORD_OPS.get(token.text) \
            if token.kind is Kind.NAME else None
        if op in ("!", "-", "+"):
            self.next()
            self._enter(token.pos)
            try:
                return ast.Unary(op, self.unary(), token.pos)
            finally:
                self.depth -= 1
        return self.postfix(self.primary())

    def primary(self) -> ast.Node:
        token = self.next()
        if token.kind in (Kind.NUMBER, Kind.STRING):
            return ast.Literal(token.value)
        if token.kind is Kind.NAME:
            if token.text in _CONSTANTS:
                return ast.Literal(_CONSTANTS[token.text])
            if self._at("("):
                self.next()
                return ast.Call(token.text, self._items(")"), token.pos)
            return ast.Name(token.text, token.pos)
        if token.kind is Kind.OP:
            if token.text == "(":
                node = self.expression(0)
                self.expect(")")
                return node
            if token.text == "[":
                return ast.ArrayLit(self._items("]"))
            if token.text == "{":
                return self._map()
        shown = "end of expression" if token.kind is Kind.END else repr(token.text)
        raise ExprError(f"unexpected {shown}", token.pos)

    def _items(self, close: str) -> tuple[ast.Node, ...]:
        items: list[ast.Node] = []
        while not self._at(close):
            items.append(self.expression(0))
            if not self._at(close):
                self.expect(",")
        self.expect(close)
        return tuple(items)

    def _map(self) -> ast.MapLit:
        entries: list[tuple[ast.Node, ast.Node]] = []
        while not self._at("}"):
            key_token = self.next()
            if key_token.kind in (Kind.NAME, Kind.STRING):
                key: ast.Node = ast.Literal(key_token.value)
            elif key_token.kind is Kind.NUMBER:
                key = ast.Literal(key_token.value)
            elif key_token.kind is Kind.OP and key_token.text == "(":
                key = self.expression(0)
                self.expect(")")
            else:
                raise ExprError(f"unexpected {key_token.text!r} as a map key", key_token.pos)
            self.expect(":")
            entries.append((key, self.expression(0)))
            if not self._at("}"):
                self.expect(",")
        self.expect("}")
        return ast.MapLit(tuple(entries))

    def postfix(self, node: ast.Node) -> ast.Node:
        while True:
            token = self.peek()
            if token.kind is not Kind.OP:
                return node
            if token.text in (".", "?."):
                self.next()
                name = self.next()
                if name.kind is not Kind.NAME:
                    raise ExprError("expected a field name after '.'", name.pos)
                node = ast.Member(node, ast.Literal(name.text), token.text == "?.", token.pos)
            elif token.text == "[":
                self.next()
                node = self._index(node, token.pos)
            else:
                return node

    def _index(self, target: ast.Node, pos: int) -> ast.Node:
        start: ast.Node | None = None
        if not self._at(":"):
            start = self.expression(0)
            if self._at("]"):
                self.next()
                return ast.Member(target, start, False, pos)
        self.expect(":")
        end = None if self._at("]") else self.expression(0)
        self.expect("]")
        return ast.Slice(target, start, end, pos)
