"""Downloading an attachment (/matters/attachments/<id>/): only within the matter's scope, always as a
download that the browser may not sniff into a page, and every download audited."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import login_as
from tests.matters import factories as mf
from tests.scope import Probe, assert_scope
from xinkan.audit.models import AuditEntry, Outcome
from xinkan.matters import services
from xinkan.matters.models import Attachment
from xinkan.matters.models import Outcome as ReplyOutcome

NAME = "现场照片.jpg"


def url(attachment: Attachment) -> str:
    return f"/matters/attachments/{attachment.pk}/"


def downloads() -> list[tuple[int | None, str]]:
    return list(
        AuditEntry.objects.filter(action="matters.attachment_downloaded", outcome=Outcome.SUCCESS)
        .order_by("pk")
        .values_list("actor_id", "object_id")
    )


@pytest.fixture
def photo(cast) -> Attachment:  # type: ignore[no-untyped-def]
    matter = mf.matter(cast.grid, cast.grid_worker, attachments=[mf.upload(NAME, mf.JPEG)])
    return Attachment.objects.get(matter=matter)


def test_a_download_is_an_attachment_that_is_never_sniffed(cast, client, photo):
    login_as(client, cast.community_worker)
    response = client.get(url(photo))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == mf.JPEG
    assert response["Content-Type"] == "image/jpeg"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(NAME)}" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_the_type_comes_from_the_content_not_from_the_name(cast, client):
    matter = mf.matter(cast.grid, cast.grid_worker, attachments=[mf.upload("page.html", mf.PNG)])
    attachment = Attachment.objects.get(matter=matter)
    login_as(client, cast.grid_worker)
    response = client.get(url(attachment))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")


def test_every_download_is_audited(cast, client, photo):
    login_as(client, cast.cadre)
    client.get(url(photo))
    client.get(url(photo))
    assert downloads() == [(cast.cadre.pk, str(photo.matter_id))] * 2
    entry = AuditEntry.objects.filter(action="matters.attachment_downloaded").last()
    assert entry.data == {"attachment": photo.pk}
    assert entry.unit == photo.matter.handling_unit


def test_only_those_who_may_see_the_matter_may_download(cast, client, photo):
    assert_scope(
        client,
        Probe("get", url(photo)),
        allowed=[cast.grid_worker, cast.community_worker, cast.cadre, cast.leader],
        denied=[cast.outsider, cast.handler, cast.admin],
        state=downloads,
    )
    assert {actor for actor, _ in downloads()} == {
        cast.grid_worker.pk,
        cast.community_worker.pk,
        cast.cadre.pk,
        cast.leader.pk,
    }
    refused = AuditEntry.objects.filter(action="matters.view_denied", outcome=Outcome.FAILURE)
    assert {entry.actor for entry in refused} == {cast.outsider, cast.handler, cast.admin}


def test_the_department_downloads_the_files_of_a_matter_dispatched_to_it(cast, client):
    matter = mf.handling(cast)
    services.reply_to_matter(
        matter,
        by=cast.handler,
        text=mf.REPLY,
        outcome=ReplyOutcome.SUPPORTED,
        attachments=[mf.upload("维修单.pdf", mf.PDF)],
    )
    attachment = Attachment.objects.get(matter=matter)
    assert_scope(
        client,
        Probe("get", url(attachment)),
        allowed=[cast.handler, cast.community_worker],
        denied=[cast.outsider],
    )


def test_an_attachment_that_does_not_exist_is_not_found(cast, client, photo):
    login_as(client, cast.leader)
    assert client.get(f"/matters/attachments/{photo.pk + 1000}/").status_code == 404
    assert downloads() == []


def test_visitors_are_sent_to_log_in(cast, client, photo):
    response = client.get(url(photo))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert downloads() == []
