"""Phone numbers as every feature keeps them: digits (and a leading +), a plausible length, and
the masked form shown to those who may not see the whole number."""

from __future__ import annotations


def normalise_phone(raw: str) -> str:
    """ "138 0013-8000" → "13800138000"; keeps a + for international numbers."""
    return "".join(ch for ch in raw if ch.isdigit() or ch == "+")


def is_plausible_phone(digits: str) -> bool:
    """7 to 15 digits (a landline without area code up to an international number)."""
    return 7 <= len(digits.lstrip("+")) <= 15


def mask_phone(phone: str) -> str:
    """13800138000 → 138****8000; a short number is masked whole."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "*" * len(phone)
