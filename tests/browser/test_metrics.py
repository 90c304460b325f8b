"""The performance dashboard in the browser: a subdistrict cadre opens it, reads the twelve-month
chart (ECharts, served by the project), switches to English, clicks a figure and lands on the
cases behind it, as many as the figure says; then ranks the communities on one category."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from tests.browser.steps import Snap, log_in, switch_language, zh
from tests.conftest import Cast
from tests.matters import factories as mf
from tests.metrics.helpers import local
from xinkan.matters import services
from xinkan.matters.models import Rating
from xinkan.metrics import aggregation, reports

ECHARTS = Path(settings.BASE_DIR) / "xinkan" / "web" / "static" / "vendor" / "echarts"


@pytest.fixture(autouse=True)
def no_lag(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_METRICS_LAG_SECONDS = 0
    settings.XINKAN_METRICS_MIN_FOLLOW_UPS = 1


def test_a_cadre_reads_the_dashboard_switches_language_and_opens_the_cases(
    page: Page, live_server: LiveServer, cast: Cast, snap: Snap
) -> None:
    assert (ECHARTS / "echarts.min.js").is_file(), (
        "ECharts is not built: run `make install` (scripts/assets.sh fetches it from npm)"
    )
    for number, rating in enumerate([Rating.SATISFIED, Rating.MOSTLY, Rating.DISSATISFIED]):
        matter = mf.replied(
            cast, contact_phone=f"1390000000{number}", description=f"第{number}件：楼道灯坏了。"
        )
        services.record_follow_up(matter, rating=rating, by=cast.community_worker)
    aggregation.refresh()

    log_in(page, "cadre")
    page.goto(f"{live_server.url}/metrics/")
    expect(page.locator("main h1")).to_contain_text(zh("Performance"))
    chart = page.locator("#trend-chart")
    expect(chart).to_have_attribute("data-drawn", "1")
    expect(chart.locator("canvas")).to_have_count(1)
    box = chart.bounding_box()
    assert box is not None and box["height"] > 200
    data = json.loads(page.locator("#trend-data").text_content() or "{}")
    assert data["series"]["registered"][-1] == 3
    assert data["labels"]["registered"] == zh("Matters registered")
    snap(page, "dashboard-zh")

    switch_language(page, "English")
    expect(page.locator("main h1")).to_contain_text("Performance")
    english = json.loads(page.locator("#trend-data").text_content() or "{}")
    assert english["labels"]["registered"] == "Matters registered"
    expect(page.locator("#trend-chart")).to_have_attribute("data-drawn", "1")
    snap(page, "dashboard-en")

    figure = page.locator('a[data-figure="registered"]').first
    shown = figure.text_content()
    assert shown == "3"
    with page.expect_navigation():
        figure.click()
    expect(page.locator("[data-count]")).to_have_attribute("data-count", "3")
    snap(page, "cases")

    # The communities ranked on one category: the lifts (all three matters) rank 东风里.
    lifts = mf.category()
    if not lifts.name_en:  # the migration's categories are gone after a flushing test
        lifts.name_en = "Lifts out of order"
        lifts.save(update_fields=["name_en"])
    this_month = timezone.localdate().replace(day=1)
    page.goto(f"{live_server.url}/metrics/rankings/?level=community&on={this_month}")
    page.select_option("#rank-category", value=str(mf.category().pk))  # 电梯故障
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    # The page is in English now: the category is named in English too, as in the list.
    expect(page.locator('[data-testid="category-shown"]')).to_have_text(lifts.name_en)
    row = page.locator(f'tr[data-unit="{cast.community.pk}"]')
    expect(row).to_have_attribute("data-rank", "1")
    expect(row.locator('a[data-figure="registered"]')).to_have_attribute("data-drill-count", "3")
    snap(page, "rankings-one-category")


def test_a_cadre_asks_for_last_months_report_and_downloads_the_pdf(
    page: Page, live_server: LiveServer, cast: Cast, snap: Snap, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    month = reports.last_complete_month()
    with time_machine.travel(local(month.year, month.month, 10, 9, 0), tick=False):
        for number, rating in enumerate([Rating.SATISFIED, Rating.MOSTLY]):
            matter = mf.replied(
                cast, contact_phone=f"1390000001{number}", description=f"第{number}件：路灯不亮。"
            )
            services.record_follow_up(matter, rating=rating, by=cast.community_worker)
    aggregation.refresh()

    log_in(page, "cadre")
    page.goto(f"{live_server.url}/metrics/")
    with page.expect_navigation():
        page.get_by_test_id("reports-link").click()
    expect(page.locator("main h1")).to_contain_text(zh("Monthly reports"))
    form = page.get_by_test_id("report-request")
    expect(form.locator("input[type=month]")).to_have_value(f"{month:%Y-%m}")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    row = page.locator(f'tr[data-month="{month:%Y-%m}"]')
    expect(row).to_have_attribute("data-status", "done")
    snap(page, "reports")

    with page.expect_download() as download_info:
        row.get_by_test_id("report-download").click()
    download = download_info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename == f"report-{cast.subdistrict.code}-{month:%Y-%m}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = "".join(page_.extract_text() for page_ in PdfReader(saved).pages)
    flat = "".join(text.split())
    assert f"东风街道{month.year}年{month.month}月月度工作报告" in flat
    assert "东风里社区" in flat and "光明社区" in flat
