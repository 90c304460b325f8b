"""The matter page: the whole timeline, the people, the deadlines, related matters, and the actions
the user may take now."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xinkan.accounts.models import User
from xinkan.core.phones import mask_phone
from xinkan.matters import forms as matter_forms
from xinkan.matters.access import allowed_actions, dispatch_targets
from xinkan.matters.models import (
    AccompaniedVisit,
    Assignment,
    Attachment,
    Companion,
    ExtensionRequest,
    FollowUp,
    LinkKind,
    MatterEvent,
    MatterLink,
    Objection,
    Reply,
)
from xinkan.matters.origins import origins_of
from xinkan.matters.selectors import get_matter_for_user
from xinkan.residents.identity import mask_id_number


@login_required
def matter_detail(request: HttpRequest, matter_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    matter = get_matter_for_user(user, matter_id)
    assignments = list(Assignment.objects.filter(matter=matter).select_related("department"))
    companions = list(Companion.objects.filter(matter=matter).select_related("cadre"))
    links = list(MatterLink.objects.filter(matter=matter).select_related("other"))
    extension_requests = list(ExtensionRequest.objects.filter(matter=matter, approved__isnull=True))
    objections = list(
        Objection.objects.filter(assignment__matter=matter, upheld__isnull=True).select_related(
            "assignment__department"
        )
    )
    allowed = allowed_actions(
        user,
        matter,
        assignments,
        companions,
        pending_extensions=bool(extension_requests),
        pending_objections=bool(objections),
        candidate_links=any(link.kind == LinkKind.CANDIDATE for link in links),
    )
    version = {"version": matter.version}
    targets = dispatch_targets(matter)
    replies = list(Reply.objects.filter(matter=matter).select_related("by", "department", "unit"))
    follow_ups = {
        f.reply_id: f for f in FollowUp.objects.filter(matter=matter).select_related("by")
    }
    attachments = list(Attachment.objects.filter(matter=matter))
    visits = list(
        AccompaniedVisit.objects.filter(companion__matter=matter).select_related(
            "companion__cadre", "department"
        )
    )
    context = {
        "matter": matter,
        "origins": origins_of(user, matter),
        "allowed": allowed,
        "events": list(MatterEvent.objects.filter(matter=matter).select_related("actor")),
        "assignments": assignments,
        "deadlines": list(matter.deadlines.all()),
        "replies": [
            (reply, follow_ups.get(reply.pk), [a for a in attachments if a.reply_id == reply.pk])
            for reply in replies
        ],
        "attachments": [a for a in attachments if a.reply_id is None],
        "companions": companions,
        "visits": visits,
        "people": list(matter.people.all()),
        "links": links,
        "extension_requests": extension_requests,
        "objections": objections,
        "phone": matter.contact_phone
        if allowed.view_personal
        else mask_phone(matter.contact_phone),
        "id_number": matter.id_number
        if allowed.view_personal
        else mask_id_number(matter.id_number),
        "supervisions": list(
            matter.supervisions.filter(closed_at__isnull=True).select_related("unit")
        ),
        "forms": {
            "dispatch": matter_forms.DispatchForm(initial=version, departments=targets),
            "decline": matter_forms.ReasonForm(initial=version, prefix="decline"),
            "note": matter_forms.NoteForm(initial=version),
            "transfer": matter_forms.TransferForm(initial=version, departments=targets),
            "reason": matter_forms.ReasonForm(initial=version),
            "reply": matter_forms.ReplyForm(initial=version),
            "report": matter_forms.ReportForm(),
            "extension": matter_forms.ExtensionForm(),
            "decision": matter_forms.DecisionForm(),
            "objection": matter_forms.ObjectionDecisionForm(departments=targets),
            "follow_up": matter_forms.FollowUpForm(initial=version),
            "review": matter_forms.ReasonForm(initial=version, prefix="review"),
            "decide_review": matter_forms.ReviewDecisionForm(initial=version),
            "take": matter_forms.TakeForm(),
            "visit": matter_forms.VisitForm(departments=targets),
        },
    }
    return render(request, "matters/detail.html", context)
