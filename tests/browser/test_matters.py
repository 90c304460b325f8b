"""The staff pages of matters: register a matter during a visit, find it in the worklist, accept
and dispatch it to a department, sign for it and answer it there, and record the follow-up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from tests import factories
from tests.browser.steps import (
    Snap,
    assert_fits_width,
    follow_nav,
    log_in,
    log_out,
    path_is,
    press,
    watch_console,
    zh,
)
from tests.conftest import Cast
from tests.matters import factories as matter_factories
from xinkan.matters.labels import LABELS
from xinkan.matters.models import (
    Assignment,
    Channel,
    FollowUp,
    Matter,
    MatterEvent,
    Outcome,
    Rating,
    Reply,
    State,
)

DESCRIPTION = "小区3号楼电梯坏了三天，老人上下楼很困难，物业一直没人来修。"
ANSWER = "经现场核查，已责成物业公司更换电梯主板，电梯已恢复运行并通过安全检测。"
STALE = "This matter was changed by someone else. Reload it and try again."
DEPARTMENT_LABEL = re.compile("住房和城乡建设局")


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path: Path) -> Path:
    """Uploaded files go to the test's own folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def state_chip(page: Page, state: State) -> None:
    expect(page.locator(".page-head .chip.state")).to_have_text(zh(state.label))


def success(page: Page, message: object, **params: object) -> None:
    expect(page.locator(".messages .msg-success")).to_have_text(zh(message, **params))


def open_tab(page: Page, key: str, label: str) -> None:
    tab = page.locator(f"nav.tabs a[data-list={key}]")
    expect(tab).to_have_text(zh(label))
    press(page, tab)
    expect(page).to_have_url(re.compile(rf"/matters/\?list={key}$"))
    expect(page.locator(f"nav.tabs a[data-list={key}]")).to_have_attribute("aria-current", "page")


def open_matter(page: Page, matter: Matter) -> None:
    """Follow the matter's code in the worklist table to its page."""
    press(page, page.locator("#matters-table").get_by_role("link", name=matter.code, exact=True))
    expect(page).to_have_url(path_is(f"/matters/{matter.pk}/"))
    expect(page.locator("h1 .code")).to_have_text(matter.code)


def dispatch_form(page: Page) -> Locator:
    return page.locator("#actions form", has=page.locator("button[data-action=dispatch]"))


def choose_lead(page: Page, cast: Cast) -> None:
    """Open the dispatch form if folded and choose the cast's department (住建局) as the lead."""
    form = dispatch_form(page)
    details = page.locator("#actions details", has=page.locator("[data-action=dispatch]"))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    lead = form.locator("select[name=lead]")
    expect(lead.locator(f"option[value='{cast.department.pk}']")).to_have_text(DEPARTMENT_LABEL)
    lead.select_option(str(cast.department.pk))


def test_staff_worklist_dispatch_reply(
    page: Page, live_server: LiveServer, cast: Cast, snap: Snap
) -> None:
    matter_factories.category()
    resident = factories.resident(cast.grid, "王秀英")
    factories.resident(cast.neighbour_grid, "王建军")  # another community's: never offered

    # --- The community worker registers a visit ---------------------------------------------
    log_in(page, "community")
    follow_nav(page, "matters")
    press(page, page.get_by_test_id("new-matter"))
    expect(page).to_have_url(path_is("/matters/new/"))
    form = page.get_by_test_id("intake-form")
    expect(form).to_be_visible()
    snap(page, "intake-empty")

    form.locator("select[name=channel]").select_option(Channel.VISIT.value)
    form.locator("select[name=category]").select_option(label="电梯故障")
    form.locator("select[name=unit]").select_option(label=cast.grid.name)
    form.locator("input[name=address]").fill("建设路1号3号楼")
    form.locator("textarea[name=description]").fill(DESCRIPTION)
    name = form.locator("input[name=contact_name]")
    name.press_sequentially("王")
    option = form.locator("#resident-options [data-resident-id]")
    expect(option).to_have_count(1)  # only residents of the worker's area
    expect(option).to_contain_text("王秀英")
    snap(page, "intake-type-ahead")
    option.click()
    expect(name).to_have_value("王秀英")
    expect(form.locator("input[name=resident]")).to_have_value(str(resident.pk))
    expect(form.locator("#resident-chosen")).to_be_visible()
    expect(form.locator("#resident-chosen b")).to_have_text("王秀英")
    expect(form.locator("#resident-options [data-resident-id]")).to_have_count(0)
    form.locator("input[name=contact_phone]").fill("13800138000")
    snap(page, "intake-filled")

    press(page, form.locator("button[type=submit]"))
    matter = Matter.objects.get()
    expect(page).to_have_url(path_is(f"/matters/{matter.pk}/"))
    success(page, "Registered as %(code)s.", code=matter.code)
    expect(page.locator("h1 .code")).to_have_text(matter.code)
    state_chip(page, State.REGISTERED)
    assert (matter.resident, matter.unit, matter.handling_unit) == (
        resident,
        cast.grid,
        cast.community,
    )
    assert (matter.channel, matter.contact_phone) == (Channel.VISIT, "13800138000")
    snap(page, "registered")

    # --- Worklist: to accept, then to dispatch ----------------------------------------------
    follow_nav(page, "matters")
    open_tab(page, "to_accept", "To accept")
    expect(page.locator("#matters-table tbody tr")).to_have_count(1)
    snap(page, "worklist-to-accept")
    open_matter(page, matter)
    press(page, page.locator("button[data-action=accept]"))
    success(page, "The matter was accepted.")
    state_chip(page, State.ACCEPTED)
    snap(page, "accepted")

    follow_nav(page, "matters")
    open_tab(page, "to_accept", "To accept")
    expect(page.locator("#matters-table")).to_have_count(0)  # nothing left to accept
    open_tab(page, "to_dispatch", "To dispatch")
    expect(page.locator("#matters-table tbody tr")).to_have_count(1)
    snap(page, "worklist-to-dispatch")
    open_matter(page, matter)
    choose_lead(page, cast)
    dispatch_form(page).locator("textarea[name=note]").fill("请尽快派人到现场查看。")
    snap(page, "dispatch-form")
    press(page, page.locator("button[data-action=dispatch]"))
    success(page, "The matter was dispatched.")
    state_chip(page, State.DISPATCHED)
    expect(page.locator("button[data-action=dispatch]")).to_have_count(0)
    snap(page, "dispatched")
    log_out(page)

    # --- The department's handler signs for it and answers ---------------------------------
    log_in(page, "handler")
    follow_nav(page, "matters")
    open_tab(page, "to_handle", "To handle")
    expect(page.locator("#matters-table tbody tr")).to_have_count(1)
    snap(page, "handler-to-handle")
    open_matter(page, matter)
    press(page, page.locator("button[data-action=sign]"))
    success(page, "Signed for.")
    state_chip(page, State.HANDLING)
    reply_form = page.locator("#actions form", has=page.locator("button[data-action=reply]"))
    reply_form.locator("select[name=outcome]").select_option(Outcome.SUPPORTED.value)
    reply_form.locator("textarea[name=text]").fill(ANSWER)
    snap(page, "handler-answer")
    press(page, reply_form.locator("button[data-action=reply]"))
    success(page, "The answer was recorded; the resident is told.")
    state_chip(page, State.REPLIED)
    expect(page.locator("article.reply")).to_contain_text(ANSWER)
    snap(page, "handler-answered")
    log_out(page)

    # --- The community worker records the follow-up ---------------------------------------
    log_in(page, "community")
    follow_nav(page, "matters")
    open_tab(page, "follow_up", "To follow up")
    expect(page.locator("#matters-table tbody tr")).to_have_count(1)
    open_matter(page, matter)
    follow_up = page.locator("#actions form", has=page.locator("button[data-action=follow-up]"))
    follow_up.get_by_label(zh(Rating.SATISFIED.label), exact=True).check()
    follow_up.locator("textarea[name=comment]").fill("居民表示电梯已修好，很满意。")
    snap(page, "follow-up-form")
    press(page, follow_up.locator("button[data-action=follow-up]"))
    success(page, "The follow-up was recorded.")
    state_chip(page, State.RESOLVED)
    expect(page.locator("#actions form")).to_have_count(0)  # nothing left to do
    expect(page.locator("article.reply")).to_contain_text(zh(Rating.SATISFIED.label))

    steps = ["registered", "accepted", "dispatched", "signed_for", "replied", "rated"]
    timeline = page.locator("#timeline > li")
    expect(timeline).to_have_count(len(steps))
    for item, action in zip(timeline.all(), steps, strict=True):
        expect(item.locator("b")).to_have_text(zh(LABELS[f"matters.{action}"]))
    expect(timeline.nth(2)).to_contain_text("请尽快派人到现场查看。")
    expect(timeline.nth(3)).to_contain_text(cast.handler.display_name)
    snap(page, "resolved")

    matter.refresh_from_db()
    assert (matter.state, matter.solved, matter.last_rating) == (
        State.RESOLVED,
        True,
        Rating.SATISFIED,
    )
    assert matter.lead_department == cast.department
    reply = Reply.objects.get(matter=matter)
    assert (reply.outcome, reply.by, reply.text) == (Outcome.SUPPORTED, cast.handler, ANSWER)
    assert FollowUp.objects.get(matter=matter).by == cast.community_worker
    assert (
        list(
            MatterEvent.objects.filter(matter=matter)
            .order_by("at", "pk")
            .values_list("action", flat=True)
        )
        == steps
    )


def test_stale_form_after_dispatch(
    page: Page, live_server: LiveServer, cast: Cast, snap: Snap
) -> None:
    """Two pages of the same matter: once one dispatches it, the other's forms are refused with a
    clear message and nothing is done twice."""
    matter = matter_factories.matter(cast.grid, cast.grid_worker)
    log_in(page, "community")
    second = page.context.new_page()
    third = page.context.new_page()
    errors = watch_console(second) + watch_console(third)
    for each in (page, second, third):
        each.goto(f"/matters/{matter.pk}/")
        state_chip(each, State.REGISTERED)
        expect(each.locator("button[data-action=accept]")).to_be_visible()

    choose_lead(page, cast)
    press(page, page.locator("button[data-action=dispatch]"))
    success(page, "The matter was dispatched.")
    state_chip(page, State.DISPATCHED)
    snap(page, "dispatched-first-page")

    # The second page still shows "Accept", from before the dispatch.
    press(second, second.locator("button[data-action=accept]"))
    expect(second).to_have_url(path_is(f"/matters/{matter.pk}/"))
    expect(second.locator(".messages .msg-error")).to_have_text(zh(STALE))
    expect(second.locator(".messages .msg-success")).to_have_count(0)
    state_chip(second, State.DISPATCHED)  # the page now shows where the matter stands
    expect(second.locator("button[data-action=accept]")).to_have_count(0)
    expect(second.locator("button[data-action=dispatch]")).to_have_count(0)
    snap(second, "stale-accept")

    # The third page dispatches again from its old form.
    choose_lead(third, cast)
    press(third, third.locator("button[data-action=dispatch]"))
    expect(third.locator(".messages .msg-error")).to_have_text(zh(STALE))
    expect(third.locator(".messages .msg-success")).to_have_count(0)
    state_chip(third, State.DISPATCHED)
    snap(third, "stale-dispatch")
    second.close()
    third.close()
    assert not errors, f"errors in the browser console: {errors}"

    matter.refresh_from_db()
    assert matter.state == State.DISPATCHED
    events = MatterEvent.objects.filter(matter=matter)
    assert events.filter(action="dispatched").count() == 1
    assert events.filter(action="accepted").count() == 1
    assert Assignment.objects.filter(matter=matter).count() == 1


def test_phone_matter_page(phone: Page, live_server: LiveServer, cast: Cast, snap: Snap) -> None:
    """On a phone the matter page shows what the resident says, then what the worker can do, the
    timeline last; nothing scrolls sideways."""
    matter = matter_factories.matter(cast.grid, cast.grid_worker)
    log_in(phone, "community")
    phone.goto(f"/matters/{matter.pk}/")
    expect(phone.locator("h1 .code")).to_have_text(matter.code)
    actions = phone.locator("#actions")
    expect(actions).to_be_visible()
    expect(actions.locator("button[data-action=accept]")).to_be_visible()
    description = phone.locator(".detail-main .card").first
    expect(description).to_contain_text(DESCRIPTION[:10])
    timeline = phone.locator(".timeline-card")
    boxes = [box.bounding_box() for box in (description, actions, timeline)]
    assert all(boxes)
    tops = [box["y"] for box in boxes if box]
    assert tops == sorted(tops), ("description, actions, timeline are not in this order", tops)
    actions_box = boxes[1]
    assert actions_box
    # Everything on the page is above or below the actions card, none beside it.
    assert actions_box["width"] >= 0.8 * 390, actions_box
    assert_fits_width(phone, "matter page")
    snap(phone, "matter-page")

    # Unfolding the dispatch form keeps the page within the screen.
    dispatch = phone.locator("#actions details", has=phone.locator("[data-action=dispatch]"))
    dispatch.locator("summary").tap()
    expect(dispatch.locator("select[name=lead]")).to_be_visible()
    assert_fits_width(phone, "matter page with the dispatch form")
    snap(phone, "matter-page-dispatch-open")

    phone.goto("/matters/?list=to_accept")
    expect(phone.locator("#matters-table")).to_be_visible()
    assert_fits_width(phone, "worklist")
    snap(phone, "worklist")
