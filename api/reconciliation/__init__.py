"""The reconciliation API (api/reconciliation/router.py)."""

from api.reconciliation.router import router

__all__ = ["router"]
