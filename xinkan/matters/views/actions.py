"""POST endpoints of the actions on a matter. Each parses its form, calls one service function, and
goes back to the matter page with a message; a refusal says why and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xinkan.accounts.models import User
from xinkan.matters import forms as matter_forms
from xinkan.matters import services
from xinkan.matters.access import dispatch_targets
from xinkan.matters.models import Companion, ExtensionRequest, Matter, MatterLink, Objection
from xinkan.matters.selectors import get_matter_for_user


@dataclass(frozen=True)
class Action:
    form: Callable[[HttpRequest, Matter], forms.Form]
    run: Callable[[Matter, dict[str, Any], User, HttpRequest], Any]
    done: Any


def _version(data: dict[str, Any]) -> int | None:
    return data.get("version")


def _plain(
    form_class: type[forms.Form], **kwargs: Any
) -> Callable[[HttpRequest, Matter], forms.Form]:
    return lambda request, matter: form_class(request.POST, request.FILES or None, **kwargs)


def _with_targets(
    form_class: Callable[..., forms.Form], **kwargs: Any
) -> Callable[[HttpRequest, Matter], forms.Form]:
    return lambda request, matter: form_class(
        request.POST, departments=dispatch_targets(matter), **kwargs
    )


def _get_pending(model: Any, request: HttpRequest, _matter: Matter, **lookup: Any) -> Any:
    target = request.POST.get("target", "")
    if not target.isascii() or not target.isdigit():  # a tampered id is not found, not a 500
        raise Http404
    return get_object_or_404(model, pk=int(target), **lookup)


ACTIONS: dict[str, Action] = {
    "accept": Action(
        _plain(matter_forms.NoteForm),
        lambda m, d, u, r: services.accept_matter(m, by=u, version=_version(d), note=d["note"]),
        gettext_lazy("The matter was accepted."),
    ),
    "decline": Action(
        _plain(matter_forms.ReasonForm, prefix="decline"),
        lambda m, d, u, r: services.decline_matter(
            m, by=u, reason=d["reason"], version=_version(d)
        ),
        gettext_lazy("The matter was declined; the resident is told why."),
    ),
    "dispatch": Action(
        _with_targets(matter_forms.DispatchForm),
        lambda m, d, u, r: services.dispatch_matter(
            m, lead=d["lead"], co=list(d["co"]), by=u, version=_version(d), note=d["note"]
        ),
        gettext_lazy("The matter was dispatched."),
    ),
    "handle": Action(
        _plain(matter_forms.NoteForm),
        lambda m, d, u, r: services.handle_by_unit(m, by=u, version=_version(d), note=d["note"]),
        gettext_lazy("Your unit is handling the matter."),
    ),
    "sign": Action(
        _plain(matter_forms.VersionedForm),
        lambda m, d, u, r: services.sign_for(m, by=u, version=_version(d)),
        gettext_lazy("Signed for."),
    ),
    "object": Action(
        _plain(matter_forms.ReasonForm),
        lambda m, d, u, r: services.object_to_dispatch(m, by=u, reason=d["reason"]),
        gettext_lazy("Your objection was sent to the dispatcher."),
    ),
    "return": Action(
        _plain(matter_forms.ReasonForm),
        lambda m, d, u, r: services.return_to_dispatcher(
            m, by=u, reason=d["reason"], version=_version(d)
        ),
        gettext_lazy("The matter was returned to the dispatcher."),
    ),
    "transfer": Action(
        _with_targets(matter_forms.TransferForm),
        lambda m, d, u, r: services.transfer_matter(
            m, to=d["to"], by=u, reason=d["reason"], version=_version(d)
        ),
        gettext_lazy("The matter was transferred."),
    ),
    "report": Action(
        _plain(matter_forms.ReportForm),
        lambda m, d, u, r: services.report_as_co_handler(m, by=u, report=d["report"]),
        gettext_lazy("Your report was sent to the lead department."),
    ),
    "reply": Action(
        _plain(matter_forms.ReplyForm),
        lambda m, d, u, r: services.reply_to_matter(
            m,
            by=u,
            text=d["text"],
            outcome=d["outcome"],
            attachments=d["attachments"],
            version=_version(d),
        ),
        gettext_lazy("The answer was recorded; the resident is told."),
    ),
    "extension": Action(
        _plain(matter_forms.ExtensionForm),
        lambda m, d, u, r: services.request_extension(m, by=u, days=d["days"], reason=d["reason"]),
        gettext_lazy("The extension request was sent."),
    ),
    "decide-extension": Action(
        _plain(matter_forms.DecisionForm),
        lambda m, d, u, r: services.decide_extension(
            _get_pending(ExtensionRequest, r, m, matter=m),
            by=u,
            approve=d["approve"],
            note=d["note"],
        ),
        gettext_lazy("The extension request was decided."),
    ),
    "decide-objection": Action(
        _with_targets(matter_forms.ObjectionDecisionForm),
        lambda m, d, u, r: services.decide_objection(
            _get_pending(Objection, r, m, assignment__matter=m),
            by=u,
            upheld=d["upheld"],
            note=d["note"],
            redirect_to=d["redirect_to"],
        ),
        gettext_lazy("The objection was decided."),
    ),
    "follow-up": Action(
        _plain(matter_forms.FollowUpForm),
        lambda m, d, u, r: services.record_follow_up(
            m,
            rating=d["rating"],
            by=u,
            comment=d["comment"],
            contacted=d["contacted"],
            version=_version(d),
        ),
        gettext_lazy("The follow-up was recorded."),
    ),
    "review": Action(
        _plain(matter_forms.ReasonForm, prefix="review"),
        lambda m, d, u, r: services.request_review(
            m, by=u, reason=d["reason"], version=_version(d)
        ),
        gettext_lazy("The review was requested from the level above."),
    ),
    "decide-review": Action(
        _plain(matter_forms.ReviewDecisionForm),
        lambda m, d, u, r: services.decide_review(
            m, by=u, text=d["text"], outcome=d["outcome"], version=_version(d)
        ),
        gettext_lazy("The decision was recorded."),
    ),
    "take": Action(
        _plain(matter_forms.TakeForm),
        lambda m, d, u, r: services.take_matter(m, by=u, mode=d["mode"]),
        gettext_lazy("You are now with this matter."),
    ),
    "visit": Action(
        _with_targets(matter_forms.VisitForm),
        lambda m, d, u, r: services.record_visit(
            get_object_or_404(Companion, matter=m, cadre=u, active=True),
            by=u,
            at=d["at"],
            place=d["place"],
            summary=d["summary"],
            department=d["department"],
            met=d["met"],
        ),
        gettext_lazy("The visit was recorded."),
    ),
    "link": Action(
        _plain(forms.Form),
        lambda m, d, u, r: services.decide_candidate(
            _get_pending(MatterLink, r, m, matter=m), by=u, kind=r.POST.get("kind", "")
        ),
        gettext_lazy("Noted."),
    ),
}


@login_required
@require_POST
def matter_action(request: HttpRequest, matter_id: int, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    user = request.user
    assert isinstance(user, User)
    matter = get_matter_for_user(user, matter_id, audit_view=False)
    form = spec.form(request, matter)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect("matters:detail", matter.pk)
    try:
        spec.run(matter, form.cleaned_data, user, request)
    except services.MatterError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, str(spec.done))
    return redirect("matters:detail", matter.pk)
