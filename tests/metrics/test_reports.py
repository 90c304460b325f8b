"""Monthly reports: asked for within scope, generated in the background as a Chinese PDF whose
figures are the dashboard's, kept for an audited download, and made by the schedule once each."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.http import Http404
from django.urls import reverse
from pypdf import PdfReader

from tests.conftest import login_as
from tests.matters import factories as mf
from tests.metrics.helpers import local
from xinkan.audit.models import AuditEntry
from xinkan.matters import services
from xinkan.matters.models import Channel, Matter, Rating
from xinkan.metrics import aggregation, reports, selectors
from xinkan.metrics.definitions import display
from xinkan.metrics.models import MonthlyReport
from xinkan.metrics.periods import Period
from xinkan.org.models import Unit

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)
APRIL_2 = local(2026, 4, 2, 10, 0)


@pytest.fixture(autouse=True)
def no_lag(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_METRICS_LAG_SECONDS = 0
    settings.XINKAN_METRICS_MIN_FOLLOW_UPS = 1


@pytest.fixture
def march(cast):  # type: ignore[no-untyped-def]
    """March 2026: three answers of 住建局 for 东风里社区 rated, one answer of 光明社区, and an
    online matter of 和平社区 that nobody accepted (overdue by the 28th)."""
    with time_machine.travel(local(2026, 2, 20, 9, 0), tick=False):
        february = mf.replied(cast, contact_phone="13800000009", description="二月：路灯不亮。")
        services.record_follow_up(february, rating=Rating.DISSATISFIED, by=cast.community_worker)
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        for i, rating in enumerate([Rating.SATISFIED, Rating.MOSTLY, Rating.DISSATISFIED]):
            matter = mf.replied(
                cast, contact_phone=f"1380000010{i}", description=f"第{i}件：楼道灯坏了。"
            )
            services.record_follow_up(matter, rating=rating, by=cast.community_worker)
        neighbour = mf.matter(cast.neighbour_grid, cast.outsider, contact_phone="13800000200")
        services.handle_by_unit(neighbour, by=cast.outsider)
        services.reply_to_matter(neighbour, by=cast.outsider, text=mf.REPLY, outcome="supported")
        services.record_follow_up(neighbour, rating=Rating.SATISFIED, by=cast.outsider)
        mf.matter(
            cast.other_grid,
            None,
            channel=Channel.ONLINE,
            contact_phone="13800000300",
            contact_name="赵小红",
        )
    with time_machine.travel(local(2026, 3, 28, 9, 0), tick=False):
        services.sweep_all()
    aggregation.refresh()
    return cast


def _pdf_text(report: MonthlyReport) -> str:
    with report.file.open("rb") as stream:
        reader = PdfReader(io.BytesIO(stream.read()))
    return "".join(page.extract_text() for page in reader.pages)


def _generate(unit: Unit, by, capture, *, regenerate: bool = False) -> MonthlyReport:  # type: ignore[no-untyped-def]
    with time_machine.travel(APRIL_2, tick=False), capture(execute=True):
        report = reports.request_report(unit, MARCH, by=by, regenerate=regenerate)
    report.refresh_from_db()
    return report


def test_the_reports_figures_are_the_dashboards(march, django_capture_on_commit_callbacks):
    report = _generate(march.district, march.leader, django_capture_on_commit_callbacks)
    assert report.status == MonthlyReport.Status.DONE, report.error
    period = Period.containing("month", MARCH)
    dashboard = selectors.dashboard(march.district, period)
    assert report.figures["current"] == dashboard.current.values
    assert report.figures["previous"] == dashboard.previous.values
    assert report.figures["provided"] == dashboard.current.provided
    assert report.figures["children"] == {
        str(unit.pk): figures.values for unit, figures in dashboard.children
    }
    assert report.figures["current"]["follow_ups"] == 4
    assert report.figures["previous"]["follow_ups"] == 1
    # The district is the top of its tree: no ranking of its level.
    assert report.figures["ranking"] is None


def test_the_pdf_names_the_unit_and_prints_the_figures_without_personal_data(
    march, django_capture_on_commit_callbacks
):
    report = _generate(march.district, march.leader, django_capture_on_commit_callbacks)
    assert report.file.name.startswith("metrics/reports/2026-03/")
    text = _pdf_text(report)
    flat = re.sub(r"\s+", "", text)
    assert "清河区2026年3月月度工作报告" in flat
    current = report.figures["current"]
    for key, kind in [
        ("response_rate", "rate"),
        ("satisfaction_rate", "rate"),
        ("composite", "rate"),
        ("registered", "count"),
    ]:
        assert display(kind, current[key]) in flat, key
    assert "响应率" in flat and "满意率" in flat and "三率走势" in flat
    # The units below, side by side.
    assert "东风街道" in flat and "胜利街道" in flat
    # The overdue online matter of 和平社区: its number, category and unit — not the person.
    overdue = Matter.objects.get(contact_name="赵小红")
    assert report.figures["overdue"][0]["matter"] == overdue.pk
    assert overdue.code in flat
    assert overdue.category.name in flat
    assert overdue.handling_unit.name in flat
    for personal in ("赵小红", "王秀英", "13800000300", overdue.title):
        assert personal not in flat


def test_a_subdistrict_report_gives_its_ranking_position(march, django_capture_on_commit_callbacks):
    report = _generate(march.subdistrict, march.cadre, django_capture_on_commit_callbacks)
    ranking = report.figures["ranking"]
    assert ranking["rank"] == 1 and ranking["ranked"] == 1 and ranking["listed"] == 2
    assert ranking["root"] == march.district.pk
    flat = re.sub(r"\s+", "", _pdf_text(report))
    assert "排名第1位" in flat
    assert "东风里社区" in flat and "光明社区" in flat
    assert "没有超过办理期限仍未办结的事项" in flat  # 和平社区's matter is not 东风街道's


def test_asking_again_gives_the_same_report_and_regenerating_replaces_the_file(
    march, django_capture_on_commit_callbacks
):
    first = _generate(march.community, march.community_worker, django_capture_on_commit_callbacks)
    requested = AuditEntry.objects.filter(action="metrics.report_requested").count()
    again = _generate(march.community, march.community_worker, django_capture_on_commit_callbacks)
    assert again.pk == first.pk and again.file.name == first.file.name
    assert AuditEntry.objects.filter(action="metrics.report_requested").count() == requested
    renewed = _generate(
        march.community, march.community_worker, django_capture_on_commit_callbacks, regenerate=True
    )
    assert renewed.pk == first.pk and renewed.status == MonthlyReport.Status.DONE
    assert renewed.file.name != first.file.name
    assert default_storage.exists(renewed.file.name)
    assert not default_storage.exists(first.file.name)
    assert MonthlyReport.objects.count() == 1


def test_a_month_that_has_not_ended_is_refused(march):
    with (
        time_machine.travel(local(2026, 3, 20, 10, 0), tick=False),
        pytest.raises(reports.ReportError),
    ):
        reports.request_report(march.community, MARCH, by=march.community_worker)
    assert not MonthlyReport.objects.exists()


def test_a_missing_font_fails_the_report_with_the_reason(
    march, settings, django_capture_on_commit_callbacks
):
    settings.XINKAN_PDF_FONT = "/nonexistent/font.ttf"
    report = _generate(march.community, march.community_worker, django_capture_on_commit_callbacks)
    assert report.status == MonthlyReport.Status.FAILED
    assert "XINKAN_PDF_FONT" in report.error and not report.file
    assert AuditEntry.objects.filter(action="metrics.report_failed").count() == 1
    # Asking again after the font is fixed queues the failed report again.
    settings.XINKAN_PDF_FONT = ""
    report = _generate(march.community, march.community_worker, django_capture_on_commit_callbacks)
    assert report.status == MonthlyReport.Status.DONE and report.error == ""


def test_a_community_worker_cannot_request_or_download_another_communitys_report(
    march, client, django_capture_on_commit_callbacks
):
    theirs = _generate(
        march.neighbour_community, march.outsider, django_capture_on_commit_callbacks
    )
    login_as(client, march.community_worker)
    denied = AuditEntry.objects.filter(action="metrics.view_denied").count()
    with time_machine.travel(APRIL_2, tick=False):
        asked = client.post(
            reverse("metrics:reports"),
            {"unit": march.neighbour_community.pk, "month": "2026-03"},
        )
        assert asked.status_code == 404
        for name in ("metrics:report_download", "metrics:report_status"):
            assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.get(reverse("metrics:report_download", args=[99999])).status_code == 404
        assert (
            client.get(reverse("metrics:reports"), {"unit": march.neighbour_community.pk})
        ).status_code == 404
    assert list(MonthlyReport.objects.values_list("unit_id", flat=True)) == [
        march.neighbour_community.pk
    ]
    assert AuditEntry.objects.filter(action="metrics.view_denied").count() == denied + 5
    assert not AuditEntry.objects.filter(action="metrics.report_downloaded").exists()
    # The service refuses too, whoever calls it.
    with time_machine.travel(APRIL_2, tick=False), pytest.raises(Http404):
        reports.request_report(march.neighbour_community, MARCH, by=march.community_worker)


def test_the_page_asks_for_a_report_and_the_download_is_audited(
    march, client, django_capture_on_commit_callbacks
):
    login_as(client, march.community_worker)
    with time_machine.travel(APRIL_2, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("metrics:reports"), {"unit": march.community.pk, "month": "2026-03"}
            )
        assert response.status_code == 302
        report = MonthlyReport.objects.get(unit=march.community, month=MARCH)
        assert report.status == MonthlyReport.Status.DONE and report.requested_by == (
            march.community_worker
        )
        page = client.get(reverse("metrics:reports"), {"unit": march.community.pk})
        content = page.content.decode()
        assert f'data-report="{report.pk}"' in content and 'data-status="done"' in content
        download = client.get(reverse("metrics:report_download", args=[report.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    assert f"report-{march.community.code}-2026-03.pdf" in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]
    entry = AuditEntry.objects.filter(action="metrics.report_downloaded").latest("id")
    assert entry.actor_id == march.community_worker.pk and entry.data["month"] == "2026-03"


def test_a_month_not_ended_is_refused_on_the_page(march, client):
    login_as(client, march.community_worker)
    with time_machine.travel(local(2026, 3, 20, 10, 0), tick=False):
        response = client.post(
            reverse("metrics:reports"), {"unit": march.community.pk, "month": "2026-03"}
        )
    assert response.status_code == 200
    assert "msg-error" in response.content.decode()
    assert not MonthlyReport.objects.exists()


def test_a_report_being_made_polls_until_it_is_ready(march, client):
    with time_machine.travel(APRIL_2, tick=False):
        report = reports.request_report(march.community, MARCH, by=march.community_worker)
        # Not committed in this test's transaction: the task has not run.
        assert report.status == MonthlyReport.Status.QUEUED
        login_as(client, march.community_worker)
        row = client.get(reverse("metrics:report_status", args=[report.pk]), HTTP_HX_REQUEST="true")
        assert 'hx-trigger="every 2s"' in row.content.decode()
        reports.run_report(report.pk)
        row = client.get(reverse("metrics:report_status", args=[report.pk]), HTTP_HX_REQUEST="true")
    content = row.content.decode()
    assert 'data-status="done"' in content and "hx-trigger" not in content
    assert reverse("metrics:report_download", args=[report.pk]) in content


def test_a_redelivered_message_does_nothing(march, django_capture_on_commit_callbacks):
    report = _generate(march.community, march.community_worker, django_capture_on_commit_callbacks)
    assert reports.run_report(report.pk) is None
    assert AuditEntry.objects.filter(action="metrics.report_generated").count() == 1


def test_the_schedule_makes_each_report_once_even_when_run_twice(
    march, django_capture_on_commit_callbacks
):
    levels = ("district", "subdistrict", "community")
    expected = set(Unit.objects.filter(level__in=levels).values_list("pk", flat=True))
    with time_machine.travel(APRIL_2, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            made = reports.ensure_monthly_reports()
        with django_capture_on_commit_callbacks(execute=True) as sent:
            again = reports.ensure_monthly_reports()
    assert made == len(expected) == 6 and again == 0 and sent == []
    assert set(MonthlyReport.objects.values_list("unit_id", flat=True)) == expected
    assert set(MonthlyReport.objects.values_list("month", flat=True)) == {MARCH}
    assert set(MonthlyReport.objects.values_list("status", flat=True)) == {"done"}
    assert AuditEntry.objects.filter(action="metrics.report_generated").count() == 6
    assert MonthlyReport.objects.filter(requested_by__isnull=True).count() == 6


def test_the_schedule_waits_for_the_month_to_settle_and_follows_the_levels(march, settings):
    settings.XINKAN_METRICS_REPORT_LEVELS = ["subdistrict"]
    with time_machine.travel(local(2026, 4, 1, 0, 30), tick=False):
        assert reports.last_complete_month() == dt.date(2026, 2, 1)
        assert reports.ensure_monthly_reports() == 2
    assert set(MonthlyReport.objects.values_list("month", flat=True)) == {dt.date(2026, 2, 1)}
    with time_machine.travel(local(2026, 4, 1, 1, 30), tick=False):
        assert reports.ensure_monthly_reports() == 2
    assert MonthlyReport.objects.filter(month=MARCH).count() == 2


def test_a_report_whose_worker_died_is_sent_again_and_retaken(
    march, django_capture_on_commit_callbacks
):
    with time_machine.travel(APRIL_2, tick=False):
        reports.ensure_monthly_reports()  # queued; the messages never run (not committed)
        stuck = MonthlyReport.objects.get(unit=march.community)
        MonthlyReport.objects.filter(pk=stuck.pk).update(status="running", started_at=APRIL_2)
    # Ten minutes on: still being made, left alone; an hour on, taken again.
    with time_machine.travel(APRIL_2 + dt.timedelta(minutes=10), tick=False):
        assert reports.run_report(stuck.pk) is None
    with (
        time_machine.travel(APRIL_2 + dt.timedelta(hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reports.ensure_monthly_reports()
    assert set(MonthlyReport.objects.values_list("status", flat=True)) == {"done"}
