"""Login in two steps (password, then TOTP where enrolled or required), logout, password change."""

from __future__ import annotations

import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinkan.accounts import services
from xinkan.accounts.forms import LoginForm, TokenForm
from xinkan.accounts.models import User

PENDING_USER = "xk_pending_user"
PENDING_AT = "xk_pending_at"
PENDING_NEXT = "xk_pending_next"
PENDING_MAX_AGE = 5 * 60


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_USER)
    started = request.session.get(PENDING_AT, 0)
    if not user_id or time.time() - float(started) > PENDING_MAX_AGE:
        return None
    return User.objects.filter(pk=user_id, is_active=True, locked_at__isnull=True).first()


def _complete_login(request: HttpRequest, user: User, device: TOTPDevice | None) -> HttpResponse:
    next_url = request.session.get(PENDING_NEXT) or request.POST.get("next")
    for key in (PENDING_USER, PENDING_AT, PENDING_NEXT):
        request.session.pop(key, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:
        otp_login(request, device)
    request.session["xk_last_seen"] = time.time()
    services.record_login_success(user, second_factor=device is not None)
    return HttpResponseRedirect(_safe_next(request, next_url))


def _locked_message() -> str:
    return _(
        "This account is locked after too many failed logins. Ask your administrator to unlock it."
    )


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        existing = User.objects.filter(username=username).first()
        if existing is not None and existing.is_locked:
            services.record_login_failure(username=username)
            form.add_error(None, _locked_message())
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                result = services.record_login_failure(username=username)
                if result.locked:
                    form.add_error(None, _locked_message())
                elif existing is not None and result.remaining <= 2:
                    form.add_error(
                        None,
                        ngettext(
                            "Wrong username or password. After %(n)d more failed attempt the "
                            "account will be locked.",
                            "Wrong username or password. After %(n)d more failed attempts the "
                            "account will be locked.",
                            result.remaining,
                        )
                        % {"n": result.remaining},
                    )
                else:
                    form.add_error(None, _("Wrong username or password."))
            else:
                assert isinstance(user, User)
                needs_device = services.has_confirmed_device(user)
                if needs_device or services.requires_two_factor(user):
                    request.session.cycle_key()
                    request.session[PENDING_USER] = user.pk
                    request.session[PENDING_AT] = time.time()
                    request.session[PENDING_NEXT] = next_url
                    target = "accounts:verify" if needs_device else "accounts:two_factor_setup"
                    return redirect(target)
                return _complete_login(request, user, None)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.warning(request, _("Please log in again."))
        return redirect("accounts:login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.verify_totp(user, token=form.cleaned_data["token"])
        if device is not None:
            return _complete_login(request, user, device)
        result = services.record_login_failure(
            username=user.get_username(), reason="bad_second_factor"
        )
        if result.locked:
            request.session.flush()
            messages.error(request, _locked_message())
            return redirect("accounts:login")
        form.add_error("token", _("The code is wrong or has expired. Enter the current code."))
    return render(request, "accounts/verify.html", {"form": form, "pending_user": user})


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup_view(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator: right after the password when it is required, or from the account page."""
    pending = _pending_user(request)
    user = request.user if request.user.is_authenticated else pending
    if user is None:
        return redirect("accounts:login")
    assert isinstance(user, User)
    device = services.pending_totp_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_totp_device(user, device=device, token=form.cleaned_data["token"]):
            if pending is not None and not request.user.is_authenticated:
                return _complete_login(request, user, device)
            otp_login(request, device)
            messages.success(request, _("Two-factor login is now on for your account."))
            return redirect("accounts:account")
        form.add_error(
            "token", _("The code does not match. Check the time on your phone and retry.")
        )
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_data_uri": qr.svg_data_uri(scale=4),
        "secret": _base32_groups(device),
        "required": pending is not None,
    }
    return render(request, "accounts/two_factor_setup.html", context)


def _base32_groups(device: TOTPDevice) -> str:
    import base64

    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        assert isinstance(request.user, User)
        services.record_logout(request.user, reason="user")
    logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("accounts:login")


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_own_password(user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("web:home")
    reason = ""
    if user.must_change_password:
        reason = _("Your password was set by an administrator. Choose your own password now.")
    elif user.password_expired():
        reason = _("Your password has expired. Choose a new password.")
    return render(request, "accounts/password_change.html", {"form": form, "reason": reason})


@login_required
def account_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    context = {
        "has_device": services.has_confirmed_device(user),
        "two_factor_required": services.requires_two_factor(user),
        "password_expires_at": user.password_expires_at(),
    }
    return render(request, "accounts/account.html", context)
