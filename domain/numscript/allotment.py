"""The allotment rule of reference/numscript.md §8, shared by sources and destinations."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from domain.numscript.errors import InvalidAllotmentSumError

_ZERO = Fraction(0)
_ONE = Fraction(1)


def resolve_shares(
    portions: Sequence[Fraction | None], line: int | None = None, col: int | None = None
) -> tuple[Fraction, ...]:
    """Turn the written portions (None for ``remaining``) into one share per clause.

    Only the last ``remaining`` clause receives ``1 - sum`` (the others get 0), as the reference
    does. Where the reference lets a bad sum run into undefined behaviour (``remaining`` after
    more than 100 %, negative portions), this raises ``InvalidAllotmentSum`` as the old VM did.
    """
    total = _ZERO
    remaining_at = -1
    shares: list[Fraction] = []
    for i, p in enumerate(portions):
        if p is None:
            remaining_at = i
            shares.append(_ZERO)
            continue
        if p < 0:
            raise InvalidAllotmentSumError(
                f"invalid allotment: negative portion {p.numerator}/{p.denominator}",
                line=line,
                column=col,
            )
        total += p
        shares.append(p)
    if remaining_at >= 0:
        if total > 1:
            raise InvalidAllotmentSumError(
                f"invalid allotment: portions sum to {total.numerator}/{total.denominator}, "
                "more than 100% before 'remaining'",
                line=line,
                column=col,
            )
        shares[remaining_at] = _ONE - total
    elif total != 1:
        raise InvalidAllotmentSumError(
            f"invalid allotment: portions sum to {total.numerator}/{total.denominator}, "
            "expected exactly 100%",
            line=line,
            column=col,
        )
    return tuple(shares)


def split(total: int, shares: Sequence[Fraction]) -> list[int]:
    """Floor every share, then hand the leftover units one by one to the first clauses in
    written order (not largest-remainder: the reference and the old VM agree on this)."""
    parts = [s.numerator * total // s.denominator for s in shares]
    left = total - sum(parts)
    i = 0
    while left > 0:
        parts[i] += 1
        left -= 1
        i += 1
    return parts
