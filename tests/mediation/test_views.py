"""The mediation pages: the list each role sees, registering on the form, the dispute page and
its actions, the agreement PDF, the station calendar; scope (404 for what is not yours), audit,
messages for bad input, and a constant number of queries in the list."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tests.conftest import login_as
from tests.matters.web import messages_of, page_text, zh
from tests.mediation import factories as df
from xinkan.audit.models import AuditEntry
from xinkan.mediation import services
from xinkan.mediation.models import Dispute, Session, State, Step

LIST = "/mediation/"
NEW = "/mediation/new/"


def url(dispute: Dispute, action: str = "") -> str:
    return f"/mediation/{dispute.pk}/" + (f"{action}/" if action else "")


def listed(response) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r">(TJ-\d{4}-\d{6})</a>", response.content.decode())


def forms_on(response) -> set[str]:  # type: ignore[no-untyped-def]
    return set(re.findall(r'data-action="([a-z]+)"', response.content.decode()))


@pytest.fixture
def mediator(cast):  # type: ignore[no-untyped-def]
    return df.mediator_of(cast.grid)


@pytest.fixture
def lawyer(cast):  # type: ignore[no-untyped-def]
    return df.lawyer_of(cast.subdistrict)


# --- The list ------------------------------------------------------------------------------------


def test_the_mediator_sees_the_disputes_to_mediate(cast, client, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    login_as(client, mediator)
    assert listed(client.get(LIST)) == [dispute.code]


def test_a_lawyer_sees_only_the_disputes_assigned_to_them(cast, client, mediator, lawyer):
    theirs = df.dispute(
        cast.grid, cast.community_worker, start_step=Step.LAWYER, start_reason="涉及法律问题"
    )
    df.dispute(cast.grid, cast.grid_worker)  # at step ①: not the lawyer's
    login_as(client, lawyer)
    assert listed(client.get(LIST, {"list": "open"})) == [theirs.code]
    assert client.get(url(theirs)).status_code == 200


def test_the_outsider_sees_no_dispute_of_another_community(cast, client, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    login_as(client, cast.outsider)
    assert listed(client.get(LIST, {"list": "open"})) == []
    assert client.get(url(dispute)).status_code == 404
    assert AuditEntry.objects.filter(action="mediation.view_denied").exists()


def test_roles_without_disputes_are_refused(cast, client):
    login_as(client, cast.handler)
    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403


def test_searching_by_code_and_filtering_by_step(cast, client, mediator):
    first = df.dispute(cast.grid, cast.grid_worker)
    second = df.dispute(
        cast.grid, cast.community_worker, start_step=Step.COMMITTEE, start_reason="当事人要求"
    )
    login_as(client, cast.community_worker)
    assert listed(client.get(LIST, {"list": "open", "q": first.code})) == [first.code]
    assert listed(client.get(LIST, {"list": "open", "step": 2})) == [second.code]


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_makes_the_same_number_of_queries_however_long(
    cast, client, mediator, django_assert_max_num_queries, n
):
    for _ in range(n):
        df.dispute(cast.grid, cast.grid_worker)
    login_as(client, cast.community_worker)
    client.get(LIST)
    with django_assert_max_num_queries(9):
        response = client.get(LIST, {"list": "open"})
    assert len(listed(response)) == min(n, 25)


# --- Registering ---------------------------------------------------------------------------------


def form_data(cast, **values):  # type: ignore[no-untyped-def]
    data = {
        "title": "楼上漏水泡坏楼下吊顶",
        "dispute_type": "damages",
        "unit": cast.grid.pk,
        "address": "建设路1号",
        "source": "request",
        "urgency": "normal",
        "p1_name": "马永强",
        "p1_phone": "13700013333",
        "p1_statement": "吊顶泡坏了",
        "p2_name": "胡春梅",
        "p2_representative": "胡建国",
        "idempotency_key": uuid.uuid4().hex,
    }
    data.update(values)
    return data


def test_registering_on_the_form_goes_to_the_dispute(cast, client, mediator):
    login_as(client, cast.grid_worker)
    response = client.post(NEW, form_data(cast))
    dispute = Dispute.objects.get()
    assert response["Location"] == url(dispute)
    assert [(p.name, p.representative) for p in dispute.parties.all()] == [
        ("马永强", ""),
        ("胡春梅", "胡建国"),
    ]
    again = client.post(NEW, form_data(cast, idempotency_key="x" * 32))
    again_same = client.post(NEW, form_data(cast, idempotency_key="x" * 32))
    assert again["Location"] == again_same["Location"]
    assert Dispute.objects.count() == 2


def test_a_form_with_one_party_is_explained_and_saves_nothing(cast, client):
    login_as(client, cast.grid_worker)
    response = client.post(NEW, form_data(cast, p2_name=""))
    assert response.status_code == 200
    assert not Dispute.objects.exists()
    assert 'role="alert"' in response.content.decode()


def test_the_form_offers_only_places_in_the_users_area(cast, client):
    login_as(client, cast.grid_worker)
    html = client.get(NEW).content.decode()
    offered = set(
        re.findall(r'<option value="(\d+)"', html.split('name="unit"')[1].split("</select>")[0])
    )
    assert offered == {str(cast.grid.pk)}
    response = client.post(NEW, form_data(cast, unit=cast.neighbour_grid.pk))
    assert response.status_code == 200 and not Dispute.objects.exists()


def test_only_managers_are_offered_to_start_higher(cast, client):
    login_as(client, cast.grid_worker)
    assert 'name="start_step"' not in client.get(NEW).content.decode()
    login_as(client, cast.community_worker)
    assert 'name="start_step"' in client.get(NEW).content.decode()


# --- The dispute page ----------------------------------------------------------------------------


def test_the_page_shows_the_ladder_parties_and_timeline_and_is_audited(cast, client, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    login_as(client, mediator)
    response = client.get(url(dispute))
    text = page_text(response)
    assert "王建军" in text and "邻居装修占了楼道" in text
    assert 'class="ladder-current" aria-current="step"' in response.content.decode()
    assert forms_on(response) == {"session", "settle", "escalate", "withdraw"}
    assert AuditEntry.objects.filter(action="mediation.viewed", object_id=str(dispute.pk)).exists()


def test_the_station_offers_referral_and_assignment_to_its_cadre(cast, client, lawyer):
    dispute = df.dispute(
        cast.grid, cast.community_worker, start_step=Step.STATION, start_reason="金额较大"
    )
    login_as(client, cast.cadre)
    assert forms_on(client.get(url(dispute))) == {
        "session",
        "settle",
        "withdraw",
        "refer",
        "assign",
    }


def test_readers_who_do_not_mediate_get_no_forms(cast, client, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    login_as(client, cast.leader)
    response = client.get(url(dispute))
    assert response.status_code == 200 and forms_on(response) == set()


def test_an_escalation_through_the_page(cast, client, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    login_as(client, mediator)
    response = client.post(
        url(dispute, "escalate"),
        {"escalate-reason": "双方分歧较大", "escalate-version": dispute.version},
    )
    assert response["Location"] == url(dispute)
    assert Dispute.objects.get(pk=dispute.pk).step == Step.COMMITTEE
    assert messages_of(response) == [zh("Not settled here: the dispute went up to the next step.")]


def test_a_stale_form_is_refused_with_a_message(cast, client, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    login_as(client, mediator)
    old = dispute.version
    services.record_session(
        dispute, by=mediator, at=timezone.now(), place="楼道", statements="双方陈述"
    )
    response = client.post(
        url(dispute, "withdraw"), {"withdraw-reason": "乙方拒绝调解", "withdraw-version": old}
    )
    assert messages_of(response) == [
        zh("This dispute was changed by someone else. Reload it and try again.")
    ]
    assert Dispute.objects.get(pk=dispute.pk).state == State.MEDIATING


def test_a_session_without_a_place_is_explained(cast, client, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    login_as(client, mediator)
    response = client.post(url(dispute, "session"), {"at": "2026-03-02T10:00", "place": ""})
    assert messages_of(response) and not Session.objects.exists()


def test_settling_through_the_page_then_downloading_the_agreement(cast, client, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    login_as(client, mediator)
    today = timezone.localdate()
    response = client.post(
        url(dispute, "settle"),
        {
            "version": dispute.version,
            "kind": "written",
            "facts": "乙方装修材料堆放楼道。",
            "points_at_issue": "是否妨碍通行。",
            "t1_text": "乙方三日内清理楼道",
            "t1_how": "自行清理",
            "t1_due": (today + dt.timedelta(days=3)).isoformat(),
            "signed_on": today.isoformat(),
        },
    )
    assert messages_of(response) == [zh("Settled. The agreement is on the page.")]
    assert Dispute.objects.get(pk=dispute.pk).state == State.SETTLED

    pdf = client.get(f"/mediation/{dispute.pk}/agreement.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert "no-store" in pdf["Cache-Control"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "人民调解协议书" in text and "乙方三日内清理楼道" in text and "王建军" in text
    assert AuditEntry.objects.filter(action="mediation.agreement_downloaded").count() == 1

    login_as(client, cast.outsider)
    assert client.get(f"/mediation/{dispute.pk}/agreement.pdf").status_code == 404


def test_there_is_no_pdf_before_a_written_agreement(cast, client, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    login_as(client, mediator)
    assert client.get(f"/mediation/{dispute.pk}/agreement.pdf").status_code == 404


def test_actions_refused_to_others_change_nothing(cast, client, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    login_as(client, cast.leader)
    response = client.post(
        url(dispute, "withdraw"), {"withdraw-reason": "乙方拒绝调解", "withdraw-version": 1}
    )
    assert response.status_code == 403
    assert Dispute.objects.get(pk=dispute.pk).state == State.MEDIATING


def test_unknown_actions_and_get_requests_are_refused(cast, client, mediator):
    dispute = df.dispute(cast.grid, cast.grid_worker)
    login_as(client, mediator)
    assert client.post(url(dispute, "explode")).status_code == 404
    assert client.get(url(dispute, "escalate")).status_code == 405


# --- The station calendar ------------------------------------------------------------------------


def test_the_calendar_lists_planned_station_sessions(cast, client, lawyer):
    dispute = df.dispute(
        cast.grid, cast.community_worker, start_step=Step.STATION, start_reason="金额较大"
    )
    when = timezone.now() + dt.timedelta(days=3)
    services.record_session(dispute, by=cast.cadre, at=when, place="街道调委会会议室")
    login_as(client, cast.cadre)
    response = client.get("/mediation/calendar/")
    assert "街道调委会会议室" in page_text(response) and dispute.code in page_text(response)
    login_as(client, cast.outsider)
    assert dispute.code not in page_text(client.get("/mediation/calendar/"))


# --- From a matter -------------------------------------------------------------------------------


def test_a_matter_is_taken_to_mediation_from_its_page(cast, client, mediator):
    from tests.matters import factories as mf

    matter = mf.matter(cast.grid, cast.grid_worker, description="楼上邻居装修噪音很大，协商不成。")
    login_as(client, cast.community_worker)
    page = client.get(f"/matters/{matter.pk}/").content.decode()
    assert f'href="/mediation/new/?matter={matter.pk}"' in page

    form = client.get(NEW, {"matter": matter.pk}).content.decode()
    assert f'name="source_matter" value="{matter.pk}"' in form
    assert "楼上邻居装修噪音很大" in form

    response = client.post(
        NEW, form_data(cast, source="matter", source_matter=matter.pk, p1_name="王秀英")
    )
    assert response.status_code == 302, re.findall(
        r'role="alert">([^<]*)<', response.content.decode()
    )
    dispute = Dispute.objects.get()
    assert response["Location"] == url(dispute)
    assert dispute.source_matter == matter
    assert matter.code in page_text(client.get(url(dispute)))


def test_a_matter_one_may_not_see_is_never_attached(cast, client, mediator):
    from tests.matters import factories as mf

    theirs = mf.matter(cast.neighbour_grid, cast.outsider, contact_phone="13900001111")
    login_as(client, cast.community_worker)
    assert (
        "source_matter"
        not in client.get(NEW, {"matter": theirs.pk})
        .content.decode()
        .split('value="' + str(theirs.pk))[0][-40:]
    )
    response = client.post(NEW, form_data(cast, source="matter", source_matter=theirs.pk))
    assert response.status_code == 200  # "name the matter": the form says why
    assert not Dispute.objects.exists()


# --- Lawyers' earlier clients ----------------------------------------------------------------------


def test_a_lawyer_records_an_earlier_client_and_is_then_kept_off_their_dispute(
    cast, client, lawyer
):
    other = df.lawyer_of(cast.district, "lawyer2")
    login_as(client, lawyer)
    response = client.post(
        "/mediation/clients/",
        {"lawyer": lawyer.pk, "client_name": "王建军", "id_number": df.PARTY_A.id_number},
    )
    assert response["Location"] == "/mediation/clients/"
    page = client.get("/mediation/clients/").content.decode()
    assert "王建军" in page and df.PARTY_A.id_number not in page
    dispute = df.dispute(
        cast.grid, cast.community_worker, start_step=Step.LAWYER, start_reason="涉及法律问题"
    )
    assert dispute.steps.get().mediators.get().user == other


def test_a_lawyer_keeps_only_their_own_record(cast, client, lawyer):
    other = df.lawyer_of(cast.district, "lawyer2")
    login_as(client, lawyer)
    response = client.post(
        "/mediation/clients/", {"lawyer": other.pk, "client_name": "王建军", "phone": "13800000000"}
    )
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()


def test_the_cadre_keeps_the_roster_of_the_subdistrict(cast, client, lawyer):
    login_as(client, cast.cadre)
    response = client.post(
        "/mediation/clients/",
        {"lawyer": lawyer.pk, "client_name": "李红梅", "phone": "13933334444"},
    )
    assert response.status_code == 302
    login_as(client, cast.grid_worker)
    assert client.get("/mediation/clients/").status_code == 403


def test_a_client_without_id_or_phone_is_explained(cast, client, lawyer):
    login_as(client, lawyer)
    response = client.post("/mediation/clients/", {"lawyer": lawyer.pk, "client_name": "王建军"})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()


def test_the_home_page_counts_the_disputes_to_mediate(cast, client, mediator):
    df.dispute(cast.grid, cast.grid_worker)
    login_as(client, mediator)
    html = client.get("/").content.decode()
    assert 'data-panel="disputes"' in html
    assert re.search(r'data-list="disputes-mine"><b>1</b>', html)
    login_as(client, cast.handler)
    assert 'data-panel="disputes"' not in client.get("/").content.decode()
