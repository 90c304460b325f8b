"""Error pages: in the user's language (Chinese by default), with a reason and a way back."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from tests.conftest import login_as
from tests.pages import has_chinese, in_english, text_of
from xinkan.audit.models import AuditEntry
from xinkan.web.views.errors import bad_request, permission_denied, server_error


def chinese(message: str) -> str:
    with translation.override("zh-hans"):
        translated = gettext(message)
    assert has_chinese(translated), f"{message!r} has no Chinese translation"
    return translated


def test_the_404_page_is_in_chinese_by_default(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = text_of(response)
    assert chinese("Not found") in text
    assert chinese("This page does not exist, or it is outside your area of work.") in text
    assert 'lang="zh-CN"' in response.content.decode()


def test_the_404_page_is_in_english_when_chosen(cast, client):
    login_as(client, cast.leader)
    in_english(client)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "This page does not exist, or it is outside your area of work." in text_of(response)


def test_a_logged_in_user_keeps_the_navigation_on_the_404_page(cast, client):
    login_as(client, cast.leader)
    response = client.get("/units/999999/")
    assert response.status_code == 404
    assert 'data-nav="home"' in response.content.decode()


def test_a_forbidden_page_is_a_403_with_a_reason(cast, client):
    login_as(client, cast.handler)
    response = client.get("/residents/")
    assert response.status_code == 403
    text = text_of(response)
    assert chinese("Not allowed") in text
    assert chinese("Your role does not allow this page or action.") in text


def test_a_refusal_with_a_reason_shows_that_reason(cast):
    request = RequestFactory().get("/")
    request.user = cast.leader
    reason = "You may not change the organisation here."
    with translation.override("en"):
        response = permission_denied(request, PermissionDenied(reason))
    assert response.status_code == 403
    assert reason in text_of(response)


def test_an_expired_form_is_explained(cast):
    client = Client(enforce_csrf_checks=True)
    login_as(client, cast.leader)
    entries = AuditEntry.objects.count()
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    text = text_of(response)
    assert chinese("The form has expired") in text
    assert (
        chinese(
            "For your safety the form could not be accepted. Reload the page and submit it again."
        )
        in text
    )
    # The user is still logged in: the logout did not happen.
    assert AuditEntry.objects.count() == entries
    assert client.get("/").status_code == 200


def test_the_server_error_page_needs_no_database_or_context(db):
    request = RequestFactory().get("/")
    with translation.override("zh-hans"):
        response = server_error(request)
    assert response.status_code == 500
    text = text_of(response)
    assert chinese("Something went wrong") in text
    assert (
        chinese(
            "Nothing was saved. Please try again; if it happens again, tell your administrator."
        )
        in text
    )


def test_the_bad_request_page(cast):
    request = RequestFactory().get("/")
    request.user = cast.leader
    with translation.override("en"):
        response = bad_request(request)
    assert response.status_code == 400
    assert "The request could not be understood." in text_of(response)
