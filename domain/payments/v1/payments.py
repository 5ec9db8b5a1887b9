"""Payments between their v1 and v3 shapes. The v1 enums are narrower than v3's: a value v1
cannot name is told as the v1 `other`/`OTHER` rather than as a string its clients would refuse
to parse. A v1 payment created by hand is a v3 payment with one adjustment (a v3 payment is
the aggregate of its adjustments, its status the latest one's)."""

from __future__ import annotations

from typing import Any

from domain.errors import ValidationError
from domain.payments.models import Payment, PaymentStatus, PaymentType

# The v1 PaymentStatus enum: the v3 statuses it has, by the same name.
V1_STATUSES = frozenset({
    "PENDING", "SUCCEEDED", "CANCELLED", "FAILED", "EXPIRED", "REFUNDED", "REFUNDED_FAILURE",
    "DISPUTE", "DISPUTE_WON", "DISPUTE_LOST", "OTHER"})
V1_TYPES = frozenset({"PAY-IN", "PAYOUT", "TRANSFER", "OTHER"})

# v1 scheme (PaymentScheme, lowercase words) <-> v3 scheme (Formance v3's upper-case names).
_SCHEMES = {
    "unknown": "UNKNOWN", "other": "OTHER", "visa": "CARD_VISA",
    "mastercard": "CARD_MASTERCARD", "amex": "CARD_AMEX", "diners": "CARD_DINERS",
    "discover": "CARD_DISCOVER", "jcb": "CARD_JCB", "unionpay": "CARD_UNION_PAY",
    "alipay": "CARD_ALIPAY", "cup": "CARD_CUP", "sepa debit": "SEPA_DEBIT",
    "sepa credit": "SEPA_CREDIT", "sepa": "SEPA", "apple pay": "APPLE_PAY",
    "google pay": "GOOGLE_PAY", "doku": "DOKU", "dragonpay": "DRAGON_PAY", "maestro": "MAESTRO",
    "molpay": "MOL_PAY", "a2a": "A2A", "ach debit": "ACH_DEBIT", "ach": "ACH", "rtp": "RTP",
}
_V1_SCHEMES = {v3: v1 for v1, v3 in _SCHEMES.items()}


def v1_status(status: PaymentStatus) -> str:
    return status.value if status.value in V1_STATUSES else "OTHER"


def v1_type(kind: PaymentType) -> str:
    return kind.value if kind.value in V1_TYPES else "OTHER"


def v1_scheme(scheme: str) -> str:
    return _V1_SCHEMES.get(scheme.upper(), "other")


def adjustment_amounts(payment: Payment) -> list[int]:
    """The amount after each adjustment (in the payment's order, newest first): v1 requires
    one on every adjustment, v3 leaves it out of those that did not change it."""
    amount = payment.initial_amount
    after: list[int] = []
    for adjustment in reversed(payment.adjustments):
        if adjustment.amount is not None:
            amount = adjustment.amount
        after.append(amount)
    return after[::-1]


def v3_payment_body(body: Any) -> Any:
    """The v3 creation body of a v1 one (`POST /payments`); the v3 core checks every field."""
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object")
    status = body.get("status")
    if not isinstance(status, str) or status not in V1_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(sorted(V1_STATUSES))}")
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in V1_TYPES:
        raise ValidationError(f"type must be one of {', '.join(sorted(V1_TYPES))}")
    scheme = body.get("scheme")
    if not isinstance(scheme, str) or scheme not in _SCHEMES:
        raise ValidationError(f"scheme must be one of {', '.join(_SCHEMES)}")
    return {
        "reference": body.get("reference"), "connectorID": body.get("connectorID"),
        "createdAt": body.get("createdAt"), "type": kind, "scheme": _SCHEMES[scheme],
        "initialAmount": body.get("amount"), "amount": body.get("amount"),
        "asset": body.get("asset"), "sourceAccountID": body.get("sourceAccountID"),
        "destinationAccountID": body.get("destinationAccountID"),
        "adjustments": [{"reference": body.get("reference"), "createdAt": body.get("createdAt"),
                         "status": status, "amount": body.get("amount"),
                         "asset": body.get("asset")}],
    }
