"""Small helpers for the login tests: posting the forms, reading what the user was told, TOTP codes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Max
from django.http import HttpResponse
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinkan.audit.models import AuditEntry

LOGIN_URL = "/accounts/login/"
VERIFY_URL = "/accounts/login/verify/"
SETUP_URL = "/accounts/two-factor/setup/"
LOGOUT_URL = "/accounts/logout/"
PASSWORD_URL = "/accounts/password/"
HOME_URL = "/"


def post_login(client: Client, username: str, password: str, **extra: Any) -> HttpResponse:
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def in_language(message: str, language: str | None = None) -> str:
    """`message` as the application shows it in `language` (the site default when None)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return translation.gettext(message)


def in_language_plural(singular: str, plural: str, n: int, language: str | None = None) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return translation.ngettext(singular, plural, n) % {"n": n}


def form_errors(response: HttpResponse) -> list[str]:
    form = response.context["form"]
    return [str(error) for errors in form.errors.values() for error in errors]


def shown(response: HttpResponse, text: str) -> bool:
    return escape(text) in response.content.decode()


def messages_of(response: HttpResponse) -> list[str]:
    """The flash messages rendered on a page (read from the template context)."""
    return [str(message) for message in response.context["messages"]]


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def last_audit_id() -> int:
    return AuditEntry.objects.aggregate(last=Max("id"))["last"] or 0


def audit_since(entry_id: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=entry_id).order_by("id"))


def actions_since(entry_id: int) -> list[str]:
    return [entry.action for entry in audit_since(entry_id)]


def code_for(device: TOTPDevice, *, offset: int = 0) -> str:
    """The code the authenticator app shows now (offset in time steps)."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset)
    return f"{value:0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    """A well-formed code that is accepted in no step of the tolerance window."""
    valid = {
        code_for(device, offset=step) for step in range(-device.tolerance - 1, device.tolerance + 2)
    }
    candidate = int(code_for(device))
    while f"{candidate:06d}" in valid:
        candidate = (candidate + 7919) % 1_000_000
    return f"{candidate:06d}"
