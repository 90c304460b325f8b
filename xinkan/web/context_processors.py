from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from xinkan.org.scope import get_scope
from xinkan.web.navigation import nav_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the staff layout needs on every page: navigation and the user's places and roles."""
    user = getattr(request, "user", None)
    context: dict[str, Any] = {"xinkan_demo": settings.XINKAN_DEMO}
    if user is None or not user.is_authenticated:
        return context
    scope = get_scope(user)
    context["nav_links"] = nav_for(scope, is_superuser=user.is_superuser, current_path=request.path)
    context["scope_grants"] = scope.grants
    return context
