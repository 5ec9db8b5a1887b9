"""The payments v3 API (api/payments/router.py)."""

from api.payments.router import router

__all__ = ["router"]
