"""The worklist (/matters/): the tabs a role may see, filters, search, sorting, paging, the number of
queries, and bulk dispatch (each matter its own transaction, never outside the user's scope)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from tests.conftest import login_as
from tests.matters import factories as mf
from tests.matters.checks import snapshot
from tests.matters.web import messages_of, own_state, page_text, zh
from tests.pages import data_attrs
from tests.scope import Probe, assert_scope
from xinkan.matters import services
from xinkan.matters.models import Channel, Matter, State

URL = "/matters/"
BULK = "/matters/bulk-dispatch/"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)  # a Monday


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    """Dates in these tests are relative to a fixed day (set before the cast is made)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def listed(response) -> list[str]:  # type: ignore[no-untyped-def]
    """Matter codes in the worklist table, in order."""
    table = re.search(
        r'<table class="data" id="matters-table">(.*?)</table>', response.content.decode(), re.S
    )
    if table is None:
        return []
    return re.findall(r'<a href="/matters/\d+/">(XK-\d{4}-\d{6})</a>', table.group(1))


def current_tab(response) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r'data-list="(\w+)" class="is-active"', response.content.decode())
    assert found, "no tab is marked as the current one"
    return found.group(1)


def phone(n: int) -> str:
    return f"1390000{n:04d}"


def many(cast, n: int, **values) -> list[Matter]:  # type: ignore[no-untyped-def]
    """`n` registered matters from different residents of the grid."""
    return [
        mf.matter(
            cast.grid,
            cast.grid_worker,
            contact_name=f"居民{number}",
            contact_phone=phone(number),
            description=f"第{number}号楼门前的路灯不亮了，晚上出行很不方便，希望尽快修好。",
            category=mf.category("roads.lights", "路灯损坏"),
            **values,
        )
        for number in range(n)
    ]


# --- Tabs ----------------------------------------------------------------------------------------

ALL_TABS = [
    "to_accept",
    "to_dispatch",
    "to_handle",
    "follow_up",
    "review",
    "due_soon",
    "overdue",
    "supervised",
    "open",
    "all",
]


@pytest.mark.parametrize(
    ("role", "tabs"),
    [
        ("grid_worker", ["follow_up", "due_soon", "overdue", "open", "all"]),
        (
            "community_worker",
            [
                "to_accept",
                "to_dispatch",
                "to_handle",
                "follow_up",
                "due_soon",
                "overdue",
                "open",
                "all",
            ],
        ),
        ("cadre", ALL_TABS),
        ("handler", ["to_handle", "due_soon", "overdue", "open", "all"]),
        (
            "leader",
            [
                "to_accept",
                "to_dispatch",
                "review",
                "due_soon",
                "overdue",
                "supervised",
                "open",
                "all",
            ],
        ),
    ],
)
def test_each_role_sees_only_the_tabs_its_permissions_allow(cast, client, role, tabs):
    login_as(client, getattr(cast, role))
    response = client.get(URL)
    assert response.status_code == 200
    assert data_attrs(response, "list") == tabs
    assert current_tab(response) == tabs[0]


def test_a_tab_one_may_not_see_falls_back_to_the_first_one(cast, client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    login_as(client, cast.handler)
    for name in ("to_accept", "review", "supervised", "nonsense"):
        response = client.get(URL, {"list": name})
        assert response.status_code == 200
        assert current_tab(response) == "to_handle"
        assert matter.code not in response.content.decode()


def test_roles_without_matters_view_are_refused_and_visitors_sent_to_log_in(cast, client):
    assert_scope(
        client,
        Probe("get", URL),
        allowed=[cast.grid_worker, cast.community_worker, cast.cadre, cast.handler, cast.leader],
        denied=[cast.admin],
    )
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.fixture
def stages(cast):  # type: ignore[no-untyped-def]
    """One matter at each step before the answer, and one answered, from different residents."""
    return {
        "registered": mf.matter(cast.grid, cast.grid_worker, contact_phone=phone(1)),
        "accepted": mf.accepted(cast, contact_phone=phone(2)),
        "by_unit": mf.handled_by_unit(cast, contact_phone=phone(3)),
        "dispatched": mf.dispatched(cast, contact_phone=phone(4)),
        "replied": mf.replied(cast, contact_phone=phone(5)),
    }


@pytest.mark.parametrize(
    ("role", "tab", "expected"),
    [
        ("community_worker", "to_accept", {"registered"}),
        ("community_worker", "to_dispatch", {"accepted"}),
        ("community_worker", "to_handle", {"by_unit"}),
        ("community_worker", "follow_up", {"replied"}),
        ("grid_worker", "follow_up", {"replied"}),
        ("handler", "to_handle", {"dispatched"}),
        ("cadre", "review", set()),
        ("leader", "to_accept", {"registered"}),
        ("outsider", "all", set()),
        (
            "community_worker",
            "open",
            {"registered", "accepted", "by_unit", "dispatched", "replied"},
        ),
        # The department sees only what was dispatched to it (the answered one was, too).
        ("handler", "all", {"dispatched", "replied"}),
    ],
)
def test_each_tab_lists_the_matters_waiting_in_it(cast, client, stages, role, tab, expected):
    login_as(client, getattr(cast, role))
    response = client.get(URL, {"list": tab})
    assert set(listed(response)) == {stages[name].code for name in expected}


def test_the_review_tab_lists_reviews_for_the_level_above(cast, client):
    matter = mf.replied(cast)
    services.request_review(matter, by=cast.community_worker, reason="居民认为电梯仍未修好")
    login_as(client, cast.cadre)
    assert listed(client.get(URL, {"list": "review"})) == [matter.code]
    login_as(client, cast.community_worker)
    assert matter.code not in listed(client.get(URL, {"list": "follow_up"}))


def test_the_outsider_never_sees_the_neighbouring_communitys_matters(cast, client):
    ours = mf.matter(cast.grid, cast.grid_worker)
    theirs = mf.matter(cast.neighbour_grid, cast.outsider, contact_phone=phone(9))
    login_as(client, cast.outsider)
    for tab in ("to_accept", "open", "all"):
        codes = listed(client.get(URL, {"list": tab}))
        assert ours.code not in codes
        assert theirs.code in codes
    # Not by searching for its code either.
    assert listed(client.get(URL, {"list": "all", "q": ours.code})) == []
    login_as(client, cast.cadre)
    assert set(listed(client.get(URL, {"list": "all"}))) == {ours.code, theirs.code}


# --- Filters and search --------------------------------------------------------------------------


@pytest.fixture
def assorted(cast):  # type: ignore[no-untyped-def]
    """Matters of different categories, channels and days, from different residents."""

    def register(n: int, days_ago: float, **values):  # type: ignore[no-untyped-def]
        return mf.matter(
            cast.grid,
            cast.grid_worker,
            contact_phone=phone(n),
            registered_at=NOW - dt.timedelta(days=days_ago),
            **values,
        )

    return {
        "lift": register(
            1,
            0,
            category=mf.category("property.elevator", "电梯故障"),
            description="小区3号楼电梯坏了三天，老人上下楼很困难，物业一直没人来修。",
        ),
        "fees": register(
            2,
            3,
            category=mf.category("property.fees", "物业收费"),
            channel=Channel.PHONE,
            description="物业公司今年突然提高收费标准，没有开业主大会，也没有公示。",
        ),
        "lights": register(
            3,
            5,
            category=mf.category("roads.lights", "路灯损坏"),
            channel=Channel.LETTER,
            description="幸福路上的路灯坏了一个月，晚上走路看不清，孩子放学很危险。",
        ),
        # Registered late on 8 March, Beijing time: 15:30 UTC, still the 8th for the filter.
        "late": register(
            4,
            7.4375,
            category=mf.category("sanitation.waste", "垃圾清运"),
            description="垃圾站的垃圾好几天没有清运，气味很大，夏天快到了担心滋生蚊虫。",
        ),
        "old": register(
            5,
            20,
            category=mf.category("sanitation.waste", "垃圾清运"),
            description="楼道里堆满了杂物和垃圾，影响消防通道，请社区督促清理。",
        ),
    }


def filtered(client, **params) -> set[str]:  # type: ignore[no-untyped-def]
    return set(listed(client.get(URL, {"list": "all", **params})))


def test_filtering_by_state(cast, client, assorted):
    services.accept_matter(assorted["fees"], by=cast.community_worker)
    login_as(client, cast.community_worker)
    assert filtered(client, state=State.ACCEPTED) == {assorted["fees"].code}
    assert filtered(client, state=State.RESOLVED) == set()
    assert len(filtered(client, state=State.REGISTERED)) == 4


def test_filtering_by_a_category_includes_its_subcategories(cast, client, assorted):
    login_as(client, cast.community_worker)
    parent = mf.category("property.elevator").parent
    assert filtered(client, category=parent.pk) == {assorted["lift"].code, assorted["fees"].code}
    assert filtered(client, category=mf.category("property.fees").pk) == {assorted["fees"].code}
    assert filtered(client, category=mf.category("roads.lights").parent.pk) == {
        assorted["lights"].code
    }


def test_filtering_by_channel(cast, client, assorted):
    login_as(client, cast.community_worker)
    assert filtered(client, channel=Channel.PHONE) == {assorted["fees"].code}
    assert filtered(client, channel=Channel.LETTER) == {assorted["lights"].code}
    assert filtered(client, channel=Channel.ONLINE) == set()


def test_filtering_by_dates_counts_whole_local_days(cast, client, assorted):
    login_as(client, cast.community_worker)
    assert filtered(client, date_from="2026-03-08", date_to="2026-03-11") == {
        assorted["late"].code,
        assorted["lights"].code,
    }
    assert filtered(client, date_to="2026-03-08") == {assorted["late"].code, assorted["old"].code}
    assert filtered(client, date_from="2026-03-09") == {
        assorted["lift"].code,
        assorted["fees"].code,
        assorted["lights"].code,
    }


def test_filtering_overdue_matters(cast, client, assorted):
    login_as(client, cast.community_worker)
    # Twenty days after registering, the 15-day acceptance deadline has passed; the others are
    # within it (the first response, two working days, is overdue for those of last week).
    overdue = filtered(client, overdue="on")
    assert assorted["old"].code in overdue
    assert assorted["lift"].code not in overdue
    assert set(listed(client.get(URL, {"list": "overdue"}))) == overdue


def test_searching_by_code_and_by_chinese_words(cast, client, assorted):
    login_as(client, cast.community_worker)
    assert filtered(client, q=assorted["fees"].code) == {assorted["fees"].code}
    assert filtered(client, q=assorted["fees"].code.lower()) == {assorted["fees"].code}
    wrong_year = assorted["fees"].code.replace("XK-2026-", "XK-2025-")
    assert filtered(client, q=wrong_year) == set()  # a code is its year and its number
    assert filtered(client, q="电梯") == {assorted["lift"].code}
    assert filtered(client, q="垃圾") == {assorted["late"].code, assorted["old"].code}
    assert filtered(client, q="垃圾 清运") == {assorted["late"].code}
    assert filtered(client, q="路灯") == {assorted["lights"].code}
    assert filtered(client, q="地铁") == set()


def test_filters_combine(cast, client, assorted):
    login_as(client, cast.community_worker)
    waste = mf.category("sanitation.waste").parent
    assert filtered(client, category=waste.pk, date_from="2026-03-01") == {assorted["late"].code}
    assert filtered(client, category=waste.pk, q="消防") == {assorted["old"].code}


def test_an_end_date_before_the_start_date_is_explained_and_lists_nothing(cast, client, assorted):
    login_as(client, cast.community_worker)
    response = client.get(URL, {"list": "all", "date_from": "2026-03-10", "date_to": "2026-03-01"})
    assert response.status_code == 200
    assert zh("The end date is before the start date.") in page_text(response)
    assert listed(response) == []


@pytest.mark.parametrize(
    "params",
    [{"date_from": "2026-13-01"}, {"category": "abc"}, {"state": "bogus"}, {"sort": "random"}],
)
def test_invalid_filter_values_list_nothing(cast, client, assorted, params):
    login_as(client, cast.community_worker)
    response = client.get(URL, {"list": "all", **params})
    assert response.status_code == 200
    assert listed(response) == []
    assert 'class="errorlist"' in response.content.decode()


# --- Sorting and paging --------------------------------------------------------------------------


def test_sorting_newest_oldest_and_recently_changed(cast, client, assorted, frozen):
    login_as(client, cast.community_worker)
    by_age = [
        assorted[name].code for name in ("lift", "fees", "lights", "late", "old")
    ]  # newest first
    assert listed(client.get(URL, {"list": "all"})) == by_age
    assert listed(client.get(URL, {"list": "all", "sort": "new"})) == by_age
    assert listed(client.get(URL, {"list": "all", "sort": "old"})) == by_age[::-1]
    frozen.shift(dt.timedelta(minutes=5))
    services.accept_matter(assorted["old"], by=cast.community_worker)
    assert listed(client.get(URL, {"list": "all", "sort": "updated"}))[0] == assorted["old"].code


def test_the_list_is_paged_by_twenty_five_and_keeps_its_filters(cast, client):
    matters = many(cast, 30)
    login_as(client, cast.community_worker)
    first = client.get(URL, {"list": "all", "q": "出行"})
    assert listed(first) == [m.code for m in reversed(matters)][:25]
    html = first.content.decode()
    assert "?list=all&amp;q=%E5%87%BA%E8%A1%8C&amp;page=2" in html
    second = client.get(URL, {"list": "all", "q": "出行", "page": 2})
    assert listed(second) == [m.code for m in reversed(matters)][25:]
    assert len(listed(client.get(URL, {"list": "all", "page": "abc"}))) == 25
    assert listed(client.get(URL, {"list": "all", "page": 99})) == listed(second)


@pytest.mark.parametrize("n", [5, 40])
def test_the_number_of_queries_does_not_grow_with_the_matters(
    cast, client, django_assert_num_queries, n
):
    many(cast, n)
    login_as(client, cast.community_worker)
    client.get(URL)  # warm up: the first request after login writes the session
    # session, user, second factor, memberships (the scope), the ids of the units in scope,
    # categories (filter form), count, one page of matters, their next deadlines, the departments
    # to dispatch to
    with django_assert_num_queries(10):
        response = client.get(URL)
    assert len(listed(response)) == min(n, 25)


# --- Bulk dispatch -------------------------------------------------------------------------------


def post_bulk(client, matters, *, lead, **extra):  # type: ignore[no-untyped-def]
    return client.post(BULK, {"matter": [m.pk for m in matters], "lead": lead.pk, **extra})


def test_bulk_dispatch_dispatches_each_chosen_matter(cast, client):
    registered = many(cast, 2)
    accepted = mf.accepted(cast, contact_phone=phone(50))
    login_as(client, cast.community_worker)
    response = post_bulk(client, [*registered, accepted], lead=cast.department)
    assert response.status_code == 302
    assert response["Location"] == URL
    assert messages_of(response) == [
        zh("%(n)d matters dispatched to %(department)s.", n=3, department=cast.department.name)
    ]
    for matter in [*registered, accepted]:
        matter.refresh_from_db()
        assert matter.state == State.DISPATCHED
        assert matter.lead_department == cast.department


def test_bulk_dispatch_refuses_what_cannot_be_dispatched_with_a_message(cast, client):
    [fresh] = many(cast, 1)
    busy = mf.handled_by_unit(cast, contact_phone=phone(60))
    before = own_state(busy)
    login_as(client, cast.community_worker)
    response = post_bulk(client, [fresh, busy], lead=cast.department)
    fresh.refresh_from_db()
    assert fresh.state == State.DISPATCHED
    assert own_state(busy) == before
    shown = messages_of(response)
    assert shown[0] == zh(
        "%(n)d matters dispatched to %(department)s.", n=1, department=cast.department.name
    )
    assert [line for line in shown[1:] if line.startswith(f"{busy.code}: ")]


@pytest.mark.parametrize(
    ("role", "make"),
    [
        ("grid_worker", lambda cast: mf.matter(cast.grid, cast.grid_worker)),
        # The department sees what was dispatched to it; dispatching is not its part.
        ("handler", mf.dispatched),
    ],
)
def test_bulk_dispatch_refuses_a_member_who_sees_but_may_not_dispatch(cast, client, role, make):
    matter = make(cast)
    before = snapshot(matter)
    login_as(client, getattr(cast, role))
    response = post_bulk(client, [matter], lead=cast.department)
    assert response.status_code == 302
    assert snapshot(matter) == before
    assert [line for line in messages_of(response) if line.startswith(f"{matter.code}: ")]


def test_bulk_dispatch_never_touches_another_communitys_matter(cast, client):
    ours = many(cast, 1)[0]
    theirs = mf.matter(cast.neighbour_grid, cast.outsider, contact_phone=phone(70))
    elsewhere = mf.matter(cast.other_grid, None, channel=Channel.ONLINE, contact_phone=phone(71))
    untouched = {m.pk: own_state(m) for m in (theirs, elsewhere)}
    login_as(client, cast.community_worker)
    response = post_bulk(client, [ours, theirs, elsewhere], lead=cast.department)
    for matter in (theirs, elsewhere):
        assert own_state(matter) == untouched[matter.pk]
    ours.refresh_from_db()
    assert ours.state == State.DISPATCHED
    shown = " ".join(messages_of(response))
    assert theirs.code not in shown and elsewhere.code not in shown  # nothing about them leaks
    assert zh(
        "%(n)d of the chosen matters are not in your area or no longer exist; they were not "
        "dispatched.",
        n=2,
    ) in messages_of(response)


def test_bulk_dispatch_to_a_department_that_cannot_take_the_matter_is_refused(cast, client):
    [matter] = many(cast, 1)
    far = factories.department("胜利街道城管科", cast.other_subdistrict)
    before = snapshot(matter)
    login_as(client, cast.community_worker)
    response = post_bulk(client, [matter], lead=far)
    assert snapshot(matter) == before
    assert [line for line in messages_of(response) if line.startswith(f"{matter.code}: ")]


@pytest.mark.parametrize(
    "data",
    [{"lead": "department"}, {"matter": "matter"}, {"matter": "matter", "lead": "999999"}, {}],
)
def test_bulk_dispatch_without_matters_or_department_is_explained(cast, client, data):
    [matter] = many(cast, 1)
    values = {
        key: (
            matter.pk
            if value == "matter"
            else cast.department.pk
            if value == "department"
            else value
        )
        for key, value in data.items()
    }
    before = snapshot(matter)
    login_as(client, cast.community_worker)
    response = client.post(BULK, values)
    assert response.status_code == 302
    assert messages_of(response) == [zh("Choose the matters and the lead department.")]
    assert snapshot(matter) == before


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/matters/?list=to_dispatch&page=2", "/matters/?list=to_dispatch&page=2"),
        ("https://evil.example/phish", URL),
        ("//evil.example/phish", URL),
        ("javascript:alert(1)", URL),
        ("", URL),
    ],
)
def test_bulk_dispatch_goes_back_only_to_a_page_of_this_site(cast, client, next_url, expected):
    [matter] = many(cast, 1)
    login_as(client, cast.community_worker)
    response = post_bulk(client, [matter], lead=cast.department, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == expected


def test_bulk_dispatch_only_accepts_post(cast, client):
    login_as(client, cast.community_worker)
    assert client.get(BULK).status_code == 405


def test_the_dispatch_controls_appear_only_where_matters_wait_for_dispatch(cast, client):
    many(cast, 1)
    login_as(client, cast.community_worker)
    assert 'name="lead"' in client.get(URL, {"list": "to_accept"}).content.decode()
    assert 'name="lead"' not in client.get(URL, {"list": "all"}).content.decode()
    login_as(client, cast.grid_worker)
    assert 'name="lead"' not in client.get(URL, {"list": "open"}).content.decode()


def test_a_very_long_list_is_counted_up_to_a_cap_and_says_there_are_more(cast, client, monkeypatch):
    monkeypatch.setattr("xinkan.core.paging.LIST_CAP", 26)
    matters = many(cast, 30)
    login_as(client, cast.community_worker)
    response = client.get(URL, {"list": "all"})
    capped = "Page %(n)s of %(total)s+ · more than %(count)s matters — filter to narrow the list"
    assert zh(capped, n=1, total=2, count=26) in page_text(response)
    assert len(listed(response)) == 25
    narrowed = client.get(URL, {"list": "all", "q": matters[0].code})
    assert listed(narrowed) == [matters[0].code]
    assert zh(capped, n=1, total=1, count=1) not in page_text(narrowed)
