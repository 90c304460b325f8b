"""Staff accounts. Residents use the public portal without accounts."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("full name"), max_length=60, blank=True)
    failed_login_count = models.PositiveIntegerField(_("failed logins in a row"), default=0)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    must_change_password = models.BooleanField(
        _("must change password at next login"), default=False
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    def password_expires_at(self) -> dt.datetime | None:
        if self.password_changed_at is None:
            return None
        return self.password_changed_at + dt.timedelta(days=settings.XINKAN_PASSWORD_MAX_AGE_DAYS)

    def password_expired(self) -> bool:
        expires = self.password_expires_at()
        return expires is not None and expires <= timezone.now()
