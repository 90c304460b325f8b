"""/api/v1/matters: intake, list, detail, actions — through the matters services and scope."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.api.conftest import bearer, issue
from tests.conftest import login_as
from tests.matters import factories as mf
from tests.scope import Probe, assert_scope
from xinkan.matters.models import Channel, Matter, State
from xinkan.org.roles import Perm, Role

pytestmark = pytest.mark.django_db


def intake_body(cast, **extra):
    body = {
        "category": mf.category().code,
        "unit": cast.grid.pk,
        "description": "小区3号楼电梯坏了三天，老人上下楼很困难，物业一直没人来修。",
        "channel": "phone",
        "contact_name": "王秀英",
        "contact_phone": "13800138000",
    }
    body.update(extra)
    return body


def post(client, url, body, secret, **headers):
    return client.post(
        url, json.dumps(body), content_type="application/json", **bearer(secret, **headers)
    )


# --- Intake ---------------------------------------------------------------------------------------


def test_intake_registers_through_the_matters_service(cast, api_client: Client):
    issued = issue(cast)
    response = post(api_client, "/api/v1/matters", intake_body(cast), issued.secret)
    assert response.status_code == 201, response.content
    data = response.json()
    matter = Matter.objects.get()
    assert data["outcome"] == "created"
    assert data["code"] == matter.code
    assert matter.channel == Channel.PHONE
    assert matter.registered_by == issued.token.user
    assert data["matter"]["timeline"][0]["action"] == "registered"


def test_idempotent_retry_returns_the_first_answer_and_creates_nothing(cast, api_client: Client):
    issued = issue(cast)
    first = post(
        api_client, "/api/v1/matters", intake_body(cast), issued.secret, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = post(
        api_client, "/api/v1/matters", intake_body(cast), issued.secret, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Matter.objects.count() == 1


def test_same_key_with_another_body_is_refused(cast, api_client: Client):
    issued = issue(cast)
    post(
        api_client, "/api/v1/matters", intake_body(cast), issued.secret, HTTP_IDEMPOTENCY_KEY="k-2"
    )
    other = intake_body(cast, description="路灯坏了，晚上很黑，行人容易摔倒。")
    response = post(api_client, "/api/v1/matters", other, issued.secret, HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Matter.objects.count() == 1


def test_keys_of_two_callers_do_not_collide(cast, api_client: Client):
    one, two = issue(cast, name="a"), issue(cast, name="b")
    post(api_client, "/api/v1/matters", intake_body(cast), one.secret, HTTP_IDEMPOTENCY_KEY="same")
    other = intake_body(cast, contact_phone="13900139000", description="楼道灯坏了很久没人修理。")
    response = post(api_client, "/api/v1/matters", other, two.secret, HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201
    assert Matter.objects.count() == 2


def test_intake_validation_errors_name_the_fields(cast, api_client: Client):
    issued = issue(cast)
    response = post(
        api_client,
        "/api/v1/matters",
        {"category": "nope", "unit": cast.grid.pk, "description": "x", "channel": "fax"},
        issued.secret,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "channel" in error["fields"]
    response = post(
        api_client, "/api/v1/matters", intake_body(cast, category="nope"), issued.secret
    )
    assert response.json()["error"]["fields"] == {"category": ["Unknown category."]}
    response = post(
        api_client, "/api/v1/matters", intake_body(cast, contact_phone="12ab"), issued.secret
    )
    assert response.status_code == 400
    assert "contact_phone" in response.json()["error"]["fields"]
    assert not Matter.objects.exists()


def _lift_with_fields():  # type: ignore[no-untyped-def]
    from xinkan.matters.extra_fields import validate_definition

    category = mf.category("safety.lift_test", "电梯困人")
    category.extra_fields = validate_definition(
        [
            {"code": "building", "label": "楼号", "label_en": "Building", "datatype": "string",
             "required": True},
            {"code": "who", "label": "被困人员", "label_en": "Who",
             "datatype": "multivaluelist",
             "values": [{"key": "elderly", "name": "老人"}, {"key": "child", "name": "儿童"}]},
        ]
    )  # fmt: skip
    category.save()
    return category


def test_intake_stores_the_categorys_extra_fields(cast, api_client: Client):
    lift = _lift_with_fields()
    issued = issue(cast)
    body = intake_body(cast, category=lift.code, extra={"building": "3号楼", "who": ["child"]})
    response = post(api_client, "/api/v1/matters", body, issued.secret)
    assert response.status_code == 201, response.content
    assert Matter.objects.get().extra == {"building": "3号楼", "who": ["child"]}


def test_intake_extra_field_errors_name_the_field_path(cast, api_client: Client):
    lift = _lift_with_fields()
    issued = issue(cast)
    body = intake_body(cast, category=lift.code, extra={"who": ["dog"], "colour": "red"})
    response = post(api_client, "/api/v1/matters", body, issued.secret)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["extra.building"] == ["Building: this field is required."]
    assert fields["extra.who"] == ["Who: dog is not among the choices: elderly, child."]
    assert set(fields) == {"extra.building", "extra.who", "extra.colour"}
    response = post(
        api_client,
        "/api/v1/matters",
        intake_body(cast, category=lift.code, extra={"building": {"no": 3}}),
        issued.secret,
    )
    assert response.status_code == 400
    assert all(name.startswith("extra.building") for name in response.json()["error"]["fields"])
    assert not Matter.objects.exists()
    # A JSON number is read as its text.
    body = intake_body(cast, category=lift.code, extra={"building": 3})
    assert post(api_client, "/api/v1/matters", body, issued.secret).status_code == 201
    assert Matter.objects.get().extra == {"building": "3"}


def test_intake_outside_the_tokens_scope_is_refused(cast, api_client: Client):
    issued = issue(cast, unit=cast.neighbour_community)
    response = post(api_client, "/api/v1/matters", intake_body(cast), issued.secret)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not Matter.objects.exists()


def test_intake_needs_the_register_permission(cast, api_client: Client):
    issued = issue(cast, perms=[Perm.MATTERS_VIEW])
    response = post(api_client, "/api/v1/matters", intake_body(cast), issued.secret)
    assert response.status_code == 403
    assert not Matter.objects.exists()


def test_error_messages_follow_accept_language(cast, api_client: Client):
    issued = issue(cast)
    body = intake_body(cast, contact_phone="12ab")
    en = post(api_client, "/api/v1/matters", body, issued.secret)
    zh = post(api_client, "/api/v1/matters", body, issued.secret, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert en["Content-Language"] == "en"
    assert zh["Content-Language"] == "zh-hans"
    assert en.json()["error"]["fields"]["contact_phone"] == [
        "Enter a mobile number of 11 digits or a landline with area code."
    ]
    # The service's message, in Chinese (the lead translates the API's own new strings).
    assert (
        zh.json()["error"]["fields"]["contact_phone"]
        != en.json()["error"]["fields"]["contact_phone"]
    )


# --- List and detail ------------------------------------------------------------------------------


def test_list_shows_only_matters_in_scope_with_filters(cast, api_client: Client):
    mine = mf.matter(cast.grid, cast.grid_worker)
    mf.matter(
        cast.neighbour_grid,
        None,
        channel=Channel.ONLINE,
        contact_phone="13900139000",
        description="光明社区的路灯坏了，晚上很黑。",
    )
    issued = issue(cast, perms=[Perm.MATTERS_VIEW])
    response = api_client.get("/api/v1/matters", **bearer(issued.secret))
    assert response.status_code == 200
    data = response.json()
    assert [item["id"] for item in data["items"]] == [mine.pk]
    assert data["meta"] == {"count": 1, "count_capped": False, "limit": 50, "offset": 0}
    assert "contact_phone" not in json.dumps(data)
    for query, expected in [
        ("state=registered", [mine.pk]),
        ("state=replied", []),
        (f"unit={cast.grid.pk}", [mine.pk]),
        (f"category={mine.category_id}", [mine.pk]),
        ("registered_after=2000-01-01&registered_before=2100-01-01", [mine.pk]),
        ("registered_before=2000-01-01", []),
        (f"q={mine.code}", [mine.pk]),
        ("ordering=registered_at", [mine.pk]),
    ]:
        response = api_client.get(f"/api/v1/matters?{query}", **bearer(issued.secret))
        assert [i["id"] for i in response.json()["items"]] == expected, query


def test_list_rejects_bad_filters(cast, api_client: Client):
    issued = issue(cast)
    response = api_client.get("/api/v1/matters?state=bogus&limit=0", **bearer(issued.secret))
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"state", "limit"}


def test_list_query_count_does_not_grow_with_rows(
    cast, api_client: Client, django_assert_max_num_queries
):
    for n in range(3):
        mf.matter(
            cast.grid,
            cast.grid_worker,
            contact_phone=f"1380013800{n}",
            description=f"第{n}件：路面塌陷需要修补，影响通行。",
        )
    issued = issue(cast)
    with django_assert_max_num_queries(8):
        response = api_client.get("/api/v1/matters", **bearer(issued.secret))
    assert len(response.json()["items"]) == 3


def test_detail_masks_personal_data_without_the_permission(cast, api_client: Client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    masked = issue(cast, perms=[Perm.MATTERS_VIEW])
    response = api_client.get(f"/api/v1/matters/{matter.pk}", **bearer(masked.secret))
    requester = response.json()["requester"]
    assert requester["phone"] == "138****8000"
    assert requester["masked"] is True
    assert response["ETag"] == f'"{matter.version}"'
    full = issue(cast, perms=[Perm.MATTERS_VIEW, Perm.RESIDENTS_VIEW_PERSONAL])
    response = api_client.get(f"/api/v1/matters/{matter.pk}", **bearer(full.secret))
    assert response.json()["requester"]["phone"] == "13800138000"


def test_detail_outside_scope_is_404_like_a_missing_matter(cast, api_client: Client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    issued = issue(cast, unit=cast.neighbour_community)
    response = api_client.get(f"/api/v1/matters/{matter.pk}", **bearer(issued.secret))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    missing = api_client.get("/api/v1/matters/999999", **bearer(issued.secret))
    assert missing.json() == response.json()


# --- Actions --------------------------------------------------------------------------------------


def test_accept_with_the_current_version(cast, api_client: Client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    issued = issue(cast)
    response = post(
        api_client,
        f"/api/v1/matters/{matter.pk}/accept",
        {"version": matter.version},
        issued.secret,
    )
    assert response.status_code == 200, response.content
    matter.refresh_from_db()
    assert matter.state == State.ACCEPTED
    assert response.json()["version"] == matter.version
    assert response.json()["timeline"][-1]["action"] == "accepted"


def test_stale_version_gets_409_and_changes_nothing(cast, api_client: Client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    issued = issue(cast)
    response = post(
        api_client,
        f"/api/v1/matters/{matter.pk}/accept",
        {"version": matter.version - 1 or 99},
        issued.secret,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale"
    assert "changed by someone else" in response.json()["error"]["message"]
    matter.refresh_from_db()
    assert matter.state == State.REGISTERED


def test_version_from_if_match_and_required(cast, api_client: Client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    issued = issue(cast)
    missing = post(api_client, f"/api/v1/matters/{matter.pk}/accept", {}, issued.secret)
    assert missing.status_code == 428
    assert missing.json()["error"]["code"] == "version_required"
    response = post(
        api_client,
        f"/api/v1/matters/{matter.pk}/accept",
        {},
        issued.secret,
        HTTP_IF_MATCH=f'"{matter.version}"',
    )
    assert response.status_code == 200


def test_wrong_state_gets_409_invalid_state(cast, api_client: Client):
    matter = mf.accepted(cast)
    issued = issue(cast)
    response = post(
        api_client,
        f"/api/v1/matters/{matter.pk}/accept",
        {"version": matter.version},
        issued.secret,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"


def test_decline_needs_a_reason(cast, api_client: Client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    issued = issue(cast)
    response = post(
        api_client,
        f"/api/v1/matters/{matter.pk}/decline",
        {"version": matter.version, "reason": "x"},
        issued.secret,
    )
    assert response.status_code == 400
    response = post(
        api_client,
        f"/api/v1/matters/{matter.pk}/decline",
        {"version": matter.version, "reason": "不属于信访事项受理范围"},
        issued.secret,
    )
    assert response.status_code == 200
    assert response.json()["state"] == State.DECLINED


def test_dispatch_sign_for_and_reply_through_the_api(cast, api_client: Client):
    matter = mf.accepted(cast)
    unit_token = issue(cast)
    dept_token = issue(
        cast, role=Role.DEPARTMENT_HANDLER, department=cast.department, name="住建局系统"
    )
    response = post(
        api_client,
        f"/api/v1/matters/{matter.pk}/dispatch",
        {"version": matter.version, "lead_department": cast.department.pk},
        unit_token.secret,
    )
    assert response.status_code == 200, response.content
    version = response.json()["version"]
    response = post(
        api_client, f"/api/v1/matters/{matter.pk}/sign-for", {"version": version}, dept_token.secret
    )
    assert response.status_code == 200, response.content
    response = post(
        api_client,
        f"/api/v1/matters/{matter.pk}/reply",
        {"version": response.json()["version"], "text": mf.REPLY, "outcome": "supported"},
        dept_token.secret,
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == State.REPLIED
    response = post(
        api_client,
        f"/api/v1/matters/{matter.pk}/follow-up",
        {"version": response.json()["version"], "rating": "satisfied"},
        unit_token.secret,
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == State.RESOLVED


def test_dispatch_to_unknown_department_is_a_field_error(cast, api_client: Client):
    matter = mf.accepted(cast)
    issued = issue(cast)
    response = post(
        api_client,
        f"/api/v1/matters/{matter.pk}/dispatch",
        {"version": matter.version, "lead_department": 999999},
        issued.secret,
    )
    assert response.status_code == 400
    assert "lead_department" in response.json()["error"]["fields"]


def test_accept_by_session_is_scoped_like_the_web(cast, client: Client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    assert_scope(
        client,
        Probe(
            "post",
            f"/api/v1/matters/{matter.pk}/accept",
            {"version": matter.version},
            content_type="application/json",
        ),
        allowed=[cast.community_worker],
        denied=[cast.outsider, cast.handler, cast.grid_worker],
        state=lambda: Matter.objects.values_list("state", "version").get(pk=matter.pk),
    )


def test_session_posts_need_the_csrf_token(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    client = Client(enforce_csrf_checks=True)
    login_as(client, cast.community_worker)
    response = client.post(
        f"/api/v1/matters/{matter.pk}/accept",
        json.dumps({"version": matter.version}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert client.get("/api/v1/matters").status_code == 200  # reads need no CSRF token
