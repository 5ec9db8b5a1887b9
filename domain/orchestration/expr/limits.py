"""Bounds on an expression and on its evaluation. Trigger expressions are one-liners over an
event; these limits are far above any real one and far below what could hurt the consumer."""

from __future__ import annotations

MAX_SOURCE_CHARS = 4096
MAX_DEPTH = 64  # nesting of the syntax tree (parser and interpreter recursion)
MAX_STEPS = 20_000  # nodes evaluated per evaluation
MAX_SECONDS = 0.05  # wall time per evaluation
MAX_STRING_CHARS = 65_536  # any string the interpreter builds
MAX_ITEMS = 10_000  # any list the interpreter builds (ranges, split, repeat)
MAX_INT_BITS = 1024  # big ints: amounts are big, exponent towers are not
