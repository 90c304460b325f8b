"""Open311 GeoReport v2: element and field names of every answer, in XML and JSON, errors too."""

from __future__ import annotations

import datetime as dt
import json
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.conftest import issue
from tests.matters import factories as mf
from xinkan.matters.models import Channel, Matter
from xinkan.org.roles import Perm

pytestmark = pytest.mark.django_db

REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}


def xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314 (our own answer)


def assert_error(response, status: int) -> None:
    assert response.status_code == status
    if response["Content-Type"].startswith("text/xml"):
        root = ET.fromstring(response.content)  # noqa: S314
        assert root.tag == "errors"
        error = root.find("error")
        assert error is not None
        assert {child.tag for child in error} == {"code", "description"}
        assert error.findtext("code") == str(status)
        assert error.findtext("description")
    else:
        body = response.json()
        assert isinstance(body, list)
        assert set(body[0]) == {"code", "description"}
        assert body[0]["code"] == status


def test_discovery(api_client: Client):
    data = api_client.get("/open311/v2/discovery.json").json()
    assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = data["endpoints"][0]
    assert set(endpoint) == {"specification", "url", "changeset", "type", "formats"}
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = xml(api_client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    endpoint_xml = root.find("endpoints/endpoint")
    assert endpoint_xml is not None
    assert [f.text for f in endpoint_xml.findall("formats/format")] == endpoint["formats"]
    assert endpoint_xml.findtext("type") == "production"


def test_services_from_the_category_tree(api_client: Client):
    category = mf.category("safety.fire", "消防隐患")
    data = api_client.get("/open311/v2/services.json").json()
    assert isinstance(data, list)
    fire = next(s for s in data if s["service_code"] == category.code)
    assert set(fire) == SERVICE_FIELDS
    assert fire["metadata"] is False  # asks for no extra fields
    assert fire["type"] == "realtime"
    assert fire["group"] == category.parent.name
    elevator = next(s for s in data if s["service_code"] == "property.elevator")
    assert elevator["metadata"] is True  # the default extra fields (matters migration 0006)
    root = xml(api_client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert {child.tag for child in services[0]} == SERVICE_FIELDS
    assert services[-1].findtext("metadata") == "false"
    by_code = {s.findtext("service_code"): s.findtext("metadata") for s in services}
    assert by_code["property.elevator"] == "true"


def test_service_definition_and_unknown_service(api_client: Client):
    category = mf.category("safety.fire", "消防隐患")
    data = api_client.get(f"/open311/v2/services/{category.code}.json").json()
    assert data == {"service_code": category.code, "attributes": []}
    root = xml(api_client.get(f"/open311/v2/services/{category.code}.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == category.code
    assert list(root.find("attributes")) == []
    assert_error(api_client.get("/open311/v2/services/nope.xml"), 404)
    assert_error(api_client.get("/open311/v2/services/nope.json"), 404)


def _form(cast, secret: str, **extra: str) -> dict[str, str]:
    data = {
        "api_key": secret,
        "service_code": mf.category().code,
        "address_string": "建设路1号",
        "description": "路灯坏了一个星期，晚上很黑，老人出门不方便。",
        "jurisdiction_id": cast.grid.code,
    }
    data.update(extra)
    return data


def test_post_request_creates_a_matter_through_intake(cast, api_client: Client):
    issued = issue(cast, perms=[Perm.MATTERS_REGISTER, Perm.MATTERS_VIEW])
    response = api_client.post(
        "/open311/v2/requests.json",
        _form(cast, issued.secret, phone="13800138000", first_name="秀英", last_name="王"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert isinstance(body, list)
    assert set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    matter = Matter.objects.get()
    assert body[0]["service_request_id"] == matter.code
    assert matter.channel == Channel.SYSTEM
    assert matter.unit == cast.grid
    assert matter.contact_name == "王 秀英"

    response = api_client.post(
        "/open311/v2/requests.xml",
        _form(cast, issued.secret, description="垃圾桶满了好几天没人清运，气味很大。"),
    )
    root = xml(response)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request is not None
    assert request.findtext("service_request_id", "").startswith("XK-")
    assert request.find("token") is None  # never both
    assert Matter.objects.count() == 2
    assert Matter.objects.filter(anonymous=True).count() == 1


def test_post_with_the_same_idempotency_key_creates_one(cast, api_client: Client):
    issued = issue(cast)
    first = api_client.post(
        "/open311/v2/requests.json", _form(cast, issued.secret), HTTP_IDEMPOTENCY_KEY="o-1"
    )
    again = api_client.post(
        "/open311/v2/requests.json", _form(cast, issued.secret), HTTP_IDEMPOTENCY_KEY="o-1"
    )
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert Matter.objects.count() == 1


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_errors(cast, api_client: Client, fmt):
    issued = issue(cast)
    url = f"/open311/v2/requests.{fmt}"
    assert_error(api_client.post(url, {**_form(cast, issued.secret), "api_key": ""}), 403)
    assert_error(api_client.post(url, _form(cast, "xk_wrong_key")), 403)
    assert_error(api_client.post(url, _form(cast, issued.secret, service_code="")), 400)
    assert_error(api_client.post(url, _form(cast, issued.secret, service_code="nope")), 404)
    assert_error(api_client.post(url, _form(cast, issued.secret, address_string="")), 400)
    assert_error(api_client.post(url, _form(cast, issued.secret, description="x" * 4001)), 400)
    assert_error(api_client.post(url, _form(cast, issued.secret, jurisdiction_id="nope")), 404)
    other = issue(cast, unit=cast.neighbour_community, name="other")
    assert_error(api_client.post(url, _form(cast, other.secret)), 403)
    assert not Matter.objects.exists()


def test_list_requests_without_key_gives_no_personal_data(cast, api_client: Client):
    matter = mf.dispatched(cast, address="建设路1号1单元101")
    data = api_client.get("/open311/v2/requests.json").json()
    assert len(data) == 1
    item = data[0]
    assert set(item) == REQUEST_FIELDS
    assert item["service_request_id"] == matter.code
    assert item["status"] == "open"
    assert item["agency_responsible"] == cast.department.name
    assert item["expected_datetime"]
    assert item["status_notes"]
    assert dt.datetime.fromisoformat(item["requested_datetime"]).utcoffset() is not None
    text = json.dumps(data, ensure_ascii=False)
    for personal in ("王秀英", "13800138000", "建设路1号1单元101", matter.description):
        assert personal not in text
    root = xml(api_client.get("/open311/v2/requests.xml"))
    assert root.tag == "service_requests"
    assert {child.tag for child in root.find("request")} == REQUEST_FIELDS


def test_list_requests_with_a_key_in_scope_shows_description(cast, api_client: Client):
    matter = mf.matter(cast.grid, cast.grid_worker, address="建设路1号")
    issued = issue(cast)
    item = api_client.get(f"/open311/v2/requests.json?api_key={issued.secret}").json()[0]
    assert item["description"] == matter.description
    assert item["address"] == "建设路1号"
    assert "13800138000" not in json.dumps(item)


def test_list_filters(cast, api_client: Client):
    open_one = mf.matter(cast.grid, cast.grid_worker)
    closed = mf.matter(
        cast.grid,
        cast.grid_worker,
        contact_phone="13900139000",
        description="楼道里堆满杂物，存在消防隐患，请尽快清理。",
    )
    from xinkan.matters import services

    services.decline_matter(closed, by=cast.community_worker, reason="已由物业当场处理完毕")

    def ids(query: str) -> list[str]:
        return [
            r["service_request_id"]
            for r in api_client.get(f"/open311/v2/requests.json?{query}").json()
        ]

    assert ids("status=open") == [open_one.code]
    assert ids("status=closed") == [closed.code]
    assert ids(f"service_request_id={closed.code},{open_one.code}&status=open") == [
        closed.code,
        open_one.code,
    ]
    assert ids(f"service_code={open_one.category.code}") == [closed.code, open_one.code]
    long_ago = (timezone.now() - dt.timedelta(days=200)).isoformat()
    assert ids(f"end_date={long_ago}".replace("+", "%2B")) == []
    assert ids("status=") == [closed.code, open_one.code]  # empty counts as absent


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_list_errors(cast, api_client: Client, fmt):
    url = f"/open311/v2/requests.{fmt}"
    assert_error(api_client.get(url, {"start_date": "yesterday"}), 400)
    assert_error(
        api_client.get(
            url, {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
        ),
        400,
    )
    assert_error(api_client.get(url, {"status": "pending"}), 400)
    assert_error(api_client.get(url, {"service_code": "nope"}), 404)
    assert_error(api_client.get(url, {"api_key": "xk_bad"}), 403)


def test_one_request_and_tokens(cast, api_client: Client):
    matter = mf.matter(cast.grid, cast.grid_worker)
    data = api_client.get(f"/open311/v2/requests/{matter.code}.json").json()
    assert [r["service_request_id"] for r in data] == [matter.code]
    root = xml(api_client.get(f"/open311/v2/requests/{matter.code}.xml"))
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text == matter.code
    assert_error(api_client.get("/open311/v2/requests/XK-2020-999999.xml"), 404)
    assert_error(api_client.get("/open311/v2/tokens/abc.json"), 404)
    assert_error(api_client.get("/open311/v2/tokens/abc.xml"), 404)
    assert_error(api_client.get("/open311/v2/nothing.xml"), 404)
    assert_error(api_client.delete("/open311/v2/services.json"), 405)


# --- Service attributes (a category's extra fields) ----------------------------------------------

ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
]
LIFT_FIELDS = [
    {"code": "building", "label": "楼号", "label_en": "Building", "datatype": "string",
     "required": True, "order": 1},
    {"code": "floors", "label": "楼层数", "label_en": "Floors", "datatype": "number", "order": 2},
    {"code": "trapped", "label": "是否有人被困", "label_en": "Anyone trapped", "order": 3,
     "datatype": "singlevaluelist", "required": True,
     "values": [{"key": "yes", "name": "有人被困", "name_en": "Yes"},
                {"key": "no", "name": "无人被困", "name_en": "No"}]},
    {"code": "who", "label": "被困人员", "label_en": "Who", "datatype": "multivaluelist",
     "order": 4,
     "values": [{"key": "elderly", "name": "老人", "name_en": "Elderly"},
                {"key": "child", "name": "儿童", "name_en": "Children"}]},
]  # fmt: skip


@pytest.fixture
def lift():  # type: ignore[no-untyped-def]
    from xinkan.matters.extra_fields import validate_definition

    category = mf.category("safety.lift_test", "电梯困人")
    category.extra_fields = validate_definition(LIFT_FIELDS)
    category.save()
    return category


def test_service_definition_lists_the_attributes_in_json(api_client: Client, lift, settings):
    api_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # English names where given
    data = api_client.get(f"/open311/v2/services/{lift.code}.json").json()
    assert data["service_code"] == lift.code
    building, floors, trapped, who = data["attributes"]
    assert list(building) == ATTRIBUTE_FIELDS  # no values for a string
    assert building["variable"] is True
    assert building["required"] is True
    assert building["datatype"] == "string"
    assert building["order"] == 1
    assert building["description"] == "Building"
    assert floors["datatype"] == "number" and floors["required"] is False
    assert floors["datatype_description"]
    assert list(trapped) == [*ATTRIBUTE_FIELDS, "values"]
    assert trapped["values"] == [{"key": "yes", "name": "Yes"}, {"key": "no", "name": "No"}]
    assert who["datatype"] == "multivaluelist"
    assert [v["key"] for v in who["values"]] == ["elderly", "child"]
    services = api_client.get("/open311/v2/services.json").json()
    assert next(s for s in services if s["service_code"] == lift.code)["metadata"] is True


def test_service_definition_lists_the_attributes_in_xml(api_client: Client, lift):
    root = xml(api_client.get(f"/open311/v2/services/{lift.code}.xml"))
    assert root.tag == "service_definition"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["building", "floors", "trapped", "who"]
    building = attributes[0]
    assert [child.tag for child in building] == ATTRIBUTE_FIELDS
    assert building.findtext("variable") == "true"
    assert building.findtext("required") == "true"
    assert building.findtext("order") == "1"
    assert building.findtext("description") == "楼号"  # the default language
    assert attributes[1].findtext("required") == "false"
    values = attributes[2].findall("values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values] == [
        ("yes", "有人被困"),
        ("no", "无人被困"),
    ]
    assert {child.tag for child in values[0]} == {"key", "name"}


def test_post_with_attributes_stores_them(cast, api_client: Client, lift):
    issued = issue(cast)
    response = api_client.post(
        "/open311/v2/requests.json",
        _form(
            cast,
            issued.secret,
            service_code=lift.code,
            **{
                "attribute[building]": "3号楼",
                "attribute[floors]": "18",
                "attribute[trapped]": "yes",
                "attribute[who][]": ["elderly", "child"],
            },
        ),
    )
    assert response.status_code == 201, response.content
    matter = Matter.objects.get()
    assert matter.extra == {
        "building": "3号楼",
        "floors": 18,
        "trapped": "yes",
        "who": ["elderly", "child"],
    }


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_missing_a_required_attribute_is_refused(cast, api_client: Client, lift, fmt):
    issued = issue(cast)
    response = api_client.post(
        f"/open311/v2/requests.{fmt}",
        _form(
            cast,
            issued.secret,
            service_code=lift.code,
            **{"attribute[trapped]": "yes", "attribute[building]": " "},
        ),
    )
    assert_error(response, 400)
    assert "attribute[building]" in response.content.decode()
    assert "attribute[trapped]" not in response.content.decode()
    assert not Matter.objects.exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("attribute[trapped]", "maybe"),
        ("attribute[floors]", "many"),
        ("attribute[who][]", "dog"),
        ("attribute[colour]", "red"),
    ],
)
def test_post_with_a_bad_attribute_value_is_refused(cast, api_client: Client, lift, name, value):
    issued = issue(cast)
    form = _form(
        cast,
        issued.secret,
        service_code=lift.code,
        **{"attribute[building]": "3号楼", "attribute[trapped]": "no"},
    )
    form[name] = value
    response = api_client.post("/open311/v2/requests.json", form)
    assert_error(response, 400)
    code = name.split("[")[1].rstrip("]")
    assert response.json()[0]["description"].startswith(f"attribute[{code}]: ")
    assert not Matter.objects.exists()
