"""Small helpers for tests that read rendered pages."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.test import Client

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def in_english(client: Client) -> Client:
    """Switch the (already logged-in) client to English, for assertions on readable text.

    Set it after logging in: `Client.logout()` drops all cookies, the language one too.
    """
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def text_of(response: Any) -> str:
    """The visible text of an HTML response, with whitespace collapsed."""
    return _SPACE.sub(" ", _TAG.sub(" ", response.content.decode())).strip()


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def data_attrs(response: Any, name: str) -> list[str]:
    """Values of the `data-<name>` attributes in a page, in order (panels, navigation links)."""
    return re.findall(rf'data-{name}="([^"]*)"', response.content.decode())
