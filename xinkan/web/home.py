"""The home page is a list of panels; each shows one kind of work and says what will appear there.

A panel's builder returns its context, or None when the panel is not for this user. Features add
their panels to `PANELS` (matters to handle, disputes to mediate, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xinkan.accounts import services as account_services
from xinkan.accounts.models import User
from xinkan.audit.models import AuditEntry
from xinkan.audit.selectors import entries_for
from xinkan.matters import panels as matter_panels
from xinkan.mediation import panels as dispute_panels
from xinkan.org.models import LEVEL_RANK, Department, Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope
from xinkan.residents.models import Resident
from xinkan.square import panels as square_panels
from xinkan.volunteers import panels as volunteer_panels

Builder = Callable[[User, Scope], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    key: str
    title: str | Promise
    template: str
    build: Builder


def _scope_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    if not scope.grants:
        return {"grants": (), "levels": []}
    counts: dict[str, int] = {}
    if scope.has_perm(Perm.ORG_VIEW):
        rows = scope.units(Perm.ORG_VIEW).values("level").annotate(n=Count("pk"))
        counts = {row["level"]: row["n"] for row in rows}
    levels = [
        (Level(level).label, counts[level])
        for level in sorted(counts, key=lambda level: LEVEL_RANK[level])
    ]
    departments = (
        Department.objects.filter(scope.department_q(Perm.ORG_VIEW, "")).count()
        if (scope.has_perm(Perm.ORG_VIEW))
        else 0
    )
    return {"grants": scope.grants, "levels": levels, "departments": departments}


def _security_panel(user: User, scope: Scope) -> dict[str, Any]:
    return {
        "has_device": account_services.has_confirmed_device(user),
        "two_factor_required": account_services.requires_two_factor(user),
        "password_expires_at": user.password_expires_at(),
        "last_login": user.last_login,
    }


def _residents_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    if not scope.has_perm(Perm.RESIDENTS_VIEW):
        return None
    residents = scope.filter_units(Resident.objects.all(), Perm.RESIDENTS_VIEW)
    return {
        "count": residents.count(),
        "households": scope.filter_units(
            Resident.objects.exclude(household=None), Perm.RESIDENTS_VIEW
        )
        .values("household_id")
        .distinct()
        .count(),
        "recent": list(residents.select_related("unit").order_by("-created_at", "-pk")[:5]),
    }


def _department_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    ids = {grant.department_id for grant in scope.grants if grant.department_id}
    if not ids:
        return None
    departments = (
        Department.objects.filter(pk__in=ids)
        .select_related("unit")
        .annotate(staff=Count("memberships", filter=Q(memberships__is_active=True)))
    )
    return {"departments": list(departments)}


def _locked_accounts_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    if not (scope.has_perm(Perm.ACCOUNTS_MANAGE) or user.is_superuser):
        return None
    locked = User.objects.filter(locked_at__isnull=False).order_by("-locked_at")
    if not user.is_superuser:
        in_scope = Q(memberships__unit__in=scope.units(Perm.ACCOUNTS_MANAGE)) | Q(
            memberships__department__unit__in=scope.units(Perm.ACCOUNTS_MANAGE)
        )
        locked = locked.filter(in_scope).distinct()
    return {"locked": list(locked[:20])}


def _audit_chain_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    if not (scope.has_perm(Perm.AUDIT_VIEW_SYSTEM) or user.is_superuser):
        return None
    last = AuditEntry.objects.filter(action="audit.chain.verified").order_by("-id").first()
    return {"last_check": last}


def _my_recent_panel(user: User, scope: Scope) -> dict[str, Any]:
    recent = AuditEntry.objects.filter(actor=user).select_related("unit").order_by("-id")[:8]
    return {"entries": list(recent)}


def _scope_activity_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    if not scope.has_perm(Perm.AUDIT_VIEW):
        return None
    return {"entries": list(entries_for(user).exclude(actor=user)[:8])}


def _units_below(user: User, scope: Scope) -> dict[str, Any] | None:
    roots = scope.root_units(Perm.ORG_VIEW)
    if not roots:
        return None
    children = (
        Unit.objects.filter(parent__in=roots, is_active=True)
        .annotate(n_children=Count("children"))
        .order_by("path")[:30]
    )
    return {"roots": roots, "children": list(children)}


PANELS: list[Panel] = [
    Panel("matters", _("My matters"), "matters/panels/work.html", matter_panels.work_panel),
    Panel(
        "disputes",
        _("Disputes to mediate"),
        "mediation/panels/work.html",
        dispute_panels.work_panel,
    ),
    Panel(
        "square",
        _("Public affairs square"),
        "square/panels/sessions.html",
        square_panels.sessions_panel,
    ),
    Panel("own", _("My volunteering"), "volunteers/panels/own.html", volunteer_panels.own_panel),
    Panel(
        "pairings",
        _("One-to-one pairings"),
        "volunteers/panels/pairings.html",
        volunteer_panels.pairings_panel,
    ),
    Panel(
        "notifications",
        _("Notifications"),
        "matters/panels/notifications.html",
        matter_panels.notifications_panel,
    ),
    Panel("scope", _("My places and roles"), "web/panels/scope.html", _scope_panel),
    Panel("department", _("My department"), "web/panels/department.html", _department_panel),
    Panel("units", _("Units under me"), "web/panels/units.html", _units_below),
    Panel("residents", _("Residents in my area"), "web/panels/residents.html", _residents_panel),
    Panel("locked", _("Locked accounts"), "web/panels/locked.html", _locked_accounts_panel),
    Panel("chain", _("Audit log integrity"), "web/panels/chain.html", _audit_chain_panel),
    Panel(
        "activity",
        _("Recent activity in my area"),
        "web/panels/activity.html",
        _scope_activity_panel,
    ),
    Panel("recent", _("My recent actions"), "web/panels/recent.html", _my_recent_panel),
    Panel("security", _("Account security"), "web/panels/security.html", _security_panel),
]


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    title: str | Promise
    template: str
    context: dict[str, Any]


def panels_for(user: User, scope: Scope) -> list[RenderedPanel]:
    rendered = []
    for panel in PANELS:
        context = panel.build(user, scope)
        if context is not None:
            rendered.append(RenderedPanel(panel.key, panel.title, panel.template, context))
    return rendered
