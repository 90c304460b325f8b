"""The staff pages on a phone: the menu folds away, nothing scrolls sideways."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests import factories
from tests.browser.steps import Snap, enter_password, path_is
from tests.conftest import Cast

FITS_WIDTH = "document.scrollingElement.scrollWidth <= window.innerWidth + 1"
PAGE_WIDTH = "[document.scrollingElement.scrollWidth, window.innerWidth]"


def test_phone_layout(phone: Page, live_server: LiveServer, cast: Cast, snap: Snap) -> None:
    factories.resident(cast.grid, "张东风", household=factories.household(cast.grid))

    enter_password(phone, "community")
    expect(phone).to_have_url(path_is("/"))
    expect(phone.locator("h1")).to_contain_text("您好")

    toggle = phone.locator("nav .nav-toggle-label")
    links = phone.locator("nav a[data-nav]")
    # On narrow screens the menu is folded by CSS alone (no script, so nothing flashes open).
    expect(toggle).to_be_visible()
    expect(toggle).to_have_text("菜单")
    expect(links.first).to_be_hidden()
    expect(phone.locator("nav a[data-nav=residents]")).to_be_hidden()
    assert phone.evaluate(FITS_WIDTH), f"home page scrolls sideways: {phone.evaluate(PAGE_WIDTH)}"
    snap(phone, "home-menu-closed")

    toggle.tap()
    expect(phone.locator("nav a[data-nav=home]")).to_be_visible()
    expect(phone.locator("nav a[data-nav=home]")).to_have_text("我的工作")
    expect(phone.locator("nav a[data-nav=residents]")).to_be_visible()
    expect(phone.locator("nav a[data-nav=residents]")).to_have_text("居民档案")
    assert phone.evaluate(FITS_WIDTH), f"open menu scrolls sideways: {phone.evaluate(PAGE_WIDTH)}"
    snap(phone, "home-menu-open")

    with phone.expect_navigation():
        phone.locator("nav a[data-nav=residents]").tap()
    expect(phone).to_have_url(path_is("/residents/"))
    expect(phone.locator("main h1")).to_have_text("居民档案")
    expect(
        phone.locator("nav a[data-nav=residents]")
    ).to_be_hidden()  # folded again on the new page
    snap(phone, "residents")
