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
    NavItem("matters", _("Matters"), "matters:worklist", Perm.MATTERS_VIEW),
    NavItem("accompanied", _("People I accompany"), "matters:accompanied", Perm.MATTERS_ACCOMPANY),
    NavItem("disputes", _("Disputes"), "mediation:list", Perm.MEDIATION_WORK),
    NavItem("notifications", _("Notifications"), "matters:notifications", Perm.MATTERS_VIEW),
    NavItem("units", _("Units"), "web:units", Perm.ORG_VIEW),
    NavItem("residents", _("Residents"), "residents:list", Perm.RESIDENTS_VIEW),
    NavItem("volunteers", _("Volunteers"), "volunteers:list", Perm.VOLUNTEERS_VIEW),
    NavItem("aid", _("Drives and stations"), "aid:index", Perm.AID_VIEW),
    NavItem("metrics", _("Performance"), "metrics:dashboard", Perm.METRICS_VIEW),
    NavItem("hotspots", _("Hot spots"), "hotspots:list", Perm.METRICS_VIEW),
    NavItem("square", _("Public affairs square"), "square:list", Perm.SQUARE_VIEW),
    NavItem("audit", _("Audit log"), "audit:list", Perm.AUDIT_VIEW, superuser=True),
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
    items = [
        (item, reverse(item.url_name))
        for item in NAV_ITEMS
        if item.perm is None or scope.has_perm(item.perm) or (item.superuser and is_superuser)
    ]
    # The active item is the one whose address is the longest prefix of the page's
    # ("/matters/accompanied/" is "People I accompany", not "Matters"); home only on "/".
    matching = [
        url
        for item, url in items
        if current_path == url or (url != "/" and current_path.startswith(url))
    ]
    active_url = max(matching, key=len) if matching else None
    return [NavLink(item.key, item.label, url, url == active_url) for item, url in items]
