"""`/api/auth`: OIDC discovery, JWKS, the OAuth2 token endpoint (client_credentials), and the
Formance management API for clients, secrets and users."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote_plus

import pydantic
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth.runtime import AuthRuntime, runtime
from api.dependencies import Dependencies
from api.protection import protected_resources
from domain.auth.errors import InvalidClientError, InvalidRequestError, OAuthError
from domain.auth.models import Client, ClientOptions, ClientSecret, CreatedSecret, User
from domain.auth.scopes import all_stack_scopes
from domain.auth.service import AuthAdmin
from domain.errors import ValidationError
from domain.protection import ProtectedResources, ResourceKind

router = APIRouter(tags=["auth.v1"])
Runtime = Annotated[AuthRuntime, Depends(runtime)]


def _admin(request: Request, rt: Runtime) -> AuthAdmin:
    """The management API's admin: it refuses to delete or change the clients the stack needs
    (domain/protection.py, api/protection.py)."""
    return AuthAdmin(rt.store, protected=protected_resources(request.app))


Admin = Annotated[AuthAdmin, Depends(_admin)]


def declare_protected(registry: ProtectedResources, deps: Dependencies) -> None:
    """The bootstrap client named in the settings (AUTH_BOOTSTRAP_CLIENT_ID): it holds every
    scope, and deleting it would lock the operator out. (A bootstrap client created without
    these settings, by `make run`, carries the SYSTEM_CLIENT_KEY mark instead.)"""
    client_id = deps.settings.auth_bootstrap_client_id
    if client_id:
        registry.declare(ResourceKind.AUTH_CLIENT, client_id, owner="auth",
                         why="the bootstrap client: the operator's way in, holding every scope")

TOKEN_PATH = "/oauth/token"
JWKS_PATH = "/keys"
DISCOVERY_PATH = "/.well-known/openid-configuration"
_MAX_TOKEN_BODY = 16 * 1024
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


# --- bodies (the Formance JSON names) --------------------------------------------------------

class ClientOptionsBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    name: str
    description: str | None = None
    public: bool | None = None
    trusted: bool | None = None
    redirect_uris: list[str] | None = Field(None, alias="redirectUris")
    post_logout_redirect_uris: list[str] | None = Field(None, alias="postLogoutRedirectUris")
    scopes: list[str] | None = None
    metadata: dict[str, str] | None = None

    def to_domain(self) -> ClientOptions:
        try:
            return ClientOptions(
                name=self.name, description=self.description, public=bool(self.public),
                trusted=bool(self.trusted), redirect_uris=tuple(self.redirect_uris or ()),
                post_logout_redirect_uris=tuple(self.post_logout_redirect_uris or ()),
                scopes=tuple(self.scopes or ()), metadata=self.metadata or {},
            )
        except pydantic.ValidationError as exc:
            raise ValidationError("; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )) from None


class SecretOptionsBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=255)
    metadata: dict[str, str] | None = None


def _secret_json(secret: ClientSecret) -> dict[str, Any]:
    # Never the hash: a secret is shown only by its name and last characters.
    return {"id": secret.id, "name": secret.name, "lastDigits": secret.last_digits,
            "metadata": secret.metadata}


def _client_json(client: Client) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": client.id, "name": client.name, "public": client.public,
        "trusted": client.trusted, "redirectUris": list(client.redirect_uris),
        "postLogoutRedirectUris": list(client.post_logout_redirect_uris),
        "scopes": list(client.scopes), "metadata": client.metadata,
        "secrets": [_secret_json(s) for s in client.secrets],
    }
    if client.description is not None:
        body["description"] = client.description
    return body


def _created_secret_json(secret: CreatedSecret) -> dict[str, Any]:
    return {"id": secret.id, "name": secret.name, "lastDigits": secret.last_digits,
            "clear": secret.clear, "metadata": secret.metadata}


def _user_json(user: User) -> dict[str, Any]:
    body = {"id": user.id, "subject": user.subject}
    if user.email is not None:
        body["email"] = user.email
    return body


# --- OIDC discovery and keys ---------------------------------------------------------------

@router.get(DISCOVERY_PATH, operation_id="getOIDCWellKnowns")
async def get_oidc_well_knowns(rt: Runtime) -> dict[str, Any]:
    return {
        "issuer": rt.issuer,
        "token_endpoint": f"{rt.issuer}{TOKEN_PATH}",
        "jwks_uri": f"{rt.issuer}{JWKS_PATH}",
        "grant_types_supported": ["client_credentials"],
        # Logins (authorization code) need an upstream identity provider, which is out of reach
        # here; only the client credentials grant is served.
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "scopes_supported": list(all_stack_scopes()),
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scope",
                             "client_id"],
    }


@router.get(JWKS_PATH, operation_id="getJWKS")
async def get_jwks(rt: Runtime) -> JSONResponse:
    return JSONResponse(await rt.keyring.jwks(), headers={"Cache-Control": "max-age=300"})


# --- token endpoint (RFC 6749 §4.4, errors per §5.2) ------------------------------------------

def _oauth_error(exc: OAuthError) -> JSONResponse:
    headers = dict(_NO_STORE)
    status = 400
    if isinstance(exc, InvalidClientError):
        # RFC 6749 §5.2: 401 naming the scheme the client can authenticate with.
        status = 401
        headers["WWW-Authenticate"] = 'Basic realm="ledgerflow"'
    return JSONResponse({"error": exc.error, "error_description": exc.description},
                        status_code=status, headers=headers)


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClientError("unsupported client authentication scheme")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise InvalidClientError("malformed Basic credentials") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClientError("malformed Basic credentials")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    return unquote_plus(client_id), unquote_plus(secret)


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise InvalidRequestError("the token request must be application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_TOKEN_BODY:
            raise InvalidRequestError("token request too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequestError("malformed form body") from exc
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:  # RFC 6749 §3.2: parameters must not be repeated
            raise InvalidRequestError(f"parameter {key} is repeated")
        form[key] = value
    return form


@router.post(TOKEN_PATH, operation_id="createToken")
async def create_token(request: Request, rt: Runtime) -> Response:
    authorization = request.headers.get("authorization")
    try:
        form = await _form(request)
        if authorization:
            if "client_secret" in form:
                raise InvalidRequestError("use one client authentication method, not two")
            client_id, client_secret = _basic_credentials(authorization)
            if form.get("client_id") not in (None, client_id):
                raise InvalidRequestError("client_id does not match the Basic credentials")
        else:
            client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        token = await rt.tokens().client_credentials(
            grant_type=form.get("grant_type"), client_id=client_id,
            client_secret=client_secret, scope=form.get("scope"),
        )
    except OAuthError as exc:
        return _oauth_error(exc)
    return JSONResponse(
        {"access_token": token.token, "token_type": "Bearer", "expires_in": token.expires_in,
         "scope": " ".join(token.scopes)},
        headers=_NO_STORE,
    )


# --- clients, secrets, users -------------------------------------------------------------

@router.get("/clients", operation_id="listClients")
async def list_clients(admin: Admin) -> dict[str, Any]:
    return {"data": [_client_json(c) for c in await admin.list_clients()]}


@router.post("/clients", operation_id="createClient", status_code=201)
async def create_client(body: ClientOptionsBody, admin: Admin) -> dict[str, Any]:
    return {"data": _client_json(await admin.create_client(body.to_domain()))}


@router.get("/clients/{clientId}", operation_id="readClient")
async def read_client(clientId: str, admin: Admin) -> dict[str, Any]:
    return {"data": _client_json(await admin.read_client(clientId))}


@router.put("/clients/{clientId}", operation_id="updateClient")
async def update_client(clientId: str, body: ClientOptionsBody, admin: Admin
                        ) -> dict[str, Any]:
    return {"data": _client_json(await admin.update_client(clientId, body.to_domain()))}


@router.delete("/clients/{clientId}", operation_id="deleteClient", status_code=204)
async def delete_client(clientId: str, admin: Admin) -> Response:
    await admin.delete_client(clientId)
    return Response(status_code=204)


@router.post("/clients/{clientId}/secrets", operation_id="createSecret")
async def create_secret(clientId: str, body: SecretOptionsBody, admin: Admin
                        ) -> JSONResponse:
    secret = await admin.create_secret(clientId, body.name, body.metadata)
    return JSONResponse({"data": _created_secret_json(secret)}, headers=_NO_STORE)


@router.delete("/clients/{clientId}/secrets/{secretId}", operation_id="deleteSecret",
               status_code=204)
async def delete_secret(clientId: str, secretId: str, admin: Admin) -> Response:
    await admin.delete_secret(clientId, secretId)
    return Response(status_code=204)


@router.get("/users", operation_id="listUsers")
async def list_users(admin: Admin) -> dict[str, Any]:
    return {"data": [_user_json(u) for u in await admin.list_users()]}


@router.get("/users/{userId}", operation_id="readUser")
async def read_user(userId: str, admin: Admin) -> dict[str, Any]:
    return {"data": _user_json(await admin.read_user(userId))}
