"""Attachments are never served as static files: each download checks the reader's scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest

from xinkan.accounts.models import User
from xinkan.audit import services as audit
from xinkan.matters.models import Attachment
from xinkan.matters.selectors import get_matter_for_user


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    user = request.user
    assert isinstance(user, User)
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    matter = get_matter_for_user(user, attachment.matter_id, audit_view=False)
    audit.record(
        actor=user,
        action="matters.attachment_downloaded",
        obj=matter,
        unit=matter.handling_unit,
        data={"attachment": attachment.pk},
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
