"""The staff navigation: one list, each item shown only to users holding its permission."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xinkan.org.roles import Perm
from xinkan.org.scope import Scope


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    perm: str | None = None
    superuser: bool = False


NAV_ITEMS: list[NavItem] = [
    NavItem("home", _("My work"), "web:home"),
    NavItem("units", _("Units"), "web:units", Perm.ORG_VIEW),
    NavItem("residents", _("Residents"), "residents:list", Perm.RESIDENTS_VIEW),
    NavItem("audit", _("Audit log"), "audit:list", Perm.AUDIT_VIEW),
    NavItem("admin", _("Administration"), "admin:index", Perm.ORG_MANAGE, superuser=True),
    NavItem("account", _("My account"), "accounts:account"),
]


@dataclass(frozen=True)
class NavLink:
    key: str
    label: str | Promise
    url: str
    active: bool


def nav_for(scope: Scope, *, is_superuser: bool, current_path: str) -> list[NavLink]:
    links = []
    for item in NAV_ITEMS:
        allowed = (
            item.perm is None or scope.has_perm(item.perm) or (item.superuser and is_superuser)
        )
        if not allowed:
            continue
        url = reverse(item.url_name)
        active = current_path == url if item.key == "home" else current_path.startswith(url)
        links.append(NavLink(item.key, item.label, url, active))
    return links
