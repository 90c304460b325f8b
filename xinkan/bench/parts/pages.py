"""Page latency through the whole Django stack (middleware, scope, queries, templates), in process:
the worklists, search, a matter's page, the performance dashboard and the rankings, as a
community worker, a subdistrict cadre and a leader of the generated tree. Each page also reports
its query count (a list with N+1 would show it)."""

from __future__ import annotations

import datetime as dt
import random
from functools import partial
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinkan.accounts.models import User
from xinkan.bench.report import Report, cold_warm, latency, sample
from xinkan.matters.models import Category, Matter
from xinkan.org.models import LEVEL_RANK, Unit
from xinkan.org.roles import Role

DEVICE_ID_SESSION_KEY = "otp_device_id"
SEARCHES = ["电梯 坏了", "路灯", "拖欠工资", "暖气不热", "消防通道", "垃圾清运"]


def client_for(user: User) -> Client:
    """A logged-in client (with a verified second factor, as leaders need one)."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="benchmark", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _get(client: Client, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return response


def _search(client: Client, urls: list[str], rng: random.Random) -> Any:
    return _get(client, rng.choice(urls))


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        _get(client, url)
    return len(captured)


def measure_lists(report: Report, people: dict[str, User], root: Unit, samples: int) -> None:
    """Worklists and search for each role, and a matter's page."""
    rng = random.Random(3)
    scale = {"matters": Matter.objects.filter(unit__path__startswith=root.path).count()}
    worklist = reverse("matters:worklist")
    for role, user in people.items():
        client = client_for(user)
        name = Role(role).name.lower()
        for list_name in ("to_handle", "overdue", "all_open"):
            url = f"{worklist}?list={list_name}"
            report.add(
                f"page.worklist.{list_name}.{name}",
                {
                    **cold_warm(partial(_get, client, url), samples),
                    "queries": _queries(client, url),
                },
                **scale,
            )
        urls = [f"{worklist}?list=all&q={q}" for q in SEARCHES]
        report.add(
            f"page.search.{name}",
            latency(sample(partial(_search, client, urls, rng), samples)),
            **scale,
        )
    # A matter's page (timeline, deadlines, replies), for matters the community worker may see.
    community_user = people[Role.COMMUNITY_WORKER]
    client = client_for(community_user)
    community = community_user.memberships.first()
    assert community is not None and community.unit is not None
    ids = list(
        Matter.objects.filter(unit__path__startswith=community.unit.path)
        .order_by("-registered_at")
        .values_list("id", flat=True)[:200]
    )
    if ids:
        report.add(
            "page.matter.community",
            {
                **latency(
                    sample(
                        lambda: _get(client, reverse("matters:detail", args=[rng.choice(ids)])),
                        samples,
                    )
                ),
                "queries": _queries(client, reverse("matters:detail", args=[ids[0]])),
            },
            **scale,
        )


def measure_metrics(report: Report, people: dict[str, User], root: Unit, samples: int) -> None:
    """The leader's performance pages: the dashboard for several periods and a category, the
    drill-down and the rankings of every level."""
    scale = {"matters": Matter.objects.filter(unit__path__startswith=root.path).count()}
    leader = client_for(people[Role.LEADER])
    dashboard = reverse("metrics:dashboard")
    today = dt.date.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    periods = {
        "month": "period=month",
        "year": "period=year",
        # A custom period that is not whole months reads the daily table.
        "custom_45_days": f"period=custom&from={last_month - dt.timedelta(days=15)}"
        f"&to={today.replace(day=1) - dt.timedelta(days=1)}",
    }
    for period, query in periods.items():
        url = f"{dashboard}?{query}"
        report.add(
            f"page.dashboard.{period}.leader",
            {
                **cold_warm(partial(_get, leader, url), samples),
                "queries": _queries(leader, url),
            },
            **scale,
        )
    # The category filter (a category and everything below it) reads the daily table by category.
    parent = Category.objects.filter(parent__isnull=True, children__isnull=False).first()
    if parent is not None:
        url = f"{dashboard}?period=month&on={last_month}&category={parent.pk}"
        report.add(
            "page.dashboard.month_one_category.leader",
            {**cold_warm(partial(_get, leader, url), samples), "queries": _queries(leader, url)},
            **scale,
        )
    cases = f"{reverse('metrics:cases')}?part=resolved&period=month&on={last_month}"
    report.add(
        "page.drill_down.resolved.leader",
        {**cold_warm(partial(_get, leader, cases), samples), "queries": _queries(leader, cases)},
        **scale,
    )
    # The monthly ranking of every level below the leader's unit (a city: its 16 districts, 304
    # subdistricts and 6,080 communities), each against the month before.
    for level in ("district", "subdistrict", "community"):
        if LEVEL_RANK[level] <= LEVEL_RANK[root.level]:
            continue
        rankings = f"{reverse('metrics:rankings')}?level={level}&on={last_month}"
        report.add(
            f"page.rankings.{level}.leader",
            {
                **cold_warm(partial(_get, leader, rankings), samples),
                "queries": _queries(leader, rankings),
            },
            units=Unit.objects.filter(path__startswith=root.path, level=level).count(),
            **scale,
        )
    # The ranking of the level below the leader's for one category (its units' own rows per
    # category), and of the communities (the daily facts of that category under them).
    if parent is not None:
        for level in ("subdistrict", "community"):
            if LEVEL_RANK[level] <= LEVEL_RANK[root.level]:
                continue
            url = (
                f"{reverse('metrics:rankings')}?level={level}&on={last_month}&category={parent.pk}"
            )
            report.add(
                f"page.rankings.{level}_one_category.leader",
                {
                    **cold_warm(partial(_get, leader, url), samples),
                    "queries": _queries(leader, url),
                },
                units=Unit.objects.filter(path__startswith=root.path, level=level).count(),
                **scale,
            )


def monthly_report(report: Report, root: Unit, samples: int) -> None:
    """The monthly report of the top unit: its figures, then its PDF (as the background job)."""
    from django.utils import timezone

    from xinkan.metrics import report_pdf, reports

    month = reports.last_complete_month()
    scale = {"matters": Matter.objects.filter(unit__path__startswith=root.path).count()}
    report.add(
        "report.monthly.figures",
        cold_warm(partial(reports.build_report, root, month, now=timezone.now()), samples),
        **scale,
    )
    built = reports.build_report(root, month, now=timezone.now())
    report.add(
        "report.monthly.pdf",
        latency(sample(partial(report_pdf.render_monthly_report, built.facts), samples)),
        **scale,
    )
