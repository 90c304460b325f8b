"""The public portal: submit a matter, follow it by its number and phone, read the answer, rate it,
ask for a review. No accounts; what a resident may see is kept in their session only, and no other
resident's data is ever shown. Every form is rate limited per client address."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from xinkan.core import context
from xinkan.core.ratelimit import allow
from xinkan.matters import services
from xinkan.matters.models import Channel, Matter, MatterEvent, Rating, Reply, State
from xinkan.matters.selectors import find_for_resident
from xinkan.matters.services.follow_up import review_window_open
from xinkan.portal.forms import RateForm, ReviewForm, SubmitForm, TrackForm

SESSION_KEY = "portal_matter"
SUBMIT_LIMIT = (5, 60 * 60)  # five submissions an hour per address
TRACK_LIMIT = (20, 10 * 60)


def _client() -> str:
    return context.current().client_ip or "unknown"


def _too_many(request: HttpRequest, template: str, form: object) -> HttpResponse:
    return render(
        request,
        template,
        {
            "form": form,
            "limited": _("Too many attempts from your network. Please wait a while and try again."),
        },
        status=429,
    )


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"track_form": TrackForm()})


@sensitive_post_parameters("phone")
@never_cache
def submit(request: HttpRequest) -> HttpResponse:
    form = SubmitForm(request.POST or None, request.FILES or None, language=get_language())
    if request.method == "POST":
        if not allow("portal-submit", _client(), limit=SUBMIT_LIMIT[0], window=SUBMIT_LIMIT[1]):
            return _too_many(request, "portal/submit.html", form)
        if form.is_valid():
            data = form.cleaned_data
            key = "" if data["phone"] else secrets.token_hex(4).upper()
            intake = services.Intake(
                channel=Channel.ONLINE,
                category=data["category"],
                description=data["description"],
                unit=data["community"],
                address=data["address"],
                contact_name=data["name"],
                contact_phone=data["phone"],
                anonymous=data["anonymous"],
                attachments=data["photos"],
                idempotency_key=f"portal:{data['idempotency_key']}",
                portal_key=key,
            )
            try:
                result = services.register_matter(intake, by=None)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                if result.resubmitted and request.session.get(SESSION_KEY) == result.matter.pk:
                    return redirect("portal:submitted")  # this browser sent it a moment ago
                if result.folded or result.concluded_match is not None:
                    # Matched by the phone alone, the earlier matter may be someone else's: neither
                    # it nor a note naming it is opened here. Its resident is told at that phone.
                    messages.info(
                        request,
                        _(
                            "This matches a matter already registered with this phone. What you wrote has been recorded; you will be told at that phone how it stands."
                        ),
                    )
                    return redirect("portal:home")
                request.session[SESSION_KEY] = result.matter.pk
                if key and result.created:
                    request.session["portal_key_once"] = key
                return redirect("portal:submitted")
    return render(request, "portal/submit.html", {"form": form})


@never_cache
def submitted(request: HttpRequest) -> HttpResponse:
    matter = _session_matter(request)
    if matter is None:
        return redirect("portal:home")
    key = request.session.pop("portal_key_once", "")
    return render(request, "portal/submitted.html", {"matter": matter, "key": key})


@sensitive_post_parameters("secret")
@never_cache
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST or None)
    if request.method == "POST":
        if not allow("portal-track", _client(), limit=TRACK_LIMIT[0], window=TRACK_LIMIT[1]):
            return _too_many(request, "portal/track.html", form)
        if form.is_valid():
            matter = find_for_resident(form.cleaned_data["code"], form.cleaned_data["secret"])
            if matter is None:
                form.add_error(
                    None, _("No matter matches this number and phone. Check both and try again.")
                )
            else:
                request.session.cycle_key()
                request.session[SESSION_KEY] = matter.pk
                return redirect("portal:matter")
    return render(request, "portal/track.html", {"form": form})


def _session_matter(request: HttpRequest) -> Matter | None:
    matter_id = request.session.get(SESSION_KEY)
    if not matter_id:
        return None
    return (
        Matter.objects.select_related("category", "handling_unit", "merged_into")
        .filter(pk=matter_id)
        .first()
    )


@never_cache
def matter_view(request: HttpRequest) -> HttpResponse:
    matter = _session_matter(request)
    if matter is None:
        messages.info(request, _("Enter your matter number and phone to see it."))
        return redirect("portal:track")
    replies = list(Reply.objects.filter(matter=matter).order_by("at"))
    rated_reply_ids = set(matter.follow_ups.values_list("reply_id", flat=True))
    latest = replies[-1] if replies else None
    can_rate = (
        matter.state in {State.REPLIED, State.CONCLUDED}
        and latest is not None
        and latest.pk not in rated_reply_ids
    )
    can_review = (
        matter.state == State.REPLIED and matter.review_round < 2 and review_window_open(matter)
    )
    context_data = {
        "matter": matter,
        "events": MatterEvent.objects.filter(matter=matter, public=True).order_by("at"),
        "replies": replies,
        "rate_form": RateForm() if can_rate else None,
        "review_form": ReviewForm() if can_review else None,
        "dissatisfied": matter.last_rating == Rating.DISSATISFIED,
    }
    return render(request, "portal/matter.html", context_data)


def _act(request: HttpRequest, form_class: type, run: object) -> HttpResponse:
    matter = _session_matter(request)
    if matter is None or request.method != "POST":
        return redirect("portal:track")
    if not allow("portal-act", _client(), limit=TRACK_LIMIT[0], window=TRACK_LIMIT[1]):
        messages.error(
            request, _("Too many attempts from your network. Please wait a while and try again.")
        )
        return redirect("portal:matter")
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("portal:matter")
    try:
        run(matter, form.cleaned_data)  # type: ignore[operator]
    except (services.MatterError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Thank you. Your answer was recorded."))
    return redirect("portal:matter")


@never_cache
def rate(request: HttpRequest) -> HttpResponse:
    return _act(
        request,
        RateForm,
        lambda matter, data: services.record_follow_up(
            matter, rating=data["rating"], comment=data["comment"], by=None
        ),
    )


@never_cache
def review(request: HttpRequest) -> HttpResponse:
    return _act(
        request,
        ReviewForm,
        lambda matter, data: services.request_review(matter, reason=data["reason"], by=None),
    )


def leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("portal:home")
