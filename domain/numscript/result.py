"""What an execution produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Posting(NamedTuple):
    """One movement. ``asset`` is the ledger's asset name, colour folded in (``COIN_RED``);
    ``color`` repeats the colour alone ("" when none) for callers that care."""

    source: str
    destination: str
    amount: int
    asset: str
    color: str = ""


@dataclass(slots=True)
class ExecutionResult:
    postings: list[Posting] = field(default_factory=list)
    tx_metadata: dict[str, str] = field(default_factory=dict)
    account_metadata: dict[str, dict[str, str]] = field(default_factory=dict)
