from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xinkan.accounts.models import User
from xinkan.org.scope import get_scope
from xinkan.web.home import panels_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    return render(request, "web/home.html", {"panels": panels_for(user, get_scope(user))})
