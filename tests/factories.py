"""Factories for test data. Domain rows are made through the services, as the application makes them."""

from __future__ import annotations

import itertools
from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from xinkan.accounts import services as account_services
from xinkan.accounts.models import User
from xinkan.org import services as org_services
from xinkan.org.models import Department, Level, Unit
from xinkan.residents import services as resident_services
from xinkan.residents.models import Household, Resident

PASSWORD = "Test#Pass2026"
_seq = itertools.count(1)


def unit(name: str, level: str = Level.COMMUNITY, parent: Unit | None = None, **extra: Any) -> Unit:
    code = extra.pop("code", None) or f"U{next(_seq):06d}"
    return org_services.create_unit(
        code=code, name=name, level=level, parent=parent, by=None, **extra
    )


def department(name: str, unit: Unit, **extra: Any) -> Department:
    code = extra.pop("code", None) or f"D{next(_seq):06d}"
    return org_services.create_department(code=code, name=name, unit=unit, by=None, **extra)


def user(
    username: str | None = None, *, display_name: str = "", password: str = PASSWORD, **extra: Any
) -> User:
    username = username or f"user{next(_seq)}"
    created = account_services.create_user(
        username=username,
        display_name=display_name or username,
        password=password,
        by=None,
        must_change_password=extra.pop("must_change_password", False),
    )
    return created


def member(
    role: str,
    *,
    unit: Unit | None = None,
    department: Department | None = None,
    username: str | None = None,
    display_name: str = "",
) -> User:
    person = user(username, display_name=display_name)
    org_services.grant_membership(user=person, role=role, unit=unit, department=department, by=None)
    return person


def totp_device(person: User, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=person, name="test", confirmed=confirmed)


def household(unit: Unit, address: str = "建设路1号1单元101", code: str | None = None) -> Household:
    return resident_services.create_household(
        code=code or f"H{next(_seq):06d}", unit=unit, address=address, by=None
    )


def resident(unit: Unit, name: str = "张三", **extra: Any) -> Resident:
    return resident_services.register_resident(name=name, unit=unit, by=None, **extra)


def drive(unit: Unit, by: User, name: str = "衣+衣=爱 冬衣募捐", **extra: Any) -> Any:
    """An open drive (starting `starts_on`, today by default) organised by `unit`."""
    import datetime as dt

    from django.utils import timezone

    from xinkan.aid import services as aid_services

    starts_on = extra.pop("starts_on", timezone.localdate() - dt.timedelta(days=30))
    return aid_services.create_drive(by=by, unit=unit, name=name, starts_on=starts_on, **extra)


def station(unit: Unit, by: User, kind: str = "donation", name: str = "", **extra: Any) -> Any:
    from xinkan.aid import services as aid_services

    return aid_services.create_station(
        by=by,
        unit=unit,
        kind=kind,
        name=name or f"爱心捐助站{next(_seq)}",
        address=extra.pop("address", "党群服务中心一楼"),
        **extra,
    )
