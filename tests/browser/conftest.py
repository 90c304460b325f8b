"""Browser tests: Debian's headless Chromium, driven by Playwright, against pytest-django's live server.

Every test in this folder is marked `browser`. The live server needs a transactional database
(`live_server` implies `transactional_db`), so data a test makes is visible to the server thread.

Screenshots of the pages a test visits go to test-artifacts/browser/<test>-<NN>-<step>.png
(git-ignored), and a failing test leaves <test>-failed.png, for humans to look at.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from tests.browser.steps import Snap

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
HERE = Path(__file__).resolve().parent

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()

expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder `browser` (before `-m` deselects by marker)."""
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)
            # The live server loads WhiteNoise, which warns that STATIC_ROOT (var/static/) was
            # never collected; tests serve static files from the apps' folders instead.
            item.add_marker(
                pytest.mark.filterwarnings(r"ignore:No directory at.*static:UserWarning")
            )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Keep each phase's report on the item, so fixtures can tell a failed test at teardown."""
    report: pytest.TestReport = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _file_part(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)


def _failed(request: pytest.FixtureRequest) -> bool:
    reports = request.node.stash.get(_REPORTS, {})
    return any(report.failed for report in reports.values())


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing ({CHROMIUM}): the browser tests cannot run. Install it with "
            "`apt-get install -y chromium fonts-wqy-microhei` (do not run `playwright install`).",
            pytrace=False,
        )
    # Sync Playwright keeps an asyncio loop marked as running in this thread for as long as it is
    # started, and Django refuses ORM calls under a running loop (SynchronousOnlyOperation). The
    # tests' own ORM calls are synchronous, so the check is switched off exactly while Playwright
    # runs: from here to the end of the session (the session-scoped browser stays up till then).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    try:
        launched = playwright_session.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
    except Exception as error:  # any launch failure must fail the tests, never skip them
        pytest.fail(f"Chromium ({CHROMIUM}) did not start: {error}", pytrace=False)
    yield launched
    launched.close()


@pytest.fixture
def snap(request: pytest.FixtureRequest) -> Snap:
    """`snap(page, step)` saves a full-page screenshot as <test>-<NN>-<step>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test = _file_part(request.node.name)
    for stale in ARTIFACTS.glob(f"{test}-*.png"):
        stale.unlink()
    taken = 0

    def _snap(page: Page, step: str) -> Path:
        nonlocal taken
        taken += 1
        path = ARTIFACTS / f"{test}-{taken:02d}-{_file_part(step)}.png"
        page.wait_for_load_state("load")
        page.screenshot(path=path, full_page=True)
        return path

    return _snap


def _console_error(message: ConsoleMessage, errors: list[str]) -> None:
    """Collect console errors (a script failing, the content security policy refusing something).

    The site has no favicon yet; the browser's own request for it is not the page's doing.
    """
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        errors.append(f"{message.text} ({message.location.get('url', '')})")


def _context(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest, **options: object
) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **options
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: _console_error(message, errors))
    yield page
    if _failed(request):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # A screenshot is a courtesy: the failure is reported anyway.
        with contextlib.suppress(Exception):
            page.screenshot(
                path=ARTIFACTS / f"{_file_part(request.node.name)}-failed.png", full_page=True
            )
    context.close()
    assert not errors, f"errors in the browser console (scripts, content security policy): {errors}"


@pytest.fixture
def page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A desktop page in a fresh context (cookies and storage of its own) on the live server."""
    yield from _context(browser, live_server, request, viewport=DESKTOP)


@pytest.fixture
def phone(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A phone-sized touch page in a fresh context on the live server."""
    yield from _context(
        browser, live_server, request, viewport=PHONE, is_mobile=True, has_touch=True
    )
