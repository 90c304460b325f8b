"""The matter page (/matters/<id>/): timeline, deadlines, the resident's contact masked for those
who may not see it, each view audited, only the action forms the reader may use now, and a number of
queries that does not grow with the history."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.utils import translation

from tests.conftest import login_as
from tests.matters import factories as mf
from tests.matters.web import action_forms, page_text, zh
from tests.scope import Probe, assert_scope
from xinkan.audit.models import AuditEntry, Outcome
from xinkan.matters import services
from xinkan.matters.models import CompanionMode, Matter, MatterEvent, Stage
from xinkan.residents.identity import mask_id_number


def url(matter: Matter) -> str:
    return f"/matters/{matter.pk}/"


def in_review(cast, **values) -> Matter:  # type: ignore[no-untyped-def]
    matter = mf.replied(cast, **values)
    services.request_review(matter, by=cast.community_worker, reason="居民认为电梯仍未修好")
    return matter


def resolved(cast, **values) -> Matter:  # type: ignore[no-untyped-def]
    matter = mf.replied(cast, **values)
    services.record_follow_up(matter, rating="satisfied", by=cast.community_worker)
    return matter


def fresh(matter: Matter) -> Matter:
    return Matter.objects.get(pk=matter.pk)


# --- What the page shows -------------------------------------------------------------------------


def test_the_page_shows_the_matter_its_timeline_and_deadlines(cast, client):
    matter = mf.replied(cast)
    login_as(client, cast.community_worker)
    response = client.get(url(matter))
    assert response.status_code == 200
    text = page_text(response)
    assert matter.code in text
    assert matter.description in text
    assert mf.REPLY in text
    with translation.override("zh-hans"):
        labels = [event.label for event in MatterEvent.objects.filter(matter=matter)]
    assert len(labels) >= 5  # registered, accepted, dispatched, signed for, replied
    position = 0
    for label in labels:  # in the order they happened
        position = text.index(label, position)
    deadlines = text[text.index(zh("Deadlines")) :]
    for stage in (Stage.RESPOND, Stage.ACCEPT, Stage.HANDLE, Stage.FOLLOW_UP):
        assert zh(stage.label) in deadlines
    assert cast.department.name in text


def test_the_page_shows_visits_representatives_and_companions(cast, client):
    matter = mf.matter(
        cast.grid,
        cast.grid_worker,
        group_size=8,
        representatives=[("周建国", "13900139001"), ("吴秀兰", "")],
    )
    services.take_matter(matter, by=cast.cadre, mode=CompanionMode.ACCOMPANY)
    login_as(client, cast.community_worker)
    text = page_text(client.get(url(matter)))
    assert "周建国" in text and "吴秀兰" in text
    assert "13900139001" not in text  # representatives' phones are not listed
    assert zh(CompanionMode.ACCOMPANY.label) in text
    assert cast.cadre.display_name in text


FULL_ID = mf.id_number()


@pytest.mark.parametrize(
    ("role", "phone", "id_number"),
    [
        ("grid_worker", "13800138000", FULL_ID),
        ("community_worker", "13800138000", FULL_ID),
        ("cadre", "13800138000", FULL_ID),
        # Neither the department nor the district's leader holds residents.view_personal.
        ("handler", "138****8000", mask_id_number(FULL_ID)),
        ("leader", "138****8000", mask_id_number(FULL_ID)),
    ],
)
def test_the_phone_and_id_number_are_masked_for_roles_that_may_not_see_them(
    cast, client, role, phone, id_number
):
    matter = mf.dispatched(cast, id_number=FULL_ID)
    login_as(client, getattr(cast, role))
    response = client.get(url(matter))
    html = response.content.decode()
    assert phone in page_text(response)
    assert id_number in page_text(response)
    if "*" in phone:
        assert "13800138000" not in html
        assert FULL_ID not in html


def test_a_matter_found_on_patrol_says_no_resident_brought_it(cast, client):
    matter = mf.matter(
        cast.grid, cast.grid_worker, channel="patrol", contact_name="", contact_phone=""
    )
    login_as(client, cast.community_worker)
    text = page_text(client.get(url(matter)))
    assert zh("Found by staff; no resident brought it.") in text


def test_viewing_is_audited(cast, client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    login_as(client, cast.cadre)
    client.get("/matters/")  # the first request after login writes the session
    before = AuditEntry.objects.count()
    client.get(url(matter))
    entry = AuditEntry.objects.order_by("-pk").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.outcome, entry.actor, entry.object_id) == (
        "matters.viewed",
        Outcome.SUCCESS,
        cast.cadre,
        str(matter.pk),
    )
    assert entry.unit == matter.handling_unit


def test_those_outside_the_scope_get_not_found_and_the_attempt_is_audited(cast, client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    assert_scope(
        client,
        Probe("get", url(matter)),
        allowed=[cast.grid_worker, cast.community_worker, cast.cadre, cast.leader],
        denied=[cast.outsider, cast.handler, cast.admin],
    )
    denied = AuditEntry.objects.filter(action="matters.view_denied", outcome=Outcome.FAILURE)
    assert {entry.actor for entry in denied} == {cast.outsider, cast.handler, cast.admin}
    assert not AuditEntry.objects.filter(action="matters.viewed", actor=cast.outsider).exists()


def test_a_matter_that_does_not_exist_is_not_found(cast, client):
    login_as(client, cast.leader)
    assert client.get("/matters/999999/").status_code == 404


def test_visitors_are_sent_to_log_in(cast, client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    response = client.get(url(matter))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Only the forms the reader may use now -------------------------------------------------------

MAKERS = {
    "registered": lambda cast: mf.matter(cast.grid, cast.grid_worker),
    "accepted": mf.accepted,
    "dispatched": mf.dispatched,
    "handling": mf.handling,
    "handled_by_unit": mf.handled_by_unit,
    "replied": mf.replied,
    "review": in_review,
    "resolved": resolved,
    "concluded": mf.concluded,
}

FORMS = [
    ("registered", "grid_worker", set()),
    ("registered", "community_worker", {"accept", "decline", "handle", "dispatch", "take"}),
    ("registered", "cadre", {"accept", "decline", "handle", "dispatch", "take"}),
    ("registered", "leader", {"accept", "decline", "dispatch"}),
    ("accepted", "community_worker", {"handle", "dispatch", "take"}),
    ("accepted", "leader", {"dispatch"}),
    ("dispatched", "community_worker", {"transfer", "take"}),
    ("dispatched", "handler", {"sign", "object", "return"}),
    ("dispatched", "grid_worker", set()),
    ("handling", "handler", {"reply", "extension", "object", "return"}),
    ("handling", "community_worker", {"transfer", "take"}),
    ("handling", "leader", {"transfer"}),
    ("handled_by_unit", "community_worker", {"reply", "extension", "take"}),
    ("handled_by_unit", "leader", set()),
    ("replied", "grid_worker", {"follow-up", "review"}),
    ("replied", "community_worker", {"follow-up", "review", "take"}),
    ("replied", "handler", set()),
    ("replied", "leader", set()),
    ("review", "cadre", {"decide-review", "take"}),
    ("review", "leader", {"decide-review"}),
    ("review", "community_worker", {"take"}),
    ("review", "handler", set()),
    ("resolved", "community_worker", set()),
    ("resolved", "cadre", set()),
    ("concluded", "community_worker", set()),
    ("concluded", "leader", set()),
]


@pytest.mark.parametrize(("stage", "role", "expected"), FORMS)
def test_only_the_actions_the_reader_may_take_now_are_offered(cast, client, stage, role, expected):
    matter = MAKERS[stage](cast)
    login_as(client, getattr(cast, role))
    response = client.get(url(matter))
    assert response.status_code == 200
    assert action_forms(response, matter.pk) == expected


def test_pending_requests_are_offered_to_the_dispatcher_only(cast, client):
    matter = mf.handling(cast)
    services.request_extension(matter, by=cast.handler, days=10, reason="需要协调多个单位现场勘查")
    login_as(client, cast.community_worker)
    assert "decide-extension" in action_forms(client.get(url(matter)), matter.pk)
    login_as(client, cast.handler)
    assert "decide-extension" not in action_forms(client.get(url(matter)), matter.pk)

    other = mf.dispatched(cast, contact_phone="13700137000")
    services.object_to_dispatch(other, by=cast.handler, reason="该事项属于物业公司职责")
    login_as(client, cast.community_worker)
    assert "decide-objection" in action_forms(client.get(url(other)), other.pk)
    login_as(client, cast.handler)
    assert "decide-objection" not in action_forms(client.get(url(other)), other.pk)


def test_candidate_duplicates_are_offered_to_those_who_accept(cast, client):
    mf.matter(cast.grid, cast.grid_worker, contact_phone="13700137000")
    matter = mf.matter(cast.grid, cast.grid_worker)  # another resident, the same lift
    assert matter.links.exists()
    login_as(client, cast.community_worker)
    assert "link" in action_forms(client.get(url(matter)), matter.pk)
    login_as(client, cast.grid_worker)
    assert "link" not in action_forms(client.get(url(matter)), matter.pk)


@pytest.mark.parametrize(
    ("stage", "role"), [("resolved", "community_worker"), ("concluded", "leader")]
)
def test_no_actions_panel_when_nothing_waits_for_the_reader(cast, client, stage, role):
    matter = MAKERS[stage](cast)
    login_as(client, getattr(cast, role))
    response = client.get(url(matter))
    assert 'id="actions"' not in response.content.decode()


def test_the_accompanying_cadre_records_visits_instead_of_taking_the_matter(cast, client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    services.take_matter(matter, by=cast.cadre, mode=CompanionMode.PROXY)
    login_as(client, cast.cadre)
    forms = action_forms(client.get(url(matter)), matter.pk)
    assert "visit" in forms and "take" not in forms
    login_as(client, cast.community_worker)
    forms = action_forms(client.get(url(matter)), matter.pk)
    assert "take" in forms and "visit" not in forms


# --- Queries -------------------------------------------------------------------------------------


def _with_history(cast, repeats: int) -> Matter:  # type: ignore[no-untyped-def]
    """A matter answered, reviewed and answered again (two replies, a follow-up), its resident
    back `repeats` times (each visit a timeline row)."""
    matter = in_review(cast)
    services.decide_review(
        matter, by=cast.cadre, text="经复查，责令物业一周内修复电梯。", outcome="supported"
    )
    for number in range(repeats):
        result = services.register_matter(
            mf.intake(
                cast.grid,
                description=f"3号楼电梯又坏了，老人上下楼很困难，物业一直没人来修。第{number + 2}次来反映。",
                idempotency_key=uuid.uuid4().hex,
            ),
            by=cast.grid_worker if number % 2 else cast.community_worker,
        )
        assert result.folded
    return matter


@pytest.mark.parametrize("repeats", [1, 15])
def test_the_number_of_queries_does_not_grow_with_the_history(
    cast, client, django_assert_num_queries, repeats
):
    matter = _with_history(cast, repeats)
    assert MatterEvent.objects.filter(matter=matter).count() >= repeats + 5
    login_as(client, cast.community_worker)
    client.get("/matters/")  # the first request after login writes the session
    # session, user, second factor, scope, the ids of the units in scope; the matter; the audit
    # entry (savepoint, last hash,
    # insert, release); assignments, companions, replies, follow-ups, attachments, visits, events,
    # deadlines, people, links, extension requests, objections, supervisions; the departments
    # the shown forms offer; where the matter came from (square questions)
    # (PostgreSQL also takes the audit chain's advisory lock: one more.)
    expected = 25 if connection.vendor == "postgresql" else 24
    with django_assert_num_queries(expected):
        response = client.get(url(matter))
    assert response.status_code == 200
    assert zh("Answers") in page_text(response)
