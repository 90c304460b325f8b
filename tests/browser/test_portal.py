"""The resident portal on a phone: submit a matter with a photo, follow it on another device with
the matter number and phone (or the key of an anonymous submission), read the answer and rate it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, FilePayload, Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from tests.browser.steps import (
    CJK,
    Snap,
    assert_fits_width,
    fresh_context,
    path_is,
    png_bytes,
    press,
    zh,
)
from tests.conftest import Cast
from tests.matters import factories as matter_factories
from xinkan.matters import services
from xinkan.matters.models import (
    Attachment,
    Channel,
    FollowUp,
    Matter,
    MatterEvent,
    Outcome,
    Rating,
    State,
)

DESCRIPTION = "小区3号楼电梯坏了三天，老人上下楼很困难，物业一直没人来修。"
ANONYMOUS_DESCRIPTION = "建设路菜市场门口的路灯坏了一个多月，晚上很黑，担心有人摔倒。"
NAME = "李桂兰"
PHONE = "13900139000"
WRONG_PHONE = "13900139001"
ANSWER = "已联系物业公司，电梯已于今日修复并通过检测，请您放心使用。"
NO_MATCH = "No matter matches this number and phone. Check both and try again."
RECORDED = "Thank you. Your answer was recorded."


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path: Path) -> Path:
    """Uploaded photos go to the test's own folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    """The portal's rate limits count in the (local memory) cache: start each test at zero."""
    cache.clear()
    yield
    cache.clear()


def state_of(page: Page, state: State) -> None:
    expect(page.get_by_test_id("matter-state")).to_have_text(zh(state.label))


def fill_submit_form(
    page: Page, *, category: str, description: str, name: str = "", phone: str = ""
) -> None:
    form = page.get_by_test_id("portal-form")
    form.locator("select[name=category]").select_option(label=category)
    form.locator("select[name=community]").select_option(label="东风街道 · 东风里社区")
    form.locator("input[name=address]").fill("建设路1号3号楼")
    form.locator("textarea[name=description]").fill(description)
    if name or phone:
        form.locator("input[name=name]").fill(name)
        form.locator("input[name=phone]").fill(phone)
    else:
        form.locator("input[name=anonymous]").check()


def track(page: Page, code: str, secret: str) -> None:
    """Fill in the "follow your matter" form of the portal's home page and send it."""
    page.goto("/portal/")
    form = page.locator("form", has=page.locator("input[name=secret]"))
    form.locator("input[name=code]").fill(code)
    form.locator("input[name=secret]").fill(secret)
    press(page, form.locator("button[type=submit]"))


def test_portal_submit_track_and_rate(
    phone: Page, browser: Browser, live_server: LiveServer, cast: Cast, snap: Snap
) -> None:
    matter_factories.category()

    # --- Submit a matter with a photo ---------------------------------------------------------
    phone.goto("/portal/")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(phone.get_by_test_id("portal-submit-link")).to_be_visible()
    assert_fits_width(phone, "portal home")
    snap(phone, "home")

    with phone.expect_navigation():
        phone.get_by_test_id("portal-submit-link").tap()
    expect(phone).to_have_url(path_is("/portal/submit/"))
    form = phone.get_by_test_id("portal-form")
    expect(form).to_be_visible()
    assert_fits_width(phone, "submit form")
    snap(phone, "submit-empty")

    fill_submit_form(phone, category="电梯故障", description=DESCRIPTION, name=NAME, phone=PHONE)
    photo: FilePayload = {"name": "电梯.png", "mimeType": "image/png", "buffer": png_bytes()}
    form.locator("input[name=photos]").set_input_files(files=[photo])
    # What the browser sends (the file aside), to send the very same form a second time below.
    sent: list[list[str]] = phone.evaluate(
        "form => Array.from(new FormData(form)).filter(([, v]) => typeof v === 'string')",
        form.element_handle(),
    )
    assert_fits_width(phone, "filled submit form")
    snap(phone, "submit-filled")

    press(phone, form.locator("button[type=submit]"))
    expect(phone).to_have_url(path_is("/portal/submitted/"))
    code_box = phone.get_by_test_id("matter-code")
    expect(code_box).to_have_text(re.compile(r"^\s*XK-\d{4}-\d{6}\s*$"))
    code = code_box.inner_text().strip()
    expect(phone.get_by_test_id("portal-key")).to_have_count(0)  # a phone was given: no key
    assert_fits_width(phone, "submitted page")
    snap(phone, "submitted")

    matter = Matter.objects.get()
    assert matter.code == code
    assert (matter.channel, matter.state) == (Channel.ONLINE, State.REGISTERED)
    assert (matter.contact_name, matter.contact_phone) == (NAME, PHONE)
    assert matter.handling_unit == cast.community
    assert Attachment.objects.filter(matter=matter, content_type="image/png").count() == 1

    # The same form sent again (a double tap, a retried request) is the same matter, not a new
    # one, and not a repeat visit either.
    again = phone.request.post(
        "/portal/submit/", multipart={**dict(sent), "photos": photo}, max_redirects=5
    )
    assert again.ok, again.status
    assert again.url.endswith("/portal/submitted/"), again.url
    assert code in again.text()
    assert Matter.objects.count() == 1
    assert not MatterEvent.objects.filter(action="repeat_visit").exists()
    assert Attachment.objects.count() == 1

    # Back to the form and sent once more: the browser keeps what was typed (not the photo), and
    # the page has a new submission key — but the same words from the same phone minutes later
    # are the same submission, not a repeat visit: the resident sees their matter's number again.
    phone.go_back()
    expect(phone).to_have_url(path_is("/portal/submit/"))
    expect(form.locator("textarea[name=description]")).to_have_value(DESCRIPTION)
    snap(phone, "submit-after-back")
    press(phone, form.locator("button[type=submit]"))
    expect(phone).to_have_url(path_is("/portal/submitted/"))
    expect(phone.get_by_test_id("matter-code")).to_have_text(code)
    assert Matter.objects.count() == 1
    assert Matter.objects.get().repeat_count == 0
    assert not MatterEvent.objects.filter(action="repeat_visit").exists()
    assert_fits_width(phone, "submitted page after a resubmission")
    snap(phone, "submitted-again")

    # --- Follow it on another device: a wrong phone shows nothing -----------------------------
    with fresh_context(browser, live_server.url, like=phone) as other:
        track(other, code, WRONG_PHONE)
        expect(other).to_have_url(path_is("/portal/track/"))
        error = other.locator("main [role=alert]")
        expect(error).to_have_count(1)
        expect(error).to_have_text(zh(NO_MATCH))
        expect(other.get_by_test_id("matter-state")).to_have_count(0)
        main = other.locator("main")
        for private in (NAME, DESCRIPTION[:8], "电梯故障", "东风里社区"):
            expect(main).not_to_contain_text(private)
        assert_fits_width(other, "track error")
        snap(other, "track-wrong-phone")

        # Without the form, the matter page sends the visitor to the track form.
        other.goto("/portal/matter/")
        expect(other).to_have_url(path_is("/portal/track/"))
        assert_fits_width(other, "track page")
        expect(other.get_by_test_id("matter-state")).to_have_count(0)

        other.locator("input[name=code]").fill(code)
        other.locator("input[name=secret]").fill(PHONE)
        press(other, other.locator("main form button[type=submit]"))
        expect(other).to_have_url(path_is("/portal/matter/"))
        expect(other.get_by_test_id("matter-code")).to_have_text(code)
        state_of(other, State.REGISTERED)
        expect(other.get_by_test_id("reply")).to_have_count(0)
        expect(other.get_by_test_id("rate-form")).to_have_count(0)
        assert_fits_width(other, "matter page")
        snap(other, "tracked-registered")

        # --- Staff answer; the resident reads the answer and rates it -------------------------
        matter.refresh_from_db()
        services.handle_by_unit(matter, by=cast.community_worker)
        services.reply_to_matter(
            matter, by=cast.community_worker, text=ANSWER, outcome=Outcome.SUPPORTED
        )

        other.reload()
        state_of(other, State.REPLIED)
        reply = other.get_by_test_id("reply")
        expect(reply).to_have_count(1)
        expect(reply).to_contain_text(ANSWER)
        expect(reply).to_contain_text(zh(Outcome.SUPPORTED.label))
        rate_form = other.get_by_test_id("rate-form")
        expect(rate_form).to_be_visible()
        assert_fits_width(other, "matter page with the answer")
        snap(other, "answered")

        rate_form.get_by_label(zh(Rating.SATISFIED.label), exact=True).check()
        rate_form.locator("textarea[name=comment]").fill("修得很快，谢谢！")
        snap(other, "rating")
        press(other, rate_form.locator("button[type=submit]"))
        expect(other).to_have_url(path_is("/portal/matter/"))
        expect(other.locator(".messages .msg-success")).to_have_text(zh(RECORDED))
        state_of(other, State.RESOLVED)
        expect(other.get_by_test_id("rate-form")).to_have_count(0)  # rated once only
        assert_fits_width(other, "rated matter page")
        snap(other, "resolved")

    matter.refresh_from_db()
    assert (matter.state, matter.last_rating, matter.solved) == (
        State.RESOLVED,
        Rating.SATISFIED,
        True,
    )
    follow_up = FollowUp.objects.get(matter=matter)
    assert follow_up.by_resident and follow_up.comment == "修得很快，谢谢！"


def test_portal_anonymous_submission_is_tracked_by_key(
    phone: Page, browser: Browser, live_server: LiveServer, cast: Cast, snap: Snap
) -> None:
    matter_factories.category()
    matter_factories.category("roads.lights", "路灯损坏")

    phone.goto("/portal/submit/")
    form = phone.get_by_test_id("portal-form")

    # Sent empty: each missing answer is pointed out next to its field; nothing is registered.
    press(phone, form.locator("button[type=submit]"))
    expect(phone).to_have_url(path_is("/portal/submit/"))
    for field in ("category", "community", "description", "name", "phone"):
        error = form.locator(".field", has=phone.locator(f"[name={field}]")).locator("[role=alert]")
        expect(error).to_have_count(1)
        expect(error).to_have_text(CJK)
    assert not Matter.objects.exists()
    assert_fits_width(phone, "submit form with errors")
    snap(phone, "submit-errors")

    fill_submit_form(phone, category="路灯损坏", description=ANONYMOUS_DESCRIPTION)
    assert_fits_width(phone, "anonymous submit form")
    snap(phone, "submit-anonymous")

    press(phone, form.locator("button[type=submit]"))
    expect(phone).to_have_url(path_is("/portal/submitted/"))
    code = phone.get_by_test_id("matter-code").inner_text().strip()
    key_box = phone.get_by_test_id("portal-key")
    expect(key_box).to_be_visible()
    key = key_box.inner_text().strip()
    assert len(key) >= 6, key
    assert_fits_width(phone, "submitted page with key")
    snap(phone, "submitted-with-key")

    matter = Matter.objects.get()
    assert matter.code == code
    assert matter.anonymous and not matter.contact_name and not matter.contact_phone

    # The key is shown once: reloading the page does not show it again.
    phone.reload()
    expect(phone.get_by_test_id("matter-code")).to_have_text(code)
    expect(phone.get_by_test_id("portal-key")).to_have_count(0)

    with fresh_context(browser, live_server.url, like=phone) as other:
        track(other, code, "WRONGKEY")  # keys are hexadecimal: this one is never right
        expect(other.locator("main [role=alert]")).to_have_text(zh(NO_MATCH))
        expect(other.get_by_test_id("matter-state")).to_have_count(0)
        expect(other.locator("main")).not_to_contain_text(ANONYMOUS_DESCRIPTION[:8])

        track(other, code, key)
        expect(other).to_have_url(path_is("/portal/matter/"))
        expect(other.get_by_test_id("matter-code")).to_have_text(code)
        state_of(other, State.REGISTERED)
        assert_fits_width(other, "anonymous matter page")
        snap(other, "tracked-by-key")
