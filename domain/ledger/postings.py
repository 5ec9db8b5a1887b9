"""From postings to what the storage writes: one move per posting side, the net volume change per
(account, asset), and the balance each account must hold beforehand.

The balance rule of Formance for postings is sequential: postings run in order, and a non-world
source (without `force`) must have enough at that moment, funds received earlier in the same
transaction included. For one (account, asset) that is equivalent to a single number, the
smallest balance it must hold before the transaction: `-min(running delta right after each of
its debits)`. The storage checks that number against the locked row in the same statement that
applies the change, so no balance is ever read in one round trip and written in another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from domain.ledger.models import WORLD, Posting


class BalanceCheck(Enum):
    SEQUENTIAL = "sequential"  # create transaction from postings
    FINAL = "final"            # revert: the final balances must not be negative
    NONE = "none"              # force, or Numscript (which checked under row locks)


# Plain slotted classes, not frozen: a frozen dataclass's __init__ goes through
# object.__setattr__ per field, which made planning a third of a bulk's domain time.
@dataclass(slots=True)
class Move:
    address: str
    asset: str
    amount: int
    is_source: bool
    # Sum of this (account, asset)'s later moves in the same transaction: the move's
    # post-commit volumes are the row's final volumes minus these.
    later_input: int
    later_output: int


@dataclass(slots=True)
class VolumeChange:
    address: str
    asset: str
    input: int
    output: int
    # The balance the row must hold before the transaction; None means no check.
    required_balance: int | None


@dataclass(slots=True)
class PostingsPlan:
    moves: tuple[Move, ...]
    changes: tuple[VolumeChange, ...]  # sorted by (address, asset): the lock order


def plan_postings(postings: Sequence[Posting], check: BalanceCheck) -> PostingsPlan:
    if len(postings) == 1 and postings[0].source != postings[0].destination:
        return _plan_one(postings[0], check)  # most transactions: a third of the time
    return plan_general(postings, check)


def _plan_one(p: Posting, check: BalanceCheck) -> PostingsPlan:
    required: int | None = None
    if p.source != WORLD and (check is BalanceCheck.SEQUENTIAL
                              or (check is BalanceCheck.FINAL and p.amount > 0)):
        required = p.amount
    source = VolumeChange(p.source, p.asset, 0, p.amount, required)
    destination = VolumeChange(p.destination, p.asset, p.amount, 0, None)
    return PostingsPlan(
        (Move(p.source, p.asset, p.amount, True, 0, 0),
         Move(p.destination, p.asset, p.amount, False, 0, 0)),
        (source, destination) if p.source < p.destination else (destination, source),
    )


def plan_general(postings: Sequence[Posting], check: BalanceCheck) -> PostingsPlan:
    sides: list[tuple[str, str, int, bool]] = []
    inputs: dict[tuple[str, str], int] = {}
    outputs: dict[tuple[str, str], int] = {}
    running: dict[tuple[str, str], int] = {}
    required: dict[tuple[str, str], int] = {}
    for p in postings:
        src, dst = (p.source, p.asset), (p.destination, p.asset)
        sides.append((p.source, p.asset, p.amount, True))
        sides.append((p.destination, p.asset, p.amount, False))
        outputs[src] = outputs.get(src, 0) + p.amount
        inputs.setdefault(src, 0)
        outputs.setdefault(dst, 0)
        inputs[dst] = inputs.get(dst, 0) + p.amount
        running[src] = running.get(src, 0) - p.amount
        if check is BalanceCheck.SEQUENTIAL and p.source != WORLD:
            required[src] = max(required.get(src, 0), -running[src])
        running[dst] = running.get(dst, 0) + p.amount

    if check is BalanceCheck.FINAL:
        for key, delta in running.items():
            if key[0] != WORLD and delta < 0:
                required[key] = -delta

    later_in: dict[tuple[str, str], int] = {}
    later_out: dict[tuple[str, str], int] = {}
    moves: list[Move] = []
    for address, asset, amount, is_source in reversed(sides):
        key = (address, asset)
        moves.append(Move(address, asset, amount, is_source,
                          later_in.get(key, 0), later_out.get(key, 0)))
        if is_source:
            later_out[key] = later_out.get(key, 0) + amount
        else:
            later_in[key] = later_in.get(key, 0) + amount
    moves.reverse()

    changes = tuple(
        VolumeChange(address, asset, inputs[(address, asset)], outputs[(address, asset)],
                     required.get((address, asset)))
        for address, asset in sorted(inputs)
    )
    return PostingsPlan(tuple(moves), changes)


def reverse_postings(postings: Sequence[Posting]) -> list[Posting]:
    """The postings of a revert: in reverse order, source and destination swapped."""
    return [Posting(p.destination, p.source, p.amount, p.asset) for p in reversed(postings)]
