"""What a person does in the browser: log in, follow the menu, switch language, act on matters."""

from __future__ import annotations

import base64
import contextlib
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from django.utils import translation
from django_otp.oath import totp
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, expect

from tests.factories import PASSWORD

LOGIN_PATH = "/accounts/login/"
TIMEOUT_MS = 10_000
CJK = re.compile(r"[\u4e00-\u9fff]")

# snap(page, step): save a screenshot of the page (the `snap` fixture of conftest.py).
Snap = Callable[[Page, str], Path]


def path_is(path: str) -> re.Pattern[str]:
    """A URL pattern matching exactly `path` (any query string) on the live server."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}(\?.*)?$")


def submit(page: Page, form: Locator) -> None:
    """Press the form's own submit button and wait for the next page to load."""
    with page.expect_navigation():
        form.locator("button[type=submit]").last.click()
    page.wait_for_load_state("load")


def enter_password(page: Page, username: str, password: str = PASSWORD) -> None:
    """Fill in and send the login form (the first step of logging in)."""
    if not page.url.split("?")[0].endswith(LOGIN_PATH):
        page.goto(LOGIN_PATH)
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    submit(page, page.locator("main form"))


def enter_code(page: Page, code: str) -> None:
    """Type a six-digit code on the verify or enrolment page and send it."""
    page.locator("#id_token").fill(code)
    submit(page, page.locator("main form"))


def code_for(key: bytes) -> str:
    """The authenticator's current code for `key` (what a phone app would show)."""
    return f"{totp(key):06d}"


def key_from_secret(shown: str) -> bytes:
    """The key behind the base32 text shown on the enrolment page ("ABCD EFGH ...")."""
    compact = re.sub(r"\s+", "", shown).upper()
    return base64.b32decode(compact + "=" * (-len(compact) % 8))


def switch_language(page: Page, label: str) -> None:
    """Press a language button ("English" or "中文") in the top bar."""
    button = page.locator("form.lang button", has_text=label)
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state("load")
    expect(page.locator("form.lang button", has_text=label)).to_have_attribute(
        "aria-current", "true"
    )


def follow_nav(page: Page, key: str) -> None:
    """Follow a link of the main menu by its data-nav key."""
    with page.expect_navigation():
        page.locator(f"nav a[data-nav={key}]").click()
    page.wait_for_load_state("load")
    expect(page.locator(f"nav a[data-nav={key}]")).to_have_attribute("aria-current", "page")


def assert_chinese(locator: Locator, english: str) -> None:
    """The text is translated: it has Chinese characters and is not the English source."""
    expect(locator).to_have_text(CJK)
    expect(locator).not_to_have_text(english)


# --- Helpers of the matters and portal tests -----------------------------------------------------

# A phone stretches innerWidth to the content when the content is too wide; the layout
# viewport (clientWidth) stays the screen's width, so both are compared.
FITS_WIDTH = (
    "document.scrollingElement.scrollWidth"
    " <= Math.min(window.innerWidth, document.documentElement.clientWidth) + 1"
)
PAGE_WIDTH = (
    "[document.scrollingElement.scrollWidth, window.innerWidth,"
    " document.documentElement.clientWidth]"
)


def zh(message: object, **params: object) -> str:
    """`message` (a msgid or a lazy label) as the Chinese catalogue gives it now.

    Translations are still being completed: tests compare with the catalogue at test time, so a
    string not yet translated is expected in English and one translated later in Chinese.
    """
    with translation.override("zh-hans"):
        text = translation.gettext(message) if isinstance(message, str) else str(message)
    return text % params if params else text


def assert_fits_width(page: Page, what: str) -> None:
    """Nothing on the page scrolls sideways (a phone user never pans left and right)."""
    assert page.evaluate(FITS_WIDTH), f"{what} scrolls sideways: {page.evaluate(PAGE_WIDTH)}"


def log_in(page: Page, username: str) -> None:
    """Log in through the form as a user without a second factor and land on the home page."""
    enter_password(page, username)
    expect(page).to_have_url(path_is("/"))


def log_out(page: Page) -> None:
    """Press "Log out" in the top bar."""
    submit(page, page.locator("header form", has=page.get_by_test_id("logout")))
    expect(page).to_have_url(path_is(LOGIN_PATH))


def press(page: Page, button: Locator) -> None:
    """Press a button that sends its form and wait for the next page to load."""
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state("load")


def watch_console(page: Page) -> list[str]:
    """Collect the page's script errors and console errors (as the `page` fixture does)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def _console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", _console)
    return errors


@contextlib.contextmanager
def fresh_context(browser: Browser, base_url: str, *, like: Page) -> Iterator[Page]:
    """A page in a new browser context (no cookies: another device), sized like `like`."""
    viewport = like.viewport_size
    mobile = bool(viewport and viewport["width"] < 600)
    context = browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=viewport,
        is_mobile=mobile,
        has_touch=mobile,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = watch_console(page)
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"errors in the browser console: {errors}"


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A small, valid PNG image (a red rectangle), as a phone camera would send a photo."""
    row = b"\x00" + b"\xd0\x30\x30" * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
