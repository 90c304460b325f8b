"""matters.services.intake: register_matter from every channel — validation, personal data, retries,
repeats, concluded matters, skip-level visits and possible duplicates."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from tests.matters import factories as mf
from xinkan.audit.models import AuditEntry, Outcome
from xinkan.core.crypto import blind_index
from xinkan.matters import services
from xinkan.matters.models import (
    Channel,
    Deadline,
    LinkKind,
    Matter,
    MatterEvent,
    MatterLink,
    MatterPerson,
    Notification,
    PersonRole,
    Stage,
    State,
    format_code,
    parse_code,
)
from xinkan.matters.services.intake import ID_PURPOSE, PHONE_PURPOSE

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
REWORDED = "3号楼电梯已经坏了好几天，老人上下楼太难了，物业不来修"


def stored_counts() -> dict[str, int]:
    return {
        "matters": Matter.objects.count(),
        "events": MatterEvent.objects.count(),
        "deadlines": Deadline.objects.count(),
        "people": MatterPerson.objects.count(),
        "links": MatterLink.objects.count(),
        "notifications": Notification.objects.count(),
    }


def register(by, **values):  # type: ignore[no-untyped-def]
    unit = values.pop("unit")
    return services.register_matter(mf.intake(unit, **values), by=by)


# --- The matter code -------------------------------------------------------------------------------


def test_code_looks_like_xk_year_and_six_digits_and_parses_back(cast):
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        matter = mf.matter(cast.grid, cast.grid_worker)

    assert re.fullmatch(r"XK-2026-\d{6}", matter.code)
    assert matter.code == f"XK-2026-{matter.pk:06d}"
    assert parse_code(matter.code) == (2026, matter.pk)
    assert parse_code(" xk-2026-000123 ") == (2026, 123)


def test_code_year_is_the_local_year_of_registration(cast):
    # 2025-12-31 17:30 UTC is already 2026-01-01 in Shanghai.
    with time_machine.travel(dt.datetime(2025, 12, 31, 17, 30, tzinfo=dt.UTC), tick=False):
        matter = mf.matter(cast.grid, cast.grid_worker)

    assert matter.code.startswith("XK-2026-")


@pytest.mark.parametrize("text", ["", "XK-2026", "AB-2026-000001", "XK-二〇二六-000001", "123"])
def test_text_that_is_not_a_code_does_not_parse(text):
    assert parse_code(text) is None


def test_format_code_pads_the_number():
    assert format_code(2026, 123) == "XK-2026-000123"


# --- Channels and who may register -----------------------------------------------------------------


@pytest.mark.parametrize("channel", Channel.values)
def test_staff_register_from_every_channel(cast, channel):
    result = register(cast.grid_worker, unit=cast.grid, channel=channel)

    matter = Matter.objects.get(pk=result.matter.pk)
    assert result.created
    assert (matter.channel, matter.state) == (channel, State.REGISTERED)
    assert matter.registered_by == cast.grid_worker
    assert matter.handling_unit == cast.community  # the grid's community settles it first
    event = MatterEvent.objects.get(matter=matter)
    assert (event.action, event.to_state, event.public) == ("registered", State.REGISTERED, True)
    assert set(matter.deadlines.values_list("stage", flat=True)) == {Stage.RESPOND, Stage.ACCEPT}
    assert AuditEntry.objects.filter(
        action="matters.registered", object_id=str(matter.pk), outcome=Outcome.SUCCESS
    ).exists()


@pytest.mark.parametrize("channel", [Channel.ONLINE, Channel.SQUARE, Channel.SYSTEM])
def test_a_resident_registers_online_without_an_account(cast, channel):
    result = register(None, unit=cast.grid, channel=channel)

    assert result.created
    assert result.matter.registered_by is None
    assert MatterEvent.objects.get(matter=result.matter).actor_label == "resident"


@pytest.mark.parametrize(
    "channel", [Channel.VISIT, Channel.LETTER, Channel.PHONE, Channel.PATROL, Channel.PROACTIVE]
)
def test_staff_only_channels_are_refused_without_staff(cast, channel):
    before = stored_counts()

    with pytest.raises(PermissionDenied):
        register(None, unit=cast.grid, channel=channel)

    assert stored_counts() == before


def test_a_new_matter_is_announced_to_the_staff_who_accept_it(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)

    notice = Notification.objects.get(matter=matter)
    assert (notice.user, notice.kind) == (cast.community_worker, "new")
    assert matter.code in notice.text


@pytest.mark.parametrize(
    ("role", "unit"),
    [
        ("outsider", "grid"),  # the neighbouring community
        ("grid_worker", "neighbour_grid"),
        ("community_worker", "other_grid"),
        ("handler", "grid"),  # departments do not register
        ("admin", "grid"),
        ("leader", "grid"),
    ],
)
def test_registering_outside_ones_area_is_refused_and_audited(cast, role, unit):
    before = stored_counts()

    with pytest.raises(PermissionDenied):
        register(getattr(cast, role), unit=getattr(cast, unit))

    assert stored_counts() == before
    entry = AuditEntry.objects.get(action="matters.register.denied")
    assert (entry.actor, entry.outcome) == (getattr(cast, role), Outcome.FAILURE)


def test_handing_a_matter_to_a_unit_outside_ones_area_is_refused(cast):
    before = stored_counts()

    with pytest.raises(PermissionDenied):
        register(cast.community_worker, unit=cast.grid, handling_unit=cast.subdistrict)

    assert stored_counts() == before
    assert AuditEntry.objects.filter(
        action="matters.register.denied", outcome=Outcome.FAILURE
    ).exists()


# --- Requester and anonymity -----------------------------------------------------------------------


def test_a_resident_may_stay_anonymous_on_the_portal(cast):
    result = register(
        None,
        unit=cast.grid,
        channel=Channel.ONLINE,
        anonymous=True,
        contact_name="",
        contact_phone="",
        portal_key="k3y-only-shown-once",
    )

    matter = Matter.objects.get(pk=result.matter.pk)
    assert matter.anonymous
    assert (matter.contact_name, matter.contact_phone) == ("", "")
    assert matter.portal_key_index == blind_index("k3y-only-shown-once", "portal_key")


def test_staff_cannot_register_anonymously(cast):
    before = stored_counts()

    with pytest.raises(ValidationError) as info:
        register(cast.grid_worker, unit=cast.grid, anonymous=True)

    assert "anonymous" in info.value.message_dict
    assert stored_counts() == before


@pytest.mark.parametrize("channel", [Channel.VISIT, Channel.PHONE, Channel.LETTER, Channel.ONLINE])
def test_staff_must_name_the_requester(cast, channel):
    before = stored_counts()

    with pytest.raises(ValidationError) as info:
        register(
            cast.grid_worker, unit=cast.grid, channel=channel, contact_name="", contact_phone=""
        )

    assert "contact_name" in info.value.message_dict
    assert stored_counts() == before


@pytest.mark.parametrize("channel", [Channel.PATROL, Channel.PROACTIVE])
def test_what_staff_find_themselves_needs_no_requester(cast, channel):
    result = register(
        cast.grid_worker, unit=cast.grid, channel=channel, contact_name="", contact_phone=""
    )

    assert result.created
    assert result.matter.contact_name == ""


def test_a_resident_from_the_archive_is_a_requester(cast):
    from tests import factories

    person = factories.resident(cast.grid, name="李桂兰")

    result = register(cast.grid_worker, unit=cast.grid, resident=person, contact_name="")

    assert result.matter.resident == person
    assert result.matter.contact_name == "李桂兰"


# --- Group visits (《信访工作条例》 Art. 20) -----------------------------------------------------------


def test_a_group_visit_keeps_its_representatives_and_co_signers(cast):
    representatives = [(f"代表{n}", f"1390000000{n}") for n in range(1, 6)]

    result = register(
        cast.grid_worker,
        unit=cast.grid,
        group_size=30,
        representatives=representatives,
        co_signers=["联名甲", "联名乙"],
    )

    people = list(result.matter.people.values_list("role", "name", "phone"))
    assert people[:5] == [
        (PersonRole.REPRESENTATIVE, name, phone) for name, phone in representatives
    ]
    assert people[5:] == [
        (PersonRole.CO_SIGNER, "联名甲", ""),
        (PersonRole.CO_SIGNER, "联名乙", ""),
    ]
    assert result.matter.group_size == 30


def test_more_than_five_representatives_are_refused(cast):
    before = stored_counts()
    representatives = [(f"代表{n}", "") for n in range(6)]

    with pytest.raises(ValidationError) as info:
        register(cast.grid_worker, unit=cast.grid, group_size=50, representatives=representatives)

    assert "representatives" in info.value.message_dict
    assert stored_counts() == before


@pytest.mark.parametrize("group_size", [1, 3])
def test_a_group_has_more_people_than_representatives(cast, group_size):
    before = stored_counts()

    with pytest.raises(ValidationError) as info:
        register(
            cast.grid_worker,
            unit=cast.grid,
            group_size=group_size,
            representatives=[("甲", ""), ("乙", ""), ("丙", "")],
        )

    assert "group_size" in info.value.message_dict
    assert stored_counts() == before


# --- Field errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["12345", "电话号码", "1380013800a", "138001380001234"])
def test_a_bad_phone_is_a_field_error_and_nothing_is_saved(cast, phone):
    before = stored_counts()

    with pytest.raises(ValidationError) as info:
        register(cast.grid_worker, unit=cast.grid, contact_phone=phone)

    assert list(info.value.message_dict) == ["contact_phone"]
    assert stored_counts() == before


@pytest.mark.parametrize(
    "phone", ["13800138000", "138 0013 8000", "+86 138-0013-8000", "010-62345678"]
)
def test_mobile_and_landline_numbers_are_accepted(cast, phone):
    assert register(cast.grid_worker, unit=cast.grid, contact_phone=phone).created


@pytest.mark.parametrize(
    "id_number",
    [
        "110105194912310021",  # wrong check digit (it is X)
        "110105194902300020",  # 30 February
        "11010519491231002",  # 17 characters
        "11010519491231002Y",
    ],
)
def test_a_bad_id_number_is_a_field_error_and_nothing_is_saved(cast, id_number):
    before = stored_counts()

    with pytest.raises(ValidationError) as info:
        register(cast.grid_worker, unit=cast.grid, id_number=id_number)

    assert list(info.value.message_dict) == ["id_number"]
    assert stored_counts() == before


def test_an_impossible_birth_date_with_a_correct_check_digit_is_refused(cast):
    before = stored_counts()

    with pytest.raises(ValidationError) as info:
        register(cast.grid_worker, unit=cast.grid, id_number=mf.id_number("11010519490230002"))

    assert "id_number" in info.value.message_dict
    assert stored_counts() == before


def test_several_problems_are_reported_together(cast):
    with pytest.raises(ValidationError) as info:
        register(
            cast.grid_worker,
            unit=cast.grid,
            description="  ",
            contact_phone="123",
            id_number="123",
            group_size=0,
        )

    assert {"description", "contact_phone", "id_number", "group_size"} <= set(
        info.value.message_dict
    )
    assert Matter.objects.count() == 0


def test_an_inactive_category_is_refused(cast):
    category = mf.category("other.closed", "已停用类别")
    category.is_active = False
    category.save()

    with pytest.raises(ValidationError) as info:
        register(cast.grid_worker, unit=cast.grid, category=category)

    assert "category" in info.value.message_dict
    assert Matter.objects.count() == 0


# --- Personal data at rest -----------------------------------------------------------------------------


def test_phone_and_id_number_are_encrypted_in_the_database(cast):
    id_number = mf.id_number()
    matter = mf.matter(
        cast.grid, cast.grid_worker, contact_phone="13912345678", id_number=id_number
    )

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contact_phone, id_number FROM matters_matter WHERE id = %s", [matter.pk]
        )
        raw_phone, raw_id = cursor.fetchone()
    assert "13912345678" not in raw_phone
    assert raw_phone.startswith("v1:")
    assert id_number not in raw_id
    assert id_number[:10] not in raw_id
    assert raw_id.startswith("v1:")
    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.contact_phone, stored.id_number) == ("13912345678", id_number)


def test_representatives_phones_are_encrypted_too(cast):
    matter = mf.matter(
        cast.grid, cast.grid_worker, group_size=10, representatives=[("甲", "13700001111")]
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM matters_matterperson WHERE matter_id = %s", [matter.pk])
        (raw,) = cursor.fetchone()
    assert "13700001111" not in raw


def test_phone_and_id_number_are_found_through_the_blind_index(cast):
    id_number = mf.id_number()
    matter = mf.matter(
        cast.grid, cast.grid_worker, contact_phone="13912345678", id_number=id_number
    )
    mf.matter(cast.grid, cast.grid_worker, contact_phone="13700000000", description="路灯坏了不亮")

    by_phone = Matter.objects.filter(
        contact_phone_index=blind_index("139 1234 5678", PHONE_PURPOSE)
    )
    by_id = Matter.objects.filter(id_number_index=blind_index(id_number.lower(), ID_PURPOSE))
    assert list(by_phone) == [matter]
    assert list(by_id) == [matter]


def test_an_id_number_typed_with_spaces_or_full_width_is_stored_in_one_form(cast):
    id_number = mf.id_number()
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in id_number)
    spaced = f"{id_number[:6]} {id_number[6:14]} {id_number[14:].lower()}"

    first = mf.matter(cast.grid, cast.grid_worker, contact_phone="", id_number=full_width)
    again = register(
        cast.grid_worker, unit=cast.grid, contact_phone="", id_number=spaced, description=REWORDED
    )

    assert Matter.objects.get(pk=first.pk).id_number == id_number
    assert list(Matter.objects.filter(id_number_index=blind_index(id_number, ID_PURPOSE))) == [
        first
    ]
    assert again.folded
    assert again.matter.pk == first.pk


# --- Retries ---------------------------------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_first_matter_and_creates_nothing(cast):
    first = register(cast.grid_worker, unit=cast.grid, idempotency_key="form-7f3a")
    before = stored_counts()

    again = register(cast.grid_worker, unit=cast.grid, idempotency_key="form-7f3a")

    assert (again.created, again.folded) == (False, False)
    assert again.matter.pk == first.matter.pk
    assert stored_counts() == before
    assert Matter.objects.get(pk=first.matter.pk).repeat_count == 0


def test_different_idempotency_keys_make_different_matters(cast):
    first = register(
        cast.grid_worker, unit=cast.grid, idempotency_key="a", contact_phone="13800000001"
    )
    second = register(
        cast.grid_worker, unit=cast.grid, idempotency_key="b", contact_phone="13800000002"
    )

    assert first.matter.pk != second.matter.pk


# --- Repeats (重复访) ----------------------------------------------------------------------------------------


def test_a_repeat_by_the_same_person_is_folded_into_the_open_matter(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.XINKAN_RESIDENT_SENDER = "tests.matters.factories.RecordingSender"
    mf.RecordingSender.sent = []
    first = mf.matter(cast.grid, cast.grid_worker)
    version = Matter.objects.get(pk=first.pk).version
    before = stored_counts()

    with django_capture_on_commit_callbacks(execute=True):
        result = register(
            cast.grid_worker,
            unit=cast.grid,
            channel=Channel.PHONE,
            contact_phone="138 0013 8000",
            description=REWORDED,
        )

    assert (result.created, result.folded) == (False, True)
    assert result.matter.pk == first.pk
    stored = Matter.objects.get(pk=first.pk)
    assert stored.repeat_count == 1
    assert stored.version == version + 1  # open forms on the matter are now stale
    assert Matter.objects.count() == before["matters"]
    event = MatterEvent.objects.filter(matter=first).last()
    assert (event.action, event.note, event.public) == ("repeat_visit", REWORDED, True)
    assert event.data["channel"] == Channel.PHONE
    assert event.data["higher_level"] is False
    assert [message["code"] for message in mf.RecordingSender.sent] == [first.code]


def test_a_retried_repeat_is_folded_in_once(cast):
    first = mf.matter(cast.grid, cast.grid_worker)
    results = [
        register(cast.grid_worker, unit=cast.grid, description=REWORDED, idempotency_key="k-9")
        for _ in range(2)
    ]

    assert [(r.matter.pk, r.folded, r.created) for r in results] == [(first.pk, True, False)] * 2
    assert Matter.objects.get(pk=first.pk).repeat_count == 1
    assert MatterEvent.objects.filter(matter=first, action="repeat_visit").count() == 1


def test_the_same_words_sent_again_within_minutes_are_not_counted_as_a_repeat(cast):
    """Back button and submit again: a new form key, the same person, the very same words."""
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False) as clock:
        first = mf.matter(cast.grid, cast.grid_worker)
        clock.shift(dt.timedelta(minutes=3))
        again = register(cast.grid_worker, unit=cast.grid, idempotency_key="another-form")

        assert (again.matter.pk, again.folded, again.resubmitted) == (first.pk, True, True)
        assert Matter.objects.get(pk=first.pk).repeat_count == 0
        assert not MatterEvent.objects.filter(matter=first, action="repeat_visit").exists()

        clock.shift(dt.timedelta(minutes=10))  # later the same words are a repeat visit
        later = register(cast.grid_worker, unit=cast.grid, idempotency_key="next-day")
        assert (later.folded, later.resubmitted) == (True, False)
        assert Matter.objects.get(pk=first.pk).repeat_count == 1

        clock.shift(dt.timedelta(minutes=2))  # ...and that visit, sent twice, counts once
        twice = register(cast.grid_worker, unit=cast.grid, idempotency_key="next-day-again")
        assert twice.resubmitted
        assert Matter.objects.get(pk=first.pk).repeat_count == 1


def test_a_repeat_raised_with_a_higher_level_is_folded_and_marked(cast):
    first = mf.matter(cast.grid, cast.grid_worker)

    result = register(cast.cadre, unit=cast.grid, description=REWORDED)

    assert result.folded
    assert result.matter.pk == first.pk
    event = MatterEvent.objects.get(matter=first, action="repeat_visit")
    assert event.data["higher_level"] is True
    assert Matter.objects.count() == 1


def test_the_same_person_with_a_different_problem_gets_a_new_matter(cast):
    first = mf.matter(cast.grid, cast.grid_worker)

    result = register(
        cast.grid_worker, unit=cast.grid, description="楼下饭店油烟很大，晚上噪音扰民"
    )

    assert result.created
    assert result.matter.pk != first.pk
    assert Matter.objects.get(pk=first.pk).repeat_count == 0


def test_a_repeat_after_the_first_matter_was_closed_is_a_new_matter(cast):
    first = mf.matter(cast.grid, cast.grid_worker)
    services.decline_matter(first, by=cast.community_worker, reason="不属于本社区职责范围")

    result = register(cast.grid_worker, unit=cast.grid, description=REWORDED)

    assert result.created
    assert not result.folded
    assert result.matter.state == State.REGISTERED


# --- Concluded matters (终结, Art. 36) ---------------------------------------------------------------------


def test_the_same_facts_after_conclusion_are_registered_and_declined(cast):
    first = mf.concluded(cast)

    result = register(cast.grid_worker, unit=cast.grid, description=REWORDED)

    matter = Matter.objects.get(pk=result.matter.pk)
    assert result.created
    assert result.concluded_match == first
    assert matter.pk != first.pk
    assert matter.state == State.DECLINED
    assert matter.closed_at is not None
    declined = MatterEvent.objects.get(matter=matter, action="declined")
    assert declined.public
    assert first.code in declined.note
    assert "36" in declined.note  # 《信访工作条例》 Art. 36, in whichever language
    assert declined.data == {"concluded_matter": first.pk}
    assert MatterLink.objects.filter(matter=matter, other=first, kind=LinkKind.DUPLICATE).exists()
    assert not matter.deadlines.filter(met_at__isnull=True, cancelled=False).exists()
    assert not Notification.objects.filter(matter=matter, kind="new").exists()


def test_new_facts_after_conclusion_are_registered_normally(cast):
    first = mf.concluded(cast)

    result = register(cast.grid_worker, unit=cast.grid, description=REWORDED, new_facts=True)

    assert result.created
    assert result.concluded_match is None
    assert result.matter.pk != first.pk
    assert Matter.objects.get(pk=result.matter.pk).state == State.REGISTERED


# --- Skip-level visits (越级访) ------------------------------------------------------------------------------


def test_a_subdistrict_cadre_registering_a_community_visit_sends_it_down(cast):
    result = register(cast.cadre, unit=cast.grid, channel=Channel.VISIT)

    matter = Matter.objects.get(pk=result.matter.pk)
    assert matter.skip_level
    assert matter.handling_unit == cast.community
    sent_down = MatterEvent.objects.get(matter=matter, action="sent_down")
    assert sent_down.data == {"to_unit": cast.community.pk}
    assert MatterEvent.objects.get(matter=matter, action="registered").data["skip_level"] is True
    # The community accepts it; the cadre's level keeps following it (it is in the cadre's scope).
    services.accept_matter(matter, by=cast.community_worker)
    assert Matter.objects.get(pk=matter.pk).state == State.ACCEPTED


def test_the_community_registering_its_own_visit_is_not_skip_level(cast):
    matter = Matter.objects.get(pk=register(cast.community_worker, unit=cast.grid).matter.pk)

    assert not matter.skip_level
    assert not MatterEvent.objects.filter(matter=matter, action="sent_down").exists()


def test_a_cadre_naming_the_responsible_unit_is_not_skip_level(cast):
    matter = register(cast.cadre, unit=cast.grid, handling_unit=cast.subdistrict).matter

    assert not matter.skip_level
    assert matter.handling_unit == cast.subdistrict


def test_a_matter_found_on_patrol_by_a_cadre_is_not_a_skip_level_visit(cast):
    matter = register(cast.cadre, unit=cast.grid, channel=Channel.PATROL).matter

    assert not matter.skip_level
    assert matter.handling_unit == cast.community


# --- Possible duplicates from other people ------------------------------------------------------------------


def test_similar_matters_from_other_people_at_the_same_place_are_linked_as_candidates(cast):
    first = mf.matter(cast.grid, cast.grid_worker)

    result = register(
        cast.grid_worker,
        unit=cast.grid,
        contact_name="张大爷",
        contact_phone="13611112222",
        description=REWORDED,
    )

    assert result.created
    assert not result.folded
    [(candidate, score)] = result.candidates
    assert candidate.pk == first.pk
    assert score >= 0.3
    link = MatterLink.objects.get(matter=result.matter)
    assert (link.other_id, link.kind) == (first.pk, LinkKind.CANDIDATE)
    assert link.score == pytest.approx(score)


def test_no_candidate_from_another_category_or_another_community(cast):
    mf.matter(cast.grid, cast.grid_worker)
    other_category = mf.category("property.fees", "物业收费")

    same_text_other_category = register(
        cast.grid_worker,
        unit=cast.grid,
        category=other_category,
        contact_phone="13611112222",
        description=REWORDED,
    )
    same_text_other_place = register(
        cast.outsider, unit=cast.neighbour_grid, contact_phone="13611113333", description=REWORDED
    )

    assert same_text_other_category.candidates == []
    assert same_text_other_place.candidates == []
    assert MatterLink.objects.count() == 0
