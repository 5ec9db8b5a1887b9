"""Object ids built as Formance builds them: base64url (no padding) of the canonical JSON
(sorted keys, no spaces) of a composite key. The same provider object always gets the same id,
so ingesting it again is an upsert of the same row, never a second one."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from domain.payments.errors import InvalidIDError


def _encode(key: dict[str, Any]) -> str:
    text = json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(kind: str, value: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidIDError(kind, value) from None
    if not isinstance(key, dict):
        raise InvalidIDError(kind, value)
    return key


@dataclass(frozen=True, slots=True)
class ConnectorID:
    provider: str
    reference: str  # a uuid

    def key(self) -> dict[str, Any]:
        return {"Provider": self.provider, "Reference": self.reference}

    def __str__(self) -> str:
        return _encode(self.key())

    @classmethod
    def parse(cls, value: str) -> ConnectorID:
        return cls._from_key(_decode("connector", value), value)

    @classmethod
    def _from_key(cls, key: Any, raw: str) -> ConnectorID:
        if not isinstance(key, dict):
            raise InvalidIDError("connector", raw)
        provider, reference = key.get("Provider"), key.get("Reference")
        if not isinstance(provider, str) or not isinstance(reference, str) or not provider:
            raise InvalidIDError("connector", raw)
        return cls(provider, reference)


def account_id(connector: ConnectorID, reference: str) -> str:
    return _encode({"ConnectorID": connector.key(), "Reference": reference})


def payment_id(connector: ConnectorID, reference: str, payment_type: str) -> str:
    return _encode({"ConnectorID": connector.key(), "Reference": reference,
                    "Type": payment_type})


def adjustment_id(payment: str, reference: str, created_at: str, status: str) -> str:
    # One adjustment per (payment, provider update): the same update ingested again has the
    # same id and is skipped.
    return _encode({"CreatedAt": created_at, "PaymentID": payment, "Reference": reference,
                    "Status": status})


def task_id(connector: ConnectorID, reference: str) -> str:
    return _encode({"ConnectorID": connector.key(), "Reference": reference})


CONNECTOR_OPERATIONS = ("uninstall", "reset")


def operation_task_id(connector: ConnectorID, operation: str) -> str:
    """The task of an operation on the connector itself (uninstall, reset)."""
    return task_id(connector, f"{operation}-{connector.provider}-{connector.reference}")


def connector_of(kind: str, object_id: str) -> ConnectorID:
    """The connector an account or payment id names; InvalidIDError if it is not such an id."""
    key = _decode(kind, object_id)
    if not isinstance(key.get("Reference"), str):
        raise InvalidIDError(kind, object_id)
    return ConnectorID._from_key(key.get("ConnectorID"), object_id)


def check_task_id(value: str) -> str:
    key = _decode("task", value)
    if not isinstance(key.get("Reference"), str):
        raise InvalidIDError("task", value)
    return value


def initiation_id(connector: ConnectorID, reference: str) -> str:
    """A payment initiation's (and, in its own table, a reversal's) id: the same reference on
    the same connector is the same initiation, so a retried create finds the first."""
    return _encode({"ConnectorID": connector.key(), "Reference": reference})


def initiation_adjustment_id(initiation: str, created_at: str, status: str) -> str:
    # The workflow gives the time (workflow.now()), so an activity retried writes the same id.
    return _encode({"CreatedAt": created_at, "PaymentInitiationID": initiation,
                    "Status": status})


def initiation_task_id(connector: ConnectorID, initiation: str, attempt: int) -> str:
    """The task of one send attempt (approve, noValidation create, retry)."""
    return task_id(connector, f"payment-initiation-{attempt}-{initiation}")


def reversal_task_id(connector: ConnectorID, reversal: str) -> str:
    return task_id(connector, f"payment-initiation-reversal-{reversal}")


def check_initiation_id(value: str) -> ConnectorID:
    """The connector an initiation id names; InvalidIDError if it is not such an id."""
    return connector_of("payment initiation", value)


def open_banking_task_id(connector: ConnectorID | None, reference: str) -> str:
    """The task of a PSU, PSU-connector or connection deletion (no connector for a PSU's)."""
    return _encode({"ConnectorID": connector.key() if connector else None,
                    "Reference": reference})


def attempt_adjustment_id(initiation: str, attempt: int, status: str) -> str:
    """The final adjustment of a send attempt, written by the send activity: one per attempt
    and status, however often the activity is retried."""
    return _encode({"Attempt": attempt, "PaymentInitiationID": initiation, "Status": status})


def order_id(connector: ConnectorID, reference: str) -> str:
    """An order's id: the provider's reference on the connector, as an account's is."""
    return _encode({"ConnectorID": connector.key(), "Reference": reference})


def order_adjustment_id(order: str, reference: str, status: str,
                        base_quantity_filled: int | None, fee: int | None) -> str:
    # The state fields that make an observation distinct (status, fill, fee): the same state
    # reported again has the same id and is skipped, a new fill or fee is a new adjustment.
    return _encode({"BaseQuantityFilled": None if base_quantity_filled is None
                    else str(base_quantity_filled), "Fee": None if fee is None else str(fee),
                    "OrderID": order, "Reference": reference, "Status": status})


def conversion_id(connector: ConnectorID, reference: str) -> str:
    return _encode({"ConnectorID": connector.key(), "Reference": reference})
