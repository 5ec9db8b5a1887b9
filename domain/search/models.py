"""What search stores and answers: documents of seven kinds (the Formance targets), each one
object as the API returns it (`data`), plus the fields terms match (`indexed`) and the text free
terms match, both derived from `data` (documents.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """The Formance search targets."""

    ACCOUNT = "ACCOUNT"
    TRANSACTION = "TRANSACTION"
    PAYMENT = "PAYMENT"
    PAYMENT_TRANSFER_INITIATION = "PAYMENT_TRANSFER_INITIATION"
    PAYMENT_BALANCE = "PAYMENT_BALANCE"
    PAYMENT_BANK_ACCOUNT = "PAYMENT_BANK_ACCOUNT"
    AUDIT = "AUDIT"


class Policy(StrEnum):
    AND = "AND"
    OR = "OR"


class Order(StrEnum):
    ASC = "asc"
    DESC = "desc"


# Documents outside any ledger (payments objects) carry this ledger: a key column, never NULL.
NO_LEDGER = ""


@dataclass(frozen=True, slots=True)
class DocumentKey:
    kind: Kind
    ledger: str
    id: str


@dataclass(slots=True)
class Document:
    key: DocumentKey
    data: dict[str, Any]
    # The outbox id of the last event applied: a redelivered or older event is skipped.
    event_id: int = 0
