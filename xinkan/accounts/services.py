"""Every write to accounts: creation, login bookkeeping, lockout, passwords, second factor."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinkan.accounts.models import User
from xinkan.audit import services as audit
from xinkan.core.redaction import redact
from xinkan.org.models import Membership
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope


def _require_account_manager(by: User, target: User | None = None) -> None:
    """Only administrators manage accounts, and only of people within their own scope.

    Call it before opening the action's transaction: the refusal's audit entry must not be rolled
    back with it.
    """
    scope = get_scope(by)
    allowed = by.is_superuser or scope.has_perm(Perm.ACCOUNTS_MANAGE)
    if allowed and target is not None and not by.is_superuser:
        for membership in Membership.objects.filter(user=target).select_related(
            "unit", "department__unit"
        ):
            place_unit = membership.unit or (
                membership.department.unit if membership.department else None
            )
            if not scope.covers_unit(place_unit, Perm.ACCOUNTS_MANAGE):
                allowed = False
                break
    if not allowed:
        audit.record_failure(actor=by, action="accounts.manage.denied", obj=target)
        raise PermissionDenied(_("You may not manage this account."))


def requires_two_factor(user: User) -> bool:
    required = set(settings.XINKAN_2FA_REQUIRED_ROLES)
    return bool(required) and get_scope(user).has_role(*required)


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


# --- Creating and changing accounts --------------------------------------------------------------


def create_user(
    *,
    username: str,
    display_name: str,
    password: str,
    by: User | None,
    must_change_password: bool = True,
    is_staff: bool = False,
) -> User:
    """Create a staff account. `by=None` only for system set-up (seed data, bootstrap)."""
    if by is not None:
        _require_account_manager(by)
    user = User(username=username, display_name=display_name, is_staff=is_staff)
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.must_change_password = must_change_password
        user.save()
        audit.record(
            actor=by,
            actor_label=None if by else "system",
            action="accounts.user.created",
            obj=user,
            changes={"username": [None, username], "display_name": [None, display_name]},
        )
    return user


def set_user_active(user: User, *, active: bool, by: User) -> User:
    _require_account_manager(by, user)
    if user.is_active == active:
        return user
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active)
        user.is_active = active
        audit.record(
            actor=by,
            action="accounts.user.activated" if active else "accounts.user.deactivated",
            obj=user,
            changes={"is_active": [not active, active]},
        )
    return user


def update_user_profile(user: User, *, display_name: str, email: str, by: User) -> User:
    _require_account_manager(by, user)
    before = audit.snapshot(user, ["display_name", "email"])
    user.display_name = display_name
    user.email = email
    after = audit.snapshot(user, ["display_name", "email"])
    changes = audit.diff(before, after)
    if not changes:
        return user
    with transaction.atomic():
        user.save(update_fields=["display_name", "email"])
        audit.record(actor=by, action="accounts.user.updated", obj=user, changes=changes)
    return user


# --- Login bookkeeping and lockout ---------------------------------------------------------------


@dataclass(frozen=True)
class FailedLogin:
    locked: bool
    remaining: int


def record_login_failure(*, username: str, reason: str = "bad_password") -> FailedLogin:
    """Count a wrong password (or second-factor code, `reason="bad_second_factor"`); lock the
    account at the threshold. The password is never recorded.

    The counter is a conditional update (no read-then-write), so concurrent attempts each count.
    """
    threshold = settings.XINKAN_LOCKOUT_THRESHOLD
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        if user is None:
            # What was typed is kept (it shows guessing), but an ID card or phone number typed
            # as a username is personal data: masked like everywhere else.
            audit.record_failure(
                actor=None,
                actor_label=redact(username)[:150],
                action="accounts.login.failed",
                data={"reason": "unknown_user"},
            )
            return FailedLogin(locked=False, remaining=threshold)
        if user.locked_at is not None:
            audit.record_failure(
                actor=None,
                actor_label=username,
                action="accounts.login.refused_locked",
                obj=user,
            )
            return FailedLogin(locked=True, remaining=0)
        User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
        count = User.objects.values_list("failed_login_count", flat=True).get(pk=user.pk)
        locked_now = False
        if count >= threshold:
            locked_now = (
                User.objects.filter(pk=user.pk, locked_at__isnull=True).update(
                    locked_at=timezone.now()
                )
                == 1
            )
        audit.record_failure(
            actor=None,
            actor_label=username,
            action="accounts.login.failed",
            obj=user,
            data={"reason": reason, "failed_in_a_row": count},
        )
        if locked_now:
            audit.record(
                actor=None,
                actor_label="system:lockout",
                action="accounts.user.locked",
                obj=user,
                data={"failed_in_a_row": count, "threshold": threshold},
            )
    return FailedLogin(locked=count >= threshold, remaining=max(threshold - count, 0))


@transaction.atomic
def record_login_success(user: User, *, second_factor: bool) -> None:
    User.objects.filter(pk=user.pk).update(failed_login_count=0, last_login=timezone.now())
    audit.record(
        actor=user,
        action="accounts.login.succeeded",
        obj=user,
        data={"second_factor": second_factor},
    )


def record_logout(user: User, *, reason: str) -> None:
    audit.record(actor=user, action="accounts.logout", obj=user, data={"reason": reason})


def unlock_user(user: User, *, by: User) -> User:
    _require_account_manager(by, user)
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, locked_at__isnull=False).update(
            locked_at=None, failed_login_count=0
        )
        if not changed:
            return user
        user.refresh_from_db(fields=["locked_at", "failed_login_count"])
        audit.record(actor=by, action="accounts.user.unlocked", obj=user)
    return user


# --- Passwords -----------------------------------------------------------------------------------


@transaction.atomic
def change_own_password(user: User, *, new_password: str) -> None:
    """The user's own change (the form has checked the old password and the validators)."""
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.must_change_password = False
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    audit.record(actor=user, action="accounts.password.changed", obj=user)


def reset_password(user: User, *, new_password: str, by: User) -> None:
    """An administrator sets a temporary password; the user must change it at the next login."""
    _require_account_manager(by, user)
    validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.password_changed_at = timezone.now()
        user.must_change_password = True
        user.locked_at = None
        user.failed_login_count = 0
        user.save(
            update_fields=[
                "password",
                "password_changed_at",
                "must_change_password",
                "locked_at",
                "failed_login_count",
            ]
        )
        audit.record(actor=by, action="accounts.password.reset", obj=user)


# --- Second factor (TOTP) ------------------------------------------------------------------------


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled (created once, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def confirm_totp_device(user: User, *, device: TOTPDevice, token: str) -> bool:
    if device.user_id != user.pk or device.confirmed:
        return False
    if not device.verify_token(token):
        audit.record_failure(actor=user, action="accounts.two_factor.enrol_failed", obj=user)
        return False
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor=user, action="accounts.two_factor.enrolled", obj=user)
    return True


def verify_totp(user: User, *, token: str) -> TOTPDevice | None:
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    audit.record_failure(
        actor=None, actor_label=user.get_username(), action="accounts.two_factor.failed", obj=user
    )
    return None


def reset_two_factor(user: User, *, by: User) -> None:
    _require_account_manager(by, user)
    with transaction.atomic():
        deleted, _counts = TOTPDevice.objects.filter(user=user).delete()
        if deleted:
            audit.record(actor=by, action="accounts.two_factor.reset", obj=user)
