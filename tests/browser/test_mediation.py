"""Dispute mediation on a phone: the grid's ten-household mediator registers a dispute during a
patrol, records the session held with both sides, settles it with a written agreement and downloads
the agreement as a PDF; a mediator who could not settle a dispute sends it up the ladder."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
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
from tests.mediation import factories as mediation_factories
from xinkan.mediation.labels import LABELS
from xinkan.mediation.models import (
    Agreement,
    Dispute,
    DisputeEvent,
    DisputeType,
    Session,
    Source,
    State,
    Step,
    StepRecord,
)
from xinkan.org import services as org_services
from xinkan.org.roles import Role

TITLE = "5号楼楼上漏水殃及楼下引发纠纷"
ADDRESS = "建设路5号2单元"
PARTY_A = ("周秀兰", "13812345678", "楼上卫生间漏水，我家吊顶发霉脱落。")
PARTY_B = ("马国庆", "13987654321", "漏水不是我家造成的，是公共水管的问题。")
PLACE = "东风里社区调解室"
STATEMENTS = "甲方：要求乙方修好防水并赔偿吊顶损失。\n乙方：同意请物业共同查明漏点后修复。"
FACTS = "乙方家卫生间防水层破损，渗水至甲方家，造成甲方卫生间吊顶霉变脱落。"
POINTS = "漏水的修复责任及甲方吊顶损失的赔偿。"
TERM = "乙方修复卫生间防水层并赔偿甲方吊顶修复费用人民币1500元。"
TERM_HOW = "一次性转账"
REASON = "乙方拒绝承担任何费用，双方在十户调解员处未能达成一致。"


# With a phone's meta viewport, Chromium widens window.innerWidth to content wider than the screen
# (the page is zoomed out to fit), so `assert_fits_width` alone can pass on a page that overflows;
# the root's clientWidth stays the layout viewport's width (the phone's screen).


def ladder_step(page: Page, step: Step) -> None:
    """The ladder marks `step` — and only it — as the current one."""
    current = page.locator("#ladder li[aria-current=step]")
    expect(current).to_have_count(1)
    expect(current).to_have_text(zh(step.label))
    expect(page.locator("#ladder li").nth(step - 1)).to_have_class("ladder-current")


def success(page: Page, message: object, **params: object) -> None:
    expect(page.locator(".messages .msg-success")).to_have_text(zh(message, **params))
    expect(page.locator(".messages .msg-error")).to_have_count(0)


def unfold(page: Page, action: str) -> None:
    """Tap the summary of the folded form marked data-action=`action` in "What you can do"."""
    details = page.locator("#actions details", has=page.locator(f"form[data-action={action}]"))
    expect(details).to_have_count(1)
    details.locator("summary").tap()
    expect(details.locator(f"form[data-action={action}]")).to_be_visible()


def open_disputes(page: Page) -> None:
    """Open the folded menu of the phone and follow "Disputes"."""
    page.locator("nav .nav-toggle-label").tap()
    link = page.locator("nav a[data-nav=disputes]")
    expect(link).to_have_text(zh("Disputes"))
    with page.expect_navigation():
        link.tap()
    page.wait_for_load_state("load")
    expect(page).to_have_url(path_is("/mediation/"))


def pdf_text(path: Path) -> str:
    """The text a reader of the PDF sees, without the line breaks and spaces of the layout."""
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    return re.sub(r"\s+", "", text)


def test_phone_mediator_registers_records_a_session_settles_and_downloads_the_agreement(
    phone: Page, live_server: LiveServer, cast: Cast, snap: Snap, tmp_path: Path
) -> None:
    # The cast's grid worker (陈志强) is also the grid's ten-household mediator.
    org_services.grant_membership(
        user=cast.grid_worker, role=Role.MEDIATOR, unit=cast.grid, by=None
    )
    held_at = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(hours=2)
    due = timezone.localdate() + dt.timedelta(days=7)

    # --- Register the dispute from the disputes list -----------------------------------------
    log_in(phone, "grid")
    open_disputes(phone)
    expect(phone.locator("main h1")).to_have_text(zh("Disputes"))
    assert_fits_width(phone, "disputes list")
    snap(phone, "list-empty")

    new = phone.get_by_test_id("new-dispute")
    expect(new).to_have_text(zh("Register a dispute"))
    with phone.expect_navigation():
        new.tap()
    expect(phone).to_have_url(path_is("/mediation/new/"))
    form = phone.get_by_test_id("dispute-form")
    expect(form).to_be_visible()
    assert_fits_width(phone, "register form")
    snap(phone, "register-empty")

    form.locator("input[name=title]").fill(TITLE)
    form.locator("select[name=dispute_type]").select_option(DisputeType.NEIGHBOURS.value)
    form.locator("select[name=unit]").select_option(label=cast.grid.name)
    form.locator("input[name=address]").fill(ADDRESS)
    form.locator("select[name=source]").select_option(Source.PATROL.value)
    for n, (name, number, says) in enumerate((PARTY_A, PARTY_B), start=1):
        party = form.locator(f"fieldset[data-party='{n}']")
        party.locator(f"input[name=p{n}_name]").fill(name)
        party.locator(f"input[name=p{n}_phone]").fill(number)
        party.locator(f"textarea[name=p{n}_statement]").fill(says)
    assert_fits_width(phone, "filled register form")
    snap(phone, "register-filled")

    press(phone, form.locator("button[type=submit]"))
    dispute = Dispute.objects.get()
    expect(phone).to_have_url(path_is(f"/mediation/{dispute.pk}/"))
    success(
        phone,
        "Registered as %(code)s: %(step)s.",
        code=dispute.code,
        step=zh(Step.TEN_HOUSEHOLD.label),
    )
    expect(phone.locator("h1 .code")).to_have_text(dispute.code)
    expect(phone.locator("h1")).to_contain_text(TITLE)
    expect(phone.locator("#dispute-state")).to_have_text(zh(State.MEDIATING.label))
    ladder_step(phone, Step.TEN_HOUSEHOLD)
    expect(phone.locator("#ladder li.ladder-ahead")).to_have_count(3)
    step_one = phone.locator("section.step[data-step='1']")
    expect(step_one).to_contain_text(zh("Mediators"))
    expect(step_one).to_contain_text(cast.grid_worker.display_name)
    for name, _number, says in (PARTY_A, PARTY_B):
        expect(phone.locator("article.party", has_text=name)).to_contain_text(says)
    assert_fits_width(phone, "dispute page")
    snap(phone, "registered")

    assert (dispute.unit, dispute.step, dispute.state, dispute.address) == (
        cast.grid,
        Step.TEN_HOUSEHOLD,
        State.MEDIATING,
        ADDRESS,
    )
    assert [p.name for p in dispute.parties.order_by("position")] == [PARTY_A[0], PARTY_B[0]]
    record = StepRecord.objects.get(dispute=dispute)
    assert [m.user for m in record.mediators.all()] == [cast.grid_worker]

    # --- Record the session held two hours ago -----------------------------------------------
    unfold(phone, "session")
    session_form = phone.locator("form[data-action=session]")
    session_form.locator("input[name=at]").fill(held_at.strftime("%Y-%m-%dT%H:%M"))
    session_form.locator("input[name=place]").fill(PLACE)
    session_form.locator("textarea[name=statements]").fill(STATEMENTS)
    assert_fits_width(phone, "dispute page with the session form")
    snap(phone, "session-form")

    press(phone, session_form.locator("button[type=submit]"))
    expect(phone).to_have_url(path_is(f"/mediation/{dispute.pk}/"))
    success(phone, "The session was recorded.")
    session = step_one.locator("article.session")
    expect(session).to_have_count(1)
    expect(session).to_contain_text(held_at.strftime("%Y-%m-%d %H:%M"))
    expect(session).to_contain_text(PLACE)
    expect(session.locator(".chip")).to_have_text(zh("held"))
    expect(session).to_contain_text(STATEMENTS.splitlines()[1])
    ladder_step(phone, Step.TEN_HOUSEHOLD)  # a session does not end the step
    assert_fits_width(phone, "dispute page with a session")
    snap(phone, "session-recorded")

    held = Session.objects.get(dispute=dispute)
    assert (held.held, held.place, held.at) == (True, PLACE, held_at)

    # --- Settle it with a written agreement of one term --------------------------------------
    unfold(phone, "settle")
    settle_form = phone.locator("form[data-action=settle]")
    settle_form.locator("select[name=kind]").select_option(Agreement.Kind.WRITTEN.value)
    settle_form.locator("textarea[name=facts]").fill(FACTS)
    settle_form.locator("textarea[name=points_at_issue]").fill(POINTS)
    settle_form.locator("input[name=t1_text]").fill(TERM)
    settle_form.locator("input[name=t1_how]").fill(TERM_HOW)
    settle_form.locator("input[name=t1_due]").fill(due.isoformat())
    expect(settle_form.locator("input[name=signed_on]")).to_have_value(
        timezone.localdate().isoformat()
    )
    assert_fits_width(phone, "dispute page with the settle form")
    snap(phone, "settle-form")

    press(phone, settle_form.locator("button[type=submit]"))
    expect(phone).to_have_url(path_is(f"/mediation/{dispute.pk}/"))
    success(phone, "Settled. The agreement is on the page.")
    expect(phone.locator("#dispute-state")).to_have_text(zh(State.SETTLED.label))
    expect(phone.locator("#ladder li[aria-current=step]")).to_have_count(0)
    expect(phone.locator("#ladder li").nth(0)).to_have_class("ladder-settled")
    expect(phone.locator("#actions")).to_have_count(0)  # nothing left to mediate
    agreement_card = phone.locator("#agreement")
    expect(agreement_card.locator("h2")).to_contain_text(zh(Agreement.Kind.WRITTEN.label))
    expect(agreement_card).to_contain_text(FACTS)
    expect(agreement_card).to_contain_text(POINTS)
    term = agreement_card.locator("ol.terms > li")
    expect(term).to_have_count(1)
    expect(term).to_contain_text(TERM)
    expect(term).to_contain_text(TERM_HOW)
    expect(term).to_contain_text(zh("by %(due)s", due=due.isoformat()))
    steps = ["registered", "step_started", "session_recorded", "settled"]
    timeline = phone.locator("#timeline > li")
    expect(timeline).to_have_count(len(steps))
    for item, action in zip(timeline.all(), steps, strict=True):
        expect(item.locator("b")).to_have_text(zh(LABELS[f"mediation.{action}"]))
    assert_fits_width(phone, "settled dispute page")
    snap(phone, "settled")

    agreement = Agreement.objects.get(dispute=dispute)
    assert (agreement.kind, agreement.signed_on, agreement.created_by) == (
        Agreement.Kind.WRITTEN,
        timezone.localdate(),
        cast.grid_worker,
    )
    assert [(t.text, t.how, t.due) for t in agreement.terms.all()] == [(TERM, TERM_HOW, due)]

    # --- Download the agreement --------------------------------------------------------------
    link = phone.get_by_test_id("agreement-pdf")
    expect(link).to_be_visible()
    with phone.expect_download() as download_info:
        link.tap()
    download = download_info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename == f"agreement-{dispute.code}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF"), saved.read_bytes()[:200]
    text = pdf_text(saved)
    for expected in ("人民调解协议书", PARTY_A[0], PARTY_B[0], TERM, agreement.number):
        assert re.sub(r"\s+", "", expected) in text, (expected, text)
    expect(phone).to_have_url(path_is(f"/mediation/{dispute.pk}/"))  # the page stays
    snap(phone, "after-download")

    dispute.refresh_from_db()
    assert (dispute.state, dispute.settled_step) == (State.SETTLED, Step.TEN_HOUSEHOLD)
    assert (
        list(
            DisputeEvent.objects.filter(dispute=dispute)
            .order_by("at", "pk")
            .values_list("action", flat=True)
        )
        == steps
    )


def test_phone_mediator_sends_an_unsettled_dispute_up_to_the_committee(
    phone: Page, browser: Browser, live_server: LiveServer, cast: Cast, snap: Snap
) -> None:
    mediator = mediation_factories.mediator_of(cast.grid, "mediator")
    dispute = mediation_factories.dispute(cast.grid, cast.community_worker)
    assert StepRecord.objects.get(dispute=dispute).mediators.get().user == mediator

    # --- The grid's mediator finds the dispute in their list and opens it ---------------------
    log_in(phone, "mediator")
    open_disputes(phone)
    expect(phone.locator("nav.tabs a[data-list=mine]")).to_have_attribute("aria-current", "page")
    rows = phone.locator("#disputes-table tbody tr")
    expect(rows).to_have_count(1)
    assert_fits_width(phone, "mediator's disputes list")
    snap(phone, "mediator-list")
    press(phone, rows.get_by_role("link", name=dispute.code, exact=True))
    expect(phone).to_have_url(path_is(f"/mediation/{dispute.pk}/"))
    ladder_step(phone, Step.TEN_HOUSEHOLD)
    expect(phone.locator("section.step[data-step='1']")).to_contain_text(mediator.display_name)

    # --- Not settled here: up a step, with the reason ----------------------------------------
    unfold(phone, "escalate")
    escalate_form = phone.locator("form[data-action=escalate]")
    escalate_form.locator("textarea[name=escalate-reason]").fill(REASON)
    assert_fits_width(phone, "dispute page with the escalate form")
    snap(phone, "escalate-form")

    press(phone, escalate_form.locator("button[type=submit]"))
    expect(phone).to_have_url(path_is(f"/mediation/{dispute.pk}/"))
    success(phone, "Not settled here: the dispute went up to the next step.")
    expect(phone.locator("#dispute-state")).to_have_text(zh(State.MEDIATING.label))
    ladder_step(phone, Step.COMMITTEE)
    expect(phone.locator("#ladder li").nth(0)).to_have_class("ladder-passed")
    expect(phone.locator("section.step[data-step='1']")).to_contain_text(REASON)
    expect(phone.locator("section.step[data-step='2']")).to_contain_text(cast.community.name)
    not_settled = phone.locator("#timeline > li", has_text=zh(LABELS["mediation.not_settled"]))
    expect(not_settled).to_have_count(1)
    expect(not_settled.locator(".note")).to_have_text(REASON)
    expect(not_settled).to_contain_text(mediator.display_name)
    # Step ② is the committee's: the grid's mediator has nothing more to do on it.
    expect(phone.locator("#actions")).to_have_count(0)
    assert_fits_width(phone, "escalated dispute page")
    snap(phone, "escalated")

    # --- The community worker (the committee) now mediates it --------------------------------
    with fresh_context(browser, live_server.url, like=phone) as worker:
        log_in(worker, "community")
        worker.goto(f"/mediation/{dispute.pk}/")
        ladder_step(worker, Step.COMMITTEE)
        expect(worker.locator("#actions form[data-action=settle]")).to_have_count(1)
        expect(worker.locator("#actions form[data-action=escalate]")).to_have_count(1)
        assert_fits_width(worker, "escalated dispute page for the community worker")
        snap(worker, "community-worker")

    dispute.refresh_from_db()
    assert (dispute.step, dispute.state, dispute.responsible_unit) == (
        Step.COMMITTEE,
        State.MEDIATING,
        cast.community,
    )
    first, second = StepRecord.objects.filter(dispute=dispute).order_by("started_at", "pk")
    assert (first.step, first.outcome, first.end_reason) == (
        Step.TEN_HOUSEHOLD,
        StepRecord.Outcome.NOT_SETTLED,
        REASON,
    )
    assert (second.step, second.outcome, second.unit) == (
        Step.COMMITTEE,
        StepRecord.Outcome.ONGOING,
        cast.community,
    )
