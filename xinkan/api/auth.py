"""Who is calling: a person by their session (web pages' own scripts; CSRF on unsafe methods) or a
system by `Authorization: Bearer <token>`. Either way `request.auth` is a User whose `get_scope`
answers what they may do, so every selector and service works unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from xinkan.api import tokens
from xinkan.api.models import ApiToken

if TYPE_CHECKING:
    from xinkan.accounts.models import User


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = tokens.find_active(token.strip())
        if found is None:
            return None
        request.api_token = found  # type: ignore[attr-defined]
        return tokens.bind_scope(found)


class SessionAuth(APIKeyCookie):
    """The staff session. The CSRF check runs only for a logged-in session: a request with neither
    token nor session gets 401, not a CSRF error."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


def api_token(request: HttpRequest) -> ApiToken | None:
    return getattr(request, "api_token", None)


def owner_key(request: HttpRequest) -> str:
    """Whose idempotency keys and rate limits these are."""
    token = api_token(request)
    if token is not None:
        return f"token:{token.pk}"
    user = getattr(request, "auth", None) or request.user
    return f"user:{user.pk}"


AUTH = [TokenAuth(), SessionAuth()]


def caller(request: HttpRequest) -> User:
    """The authenticated person or token account of an API request."""
    return request.auth  # type: ignore[attr-defined]
