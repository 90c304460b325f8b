from __future__ import annotations

from typing import Any

from django import template

from xinkan.org.roles import Role

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    try:
        return str(Role(code).label)
    except ValueError:
        return code


@register.filter
def category_label(category: Any) -> str:
    """A matter category's name in the page's language (its English name, where it has one)."""
    from django.utils.translation import get_language

    if category is None:
        return ""
    return str(category.label(get_language() or ""))


@register.filter
def mask_name(name: str) -> str:
    """张三丰 → 张**: names of residents on pages whose readers need not know them."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


@register.filter
def action_label(action: str) -> str:
    from xinkan.audit.labels import label_for

    return label_for(action)


@register.filter
def actor_display(label: str) -> str:
    """Audit actors that are not people ("system", "system:seed_demo", "resident") in words."""
    from django.utils.translation import gettext as _

    if label == "resident":
        return _("Resident (portal)")
    if label == "system" or label.startswith("system:"):
        job = label.partition(":")[2]
        return f"{_('System')} ({job})" if job else _("System")
    return label


@register.filter
def real_changes(changes: dict[str, list[object]]) -> list[tuple[str, object, object]]:
    """Changed fields with at least one non-empty side (creation entries list many empty fields)."""
    if not isinstance(changes, dict):
        return []
    rows = []
    for field, pair in changes.items():
        before, after = ([*pair, None, None])[:2] if isinstance(pair, list) else (None, pair)
        if before in (None, "") and after in (None, ""):
            continue
        rows.append((field, before, after))
    return rows
