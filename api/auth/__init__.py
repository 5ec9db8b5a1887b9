"""The auth module: `/api/auth` (router) and the bearer-token enforcement on every module."""

from api.auth.enforcement import install_auth
from api.auth.router import router

__all__ = ["install_auth", "router"]
