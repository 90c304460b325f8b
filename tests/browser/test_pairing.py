"""One-to-one pairing in the browser: the community worker asks for proposals, reads why a
volunteer is proposed, pairs them and prints the assistance agreement; the volunteer, on a phone,
finds the person they help and logs a visit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from tests import factories
from tests.browser.steps import Snap, assert_fits_width, log_in, path_is, press, zh
from tests.conftest import Cast
from xinkan.org.roles import Role
from xinkan.residents import services as residents
from xinkan.volunteers import services as volunteers
from xinkan.volunteers.models import Pairing, PairingVisit


def test_a_community_worker_pairs_from_a_proposal_and_the_volunteer_logs_a_visit(
    page: Page, phone: Page, live_server: LiveServer, cast: Cast, snap: Snap, tmp_path: Path
) -> None:
    old = factories.resident(cast.grid, name="李秀英", address="建设路1号1单元101")
    need = residents.open_need(
        old, by=cast.community_worker, need_type="repairs", notes="厨房水管漏水，需上门维修"
    )
    fixer = volunteers.register_volunteer(
        by=cast.community_worker,
        name="李建华",
        unit=cast.community,
        skills=["repairs"],
        available_days=[0, 2, 4],
    )
    volunteers.register_volunteer(
        by=cast.community_worker, name="周敏", unit=cast.community, skills=["companionship"]
    )
    account = factories.member(Role.VOLUNTEER, unit=cast.community, username="jianhua")
    fixer.user = account
    fixer.save(update_fields=["user"])

    # --- Proposals: who, and why ---------------------------------------------------------------
    log_in(page, "community")
    page.goto(f"{live_server.url}/volunteers/pairings/")
    expect(page.locator("main h1")).to_have_text(zh("One-to-one pairings"))
    with page.expect_navigation():
        page.get_by_test_id("proposals").click()
    expect(page).to_have_url(path_is("/volunteers/proposals/"))
    row = page.locator(f"#proposals-table tr[data-need='{need.pk}']")
    expect(row).to_contain_text("李秀英")
    expect(row).to_contain_text("李建华")  # the repairer, not the companion
    expect(row.locator(".reasons")).to_contain_text(
        zh("Skill fits: %(skill)s", skill=zh("Repairs"))
    )
    expect(row.locator(".reasons")).to_contain_text(zh("Same community"))
    snap(page, "proposals")

    press(page, row.get_by_role("button", name=zh("Pair them")))
    expect(page.locator(".msg-success")).to_contain_text("李建华")
    expect(page.locator(f"#proposals-table tr[data-need='{need.pk}']")).to_have_count(0)
    pairing = Pairing.objects.get()
    assert pairing.volunteer == fixer and pairing.match_reasons
    snap(page, "paired")

    # --- The pairing and its agreement ---------------------------------------------------------
    page.goto(f"{live_server.url}/volunteers/pairings/?show=active")
    with page.expect_navigation():
        page.get_by_role("link", name=pairing.code).click()
    expect(page.locator("main h1")).to_contain_text("李建华")
    with page.expect_download() as download:
        page.get_by_test_id("agreement-pdf").click()
    saved = tmp_path / "agreement.pdf"
    download.value.save_as(saved)
    text = "".join(p.extract_text() for p in PdfReader(saved).pages)
    assert "定向帮扶协议书" in text and "李建华" in text and "李秀英" in text
    snap(page, "pairing")

    # --- The volunteer, on a phone, logs a visit -------------------------------------------------
    log_in(phone, "jianhua")
    own = phone.locator("[data-panel=own]")
    expect(own).to_contain_text("李秀英")
    with phone.expect_navigation():
        own.get_by_role("link", name="李秀英").click()
    assert_fits_width(phone, "pairing page")
    phone.locator("#visits summary").click()
    form = phone.locator("form[data-action=visit]")
    form.locator("textarea[name=notes]").fill("更换了厨房水管接头，已不再漏水。")
    form.locator("input[name=hours]").fill("2")
    press(phone, form.locator("button[type=submit]"))
    expect(phone.locator("#visits")).to_contain_text("更换了厨房水管接头")
    expect(phone.locator("#visits")).to_contain_text(zh("hours not yet certified"))
    snap(phone, "volunteer-visit")
    visit = PairingVisit.objects.get()
    assert visit.recorded_by == account and visit.service_record is None
    pairing.refresh_from_db()
    assert pairing.next_visit_due == timezone.localdate() + dt.timedelta(days=7)
