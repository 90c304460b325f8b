"""Logging in through the real forms (password, then the second factor), in Chinese and English."""

from __future__ import annotations

import re

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests import factories
from tests.browser.steps import (
    LOGIN_PATH,
    Snap,
    assert_chinese,
    code_for,
    enter_code,
    enter_password,
    follow_nav,
    key_from_secret,
    path_is,
    submit,
    switch_language,
)
from tests.conftest import Cast


def test_login_as_community_worker_and_switch_language(
    page: Page, live_server: LiveServer, cast: Cast, snap: Snap
) -> None:
    household = factories.household(cast.grid, "建设路1号1单元101")
    factories.resident(cast.grid, "张东风", household=household)
    factories.resident(cast.grid, "张小东", household=household)

    page.goto(LOGIN_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("main form button[type=submit]")).to_have_text("登录")
    snap(page, "login")

    enter_password(page, "community")
    expect(page).to_have_url(path_is("/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("nav a[data-nav=home]")).to_have_text("我的工作")
    expect(page.locator("nav a[data-nav=residents]")).to_have_text("居民档案")
    expect(page.locator("nav a[data-nav=units]")).to_have_text("辖区单位")
    expect(page.locator("nav a[data-nav=account]")).to_have_text("我的账户")
    expect(page.locator("nav a[data-nav=audit]")).to_have_count(0)
    expect(page.locator("h1")).to_contain_text("您好")
    expect(page.locator("h1")).to_contain_text("刘芳")
    expect(page.get_by_test_id("logout")).to_have_text("退出登录")
    expect(page.locator("[data-panel=residents]")).to_be_visible()
    snap(page, "home-zh")

    follow_nav(page, "units")
    expect(page).to_have_url(path_is("/units/"))
    expect(page.locator("main h1")).to_have_text("辖区单位")
    expect(page.locator("main")).to_contain_text("东风里社区")
    snap(page, "units-zh")

    follow_nav(page, "residents")
    expect(page).to_have_url(path_is("/residents/"))
    expect(page.locator("main h1")).to_have_text("居民档案")
    expect(page.locator("#residents-table tbody tr")).to_have_count(2)
    snap(page, "residents-zh")

    switch_language(page, "English")
    expect(page).to_have_url(path_is("/residents/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text("Residents")
    expect(page.locator("nav a[data-nav=home]")).to_have_text("My work")
    expect(page.locator("nav a[data-nav=residents]")).to_have_text("Residents")
    expect(page.get_by_test_id("logout")).to_have_text("Log out")
    snap(page, "residents-en")

    # The choice is kept (a cookie): the next page is in English too.
    follow_nav(page, "home")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("Hello")
    expect(page.locator("nav a[data-nav=units]")).to_have_text("Units")
    snap(page, "home-en")

    follow_nav(page, "units")
    expect(page.locator("main h1")).to_have_text("Units")
    snap(page, "units-en")

    switch_language(page, "中文")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("main h1")).to_have_text("辖区单位")
    expect(page.locator("nav a[data-nav=home]")).to_have_text("我的工作")
    follow_nav(page, "home")
    expect(page.locator("h1")).to_contain_text("您好")
    snap(page, "home-zh-again")


def test_login_as_leader_with_second_factor(
    page: Page, live_server: LiveServer, cast: Cast, snap: Snap
) -> None:
    device = TOTPDevice.objects.create(user=cast.leader, name="t", confirmed=True)

    enter_password(page, "leader")
    expect(page).to_have_url(path_is("/accounts/login/verify/"))
    assert_chinese(page.locator("main h1"), "Two-factor login")
    expect(page.locator("main")).to_contain_text("李明华")
    expect(page.locator("nav")).to_have_count(0)  # not logged in yet: no menu
    snap(page, "verify")

    enter_code(page, code_for(device.bin_key))
    expect(page).to_have_url(path_is("/"))
    expect(page.locator("h1")).to_contain_text("您好")
    expect(page.locator("h1")).to_contain_text("李明华")
    activity = page.locator("[data-panel=activity]")
    expect(activity).to_be_visible()
    assert_chinese(activity.locator("h2"), "Recent activity in my area")
    expect(activity.locator("li").first).to_be_visible()
    expect(page.locator("nav a[data-nav=audit]")).to_have_text("审计日志")
    snap(page, "home-zh")

    follow_nav(page, "audit")
    expect(page).to_have_url(path_is("/audit/"))
    expect(page.locator("main h1")).to_have_text("审计日志")
    rows = page.locator("#audit-table tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("#audit-table")).to_contain_text("东风里社区")
    snap(page, "audit-zh")

    switch_language(page, "English")
    expect(page).to_have_url(path_is("/audit/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text("Audit log")
    expect(page.locator("nav a[data-nav=audit]")).to_have_text("Audit log")
    expect(page.locator("nav a[data-nav=home]")).to_have_text("My work")
    expect(rows.first).to_be_visible()
    snap(page, "audit-en")

    follow_nav(page, "home")
    expect(page.locator("h1")).to_contain_text("Hello")
    expect(page.locator("[data-panel=activity] h2")).to_have_text("Recent activity in my area")
    snap(page, "home-en")

    follow_nav(page, "account")
    expect(page.locator("main h1")).to_have_text("My account")
    snap(page, "account-en")


def test_required_second_factor_enrolment(
    page: Page, live_server: LiveServer, cast: Cast, snap: Snap
) -> None:
    assert not TOTPDevice.objects.filter(user=cast.admin).exists()

    enter_password(page, "admin")
    expect(page).to_have_url(path_is("/accounts/two-factor/setup/"))
    assert_chinese(page.locator("main h1"), "Set up two-factor login")
    expect(page.locator("main .msg-warning")).to_be_visible()
    expect(page.locator("main img.qr")).to_be_visible()
    secret = page.get_by_test_id("totp-secret")
    expect(secret).to_have_text(re.compile(r"^\s*[A-Z2-7]{4}( [A-Z2-7]{1,4})+\s*$"))
    snap(page, "enrol")

    key = key_from_secret(secret.inner_text())
    device = TOTPDevice.objects.get(user=cast.admin, confirmed=False)
    assert key == device.bin_key

    enter_code(page, code_for(key))
    expect(page).to_have_url(path_is("/"))
    expect(page.locator("h1")).to_contain_text("王建国")
    expect(page.locator("[data-panel=locked]")).to_be_visible()
    expect(page.locator("[data-panel=chain]")).to_be_visible()
    expect(page.locator("nav a[data-nav=audit]")).to_have_text("审计日志")
    snap(page, "home")

    device.refresh_from_db()
    assert device.confirmed


def test_wrong_password_shows_clear_error_in_chinese_and_english(
    page: Page, live_server: LiveServer, cast: Cast, snap: Snap
) -> None:
    enter_password(page, "community", "not-the-password")
    expect(page).to_have_url(path_is(LOGIN_PATH))
    error = page.locator("main [role=alert]")
    expect(error).to_have_count(1)
    expect(error).to_have_text("用户名或密码错误。")
    expect(page.locator("#id_username")).to_have_value("community")
    expect(page.locator("#id_password")).to_have_value("")  # a password is never sent back
    snap(page, "error-zh")

    switch_language(page, "English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main button[type=submit]")).to_have_text("Log in")
    expect(error).to_have_count(0)  # the language switch shows a fresh form
    enter_password(page, "community", "still-not-the-password")
    expect(error).to_have_text("Wrong username or password.")
    snap(page, "error-en")

    # The right password still works after the mistakes (well below the lockout threshold).
    enter_password(page, "community")
    expect(page).to_have_url(path_is("/"))
    expect(page.locator("h1")).to_contain_text("Hello")


def test_logout(page: Page, live_server: LiveServer, cast: Cast, snap: Snap) -> None:
    enter_password(page, "community")
    expect(page).to_have_url(path_is("/"))
    snap(page, "home")

    submit(page, page.locator("header form", has=page.get_by_test_id("logout")))
    expect(page).to_have_url(path_is(LOGIN_PATH))
    message = page.locator(".messages .msg")
    expect(message).to_have_count(1)
    assert_chinese(message, "You have logged out.")
    expect(page.locator("nav")).to_have_count(0)
    expect(page.get_by_test_id("logout")).to_have_count(0)
    snap(page, "logged-out")

    # The session is over: the home page sends the visitor back to the login form.
    page.goto("/")
    expect(page).to_have_url(path_is(LOGIN_PATH))
    expect(page.locator("#id_username")).to_be_visible()
    expect(page.locator(".messages .msg")).to_have_count(0)  # the message was shown once
