"""Masking of personal data and secrets in free text (logs, error reports)."""

from __future__ import annotations

import re

# 18-digit resident ID numbers (last character may be X) and 15-digit legacy ones.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_ID_NUMBER_15 = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{6}(\d{3})(?![0-9A-Za-z])")
# Mainland mobile numbers, optionally with +86.
_MOBILE = re.compile(r"(?<!\d)((?:\+?86)?1[3-9]\d)\d{4}(\d{4})(?!\d)")
_SECRET_PAIR = re.compile(
    r"(?i)\b(password|passwd|pwd|token|secret|otp_token|api[_-]?key|authorization)"
    r"(\s*[=:]\s*|\"\s*:\s*\"|'\s*:\s*')"
    # "Authorization: Bearer <token>": the scheme goes too, or the token would stay readable.
    r"((?:(?:Bearer|Basic|Digest|Token)\s+)?[^\s,&;\"']+)"
)


def redact(text: str) -> str:
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}********", text)
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _ID_NUMBER_15.sub(lambda m: f"{m.group(1)}******{m.group(2)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def mask_middle(value: str, keep_start: int = 4, keep_end: int = 4) -> str:
    """1101**********1234 style masking for display."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]
