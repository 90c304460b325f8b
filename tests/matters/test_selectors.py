"""matters.selectors: worklists per role, scope (the outsider sees nothing of the cast's community),
search by code and by Chinese words, and query counts that do not grow with the list."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.http import Http404

from tests.matters import factories as mf
from xinkan.accounts.models import User
from xinkan.audit.models import AuditEntry, Outcome
from xinkan.matters import services
from xinkan.matters.models import Deadline, Rating, Stage, State
from xinkan.matters.selectors import (
    MatterFilter,
    Worklist,
    apply_filter,
    find_for_resident,
    get_matter_for_user,
    matters_for,
    next_deadlines,
    search,
    with_list_relations,
    worklist,
)

ALL_LISTS = [
    Worklist.TO_ACCEPT,
    Worklist.TO_DISPATCH,
    Worklist.TO_HANDLE,
    Worklist.DUE_SOON,
    Worklist.OVERDUE,
    Worklist.FOLLOW_UP,
    Worklist.REVIEW,
    Worklist.SUPERVISED,
    Worklist.ALL_OPEN,
    Worklist.ALL,
]


def listed(user, name, **kwargs):  # type: ignore[no-untyped-def]
    return set(worklist(user, name, **kwargs).values_list("pk", flat=True))


def fresh(user: User) -> User:
    """The user as a new request loads it (no scope cached on the object)."""
    return User.objects.get(pk=user.pk)


# --- Worklists -------------------------------------------------------------------------------------------


def test_a_registered_matter_waits_for_the_community_worker_to_accept(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)

    assert listed(cast.community_worker, Worklist.TO_ACCEPT) == {matter.pk}
    assert listed(cast.cadre, Worklist.TO_ACCEPT) == {matter.pk}  # the level above can step in
    for role in ["grid_worker", "handler", "outsider", "admin"]:
        assert listed(getattr(cast, role), Worklist.TO_ACCEPT) == set(), role

    services.accept_matter(matter, by=cast.community_worker)
    assert listed(cast.community_worker, Worklist.TO_ACCEPT) == set()
    assert listed(cast.community_worker, Worklist.TO_DISPATCH) == {matter.pk}


def test_a_dispatched_matter_waits_for_the_handler(cast):
    matter = mf.accepted(cast)
    assert listed(cast.handler, Worklist.TO_HANDLE) == set()

    services.dispatch_matter(matter, lead=cast.department, by=cast.community_worker)
    assert listed(cast.handler, Worklist.TO_HANDLE) == {matter.pk}
    assert listed(cast.community_worker, Worklist.TO_HANDLE) == set()

    services.sign_for(matter, by=cast.handler)
    assert listed(cast.handler, Worklist.TO_HANDLE) == {matter.pk}

    services.reply_to_matter(matter, by=cast.handler, text=mf.REPLY, outcome="supported")
    assert listed(cast.handler, Worklist.TO_HANDLE) == set()


def test_a_matter_the_community_handles_itself_is_on_its_handling_list(cast):
    matter = mf.handled_by_unit(cast)

    assert listed(cast.community_worker, Worklist.TO_HANDLE) == {matter.pk}
    assert listed(cast.handler, Worklist.TO_HANDLE) == set()


def test_a_department_that_gave_the_matter_away_no_longer_sees_it(cast):
    from tests import factories

    civil_affairs = factories.department("清河区民政局", cast.district, code="139901-MZJ")
    matter = mf.handling(cast)
    assert set(matters_for(cast.handler).values_list("pk", flat=True)) == {matter.pk}

    services.transfer_matter(
        matter, to=civil_affairs, by=cast.community_worker, reason="改由民政局牵头"
    )

    assert not matters_for(cast.handler).exists()
    assert listed(cast.handler, Worklist.TO_HANDLE) == set()


def test_an_answered_matter_waits_for_the_follow_up(cast):
    matter = mf.replied(cast)

    assert listed(cast.community_worker, Worklist.FOLLOW_UP) == {matter.pk}
    assert listed(cast.grid_worker, Worklist.FOLLOW_UP) == {matter.pk}  # the place is theirs

    services.record_follow_up(matter, rating=Rating.DISSATISFIED, by=cast.community_worker)
    assert listed(cast.community_worker, Worklist.FOLLOW_UP) == set()


def test_a_matter_under_review_waits_for_the_cadre(cast):
    matter = mf.replied(cast)
    assert listed(cast.cadre, Worklist.REVIEW) == set()

    services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")

    assert listed(cast.cadre, Worklist.REVIEW) == {matter.pk}
    assert listed(cast.community_worker, Worklist.REVIEW) == set()
    assert listed(cast.outsider, Worklist.REVIEW) == set()


def test_due_soon_and_overdue_follow_the_clock(cast):
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        matter = mf.matter(cast.grid, cast.grid_worker)
    respond = Deadline.objects.get(matter=matter, stage=Stage.RESPOND)
    second = dt.timedelta(seconds=1)

    assert listed(cast.community_worker, Worklist.DUE_SOON, now=respond.warn_at - second) == set()
    assert listed(cast.community_worker, Worklist.DUE_SOON, now=respond.warn_at) == {matter.pk}
    assert listed(cast.community_worker, Worklist.OVERDUE, now=respond.due_at - second) == set()
    assert listed(cast.community_worker, Worklist.OVERDUE, now=respond.due_at + second) == {
        matter.pk
    }
    assert listed(cast.outsider, Worklist.OVERDUE, now=respond.due_at + second) == set()

    services.accept_matter(matter, by=cast.community_worker)  # meets the response deadline
    assert listed(cast.community_worker, Worklist.OVERDUE, now=respond.due_at + second) == set()


def test_a_supervised_matter_is_on_the_supervisors_list(cast):
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        matter = mf.matter(cast.grid, cast.grid_worker)
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        services.sweep()

    assert listed(cast.cadre, Worklist.SUPERVISED) == {matter.pk}
    assert listed(cast.leader, Worklist.SUPERVISED) == {matter.pk}  # the district sees its subtree
    assert listed(cast.community_worker, Worklist.SUPERVISED) == set()


def test_a_list_within_a_subtree_keeps_to_it_and_to_the_readers_scope(cast):
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        matter = mf.matter(cast.grid, cast.grid_worker)
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        services.sweep()
    late = {"now": dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)}

    for name in (Worklist.OVERDUE, Worklist.ALL_OPEN, Worklist.SUPERVISED):
        # The leader sees the district whole: the subtree alone narrows the list.
        assert listed(cast.leader, name, within=cast.district, **late) == {matter.pk}
        assert listed(cast.leader, name, within=cast.community, **late) == {matter.pk}
        assert listed(cast.leader, name, within=cast.neighbour_community, **late) == set()
    # A reader asking for a subtree beyond their scope gets only what their scope shows.
    assert listed(cast.outsider, Worklist.OVERDUE, within=cast.district, **late) == set()
    assert listed(cast.community_worker, Worklist.OVERDUE, within=cast.district, **late) == {
        matter.pk
    }


def test_open_and_all(cast):
    open_matter = mf.matter(cast.grid, cast.grid_worker)
    declined = mf.matter(
        cast.grid, cast.grid_worker, contact_phone="13900001111", description="楼道灯坏了"
    )
    services.decline_matter(declined, by=cast.community_worker, reason="已由物业自行处理")

    assert listed(cast.community_worker, Worklist.ALL_OPEN) == {open_matter.pk}
    assert listed(cast.community_worker, Worklist.ALL) == {open_matter.pk, declined.pk}


# --- Scope ------------------------------------------------------------------------------------------------


def test_the_outsider_sees_none_of_the_cast_communitys_matters(cast):
    registered = mf.matter(cast.grid, cast.grid_worker)
    dispatched = mf.dispatched(cast, contact_phone="13900001111", description="楼道灯坏了")
    replied = mf.replied(cast, contact_phone="13900002222", description="下水道堵塞")
    reviewed = mf.replied(cast, contact_phone="13900003333", description="垃圾无人清运")
    services.request_review(reviewed, by=cast.community_worker, reason="垃圾仍然没人清运")
    theirs = mf.matter(cast.neighbour_grid, cast.outsider, contact_phone="13900004444")
    ours = {registered.pk, dispatched.pk, replied.pk, reviewed.pk}
    late = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

    assert set(matters_for(cast.outsider).values_list("pk", flat=True)) == {theirs.pk}
    for name in ALL_LISTS:
        assert not (listed(cast.outsider, name, now=late) & ours), name
    assert ours <= set(matters_for(cast.community_worker).values_list("pk", flat=True))
    assert theirs.pk not in set(matters_for(cast.community_worker).values_list("pk", flat=True))


def test_opening_a_matter_outside_ones_scope_is_a_404_and_audited(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)

    with pytest.raises(Http404):
        get_matter_for_user(cast.outsider, matter.pk)
    with pytest.raises(Http404):
        get_matter_for_user(cast.community_worker, matter.pk + 1000)  # the same answer

    denied = AuditEntry.objects.filter(action="matters.view_denied", outcome=Outcome.FAILURE)
    assert list(denied.order_by("id").values_list("actor", flat=True)) == [
        cast.outsider.pk,
        cast.community_worker.pk,
    ]


def test_opening_a_matter_is_audited(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)

    assert get_matter_for_user(cast.cadre, matter.pk) == matter

    entry = AuditEntry.objects.get(action="matters.viewed")
    assert (entry.actor, entry.object_id) == (cast.cadre, str(matter.pk))


def test_a_department_sees_a_matter_only_once_it_is_dispatched_to_it(cast):
    matter = mf.accepted(cast)
    with pytest.raises(Http404):
        get_matter_for_user(cast.handler, matter.pk)

    services.dispatch_matter(matter, lead=cast.department, by=cast.community_worker)

    assert get_matter_for_user(cast.handler, matter.pk) == matter


# --- Search ---------------------------------------------------------------------------------------------


@pytest.fixture
def searchable(cast):  # type: ignore[no-untyped-def]
    elevator = mf.matter(cast.grid, cast.grid_worker)
    lights = mf.matter(
        cast.grid,
        cast.grid_worker,
        category=mf.category("roads.lights", "路灯损坏"),
        contact_phone="13900001111",
        description="幸福路口的路灯坏了一个多月，晚上出行很不安全",
    )
    elsewhere = mf.matter(cast.neighbour_grid, cast.outsider, contact_phone="13900002222")
    return elevator, lights, elsewhere


def found(user, query):  # type: ignore[no-untyped-def]
    return set(search(matters_for(user), query).values_list("pk", flat=True))


def test_search_finds_a_matter_by_its_code(cast, searchable):
    elevator, lights, _elsewhere = searchable

    assert found(cast.community_worker, lights.code) == {lights.pk}
    assert found(cast.community_worker, f"  {elevator.code.lower()} ") == {elevator.pk}


def test_search_by_code_stays_in_scope(cast, searchable):
    _elevator, _lights, elsewhere = searchable

    assert found(cast.community_worker, elsewhere.code) == set()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("电梯", {"elevator"}),
        ("路灯", {"lights"}),
        ("路灯 晚上", {"lights"}),
        ("电梯坏了", {"elevator"}),  # jieba cuts the query the same way as the stored text
        ("物业电梯", {"elevator"}),
        ("电梯 路灯", set()),  # every word must be there
        ("供暖", set()),
        ("", {"elevator", "lights"}),
    ],
)
def test_search_finds_chinese_words(cast, searchable, query, expected):
    elevator, lights, _elsewhere = searchable
    names = {elevator.pk: "elevator", lights.pk: "lights"}

    assert {names[pk] for pk in found(cast.community_worker, query)} == expected


def test_filters_combine_with_search(cast, searchable):
    elevator, lights, _elsewhere = searchable
    services.accept_matter(lights, by=cast.community_worker)

    def filtered(**values):  # type: ignore[no-untyped-def]
        return set(
            apply_filter(matters_for(cast.community_worker), MatterFilter(**values)).values_list(
                "pk", flat=True
            )
        )

    assert filtered(state=State.ACCEPTED) == {lights.pk}
    assert filtered(category_id=elevator.category.parent_id) == {elevator.pk}
    assert filtered(query="路灯", state=State.REGISTERED) == set()
    # Accepting met the street lights' deadlines; the lift's are still open.
    late = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert set(
        apply_filter(
            matters_for(cast.community_worker), MatterFilter(overdue=True), now=late
        ).values_list("pk", flat=True)
    ) == {elevator.pk}


# --- The resident follows a matter on the portal --------------------------------------------------------


def test_a_resident_finds_their_matter_with_its_code_and_phone(cast):
    matter = mf.matter(cast.grid, cast.grid_worker, contact_phone="13800138000")

    assert find_for_resident(matter.code, "138 0013 8000") == matter
    assert find_for_resident(matter.code, "13900000000") is None
    assert find_for_resident(matter.code.replace("-20", "-19", 1), "13800138000") is None
    assert find_for_resident("not a code", "13800138000") is None
    assert find_for_resident(matter.code, "  ") is None


def test_an_anonymous_resident_finds_their_matter_with_the_key(cast):
    matter = services.register_matter(
        mf.intake(
            cast.grid,
            channel="online",
            anonymous=True,
            contact_name="",
            contact_phone="",
            portal_key="7Q2M-K4XP",
        ),
        by=None,
    ).matter

    assert find_for_resident(matter.code, "7Q2M-K4XP") == matter
    assert find_for_resident(matter.code, "7Q2M-K4XQ") is None


# --- Query counts -------------------------------------------------------------------------------------------


def make_matters(cast, count: int) -> None:  # type: ignore[no-untyped-def]
    places = ["幸福路", "建设街", "和平里", "光明巷", "东风路"]
    for n in range(count):
        mf.matter(
            cast.grid,
            cast.grid_worker,
            contact_phone=f"138{n:08d}",
            description=f"{places[n % 5]}{n}号院门口积水，车辆无法通行",
        )


# The reader's scope, the list, the next deadlines (a department's handler)...
WORKLIST_QUERIES = 3
# ...and the ids of the units in scope, for a unit's staff (see Scope.unit_q).
UNIT_LIST_QUERIES = 4


@pytest.mark.parametrize("count", [5, 40])
@pytest.mark.parametrize("name", [Worklist.TO_ACCEPT, Worklist.ALL_OPEN, Worklist.OVERDUE])
def test_worklist_queries_do_not_grow_with_the_list(cast, django_assert_num_queries, count, name):
    make_matters(cast, count)
    reader = fresh(cast.community_worker)
    late = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

    with django_assert_num_queries(UNIT_LIST_QUERIES):
        matters = list(with_list_relations(worklist(reader, name, now=late)))
        deadlines = next_deadlines(matters)
        labels = [(m.code, m.category.name, m.unit.name, m.handling_unit.name) for m in matters]

    assert len(matters) == len(labels) == count
    assert set(deadlines) == {m.pk for m in matters}


@pytest.mark.parametrize("count", [5, 40])
def test_a_handlers_list_needs_as_few_queries(cast, django_assert_num_queries, count):
    make_matters(cast, count)
    for matter in matters_for(cast.community_worker):
        services.dispatch_matter(matter, lead=cast.department, by=cast.community_worker)
    reader = fresh(cast.handler)

    with django_assert_num_queries(WORKLIST_QUERIES):
        matters = list(with_list_relations(worklist(reader, Worklist.TO_HANDLE)))
        next_deadlines(matters)
        [m.lead_department.name for m in matters]

    assert len(matters) == count


def test_next_deadlines_gives_the_earliest_open_one(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    respond = Deadline.objects.get(matter=matter, stage=Stage.RESPOND)

    assert next_deadlines([matter])[matter.pk] == respond

    services.accept_matter(matter, by=cast.community_worker)
    assert next_deadlines([matter]) == {}
