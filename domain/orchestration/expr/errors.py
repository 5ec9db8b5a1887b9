"""The one error of the expression language: a syntax error at compile time, a type error or an
exceeded limit at run time. Its message says where (the column) when the parser knows."""

from __future__ import annotations


class ExprError(Exception):
    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message if position is None else f"{message} (column {position + 1})")
        self.message = str(self)
