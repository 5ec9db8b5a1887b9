"""Clients, secrets and users as the Formance auth API shows them, plus what a grant yields."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

# RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`.
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")


class ClientOptions(BaseModel):
    """What a caller sets on a client (create and full replace)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=2000)
    public: bool = False
    trusted: bool = False
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    metadata: dict[str, str] = Field(default_factory=dict)

    @field_validator("scopes")
    @classmethod
    def _scope_tokens(cls, scopes: tuple[str, ...]) -> tuple[str, ...]:
        for scope in scopes:
            if not _SCOPE_TOKEN.match(scope):
                raise ValueError(f"invalid scope {scope!r}: scopes are space-free ASCII tokens")
        # Keep the caller's order but drop repeats, so the grant logic sees a set.
        return tuple(dict.fromkeys(scopes))


class ClientSecret(BaseModel):
    """A stored secret: only its hash is kept, `last_digits` lets a person recognise it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    last_digits: str
    secret_hash: str = Field(repr=False)
    metadata: dict[str, str] = Field(default_factory=dict)


class Client(ClientOptions):
    id: str
    secrets: tuple[ClientSecret, ...] = ()


class CreatedSecret(BaseModel):
    """The answer to "add a secret": the only time the clear secret is ever shown."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    last_digits: str
    clear: str = Field(repr=False)
    metadata: dict[str, str] = Field(default_factory=dict)


class User(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    subject: str
    email: str | None = None


class AccessToken(BaseModel):
    model_config = ConfigDict(frozen=True)

    token: str = Field(repr=False)
    expires_in: int
    scopes: tuple[str, ...]
