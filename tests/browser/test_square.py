"""The public affairs square: a resident sends in a question on a phone; the subdistrict's cadre
approves it and runs the session from the control page while the live screen (a second page, as
projected at the square) follows by itself, without being reloaded; the published results page
shows the answers."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.steps import (
    Snap,
    assert_fits_width,
    fresh_context,
    log_in,
    path_is,
    press,
    zh,
)
from tests.conftest import Cast
from tests.matters import factories as matter_factories
from xinkan.matters.models import Channel, Matter
from xinkan.square import services
from xinkan.square.models import OnSpot, Question, QuestionState, Session, SessionState

QUESTION = "东风里小区3号楼电梯坏了三天，八十多岁的老人下不了楼，物业说在等配件，什么时候能修好？"
NAME = "王秀英"
PHONE = "13800138000"
LIVE_QUESTION = "幸福路的下水道堵了一个月，一下雨就往小区里倒灌，谁来管？"
ANSWER = "住建局已责成物业今天下午更换主板，明天上午恢复运行。"
PROMISE = "住建局会同街道对幸福路排水管网清淤改造，限期解决。"
SCREEN = {"width": 1920, "height": 1080}


def plan_session(cast: Cast) -> Session:
    """A session of 东风街道 (run by its cadre) with the district's 住建局 answering, open for
    questions."""
    session = services.plan_session(
        services.SessionDetails(
            theme="老旧小区改造与物业管理专场",
            starts_at=timezone.now() + dt.timedelta(hours=1),
            place="东风街道党群服务中心广场",
            unit=cast.subdistrict,
            broadcast_media="清河电视台",
        ),
        by=cast.cadre,
    )
    services.add_panelist(
        session,
        department=cast.department,
        leader_name="王建军",
        leader_title="局长",
        by=cast.cadre,
    )
    services.open_for_questions(session, by=cast.cadre)
    return session


def count_on(screen: Page, name: str) -> object:
    return screen.locator(f"#live-panel [data-count={name}]")


def test_square_question_session_live_screen_and_results(
    phone: Page, page: Page, browser: Browser, live_server: LiveServer, cast: Cast, snap: Snap
) -> None:
    matter_factories.category()
    session = plan_session(cast)

    # --- A resident sends in a question on a phone ---------------------------------------------
    phone.goto("/portal/")
    with phone.expect_navigation():
        phone.get_by_test_id("portal-square-link").tap()
    expect(phone).to_have_url(path_is("/portal/square/"))
    with phone.expect_navigation():
        phone.locator(f"[data-session='{session.pk}'] a").first.tap()
    expect(phone.get_by_test_id("announcement")).to_contain_text("王建军")
    assert_fits_width(phone, "announcement")
    snap(phone, "announcement")

    with phone.expect_navigation():
        phone.get_by_test_id("ask-link").tap()
    form = phone.get_by_test_id("ask-form")
    form.locator("textarea[name=text]").fill(QUESTION)
    form.locator("select[name=community]").select_option(label="东风街道 · 东风里社区")
    form.locator("input[name=name]").fill(NAME)
    form.locator("input[name=phone]").fill(PHONE)
    assert_fits_width(phone, "question form")
    snap(phone, "ask-filled")
    press(phone, form.locator("button[type=submit]"))
    expect(phone).to_have_url(path_is(f"/portal/square/{session.pk}/asked/"))
    expect(phone.get_by_test_id("asked")).to_be_visible()
    snap(phone, "asked")

    question = Question.objects.get()
    assert (question.state, question.asker_name, question.asker_phone) == (
        QuestionState.PENDING,
        NAME,
        PHONE,
    )

    # --- The cadre approves it and starts the session -------------------------------------------
    log_in(page, "cadre")
    page.goto(f"/square/{session.pk}/")
    pending = page.get_by_test_id("pending").locator(f"[data-question='{question.pk}']")
    expect(pending).to_contain_text(QUESTION)
    pending.locator("select[name=panelist]").select_option(index=1)
    press(page, pending.locator("[data-action=approve]"))
    expect(
        page.get_by_test_id("queue").locator(f"[data-question='{question.pk}']")
    ).to_contain_text("王建军")
    press(page, page.locator("[data-action=live]"))
    expect(page.get_by_test_id("session-state")).to_have_attribute("data-state", SessionState.LIVE)
    with page.expect_navigation():
        page.get_by_test_id("control-link").click()
    expect(page).to_have_url(path_is(f"/square/{session.pk}/control/"))

    # --- The live screen, as projected: a second page that nobody touches -----------------------
    with fresh_context(browser, live_server.url, like=page) as screen:
        screen.set_viewport_size(SCREEN)
        screen.goto(f"/portal/square/{session.pk}/live/")
        expect(screen.locator("#live-panel")).to_have_attribute("data-current", "")
        expect(count_on(screen, "questions")).to_have_text("1")
        screen.evaluate("window.notReloaded = true")
        snap(screen, "live-waiting")

        # The cadre calls the question: the screen shows it, with who answers.
        press(page, page.locator("[data-action=call-next]"))
        expect(page.get_by_test_id("now-answering")).to_contain_text(QUESTION)
        expect(screen.get_by_test_id("live-question")).to_have_text(QUESTION)
        expect(screen.get_by_test_id("live-answerer")).to_contain_text("王建军")
        expect(screen.locator("#live-panel")).to_contain_text("王**")
        expect(screen.locator("#live-panel")).not_to_contain_text(NAME)
        snap(screen, "live-answering")
        snap(page, "control-answering")

        # Answered on the spot.
        answer_form = page.get_by_test_id("answer-form")
        answer_form.locator("textarea").fill(ANSWER)
        answer_form.locator(f"input[value={OnSpot.SOLVED}]").check()
        press(page, answer_form.locator("[data-action=answer]"))
        expect(count_on(screen, "on_spot")).to_have_text("1")
        expect(screen.locator("#live-panel")).to_have_attribute("data-current", "")

        # A question asked on the spot, promised by a deadline.
        live_form = page.get_by_test_id("live-question-form")
        live_form.locator("textarea").fill(LIVE_QUESTION)
        live_form.locator("select[name=live-panelist]").select_option(index=1)
        press(page, live_form.locator("button[type=submit]"))
        expect(count_on(screen, "questions")).to_have_text("2")
        expect(screen.get_by_test_id("live-queue")).to_contain_text(LIVE_QUESTION[:10])
        press(page, page.locator("[data-action=call-next]"))
        expect(screen.get_by_test_id("live-question")).to_have_text(LIVE_QUESTION)
        expect(screen.locator("#live-panel")).to_contain_text(zh("A resident"))

        promise_form = page.get_by_test_id("promise-form")
        promise_form.locator("textarea").fill(PROMISE)
        due = timezone.localdate() + dt.timedelta(days=15)
        promise_form.locator("input[type=date]").fill(due.isoformat())
        promise_form.locator("select").select_option(label="电梯故障")
        press(page, promise_form.locator("[data-action=promise]"))
        expect(count_on(screen, "promised")).to_have_text("1")

        attendance = page.get_by_test_id("attendance-form")
        attendance.locator("input[name=attendance]").fill("260")
        press(page, attendance.locator("button[type=submit]"))
        expect(count_on(screen, "participants")).to_have_text("260")
        assert screen.evaluate("window.notReloaded") is True  # updated by itself, never reloaded
        snap(screen, "live-counts")
        snap(page, "control-after")

        press(page, page.locator("[data-action=finish]"))
        expect(screen.locator("#live-panel")).to_have_attribute("data-state", SessionState.FINISHED)

    promised = Question.objects.get(text=LIVE_QUESTION)
    matter = Matter.objects.get()
    assert (promised.state, promised.matter_id, matter.channel) == (
        QuestionState.PROMISED,
        matter.pk,
        Channel.SQUARE,
    )
    assert matter.lead_department == cast.department

    # --- The published results, on the phone ----------------------------------------------------
    phone.goto(f"/portal/square/{session.pk}/results/")
    results = phone.get_by_test_id("results")
    expect(results.locator(f"[data-question='{question.pk}']")).to_contain_text(ANSWER)
    expect(results.locator(f"[data-question='{question.pk}'] [data-on-spot]")).to_have_text(
        zh(OnSpot.SOLVED.label)
    )
    expect(results.locator(f"[data-question='{promised.pk}'] [data-promise]")).to_have_attribute(
        "data-promise", "pending"
    )
    expect(results).to_contain_text(due.isoformat())
    expect(phone.locator("main")).not_to_contain_text(NAME)
    expect(phone.locator("main")).not_to_contain_text(re.compile(PHONE))
    assert_fits_width(phone, "results")
    snap(phone, "results")
