"""The Formance webhooks API under /api/webhooks."""

from api.webhooks.router import router

__all__ = ["router"]
