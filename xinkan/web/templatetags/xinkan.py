from __future__ import annotations

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
def mask_name(name: str) -> str:
    """张三丰 → 张**: names of residents on pages whose readers need not know them."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


@register.filter
def action_label(action: str) -> str:
    from xinkan.audit.labels import label_for

    return label_for(action)
