"""The Formance search API (api/search/router.py). Not a Temporal module: no task queue."""

from api.search.router import router

__all__ = ["router"]
