from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.873 → "87.3%"; nothing to divide by → "—"."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def lookup(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key, 0) if mapping else 0
