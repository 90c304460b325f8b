"""LanguageMiddleware: Chinese by default, English when chosen; the API follows Accept-Language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

LOGIN = "/accounts/login/"


def language_of(response) -> str:  # type: ignore[no-untyped-def]
    return str(response["Content-Language"])


def test_staff_pages_are_chinese_by_default(client: Client, db: None) -> None:
    response = client.get(LOGIN)

    assert language_of(response) == "zh-hans"
    assert '<html lang="zh-CN">' in response.content.decode()


@pytest.mark.parametrize("accept", ["en", "en-US,en;q=0.9", "fr-FR,en;q=0.5"])
def test_the_browser_language_does_not_switch_staff_pages(
    client: Client, db: None, accept: str
) -> None:
    response = client.get(LOGIN, headers={"Accept-Language": accept})

    assert language_of(response) == "zh-hans"


def test_choosing_english_sets_the_cookie_and_switches_pages(client: Client, db: None) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert response.cookies["xinkan_language"].value == "en"
    page = client.get(LOGIN)
    assert language_of(page) == "en"
    assert '<html lang="en">' in page.content.decode()
    assert "Log in to Xinkan" in page.content.decode()


def test_choosing_chinese_again_switches_back(client: Client, db: None) -> None:
    client.post("/i18n/setlang/", {"language": "en"})
    client.post("/i18n/setlang/", {"language": "zh-hans"})

    assert language_of(client.get(LOGIN)) == "zh-hans"


def test_an_unknown_language_cookie_falls_back_to_chinese(client: Client, db: None) -> None:
    client.cookies["xinkan_language"] = "xx"

    assert language_of(client.get(LOGIN)) == "zh-hans"


def test_responses_vary_on_the_cookie(client: Client, db: None) -> None:
    response = client.get(LOGIN)

    assert "Cookie" in response["Vary"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("en", "en"), ("en-GB,en;q=0.8", "en"), ("zh-CN,zh;q=0.9", "zh-hans"), ("", "zh-hans")],
)
def test_api_paths_honour_accept_language(
    client: Client, db: None, accept: str, expected: str
) -> None:
    headers = {"Accept-Language": accept} if accept else {}

    response = client.get("/api/v1/ping", headers=headers)

    assert language_of(response) == expected


def test_the_chosen_language_wins_on_api_paths_too(client: Client, db: None) -> None:
    client.cookies["xinkan_language"] = "en"

    response = client.get("/api/v1/ping", headers={"Accept-Language": "zh-CN"})

    assert language_of(response) == "en"


def test_english_does_not_leak_into_the_thread_after_the_request(client: Client, db: None) -> None:
    client.cookies["xinkan_language"] = "en"

    client.get(LOGIN)

    assert translation.get_language() == "zh-hans"
