"""Session rules for staff (等保2.0 level 3): idle timeout, locked accounts, second factor,
forced password change."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from xinkan.accounts import services
from xinkan.accounts.models import User

LAST_SEEN = "xk_last_seen"
# Writing the session on every request is wasteful; a minute of slack on a 30-minute timeout is not.
TOUCH_INTERVAL = 60


class SessionSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @staticmethod
    def _exempt(path: str) -> bool:
        return path.startswith((settings.STATIC_URL, "/i18n/", "/healthz"))

    def _end_session(
        self, request: HttpRequest, user: User, reason: str, message: str
    ) -> HttpResponse:
        services.record_logout(user, reason=reason)
        logout(request)
        target = reverse("accounts:login")
        if request.method == "GET":
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        response = HttpResponseRedirect(target)
        if request.headers.get("HX-Request"):
            response["HX-Redirect"] = target
        if hasattr(request, "_messages"):
            messages.warning(request, message)
        else:
            # This middleware runs before MessageMiddleware, and returning early skips it: store
            # the message on the response ourselves.
            storage = default_storage(request)
            storage.add(messages.WARNING, message)
            storage.update(response)
        return response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._exempt(request.path):  # before touching request.user: no session or user queries
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        assert isinstance(user, User)
        now = time.time()
        last_seen = request.session.get(LAST_SEEN)
        if last_seen is not None and now - float(last_seen) > settings.XINKAN_IDLE_TIMEOUT_SECONDS:
            return self._end_session(
                request,
                user,
                "idle",
                _("You were logged out after a period without activity. Please log in again."),
            )
        if user.is_locked:
            return self._end_session(request, user, "locked", _("This account is locked."))
        if services.requires_two_factor(user) and not user.is_verified():  # type: ignore[attr-defined]
            return self._end_session(
                request,
                user,
                "second_factor_required",
                _("Your role requires two-factor login. Please log in again."),
            )
        if last_seen is None or now - float(last_seen) > TOUCH_INTERVAL:
            request.session[LAST_SEEN] = now
        if (user.must_change_password or user.password_expired()) and request.path not in {
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
        }:
            return HttpResponseRedirect(reverse("accounts:password_change"))
        return self.get_response(request)
