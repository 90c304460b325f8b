"""Helpers for the tests of the matter pages and the resident portal: messages, catalogue strings,
the visible text of a page.

UI strings are compared through the catalogue (`zh`), never as literal Chinese: a test then holds
whether or not a string has been translated yet, and still proves the page speaks the default
language.
"""

from __future__ import annotations

import html
import re
from typing import Any

from django.contrib.messages import get_messages
from django.utils import translation

from tests.pages import text_of

DEFAULT_LANGUAGE = "zh-hans"


def zh(message: Any, **params: Any) -> str:
    """`message` (an English msgid or a lazy string) as the default language shows it."""
    with translation.override(DEFAULT_LANGUAGE):
        text = translation.gettext(str(message)) if isinstance(message, str) else str(message)
    return text % params if params else text


def messages_of(response: Any) -> list[str]:
    """The flash messages a response queued (read them before following the redirect)."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def page_text(response: Any) -> str:
    """The visible text of a page, entities decoded (an apostrophe arrives as &#x27;)."""
    return html.unescape(text_of(response))


def action_forms(response: Any, matter_id: int) -> set[str]:
    """The actions whose forms a matter page offers (the slugs of the form targets)."""
    return set(re.findall(rf'action="/matters/{matter_id}/([a-z-]+)/"', response.content.decode()))


GLOBAL_COUNTS = ("matters", "notifications", "audit_successes")


def own_state(matter: Any) -> dict[str, Any]:
    """What is stored about `matter` alone (checks.snapshot without the table-wide counts), for
    tests where other matters change in the same request."""
    from tests.matters.checks import snapshot

    return {key: value for key, value in snapshot(matter).items() if key not in GLOBAL_COUNTS}


def refusal(call: Any) -> str | list[str]:
    """The message (or messages) a service refuses `call` with, in the default language. A refused
    service call changes nothing, so this may run before the request that should show it."""
    from django.core.exceptions import ValidationError

    from xinkan.matters.services import MatterError

    with translation.override(DEFAULT_LANGUAGE):
        try:
            call()
        except MatterError as exc:
            return exc.message
        except ValidationError as exc:
            return list(exc.messages)
    raise AssertionError("the call was expected to be refused")
