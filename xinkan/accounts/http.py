"""The logged-in staff user of a request, typed (views behind login_required use it)."""

from __future__ import annotations

from django.http import HttpRequest

from xinkan.accounts.models import User


def request_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "only for views behind login_required"
    return user
