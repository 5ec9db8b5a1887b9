"""The Formance Ledger API (v2), mounted by the gateway under /api/ledger."""

from api.ledger.v2 import router

__all__ = ["router"]
