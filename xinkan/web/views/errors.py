"""Error pages in the user's language, with a reason and a way back."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {
            "status": 403,
            "title": _("The form has expired"),
            "message": _(
                "For your safety the form could not be accepted. Reload the page and submit it again."
            ),
        },
        status=403,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {
            "status": 400,
            "title": _("Bad request"),
            "message": _("The request could not be understood."),
        },
        status=400,
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = (
        str(exception)
        if exception and str(exception)
        else _("Your role does not allow this page or action.")
    )
    return render(
        request,
        "web/error.html",
        {"status": 403, "title": _("Not allowed"), "message": message},
        status=403,
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {
            "status": 404,
            "title": _("Not found"),
            "message": _("This page does not exist, or it is outside your area of work."),
        },
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request's context processors: the failure may be the database itself.
    html = loader.get_template("web/500.html").render({})
    return HttpResponse(html, status=500)
