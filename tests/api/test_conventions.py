"""The API's shared conventions: one error shape, rate limits, the schema and its docs page."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import bearer, issue

pytestmark = pytest.mark.django_db


def test_unauthenticated_gets_401_in_the_error_shape(api_client: Client):
    response = api_client.get("/api/v1/matters", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_unknown_resource_is_a_json_404(cast, api_client: Client):
    issued = issue(cast)
    response = api_client.get("/api/v1/nothing/here", **bearer(issued.secret))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_a_json_405(cast, api_client: Client):
    issued = issue(cast)
    response = api_client.delete("/api/v1/matters", **bearer(issued.secret))
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_rate_limit_per_token_answers_429_with_retry_after(cast, api_client: Client, settings):
    settings.XINKAN_API_RATE_CALLER = (2, 60)
    issued = issue(cast)
    codes = [
        api_client.get("/api/v1/matters", **bearer(issued.secret)).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    response = api_client.get("/api/v1/matters", **bearer(issued.secret))
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    other = issue(cast, name="other")
    assert api_client.get("/api/v1/matters", **bearer(other.secret)).status_code == 200


def test_rate_limit_per_client_address(cast, api_client: Client, settings):
    settings.XINKAN_API_RATE_ADDRESS = (2, 60)
    one, two = issue(cast, name="a"), issue(cast, name="b")
    assert api_client.get("/api/v1/matters", **bearer(one.secret)).status_code == 200
    assert api_client.get("/api/v1/matters", **bearer(two.secret)).status_code == 200
    assert api_client.get("/api/v1/matters", **bearer(two.secret)).status_code == 429


def test_units_and_departments_in_scope(cast, api_client: Client):
    issued = issue(cast)
    units = api_client.get("/api/v1/units", **bearer(issued.secret)).json()
    assert {u["id"] for u in units["items"]} == {cast.community.pk, cast.grid.pk}
    assert (
        api_client.get(f"/api/v1/units/{cast.district.pk}", **bearer(issued.secret)).status_code
        == 404
    )
    assert (
        api_client.get(f"/api/v1/units/{cast.grid.pk}", **bearer(issued.secret)).status_code == 200
    )
    leader = issue(cast, role="leader", unit=cast.district, name="大屏")
    departments = api_client.get("/api/v1/departments", **bearer(leader.secret)).json()
    assert [d["id"] for d in departments["items"]] == [cast.department.pk]
    none = api_client.get("/api/v1/departments", **bearer(issued.secret)).json()
    assert none["items"] == []
    found = api_client.get(f"/api/v1/departments/{cast.department.pk}", **bearer(leader.secret))
    assert found.json()["name"] == cast.department.name
    assert api_client.get("/api/v1/categories", **bearer(issued.secret)).status_code == 200


def test_openapi_schema_is_generated_with_examples(api_client: Client):
    response = api_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/matters" in schema["paths"]
    assert "/api/v1/matters/{matter_id}/accept" in schema["paths"]
    assert schema["components"]["schemas"]["IntakeIn"]["examples"]
    assert (
        "BearerAuth" in str(schema["components"]["securitySchemes"])
        or schema["components"]["securitySchemes"]
    )


def test_docs_page_uses_only_the_projects_own_assets(api_client: Client):
    response = api_client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
