"""One error body for the whole API:

    {"error": {"code": "<machine code>", "message": "<in the caller's language>", "fields": {...}}}

Messages follow Accept-Language (zh-hans by default, see core.middleware.LanguageMiddleware).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from xinkan.matters.services import InvalidTransition, MatterError, StaleMatter
from xinkan.mediation.services import MediationError, StaleDispute
from xinkan.square.services import SquareError


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorBody(Schema):
    error: ErrorDetail


# The error answers every read can give (bad query, no or a revoked token, no permission, not in
# scope, over the rate limit), declared in each operation's schema; writes add their own.
READ_ERRORS: dict[int, Any] = {
    400: ErrorBody,
    401: ErrorBody,
    403: ErrorBody,
    404: ErrorBody,
    429: ErrorBody,
}


class ApiError(Exception):
    """An error the endpoint raises on purpose, with its status and machine code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    body = {"error": {"code": code, "message": str(message), "fields": fields or {}}}
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_name(loc: list[Any]) -> str:
    # Ninja's locations start with where the value came from ("body", "query", "path") and, for a
    # body, the parameter's name: clients know fields by their own names.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form"}:
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in {"payload", "data", "filters"}:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


def _validation_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind in {"int_parsing", "int_type"}:
        return _("Enter a whole number.")
    if kind.startswith("datetime") or kind.startswith("date"):
        return _("Enter a date and time in ISO 8601 format.")
    if kind in {"string_too_long"}:
        return _("The text is too long.")
    if kind in {"string_too_short"}:
        return _("The text is too short.")
    if kind in {"literal_error", "enum"}:
        return _("Choose one of the allowed values.")
    if kind == "json_invalid":
        return _("The request body is not valid JSON.")
    return _("This value is not valid.")


def fields_from_django(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            name: [str(m) for e in errors for m in e.messages]
            for name, errors in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


def _add(api: NinjaAPI, exc_class: type[Exception], handler: Any) -> None:
    # Ninja's handler type names the exception class where it means an instance.
    api.add_exception_handler(exc_class, handler)


def install(api: NinjaAPI) -> None:
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            fields.setdefault(_field_name(list(error.get("loc", []))), []).append(
                _validation_message(error)
            )
        return error_response(400, "invalid", _("Some values are not valid."), fields)

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return error_response(
            400, "invalid", _("Some values are not valid."), fields_from_django(exc)
        )

    def on_matter_error(request: HttpRequest, exc: MatterError) -> HttpResponse:
        if isinstance(exc, StaleMatter):
            return error_response(409, "stale", exc.message)
        if isinstance(exc, InvalidTransition):
            return error_response(409, "invalid_state", exc.message)
        return error_response(400, exc.code, exc.message)

    def on_mediation_error(request: HttpRequest, exc: MediationError) -> HttpResponse:
        # Every refusal of the mediation services is about where the dispute stands (no longer
        # mediated, the last step, no lawyer free of conflicts): a conflict with its state.
        code = "stale" if isinstance(exc, StaleDispute) else "invalid_state"
        return error_response(409, code, exc.message)

    def on_square_error(request: HttpRequest, exc: SquareError) -> HttpResponse:
        # The square's refusals mix the request's content (a question too short) and the state
        # of the session or question: the service's message says which.
        return error_response(400, "refused", exc.message)

    def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(403, "forbidden", str(exc) or _("You may not do this."), None)

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", _("Not found."))

    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            401,
            "unauthenticated",
            _("Log in, or send a valid token as “Authorization: Bearer <token>”."),
            headers={"WWW-Authenticate": 'Bearer realm="xinkan"'},
        )

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return error_response(
            429,
            "rate_limited",
            _("Too many requests. Wait a while and try again."),
            headers={"Retry-After": str(exc.wait or 60)},
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 403:
            # Ninja's CSRF check on session requests.
            return error_response(403, "csrf_failed", _("The CSRF token is missing or wrong."))
        return error_response(exc.status_code, "error", str(exc))

    _add(api, ApiError, on_api_error)
    _add(api, NinjaValidationError, on_validation)
    _add(api, DjangoValidationError, on_django_validation)
    _add(api, MatterError, on_matter_error)
    _add(api, MediationError, on_mediation_error)
    _add(api, SquareError, on_square_error)
    _add(api, PermissionDenied, on_denied)
    _add(api, Http404, on_not_found)
    _add(api, AuthenticationError, on_unauthenticated)
    _add(api, Throttled, on_throttled)
    _add(api, HttpError, on_http_error)


def not_found_view(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, "not_found", _("There is no such API resource."))


def method_not_allowed(allowed: str) -> HttpResponse:
    return error_response(
        405,
        "method_not_allowed",
        _("This method is not allowed here."),
        headers={"Allow": allowed},
    )
