"""In-app notifications of the logged-in member of staff."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xinkan.accounts.models import User
from xinkan.matters.models import Notification


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    notices = list(
        Notification.objects.filter(user=user)
        .select_related("matter")
        .order_by("-created_at")[:100]
    )
    return render(request, "matters/notifications.html", {"notices": notices})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("matters:notifications")
