"""Notifications: in-app notices for staff, and messages to residents through a pluggable sender."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from xinkan.matters.models import Matter, Notification
from xinkan.org.models import Membership, Unit
from xinkan.org.roles import ROLE_PERMISSIONS

if TYPE_CHECKING:
    from xinkan.accounts.models import User

logger = logging.getLogger(__name__)


def notify(
    user: User,
    *,
    kind: str,
    text: str,
    matter: Matter | None,
    dedupe_key: str,
    url: str = "",
) -> bool:
    """One notice per fact: a second call with the same key does nothing (retried sweeps).
    Other features (disputes, pairings) pass `url`, the page the notice leads to."""
    try:
        with transaction.atomic():
            Notification.objects.create(
                user=user,
                matter=matter,
                kind=kind,
                text=text[:300],
                dedupe_key=dedupe_key[:120],
                url=url[:200],
            )
    except IntegrityError:
        return False
    return True


def staff_with_perm(unit: Unit, perm: str, *, exact: bool = True) -> list[User]:
    """Members holding `perm` in `unit` itself (exact) or in it and the units above it."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]
    units = [unit.pk] if exact else [*unit.ancestor_ids(), unit.pk]
    memberships = Membership.objects.filter(
        unit_id__in=units, role__in=roles, is_active=True, user__is_active=True
    ).select_related("user")
    seen: dict[int, User] = {}
    for membership in memberships:
        seen.setdefault(membership.user_id, membership.user)
    return list(seen.values())


def notify_unit_staff(
    matter: Matter, unit: Unit, perm: str, *, kind: str, text: str, fact: str = ""
) -> int:
    """`fact` tells apart facts of the same kind about the same matter (which deadline, which
    request), so that only a retry of the same fact is suppressed."""
    sent = 0
    for user in staff_with_perm(unit, perm):
        sent += notify(
            user,
            kind=kind,
            text=text,
            matter=matter,
            dedupe_key=f"{kind}:{matter.pk}:{user.pk}:{unit.pk}{':' + fact if fact else ''}",
        )
    return sent


def notify_department_staff(
    matter: Matter, department_id: int, *, kind: str, text: str, fact: str = ""
) -> int:
    memberships = Membership.objects.filter(
        department_id=department_id, is_active=True, user__is_active=True
    ).select_related("user")
    sent = 0
    for membership in memberships:
        sent += notify(
            membership.user,
            kind=kind,
            text=text,
            matter=matter,
            dedupe_key=f"{kind}:{matter.pk}:{membership.user_id}:d{department_id}"
            + (f":{fact}" if fact else ""),
        )
    return sent


# --- Messages to residents ---------------------------------------------------------------------


class ResidentSender(Protocol):
    def send(self, *, phone: str, email: str, text: str, matter_code: str) -> None: ...


class LoggingSender:
    """The default: writes that a message would be sent (without the phone number) to the log."""

    def send(self, *, phone: str, email: str, text: str, matter_code: str) -> None:
        logger.info("Message to the resident of %s: %s", matter_code, text)


class EmailSender:
    """Sends through Django's mail settings to residents who gave an e-mail address."""

    def send(self, *, phone: str, email: str, text: str, matter_code: str) -> None:
        if not email:
            return
        from django.core.mail import send_mail

        send_mail(f"[{matter_code}]", text, None, [email])


class SmsSender:
    """The interface an SMS gateway fills in: subclass it and set XINKAN_RESIDENT_SENDER."""

    def send(self, *, phone: str, email: str, text: str, matter_code: str) -> None:
        raise NotImplementedError("Configure an SMS gateway for this deployment.")


def sender() -> ResidentSender:
    return import_string(settings.XINKAN_RESIDENT_SENDER)()


def tell_resident(matter: Matter, text: str) -> None:
    """Send after the transaction commits, so a rolled-back change sends nothing."""
    if matter.anonymous or not (matter.contact_phone or matter.resident_id):
        return
    phone, code = matter.contact_phone, matter.code

    def _send() -> None:
        try:
            sender().send(phone=phone, email="", text=text, matter_code=code)
        except Exception:
            logger.exception("Could not send a message about %s", code)

    transaction.on_commit(_send)
