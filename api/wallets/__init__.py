"""The Formance wallets API, mounted by the gateway under /api/wallets."""

from api.wallets.router import router

__all__ = ["router"]
