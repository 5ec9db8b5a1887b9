"""Auth errors. The Formance-envelope ones derive from DomainError; the token endpoint answers
with RFC 6749 §5.2 bodies instead, so its errors carry the RFC `error` code."""

from __future__ import annotations

from domain.errors import NotFoundError


class ClientNotFoundError(NotFoundError):
    def __init__(self, client_id: str) -> None:
        super().__init__(f"client {client_id} not found")


class SecretNotFoundError(NotFoundError):
    def __init__(self, client_id: str, secret_id: str) -> None:
        super().__init__(f"secret {secret_id} not found on client {client_id}")


class UserNotFoundError(NotFoundError):
    def __init__(self, user_id: str) -> None:
        super().__init__(f"user {user_id} not found")


class OAuthError(Exception):
    """An RFC 6749 §5.2 token error; `error` is the registered code."""

    error: str = "invalid_request"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class InvalidRequestError(OAuthError):
    error = "invalid_request"


class InvalidClientError(OAuthError):
    error = "invalid_client"


class UnauthorizedClientError(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantTypeError(OAuthError):
    error = "unsupported_grant_type"


class InvalidScopeError(OAuthError):
    error = "invalid_scope"
