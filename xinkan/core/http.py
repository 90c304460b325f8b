"""Small HTTP helpers shared by the apps' views."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_redirect(
    request: HttpRequest, candidate: str | None, fallback: str
) -> HttpResponseRedirect:
    """Redirect to `candidate` only if it stays on this site (no open redirects), else `fallback`."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(candidate)
    return HttpResponseRedirect(resolve_url(fallback))
